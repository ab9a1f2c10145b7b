//! Where verified changes come from: a commit of a repository, or a patch mail.

use super::{
    needs_digest, verify_change, ChangeReport, Code, FileFacts, Finding, MailSignature, Trusted,
    Verdict,
};
use crate::git::{notes, GitError, Repo, Target};
use crate::model::{AiUsage, FileEntry};
use crate::policy::comments;

/// What the policy learns about a commit's files from the repository.
struct CommitFacts<'r> {
    repo: &'r Repo,
}

impl CommitFacts<'_> {
    /// For a text file of a known language: the changed lines of the old and new side, each with
    /// whether it is a comment or blank.
    fn classified(&self, file: &crate::change::FileChange) -> Option<(Vec<bool>, Vec<bool>)> {
        let language = comments::language_of(&file.path)?;
        let side = |id: &Option<String>| match id {
            Some(id) => self.repo.blob(id),
            None => Some(Vec::new()),
        };
        let (old, new) = (side(&file.old_blob)?, side(&file.new_blob)?);
        let (removed, added) = self.repo.changed_line_numbers(&old, &new).ok()?;
        let old_flags = comments::comment_or_blank_lines(language, &old);
        let new_flags = comments::comment_or_blank_lines(language, &new);
        let pick = |flags: &[bool], lines: &[usize]| {
            lines
                .iter()
                .map(|&n| {
                    n.checked_sub(1)
                        .and_then(|i| flags.get(i))
                        .copied()
                        .unwrap_or(false)
                })
                .collect::<Vec<_>>()
        };
        Some((pick(&old_flags, &removed), pick(&new_flags, &added)))
    }
}

impl FileFacts for CommitFacts<'_> {
    fn comment_only(&self, file: &crate::change::FileChange) -> Option<bool> {
        let (removed, added) = self.classified(file)?;
        Some((!removed.is_empty() || !added.is_empty()) && removed.iter().chain(&added).all(|&c| c))
    }

    fn code_lines(&self, file: &crate::change::FileChange) -> usize {
        match self.classified(file) {
            Some((removed, added)) => {
                let code = |v: &[bool]| v.iter().filter(|&&c| !c).count();
                code(&removed).max(code(&added))
            }
            None => file.added_lines.max(file.removed_lines) as usize,
        }
    }
}

/// Verifies one commit of a repository with its note from `notes_ref`.
pub fn verify_commit(
    repo: &Repo,
    target: &Target,
    trust: &Trusted<'_>,
    notes_ref: &str,
) -> Result<ChangeReport, GitError> {
    let note = notes::read_note(repo, notes_ref, target.commit)?;
    let pair = |e: &FileEntry| {
        repo.pair_change(target.commit, e.status, e.old_path.as_deref(), &e.path)
            .ok()
            .flatten()
    };
    // Digests where ids differ from the attested ones, and line counts where AI wrote code.
    let wanted = |f: &crate::change::FileChange, p: &AiUsage| {
        needs_digest(f, p)
            || p.files.iter().any(|e| {
                e.path == f.path && e.ai.as_ref().is_some_and(|a| !a.categories.is_empty())
            })
    };
    verify_change(
        note.as_deref(),
        trust,
        |predicates| {
            repo.change_with(target.commit, false, |f| {
                predicates.iter().any(|p| wanted(f, p))
            })
        },
        &pair,
        &CommitFacts { repo },
    )
}

/// What the policy learns about a mail's files: only what the mail shows.
struct MailFacts;

impl FileFacts for MailFacts {
    fn comment_only(&self, _file: &crate::change::FileChange) -> Option<bool> {
        None
    }
}

/// Verifies one patch mail with the attestations it carries below `---` (from `notes_ref`), and
/// its patatt signatures when a patatt keyring is given (`raw` is the mail as received).
pub fn verify_mail(
    mail: &crate::mail::PatchMail,
    raw: &[u8],
    trust: &Trusted<'_>,
    patatt: Option<&crate::mail::patatt::PatattKeyring>,
    notes_ref: &str,
) -> Result<ChangeReport, crate::mail::MailError> {
    let note = mail.note_lines(notes_ref).join("\n");
    let change = mail.change()?;
    let pair = |e: &FileEntry| crate::git::split_pair_change(&change.files, &mail.diff, e);
    let mut report = verify_change(
        (!note.is_empty()).then_some(note.as_bytes()),
        trust,
        |_| Ok(change.clone()),
        &pair,
        &MailFacts,
    )?;
    if let Some(keyring) = patatt {
        use crate::mail::patatt::{verify_mail as patatt_verify, PatattVerdict};
        for verdict in patatt_verify(raw, keyring) {
            let (identity, result, reason) = match verdict {
                PatattVerdict::Valid { identity, .. } => (identity, "valid", None),
                PatattVerdict::Invalid { identity, reason } => (identity, "invalid", Some(reason)),
                PatattVerdict::NoKey { identity, selector } => (
                    identity,
                    "no-key",
                    Some(format!("no key for selector {selector}")),
                ),
                PatattVerdict::Unsupported { algorithm } => {
                    (String::new(), "unsupported", Some(algorithm))
                }
            };
            if result == "invalid" {
                // A mail whose own signature fails was changed after its author signed it.
                report.findings.push(Finding::new(
                    Code::SignatureInvalid,
                    format!(
                        "the patatt X-Developer-Signature of {identity} does not verify: {}",
                        reason.clone().unwrap_or_default()
                    ),
                ));
                report.verdict = Verdict::Fail;
            }
            report.mail_signatures.push(MailSignature {
                kind: "patatt".into(),
                identity,
                result: result.into(),
                reason,
            });
        }
    }
    Ok(report)
}
