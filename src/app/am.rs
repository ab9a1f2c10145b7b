//! `am`: verify a patch series, apply it with `git am` in a quarantine, verify the commits it
//! made, and only then move the branch and attach each patch's attestations (and approvals) as
//! notes. A series git am stops on is finished by `--continue` or `--skip`, or given up by
//! `--abort`, as git am's own (`am_session.rs` keeps it meanwhile).

use std::path::{Path, PathBuf};

use super::am_approvals::{self, Approving};
use super::am_session::{Saved, Session, SAVED_VERSION};
use super::series;
use super::trust::{Source, Trust};
use super::Error;
use crate::git::{notes, CommitId, Repo, Target};
use crate::mail::PatchMail;
use crate::model::{ChangeReport, Report, Verdict};
use crate::output::report::Printer;
use crate::output::Output;
use crate::verify::{verify_commit_note, verify_mail, MailBlobs};

/// How to apply a series.
pub struct Options<'a> {
    /// The revision trust is read from [default: HEAD].
    pub trust_ref: Option<&'a str>,
    /// A `--keyring` directory instead.
    pub keyring: Option<&'a Path>,
    pub notes_ref: &'a str,
    /// Apply even when verification fails.
    pub softfail: bool,
    /// Options for git am.
    pub git_am: &'a [String],
    /// `--approvals FILE`: maintainers' approvals to attach (`aiprov approve --mbox`).
    pub approvals: Option<&'a Path>,
    /// `--approve`: approve, without asking, what only lacks an approval.
    pub approve: bool,
    /// The key approvals are signed with.
    pub key: Option<&'a Path>,
}

/// How to go on with a series git am stopped on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resume {
    /// The patch was applied by hand (`git add`ed): commit it and go on.
    Continue,
    /// Drop the patch and go on.
    Skip,
    /// Give up the series.
    Abort,
}

/// What became of a series.
pub enum Outcome {
    /// Not applied: `failed` of `of` patches failed verification; `approvals_only` when all they
    /// lack is a maintainer's approval.
    Refused {
        failed: usize,
        of: usize,
        approvals_only: bool,
        report: Report,
    },
    /// Applied as these commits, the branch moved to the last; `failed` when patches did not
    /// verify (with `softfail`); `unattested` patches were applied by hand and differ from what
    /// their attestations say, so they have no note.
    Applied {
        commits: Vec<CommitId>,
        failed: bool,
        unattested: Vec<String>,
        /// The verification of the commits git am made.
        report: Report,
    },
    /// git am stopped on `patch`; the series is kept in `tree`, the quarantine, for
    /// `--continue`, `--skip` or `--abort`.
    Stopped {
        patch: String,
        title: String,
        tree: PathBuf,
    },
    /// Given up; nothing was applied.
    Aborted,
}

/// How messages name each patch: `patch N/M` after the subject, else by place in the series.
fn names(mails: &[(Vec<u8>, PatchMail)]) -> Vec<String> {
    mails
        .iter()
        .enumerate()
        .map(|(i, (_, m))| match m.number() {
            None if mails.len() > 1 => format!("patch {}", i + 1),
            _ => m.name(),
        })
        .collect()
}

/// Verifies each patch with the lines it carries (and those added to it), then the series as a
/// whole (the small-fix limit over a series).
fn verify_mails(
    repo: &Repo,
    trust: &mut Trust<'_>,
    mails: &[(Vec<u8>, PatchMail)],
    names: &[String],
    trusted: CommitId,
    notes_ref: &str,
) -> Result<Vec<ChangeReport>, Error> {
    let blobs = MailBlobs::new(Some(repo));
    let mut reports = Vec::new();
    for ((raw, mail), name) in mails.iter().zip(names) {
        let patatt = trust.patatt(Some(trusted))?.clone();
        let trusted = trust.trusted_for(name, Some(trusted))?;
        reports.push(verify_mail(
            mail,
            raw,
            &blobs,
            &trusted,
            Some(&patatt),
            notes_ref,
        )?);
    }
    check_series(trust, trusted, &mut reports)?;
    Ok(reports)
}

