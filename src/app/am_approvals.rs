//! Maintainer approvals for `aiprov am`: those of an `--approvals` file (what
//! `aiprov approve --mbox` printed), each matched to the patch whose file changes it approves,
//! and those the applying maintainer gives while applying, when approvals are all a series
//! lacks. Either way they become note lines of their patch, verified with the mail's own.

use std::path::Path;

use super::signer::{identity, load_signer, now};
use super::trust::Source;
use super::Error;
use crate::dsse::Envelope;
use crate::finding::{Code, Severity};
use crate::git::{CommitId, Repo};
use crate::keyring::Trust;
use crate::mail::PatchMail;
use crate::model::{ApprovalStatement, ChangeReport, Verdict, APPROVAL_PREDICATE_TYPE};
use crate::output::Output;
use crate::verify::Trusted;

/// Reads an approvals file (one envelope per line, blank lines skipped) and hands each approval
/// to the patch among `mails` whose file changes (paths and file-change digests) it names:
/// lines by patch. An approval that matches no patch is a warning; a line that is not an
/// approval envelope is an error.
pub fn read_file(
    path: &Path,
    mails: &[(Vec<u8>, PatchMail)],
    ui: &Output,
) -> Result<Vec<Vec<String>>, Error> {
    let what = "an approvals file";
    let data = crate::limits::read_file_bounded(path, crate::mail::mbox::MAX_MBOX_BYTES, what)
        .map_err(|e| Error::msg(format!("cannot read {}: {e}", path.display())))?;
    let files: Vec<Vec<(String, String)>> = mails
        .iter()
        .map(|(_, m)| {
            Ok(m.change()?
                .files
                .iter()
                .map(|f| (f.path.clone(), f.digest.clone().unwrap_or_default()))
                .collect())
        })
        .collect::<Result<_, crate::mail::MailError>>()?;
    let mut by_patch = vec![Vec::new(); mails.len()];
    for (n, line) in crate::note::numbered_lines(&data) {
        let bad = |why: String| {
            Error::msg(format!(
                "{} line {n} is not an approval: {why}",
                path.display()
            ))
            .hint("the file is what `aiprov approve --mbox SERIES > FILE` writes")
        };
        let envelope = Envelope::of_line(line).map_err(|e| bad(e.to_string()))?;
        let statement: ApprovalStatement =
            serde_json::from_slice(&envelope.payload).map_err(|e| bad(e.to_string()))?;
        if statement.predicate_type != APPROVAL_PREDICATE_TYPE {
            return Err(bad(format!(
                "its predicate type is {}",
                statement.predicate_type
            )));
        }
        let approves = |patch: &Vec<(String, String)>| {
            !statement.subject.is_empty()
                && statement.subject.iter().all(|s| {
                    let digest = s.digest.get("sha256").map(String::as_str);
                    patch
                        .iter()
                        .any(|(p, d)| *p == s.name && Some(d.as_str()) == digest)
                })
        };
        match files.iter().position(approves) {
            Some(i) => by_patch[i].push(String::from_utf8_lossy(line).into_owned()),
            None => ui.warn(format!(
                "{} line {n}: the approval by {} of \"{}\" approves no patch of the series (its files or their changed lines differ); not attached",
                path.display(),
                crate::text::printable(&statement.predicate.approver.email),
                crate::text::printable(&statement.predicate.title),
            )),
        }
    }
    Ok(by_patch)
}

/// Whether all a series lacks is maintainers' approvals: each failed patch has a
/// `policy.approval-missing` finding, and its other errors are those an approval lifts (the
/// category or the size of the AI use).
pub fn only_approvals_missing(reports: &[ChangeReport]) -> bool {
    let lifted = [
        Code::ApprovalMissing,
        Code::CategoryNotAllowed,
        Code::FixTooLarge,
    ];
    let failed: Vec<_> = reports
        .iter()
        .filter(|r| r.verdict == Verdict::Fail)
        .collect();
    !failed.is_empty()
        && failed.iter().all(|r| {
            let errors = || r.findings.iter().filter(|f| f.severity == Severity::Error);
            errors().any(|f| f.code == Code::ApprovalMissing)
                && errors().all(|f| lifted.contains(&f.code))
        })
}

