//! `aiprov am MBOX [-- git-am options]`: verify a patch series, apply it with `git am`, and attach
//! each patch's attestations as notes to the commit it produced.

use std::path::PathBuf;

use super::error::CliError;
use super::trust::Trust;
use super::verify::{read_mbox, Printer};
use super::Context;
use crate::git::{notes, Repo};
use crate::verify::{verify_mail, MailBlobs, Verdict};

/// Verify a patch series, apply it with git am, and attach its attestations as notes
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The mbox or .patch file (`-` for standard input)
    mbox: PathBuf,
    /// Apply even when verification fails (the findings are still reported)
    #[arg(long)]
    softfail: bool,
    /// Read the keyring from this revision [default: HEAD]
    #[arg(long, value_name = "REV")]
    trust_ref: Option<String>,
    /// Read the keyring from this directory (laid out like .aiprov/) instead of a revision
    #[arg(long, value_name = "DIR", conflicts_with = "trust_ref")]
    keyring: Option<PathBuf>,
    /// Options passed to git am, after `--` (e.g. `-- -3 -s`)
    #[arg(last = true, value_name = "GIT_AM_OPTIONS")]
    git_am: Vec<String>,
}

pub fn run(ctx: &Context, repo: &Repo, args: Args) -> Result<i32, CliError> {
    let workdir = repo
        .workdir()
        .ok_or_else(|| CliError::msg("aiprov am needs a work tree (this is a bare repository)"))?
        .to_path_buf();
    let mails: Vec<_> = read_mbox(&args.mbox)?
        .into_iter()
        .filter(|(_, m)| {
            let cover = m.is_cover_letter();
            if cover {
                ctx.out.status(format!(
                    "skipping cover letter: {}",
                    crate::output::printable(&m.subject)
                ));
            }
            !cover
        })
        .collect();
    if mails.is_empty() {
        return Err(CliError::msg(format!(
            "{} holds no patch",
            args.mbox.display()
        )));
    }
    let base = repo.commit_id("HEAD")?;
    let trusted = match &args.trust_ref {
        Some(r) => repo.commit_id(r)?,
        None => base,
    };
    let mut trust = Trust::new(Some(repo), &ctx.out, args.keyring.as_deref())?;
    let mut printer = Printer::new(ctx);
    let mut failed = 0;
    let blobs = MailBlobs::new(Some(repo));
    for (i, (raw, mail)) in mails.iter().enumerate() {
        let patatt = trust.patatt(Some(trusted))?.clone();
        let trusted = trust.trusted_for(&format!("patch {}", i + 1), Some(trusted))?;
        let report = verify_mail(mail, raw, &blobs, &trusted, Some(&patatt), &ctx.notes_ref)?;
        failed += usize::from(report.verdict == Verdict::Fail);
        printer.add(report)?;
    }
    if failed > 0 && !args.softfail {
        printer.finish()?;
        ctx.out.warn(format!(
            "not applying: {failed} of {} patches failed verification (use --softfail to apply anyway)",
            mails.len()
        ));
        return Ok(1);
    }
    let code = printer.finish()?;

    // git am gets only the patches, in order (a cover letter would stop it).
    let mut series = Vec::new();
    for (raw, _) in &mails {
        if !raw.starts_with(b"From ") {
            series.extend_from_slice(
                b"From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n",
            );
        }
        series.extend_from_slice(raw);
        if !raw.ends_with(b"\n") {
            series.push(b'\n');
        }
    }
    let tmp = tempfile::Builder::new()
        .prefix("aiprov-am-")
        .suffix(".mbox")
        .tempfile()
        .map_err(|e| CliError::msg(format!("cannot create a temporary file: {e}")))?;
    std::fs::write(tmp.path(), &series)
        .map_err(|e| CliError::msg(format!("cannot write {}: {e}", tmp.path().display())))?;
    let status = crate::git::git_command()
        .arg("am")
        .args(&args.git_am)
        .arg(tmp.path())
        .current_dir(&workdir)
        .status()
        .map_err(|e| CliError::msg(format!("cannot run git am: {e}")))?;
    let applied = repo.first_parent_commits(base, "HEAD")?;
    attach(ctx, repo, &applied, &mails)?;
    if !status.success() {
        return Err(CliError::msg(format!(
            "git am stopped after {} of {} patches",
            applied.len(),
            mails.len()
        ))
        .hint("resolve it and run `git am --continue` (then `aiprov am` the rest), or `git am --abort`"));
    }
    ctx.out.status(format!(
        "applied {} patches; their attestations are notes in {}",
        applied.len(),
        ctx.notes_ref
    ));
    Ok(code)
}

/// Attaches each applied patch's attestation lines to the commit it produced, keeping every line
/// the note already has.
fn attach(
    ctx: &Context,
    repo: &Repo,
    applied: &[crate::git::Oid],
    mails: &[(Vec<u8>, crate::mail::PatchMail)],
) -> Result<(), CliError> {
    for (commit, (_, mail)) in applied.iter().zip(mails) {
        let lines: Vec<String> = mail
            .note_lines(&ctx.notes_ref)
            .iter()
            .map(|l| l.trim().to_string())
            .collect();
        if lines.iter().all(|l| l.is_empty()) {
            continue;
        }
        notes::update_note(repo, &ctx.notes_ref, *commit, "aiprov am", |old| {
            let mut note = old.map(<[u8]>::to_vec).unwrap_or_default();
            let text = String::from_utf8_lossy(&note).into_owned();
            for line in lines.iter().filter(|l| !l.is_empty()) {
                if !text.lines().any(|l| l.trim() == line) {
                    if !note.is_empty() && !note.ends_with(b"\n") {
                        note.push(b'\n');
                    }
                    note.extend_from_slice(line.as_bytes());
                    note.push(b'\n');
                }
            }
            note
        })?;
    }
    Ok(())
}
