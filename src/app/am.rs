//! `am`: verify a patch series, apply it with `git am` in a quarantine, verify the commits it
//! made, and only then move the branch and attach each patch's attestations as notes.

use super::series;
use super::trust::Trust;
use super::Error;
use crate::git::{notes, CommitId, Repo, Target};
use crate::mail::PatchMail;
use crate::model::{Report, Verdict};
use crate::output::report::Printer;
use crate::output::Output;
use crate::verify::{verify_commit_note, verify_mail, MailBlobs};

/// How to apply a series.
pub struct Options<'a> {
    /// The revision trust is read from [default: HEAD].
    pub trust_ref: Option<&'a str>,
    /// A `--keyring` directory instead.
    pub keyring: Option<&'a std::path::Path>,
    pub notes_ref: &'a str,
    /// Apply even when verification fails.
    pub softfail: bool,
    /// Options for git am.
    pub git_am: &'a [String],
}

/// What became of a series.
pub enum Outcome {
    /// Not applied: `failed` of `of` patches failed verification.
    Refused {
        failed: usize,
        of: usize,
        report: Report,
    },
    /// Applied as these commits, the branch moved to the last; `failed` patches did not verify
    /// (with `softfail`).
    Applied {
        commits: Vec<CommitId>,
        failed: bool,
        report: Report,
    },
}

/// Verifies `mails` (cover letters skipped), applies them with git am in a scratch work tree,
/// verifies the commits git am made, then fast-forwards the branch and attaches the notes. Each
/// patch's report is printed for people as it is verified; the whole report is returned.
pub fn apply_series(
    repo: &Repo,
    mails: Vec<(Vec<u8>, PatchMail)>,
    options: &Options<'_>,
    ui: &Output,
) -> Result<Outcome, Error> {
    let workdir = repo
        .workdir()
        .ok_or_else(|| Error::msg("aiprov am needs a work tree (this is a bare repository)"))?
        .to_path_buf();
    let mails: Vec<_> = mails
        .into_iter()
        .filter(|(_, m)| {
            let cover = m.is_cover_letter();
            if cover {
                ui.status(format!(
                    "skipping cover letter: {}",
                    crate::text::printable(&m.subject)
                ));
            }
            !cover
        })
        .collect();
    if mails.is_empty() {
        return Err(Error::msg("the mails hold no patch"));
    }
    let base = repo.commit_id("HEAD")?;
    let trusted = match &options.trust_ref {
        Some(r) => repo.commit_id(r)?,
        None => base,
    };
    let mut trust = Trust::new(Some(repo), ui, options.keyring)?;
    let mut printer = Printer::keeping(ui);
    let mut failed = 0;
    let blobs = MailBlobs::new(Some(repo));
    // The patches are one series (the small-fix limit over a series): all verified, then checked
    // together, then printed.
    let mut reports = Vec::new();
    for (i, (raw, mail)) in mails.iter().enumerate() {
        let patatt = trust.patatt(Some(trusted))?.clone();
        let trusted = trust.trusted_for(&format!("patch {}", i + 1), Some(trusted))?;
        reports.push(verify_mail(
            mail,
            raw,
            &blobs,
            &trusted,
            Some(&patatt),
            options.notes_ref,
        )?);
    }
    let policy = trust
        .trusted_for("the series", Some(trusted))?
        .policy
        .clone();
    series::check(&mut reports.iter_mut().collect::<Vec<_>>(), &policy);
    for report in reports {
        failed += usize::from(report.verdict == Verdict::Fail);
        printer.add(report)?;
    }
    let report = printer.finish_report()?;
    if failed > 0 && !options.softfail {
        return Ok(Outcome::Refused {
            failed,
            of: mails.len(),
            report,
        });
    }

    // git am applies the series in a scratch work tree on a detached HEAD: the commits it makes
    // are verified before the branch moves, so what lands is what was verified.
    let quarantine = Quarantine::new(&workdir, base)?;
    let series = tempfile::Builder::new()
        .prefix("aiprov-am-")
        .suffix(".mbox")
        .tempfile()
        .map_err(|e| Error::msg(format!("cannot create a temporary file: {e}")))?;
    std::fs::write(series.path(), series_mbox(&mails))
        .map_err(|e| Error::msg(format!("cannot write {}: {e}", series.path().display())))?;
    let mut git_am = crate::git::git_command();
    git_am
        .arg("am")
        .args(options.git_am)
        .arg(series.path())
        .current_dir(quarantine.path());
    if ui.json() {
        // Standard output holds the JSON document alone; git am's `Applying:` lines go to
        // standard error.
        git_am.stdout(std::io::stderr());
    }
    let status = git_am
        .status()
        .map_err(|e| Error::msg(format!("cannot run git am: {e}")))?;
    if !status.success() {
        return Err(Error::msg(
            "git am could not apply the series (see above); your branch, index and work tree are unchanged",
        )
        .hint("rebase the series onto this branch, or apply it by hand with `git am` and verify the commits with `aiprov verify`"));
    }
    let tip = quarantine.head()?;
    let applied = repo.first_parent_commits(base, &tip.to_string())?;
    if applied.len() != mails.len() {
        return Err(Error::msg(format!(
            "git am made {} of {}; nothing was applied",
            crate::text::count(applied.len(), "commit", "commits"),
            crate::text::count(mails.len(), "patch", "patches")
        )));
    }
    let mut wrong = Vec::new();
    let mut reports = Vec::new();
    for (i, (commit, (_, mail))) in applied.iter().zip(&mails).enumerate() {
        let note = mail.note_lines(options.notes_ref).join("\n");
        let target = Target {
            commit: *commit,
            trusted: Some(trusted),
        };
        let trusted = trust.trusted_for(&format!("patch {}", i + 1), Some(trusted))?;
        reports.push(verify_commit_note(
            repo,
            &target,
            &trusted,
            Some(note.as_bytes()),
        )?);
    }
    series::check(&mut reports.iter_mut().collect::<Vec<_>>(), &policy);
    for (i, (report, (_, mail))) in reports.iter().zip(&mails).enumerate() {
        if report.verdict == Verdict::Fail {
            let codes: Vec<&str> = report.findings.iter().map(|f| f.code.as_str()).collect();
            wrong.push(format!(
                "patch {} ({}): {}",
                i + 1,
                crate::text::printable(&mail.subject),
                codes.join(", ")
            ));
        }
    }
    if !wrong.is_empty() && !options.softfail {
        for w in &wrong {
            ui.warn(format!("the commit git am made of {w}"));
        }
        let which = match (wrong.len(), mails.len()) {
            (_, 1) => "the commit git am made does".to_string(),
            (1, all) => format!("1 of the {all} commits git am made does"),
            (n, all) => format!("{n} of the {all} commits git am made do"),
        };
        return Err(Error::msg(format!(
            "not applying: {which} not verify; your branch is unchanged"
        )));
    }
    attach(repo, options.notes_ref, &applied, &mails)?;
    if repo.commit_id("HEAD")? != base {
        return Err(Error::msg(format!(
            "HEAD moved while the series was applied; the verified commits are {tip} (notes attached)"
        ))
        .hint(format!("git merge --ff-only {tip}")));
    }
    let moved = crate::git::git_command()
        .args(["merge", "--ff-only", "--quiet"])
        .arg(tip.to_string())
        .current_dir(&workdir)
        .status()
        .map_err(|e| Error::msg(format!("cannot run git merge: {e}")))?;
    if !moved.success() {
        return Err(Error::msg(format!(
            "the series applied and verified as {tip} (notes attached), but this work tree could not be fast-forwarded to it"
        ))
        .hint(format!("commit or stash your changes, then git merge --ff-only {tip}")));
    }
    Ok(Outcome::Applied {
        commits: applied,
        failed: report.verdict == Verdict::Fail,
        report,
    })
}