/// Checks the reports of a series together (the small-fix limit over a series), under the
/// policy of the trusted revision.
fn check_series(
    trust: &mut Trust<'_>,
    trusted: CommitId,
    reports: &mut [ChangeReport],
) -> Result<(), Error> {
    let policy = trust
        .trusted_for("the series", Some(trusted))?
        .policy
        .clone();
    series::check(&mut reports.iter_mut().collect::<Vec<_>>(), &policy);
    Ok(())
}

/// Verifies `mails` (cover letters skipped), applies them with git am in a scratch work tree,
/// verifies the commits git am made, then fast-forwards the branch and attaches the notes. The
/// reports are printed once the series is verified. When only approvals are missing, the
/// applying maintainer may give them (`Options::approve`, or asked on a terminal).
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
    Session::refuse_if_in_progress(repo.common_dir())?;
    let mut mails: Vec<_> = mails
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
    let names = names(&mails);
    let base = repo.commit_id("HEAD")?;
    let trusted = match &options.trust_ref {
        Some(r) => repo.commit_id(r)?,
        None => base,
    };
    let mut extra_notes = vec![Vec::new(); mails.len()];
    if let Some(path) = options.approvals {
        let given = am_approvals::read_file(path, &mails, ui)?;
        add_notes(&mut mails, &mut extra_notes, given, options.notes_ref);
    }
    let mut trust = Trust::new(Some(repo), ui, options.keyring)?;
    let mut reports = verify_mails(repo, &mut trust, &mails, &names, trusted, options.notes_ref)?;
    if !options.softfail && am_approvals::only_approvals_missing(&reports) {
        let how = Approving {
            without_asking: options.approve,
            key: options.key,
            trust: Source {
                trust_ref: options.trust_ref,
                keyring: options.keyring,
            },
        };
        let trusted_now = trust.trusted_for("the series", Some(trusted))?;
        let given = am_approvals::approve_missing(
            repo,
            &mails,
            &names,
            &reports,
            &trusted_now,
            trusted,
            &how,
            ui,
        )?;
        if let Some(given) = given {
            add_notes(&mut mails, &mut extra_notes, given, options.notes_ref);
            reports = verify_mails(repo, &mut trust, &mails, &names, trusted, options.notes_ref)?;
        }
    }
    let approvals_only = am_approvals::only_approvals_missing(&reports);
    let mut printer = Printer::keeping(ui);
    let mut failed = 0;
    for report in reports {
        failed += usize::from(report.verdict == Verdict::Fail);
        printer.add(report)?;
    }
    let report = printer.finish_report()?;
    if failed > 0 && !options.softfail {
        return Ok(Outcome::Refused {
            failed,
            of: mails.len(),
            approvals_only,
            report,
        });
    }

    // git am applies the series in a scratch work tree on a detached HEAD: the commits it makes
    // are verified before the branch moves, so what lands is what was verified.
    let mut session = Session::create(repo.common_dir(), &workdir, base)?;
    std::fs::write(session.series_path(), series_mbox(&mails)).map_err(|e| {
        Error::msg(format!(
            "cannot write {}: {e}",
            session.series_path().display()
        ))
    })?;
    let saved = Saved {
        version: SAVED_VERSION,
        workdir,
        base: base.to_string(),
        trusted: trusted.to_string(),
        keyring: options.keyring.map(Path::to_path_buf),
        notes_ref: options.notes_ref.to_string(),
        softfail: options.softfail,
        softfailed: report.verdict == Verdict::Fail,
        git_am: options.git_am.to_vec(),
        extra_notes,
        by_hand: Vec::new(),
        skipped: Vec::new(),
    };
    // Saved before git am runs: a session interrupted there can still be given up (`--abort`).
    session.save(&saved)?;
    let series = session.series_path();
    let done = session.git_am(&[series.as_os_str()], options.git_am, ui.json())?;
    after_git_am(repo, session, saved, &mails, &names, done, ui)
}

