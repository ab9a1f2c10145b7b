//! `aiprov am MBOX [-- git-am options]`: verify a patch series, apply it with `git am`, and attach
//! each patch's attestations as notes to the commit it produced.

use std::path::PathBuf;

use super::error::CliError;
use super::trust::Trust;
use super::verify::{read_mbox, Printer};
use super::Context;
use crate::git::{notes, Repo, Target};
use crate::verify::{verify_commit_note, verify_mail, MailBlobs, Verdict};

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

    // git am applies the series in a scratch work tree on a detached HEAD: the commits it makes
    // are verified before the branch moves, so what lands is what was verified.
    let quarantine = Quarantine::new(&workdir, base)?;
    let series = tempfile::Builder::new()
        .prefix("aiprov-am-")
        .suffix(".mbox")
        .tempfile()
        .map_err(|e| CliError::msg(format!("cannot create a temporary file: {e}")))?;
    std::fs::write(series.path(), series_mbox(&mails))
        .map_err(|e| CliError::msg(format!("cannot write {}: {e}", series.path().display())))?;
    let status = crate::git::git_command()
        .arg("am")
        .args(&args.git_am)
        .arg(series.path())
        .current_dir(quarantine.path())
        .status()
        .map_err(|e| CliError::msg(format!("cannot run git am: {e}")))?;
    if !status.success() {
        return Err(CliError::msg(
            "git am could not apply the series (see above); your branch, index and work tree are unchanged",
        )
        .hint("rebase the series onto this branch, or apply it by hand with `git am` and verify the commits with `aiprov verify`"));
    }
    let tip = quarantine.head()?;
    let applied = repo.first_parent_commits(base, &tip.to_string())?;
    if applied.len() != mails.len() {
        return Err(CliError::msg(format!(
            "git am made {} commits of {} patches; nothing was applied",
            applied.len(),
            mails.len()
        )));
    }
    let mut wrong = Vec::new();
    for (i, (commit, (_, mail))) in applied.iter().zip(&mails).enumerate() {
        let note = mail.note_lines(&ctx.notes_ref).join("\n");
        let target = Target {
            commit: *commit,
            trusted: Some(trusted),
        };
        let trusted = trust.trusted_for(&format!("patch {}", i + 1), Some(trusted))?;
        let report = verify_commit_note(repo, &target, &trusted, Some(note.as_bytes()))?;
        if report.verdict == Verdict::Fail {
            let codes: Vec<&str> = report.findings.iter().map(|f| f.code.as_str()).collect();
            wrong.push(format!(
                "patch {} ({}): {}",
                i + 1,
                crate::output::printable(&mail.subject),
                codes.join(", ")
            ));
        }
    }
    if !wrong.is_empty() && !args.softfail {
        for w in &wrong {
            ctx.out.warn(format!("the commit git am made of {w}"));
        }
        return Err(CliError::msg(format!(
            "not applying: {} of {} commits git am made do not verify; your branch is unchanged",
            wrong.len(),
            mails.len()
        )));
    }
    attach(ctx, repo, &applied, &mails)?;
    if repo.commit_id("HEAD")? != base {
        return Err(CliError::msg(format!(
            "HEAD moved while the series was applied; the verified commits are {tip} (notes attached)"
        ))
        .hint(format!("git merge --ff-only {tip}")));
    }
    let moved = crate::git::git_command()
        .args(["merge", "--ff-only", "--quiet"])
        .arg(tip.to_string())
        .current_dir(&workdir)
        .status()
        .map_err(|e| CliError::msg(format!("cannot run git merge: {e}")))?;
    if !moved.success() {
        return Err(CliError::msg(format!(
            "the series applied and verified as {tip} (notes attached), but this work tree could not be fast-forwarded to it"
        ))
        .hint(format!("commit or stash your changes, then git merge --ff-only {tip}")));
    }
    ctx.out.status(format!(
        "applied {} patches; their attestations are notes in {}",
        applied.len(),
        ctx.notes_ref
    ));
    Ok(code)
}

/// The patches as one mbox for git am, in order (a cover letter would stop it).
fn series_mbox(mails: &[(Vec<u8>, crate::mail::PatchMail)]) -> Vec<u8> {
    let mut series = Vec::new();
    for (raw, _) in mails {
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
    series
}

/// A scratch work tree of the repository on a detached HEAD (`git worktree add --detach`),
/// removed with everything git am left in it when dropped.
struct Quarantine {
    dir: tempfile::TempDir,
    repo_workdir: std::path::PathBuf,
}

impl Quarantine {
    fn new(workdir: &std::path::Path, base: crate::git::CommitId) -> Result<Quarantine, CliError> {
        let dir = tempfile::Builder::new()
            .prefix("aiprov-am-")
            .tempdir()
            .map_err(|e| CliError::msg(format!("cannot create a temporary directory: {e}")))?;
        let out = crate::git::git_command()
            .args(["worktree", "add", "--quiet", "--detach"])
            .arg(dir.path().join("tree"))
            .arg(base.to_string())
            .current_dir(workdir)
            .output()
            .map_err(|e| CliError::msg(format!("cannot run git worktree: {e}")))?;
        if !out.status.success() {
            return Err(CliError::msg(format!(
                "cannot make a scratch work tree to apply the series in: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(Quarantine {
            dir,
            repo_workdir: workdir.to_path_buf(),
        })
    }

    fn path(&self) -> std::path::PathBuf {
        self.dir.path().join("tree")
    }

    fn head(&self) -> Result<crate::git::CommitId, CliError> {
        let out = crate::git::git_command()
            .args(["rev-parse", "--verify", "HEAD"])
            .current_dir(self.path())
            .output()
            .map_err(|e| CliError::msg(format!("cannot run git rev-parse: {e}")))?;
        std::str::from_utf8(&out.stdout)
            .ok()
            .and_then(|s| s.trim().parse::<crate::git::CommitId>().ok())
            .filter(|_| out.status.success())
            .ok_or_else(|| CliError::msg("cannot read the commit git am made"))
    }
}

impl Drop for Quarantine {
    fn drop(&mut self) {
        let _ = crate::git::git_command()
            .args(["worktree", "remove", "--force", "--force"])
            .arg(self.path())
            .current_dir(&self.repo_workdir)
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// Attaches each applied patch's attestation lines to the commit it produced, as `attest` adds
/// a line: one by the same signer of the same kind is replaced, every other line kept.
fn attach(
    ctx: &Context,
    repo: &Repo,
    applied: &[crate::git::CommitId],
    mails: &[(Vec<u8>, crate::mail::PatchMail)],
) -> Result<(), CliError> {
    for (commit, (_, mail)) in applied.iter().zip(mails) {
        let lines = mail.note_lines(&ctx.notes_ref).join("\n");
        let lines = crate::note::lines(lines.as_bytes());
        if lines.is_empty() {
            continue;
        }
        notes::update_note(repo, &ctx.notes_ref, *commit, "aiprov am", |old| {
            let mut note = old.map(<[u8]>::to_vec);
            for &line in &lines {
                let payload = crate::dsse::Envelope::of_line(line).map(|e| e.payload);
                note = Some(crate::note::with_line(
                    note.as_deref(),
                    line,
                    &payload.unwrap_or_default(),
                ));
            }
            note.unwrap_or_default()
        })?;
    }
    Ok(())
}