/// How the applying maintainer approves what a series lacks.
pub struct Approving<'a> {
    /// `--approve`: without asking (scripts); otherwise asked on a terminal, y/N.
    pub without_asking: bool,
    pub key: Option<&'a Path>,
    pub trust: Source<'a>,
}

/// The approvals the applying maintainer gives for the patches that lack one (`reports`, by
/// patch): note lines by patch, or `None` when they cannot or will not give them (said why on
/// stderr). Offered only when their key is trusted at the trusted revision and they maintain
/// every file that needs an approval (MAINTAINERS).
#[allow(clippy::too_many_arguments)]
pub fn approve_missing(
    repo: &Repo,
    mails: &[(Vec<u8>, PatchMail)],
    names: &[String],
    reports: &[ChangeReport],
    trusted: &Trusted<'_>,
    trusted_rev: CommitId,
    how: &Approving<'_>,
    ui: &Output,
) -> Result<Option<Vec<Vec<String>>>, Error> {
    if !how.without_asking && !ui.interactive() {
        return Ok(None);
    }
    let signer = load_signer(repo, how.key, ui)?;
    let approver = identity(
        repo,
        ui,
        signer.public_key(),
        how.trust,
        Some(trusted_rev),
        None,
    )?;
    let at = &trusted_rev.to_string()[..12];
    let trusted_key = match trusted.keyring.trust(signer.public_key(), now()?) {
        Trust::Trusted { principals } => principals.iter().any(|p| p.matches(&approver.email)),
        _ => false,
    };
    if !trusted_key {
        ui.warn(format!(
            "your key is not trusted for {} in the keyring at {at}: an approval you signed would not count",
            approver.email
        ));
        return Ok(None);
    }
    let missing: Vec<(usize, &str)> = reports
        .iter()
        .enumerate()
        .flat_map(|(i, r)| {
            r.findings
                .iter()
                .filter(|f| f.code == Code::ApprovalMissing)
                .filter_map(move |f| f.file.as_deref().map(|file| (i, file)))
        })
        .collect();
    let not_yours: Vec<&str> = missing
        .iter()
        .filter(|(_, file)| {
            !trusted
                .maintainers
                .is_some_and(|m| m.is_maintainer(file, &approver.email))
        })
        .map(|(_, file)| *file)
        .collect();
    if !not_yours.is_empty() {
        ui.warn(format!(
            "{} is not a maintainer of {} in MAINTAINERS at {at}: an approval by them would not count",
            approver.email,
            not_yours.join(", ")
        ));
        return Ok(None);
    }
    let mut lines = vec![Vec::new(); mails.len()];
    for (i, ((_, mail), report)) in mails.iter().zip(reports).enumerate() {
        if report.verdict != Verdict::Fail {
            continue;
        }
        let files: Vec<&str> = missing
            .iter()
            .filter(|(p, _)| *p == i)
            .map(|(_, f)| *f)
            .collect();
        if !how.without_asking {
            let question = format!(
                "approve the AI use in {} {} ({}) as {}?",
                names[i],
                crate::text::printable(&report.title),
                files.join(", "),
                approver.email
            );
            let yes = ui
                .confirm_default_no(&question)
                .map_err(|e| Error::msg(format!("cannot read the answer: {e}")))?;
            if yes != Some(true) {
                return Ok(None);
            }
        }
        let envelope = super::approve::approval(&mail.change()?, &approver, None, signer.as_ref())?;
        lines[i].push(envelope.to_json());
        ui.status(format!(
            "approved the AI use in {} as {}",
            names[i], approver.email
        ));
    }
    Ok(Some(lines))
}