/// Adds note lines to the patches they belong to, keeping them for a session.
fn add_notes(
    mails: &mut [(Vec<u8>, PatchMail)],
    kept: &mut [Vec<String>],
    given: Vec<Vec<String>>,
    notes_ref: &str,
) {
    for (((_, mail), kept), lines) in mails.iter_mut().zip(kept).zip(given) {
        mail.add_note_lines(notes_ref, &lines);
        kept.extend(lines);
    }
}

/// Goes on with the series git am stopped on in the session of `repo` (any of its work trees,
/// the quarantine too).
pub fn resume(repo: &Repo, action: Resume, ui: &Output) -> Result<Outcome, Error> {
    let common = repo.common_dir().to_path_buf();
    if action == Resume::Abort {
        let workdir = repo.workdir().unwrap_or(repo.git_dir()).to_path_buf();
        // A session whose state cannot be read is given up all the same.
        let workdir = Session::open(&common)
            .map(|(_, saved)| saved.workdir)
            .unwrap_or(workdir);
        if !Session::discard(&common, &workdir) {
            return Err(Error::msg("no aiprov am in progress"));
        }
        return Ok(Outcome::Aborted);
    }
    let (mut session, mut saved) = Session::open(&common)?;
    // The branch that moves is the one of the work tree the series was started in.
    let repo = Repo::discover(&saved.workdir)?;
    let mut mails = super::verify::read_mbox(&session.series_path())?;
    for ((_, mail), lines) in mails.iter_mut().zip(&saved.extra_notes) {
        mail.add_note_lines(&saved.notes_ref, lines);
    }
    let names = names(&mails);
    let Some(at) = session.stopped_at() else {
        // git am finished (run by hand in the quarantine): only the rest is left to do.
        return after_git_am(&repo, session, saved, &mails, &names, true, ui);
    };
    let flag = match action {
        Resume::Continue => "--continue",
        _ => "--skip",
    };
    if action == Resume::Skip {
        saved.by_hand.retain(|&p| p != at);
        saved.skipped.push(at);
        ui.status(format!(
            "skipping {} {}",
            names[at],
            crate::text::printable(&crate::mail::patch_mail::clean_subject(
                &mails[at].1.subject
            ))
        ));
    } else if !saved.by_hand.contains(&at) {
        saved.by_hand.push(at);
    }
    session.save(&saved)?;
    let done = session.git_am(&[flag.as_ref()], &[], ui.json())?;
    if !done && action == Resume::Skip && session.stopped_at() == Some(at) {
        // git am did not skip it after all.
        saved.skipped.retain(|&p| p != at);
        saved.by_hand.push(at);
        session.save(&saved)?;
    }
    after_git_am(&repo, session, saved, &mails, &names, done, ui)
}