/// The patches as one mbox for git am, in order (a cover letter would stop it).
fn series_mbox(mails: &[(Vec<u8>, PatchMail)]) -> Vec<u8> {
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
    fn new(workdir: &std::path::Path, base: CommitId) -> Result<Quarantine, Error> {
        let dir = tempfile::Builder::new()
            .prefix("aiprov-am-")
            .tempdir()
            .map_err(|e| Error::msg(format!("cannot create a temporary directory: {e}")))?;
        let out = crate::git::git_command()
            .args(["worktree", "add", "--quiet", "--detach"])
            .arg(dir.path().join("tree"))
            .arg(base.to_string())
            .current_dir(workdir)
            .output()
            .map_err(|e| Error::msg(format!("cannot run git worktree: {e}")))?;
        if !out.status.success() {
            return Err(Error::msg(format!(
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

    fn head(&self) -> Result<CommitId, Error> {
        let out = crate::git::git_command()
            .args(["rev-parse", "--verify", "HEAD"])
            .current_dir(self.path())
            .output()
            .map_err(|e| Error::msg(format!("cannot run git rev-parse: {e}")))?;
        std::str::from_utf8(&out.stdout)
            .ok()
            .and_then(|s| s.trim().parse::<CommitId>().ok())
            .filter(|_| out.status.success())
            .ok_or_else(|| Error::msg("cannot read the commit git am made"))
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
/// a line: one by the same signer of the same kind is replaced, every other line kept. All the
/// notes go in one notes commit.
fn attach(
    repo: &Repo,
    notes_ref: &str,
    applied: &[CommitId],
    mails: &[(Vec<u8>, PatchMail)],
) -> Result<(), Error> {
    let mut carried = std::collections::HashMap::new();
    for (commit, (_, mail)) in applied.iter().zip(mails) {
        let lines = mail.note_lines(notes_ref).join("\n");
        if !crate::note::lines(lines.as_bytes()).is_empty() {
            carried.insert(*commit, lines);
        }
    }
    let commits: Vec<CommitId> = applied
        .iter()
        .filter(|c| carried.contains_key(c))
        .copied()
        .collect();
    notes::update_notes(repo, notes_ref, &commits, "aiprov am", |commit, old| {
        let mut note = old.map(<[u8]>::to_vec);
        for line in crate::note::lines(carried[&commit].as_bytes()) {
            let payload = crate::dsse::Envelope::of_line(line).map(|e| e.payload);
            note = Some(crate::note::with_line(
                note.as_deref(),
                line,
                &payload.unwrap_or_default(),
            ));
        }
        note.unwrap_or_default()
    })?;
    Ok(())
}