/// After git am ran: the series stopped again (kept for the user), or it is done and its commits
/// are verified, noted and fast-forwarded to.
fn after_git_am(
    repo: &Repo,
    mut session: Session,
    mut saved: Saved,
    mails: &[(Vec<u8>, PatchMail)],
    names: &[String],
    done: bool,
    ui: &Output,
) -> Result<Outcome, Error> {
    if !done {
        let Some(at) = session.stopped_at().filter(|&at| at < mails.len()) else {
            session.end();
            return Err(Error::msg(
                "git am could not apply the series (see above); your branch, index and work tree are unchanged",
            ));
        };
        if !saved.by_hand.contains(&at) {
            saved.by_hand.push(at);
        }
        session.save(&saved)?;
        session.keep();
        return Ok(Outcome::Stopped {
            patch: names[at].clone(),
            title: crate::mail::patch_mail::clean_subject(&mails[at].1.subject),
            tree: session.tree(),
        });
    }
    // git am is done: whatever happens now, the session ends.
    session.end();
    let base: CommitId = saved
        .base
        .parse()
        .map_err(|_| Error::msg("the saved aiprov am session is damaged (its base)"))?;
    let trusted: CommitId = saved
        .trusted
        .parse()
        .map_err(|_| Error::msg("the saved aiprov am session is damaged (its trusted revision)"))?;
    let tip = session.head()?;
    let applied = repo.first_parent_commits(base, &tip.to_string())?;
    let kept: Vec<usize> = (0..mails.len())
        .filter(|i| !saved.skipped.contains(i))
        .collect();
    if applied.len() != kept.len() {
        return Err(Error::msg(format!(
            "git am made {} of {}{}; nothing was applied",
            crate::text::count(applied.len(), "commit", "commits"),
            crate::text::count(kept.len(), "patch", "patches"),
            if saved.skipped.is_empty() {
                ""
            } else {
                " not skipped"
            }
        )));
    }
    let mut trust = Trust::new(Some(repo), ui, saved.keyring.as_deref())?;
    let mut reports = Vec::new();
    for (commit, &i) in applied.iter().zip(&kept) {
        let note = mails[i].1.note_lines(&saved.notes_ref).join("\n");
        let target = Target {
            commit: *commit,
            trusted: Some(trusted),
        };
        let trusted = trust.trusted_for(&names[i], Some(trusted))?;
        reports.push(verify_commit_note(
            repo,
            &target,
            &trusted,
            Some(note.as_bytes()),
        )?);
    }
    check_series(&mut trust, trusted, &mut reports)?;
    let mut wrong = Vec::new();
    let mut unattested = Vec::new();
    let mut noted = Vec::new();
    for ((report, &i), commit) in reports.iter().zip(&kept).zip(&applied) {
        if report.verdict != Verdict::Fail {
            noted.push((*commit, i));
            continue;
        }
        let findings: Vec<String> = report
            .findings
            .iter()
            .filter(|f| f.severity == crate::finding::Severity::Error)
            .map(|f| match &f.file {
                Some(file) => format!("{} {}", f.code, crate::text::printable(file)),
                None => f.code.to_string(),
            })
            .collect();
        let what = format!("{} ({})", names[i], crate::text::printable(&report.title));
        if saved.by_hand.contains(&i) {
            ui.warn(format!(
                "{what} was applied by hand, and commit {} does not make the changes its attestation names ({}): no note attached for it; review it and attest it yourself (`aiprov attest {}`)",
                commit.short(),
                findings.join(", "),
                commit.short()
            ));
            unattested.push(names[i].clone());
        } else {
            wrong.push(format!("{what}: {}", findings.join(", ")));
            noted.push((*commit, i));
        }
    }
    if !wrong.is_empty() && !saved.softfail {
        for w in &wrong {
            ui.warn(format!("the commit git am made of {w}"));
        }
        let which = match (wrong.len(), applied.len()) {
            (_, 1) => "the commit git am made does".to_string(),
            (1, all) => format!("1 of the {all} commits git am made does"),
            (n, all) => format!("{n} of the {all} commits git am made do"),
        };
        return Err(Error::msg(format!(
            "not applying: {which} not verify; your branch is unchanged"
        )));
    }
    attach(repo, &saved.notes_ref, &noted, mails)?;
    if repo.commit_id("HEAD")? != base {
        return Err(Error::msg(format!(
            "HEAD moved while the series was applied; the verified commits are {tip} (notes attached)"
        ))
        .hint(format!("git merge --ff-only {tip}")));
    }
    let moved = crate::git::git_command()
        .args(["merge", "--ff-only", "--quiet"])
        .arg(tip.to_string())
        .current_dir(&saved.workdir)
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
        failed: saved.softfailed || !wrong.is_empty(),
        unattested,
        report: Report::new(reports),
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

/// Attaches each applied patch's lines (its attestations, and approvals) to the commit it
/// produced (`noted`: commit and patch), as `attest` adds a line: one by the same signer of the
/// same kind is replaced, every other line kept. All the notes go in one notes commit.
fn attach(
    repo: &Repo,
    notes_ref: &str,
    noted: &[(CommitId, usize)],
    mails: &[(Vec<u8>, PatchMail)],
) -> Result<(), Error> {
    let mut carried = std::collections::HashMap::new();
    for &(commit, i) in noted {
        let lines = mails[i].1.note_lines(notes_ref).join("\n");
        if !crate::note::lines(lines.as_bytes()).is_empty() {
            carried.insert(commit, lines);
        }
    }
    let commits: Vec<CommitId> = noted
        .iter()
        .map(|&(c, _)| c)
        .filter(|c| carried.contains_key(c))
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
