//! The checks: each returns findings, none prints. [`verify_commit`] runs them all on one commit.

mod coverage;
mod envelopes;
pub mod message;
mod policy;
mod series;
#[cfg(feature = "sigstore")]
mod sigstore;
mod sources;

pub use coverage::{check as check_coverage, entry_index, index, needs_digest, same_ids, EntryKey};
pub use envelopes::{
    check_note, check_release_summary, parse_statement, Attestation, NoteCheck, ParsedStatement,
    MAX_NOTE_ENVELOPES,
};
pub use series::check_series;
pub use sources::{
    verify_commit, verify_commit_change, verify_commit_note, verify_mail, MailBlobs,
};

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::change::Change;
use crate::finding::{Code, Finding, Severity};
use crate::keyring::Keyring;
use crate::model::{
    AiCodeShare, AiUsage, ApprovalSummary, AttestationSummary, ChangeReport, FileEntry, Verdict,
};
use crate::policy::maintainers::MaintainerLookup;
use crate::policy::{Convention, Policy};
use crate::trailers::MessageTrailers;
use policy::FileFacts;

/// What verification trusts: the keyring and the policy of the trusted revision.
#[derive(Clone, Copy)]
pub struct Trusted<'a> {
    pub keyring: &'a Keyring,
    pub policy: &'a Policy,
    /// The MAINTAINERS file, when the trusted revision has one: who may approve AI use.
    pub maintainers: Option<&'a dyn MaintainerLookup>,
    /// The `.mailmap` of the trusted revision: whose addresses are one person's.
    pub mailmap: Option<&'a crate::git::Mailmap>,
}

/// Where a verified change comes from, a commit or a patch mail: what verification asks of it.
/// Each question is asked once per change (see [`Asked`]).
pub trait ChangeSource {
    type Error;
    /// The change, with digests for the file changes that the given trusted predicates need.
    fn change(&self, predicates: &[&AiUsage]) -> Result<Change, Self::Error>;
    /// The file change of an attested pairing that the change paired otherwise (a rename git
    /// detected differently), with its digest; `None` when the change does not make it.
    fn pair(&self, entry: &FileEntry) -> Option<crate::change::FileChange>;
    /// A file change's two sides, whole, when they can be had.
    fn sides(&self, file: &crate::change::FileChange) -> Option<(Vec<u8>, Vec<u8>)>;
}

/// A change source asked each question once: coverage and policy both ask for an attested
/// pairing (a diff), and the policy for a file's sides twice (comments, code lines).
struct Asked<'s, S: ?Sized> {
    source: &'s S,
    pairs: RefCell<HashMap<Key, Option<crate::change::FileChange>>>,
    sides: RefCell<HashMap<Key, Option<Sides>>>,
}

impl<'s, S: ChangeSource + ?Sized> Asked<'s, S> {
    fn new(source: &'s S) -> Self {
        Asked {
            source,
            pairs: RefCell::default(),
            sides: RefCell::default(),
        }
    }
}

/// A file's two sides, whole, shared by the checks that read them.
type Sides = Rc<(Vec<u8>, Vec<u8>)>;

/// A file change or attested entry by path, status and old path, owned.
type Key = (String, crate::change::Status, Option<String>);

fn key(path: &str, status: crate::change::Status, old_path: Option<&str>) -> Key {
    (path.to_string(), status, old_path.map(str::to_string))
}

/// The answer `memo` keeps for `key`, asked of `ask` the first time.
fn once<T: Clone>(memo: &RefCell<HashMap<Key, T>>, key: Key, ask: impl FnOnce() -> T) -> T {
    if let Some(known) = memo.borrow().get(&key) {
        return known.clone();
    }
    let answer = ask();
    memo.borrow_mut().insert(key, answer.clone());
    answer
}

impl<S: ChangeSource + ?Sized> FileFacts for Asked<'_, S> {
    fn sides(&self, file: &crate::change::FileChange) -> Option<Sides> {
        let key = key(&file.path, file.status, file.old_path.as_deref());
        once(&self.sides, key, || self.source.sides(file).map(Rc::new))
    }

    fn pair(&self, entry: &FileEntry) -> Option<crate::change::FileChange> {
        let key = key(&entry.path, entry.status, entry.old_path.as_deref());
        once(&self.pairs, key, || self.source.pair(entry))
    }
}

/// Verifies a change given the envelopes that claim it, and returns the change verified with its
/// report: the envelopes checked, the change asked of `source` with the digests the trusted
/// predicates need, then coverage, trailers, sign-offs and policy, severities last.
pub fn verify_change<S: ChangeSource + ?Sized>(
    note: Option<&[u8]>,
    trust: &Trusted<'_>,
    source: &S,
) -> Result<(ChangeReport, Change), S::Error> {
    let (keyring, policy) = (trust.keyring, trust.policy);
    let checked = note.map(|n| check_note(n, keyring)).unwrap_or_default();
    let mut findings = checked.findings;
    let predicates: Vec<&AiUsage> = checked
        .attestations
        .iter()
        .map(|a| &a.statement.predicate)
        .collect();
    let change = source.change(&predicates)?;
    let asked = Asked::new(source);
    let pair = |e: &FileEntry| asked.pair(e);
    let trailers = MessageTrailers::from_message(&change.message);
    // The governing attestation: the newest trusted one by a signer who signed off, else the newest.
    let newest = |signed_off_only: bool| {
        checked
            .attestations
            .iter()
            .filter(|a| {
                !signed_off_only
                    || message::signer_signed_off(&trailers, &a.statement.predicate.signer.email)
            })
            .max_by_key(|a| (a.created_at, a.line))
    };
    let governing = newest(true).or(newest(false));
    // A merge's change is its tree against the automatic merge of its parents: none when it is
    // the clean merge, whose changes are verified in the commits it merges.
    let merge = change.parent_count > 1;
    if checked.envelopes == 0 && merge && change.files.is_empty() {
        let skipped = report(
            &change,
            Verdict::Skipped,
            Vec::new(),
            &checked.attestations,
            None,
        );
        return Ok((skipped, change));
    }
    if checked.attestations.is_empty() && findings.is_empty() {
        findings.push(Finding::new(
            Code::SignatureMissing,
            if merge {
                format!(
                    "no attestation for this merge, which carries changes of its own: its tree differs from the automatic merge of its parents in {}",
                    crate::text::count(change.files.len(), "file", "files")
                )
            } else {
                "no attestation for this change".to_string()
            },
        ));
    }
    let mut ai_code = AiCodeShare::default();
    let mut relied_on = Vec::new();
    if let Some(att) = governing {
        let predicate = &att.statement.predicate;
        let signer = &predicate.signer.email;
        if !message::signer_signed_off(&trailers, signer) {
            findings.push(Finding::new(
                Code::SignerNotSignedOff,
                format!("the signer {signer} is not among the Signed-off-by identities"),
            ));
        }
        findings.extend(coverage::check(&change, &predicate.files, signer, &pair));
        findings.extend(match policy.convention {
            Convention::AiUsedFor => message::check_against_attestation(&trailers, predicate),
            Convention::AssistedBy => policy::check_assisted_by(&trailers, predicate),
        });
        // An approval counts when a maintainer of the file signed it for the attested digest.
        let mut digests: std::collections::HashMap<&str, &String> = Default::default();
        for e in &predicate.files {
            digests.entry(e.path.as_str()).or_insert(&e.digest);
        }
        let counts = |a: &envelopes::VerifiedApproval, path: &str| {
            let digest = digests.get(path).copied();
            trust
                .maintainers
                .is_some_and(|m| m.is_maintainer(path, &a.approver))
                && a.files.iter().any(|(n, d)| n == path && Some(d) == digest)
        };
        let approved = |path: &str| checked.approvals.iter().any(|a| counts(a, path));
        let maintainers = |path: &str| trust.maintainers.map(|m| m.maintainers_of(path));
        let approvals = policy::Approvals {
            approved: &approved,
            maintainers: &maintainers,
        };
        let judged = policy::check_categories(&change, predicate, policy, &asked, &approvals);
        findings.extend(judged.findings);
        ai_code = judged.share;
        relied_on = checked
            .approvals
            .iter()
            .filter_map(|a| {
                let files: Vec<String> = judged
                    .approved
                    .iter()
                    .filter(|p| counts(a, p))
                    .cloned()
                    .collect();
                (!files.is_empty()).then(|| ApprovalSummary {
                    approver: a.approver.clone(),
                    created_at: a.created_at.clone(),
                    files,
                })
            })
            .collect();
    }
    findings.extend(message::check_trailers(&trailers, policy));
    findings.extend(message::check_dco(&change, &trailers, trust.mailmap));
    let findings = with_severities(findings, policy);
    let failed = findings.iter().any(|f| f.severity == Severity::Error);
    let verdict = if failed { Verdict::Fail } else { Verdict::Pass };
    let governing = governing.map(|a| Box::new(a.statement.predicate.clone()));
    let mut verified = report(&change, verdict, findings, &checked.attestations, governing);
    verified.ai_code = ai_code;
    verified.approvals = relied_on;
    Ok((verified, change))
}

/// The policy sets each code's severity, or turns it off.
fn with_severities(findings: Vec<Finding>, policy: &Policy) -> Vec<Finding> {
    findings
        .into_iter()
        .filter_map(|f| {
            Some(Finding {
                severity: policy.severity(f.code)?,
                ..f
            })
        })
        .collect()
}

/// Adds findings made after [`verify_change`] (a mail's own checks) to its report, with the
/// policy's severities: an error fails the change.
fn add_findings(report: &mut ChangeReport, findings: Vec<Finding>, policy: &Policy) {
    let findings = with_severities(findings, policy);
    if findings.iter().any(|f| f.severity == Severity::Error) {
        report.verdict = Verdict::Fail;
    }
    report.findings.extend(findings);
}

/// The file reports place the findings about the whole change on: the first the change leaves in
/// the tree (a deleted file is in no checkout of the change), else the first it touches.
fn first_file(change: &Change) -> Option<String> {
    let kept = change
        .files
        .iter()
        .find(|f| f.status != crate::change::Status::Deleted);
    kept.or(change.files.first()).map(|f| f.path.clone())
}

fn report(
    change: &Change,
    verdict: Verdict,
    findings: Vec<Finding>,
    attestations: &[Attestation],
    governing: Option<Box<AiUsage>>,
) -> ChangeReport {
    // Each signer once: their newest attestation (a note concatenated by a rewrite can hold a
    // signer's stale line beside the one that replaced it).
    let newest_of_signer = |a: &Attestation| {
        let signer = &a.statement.predicate.signer.email;
        !attestations.iter().any(|b| {
            b.statement
                .predicate
                .signer
                .email
                .eq_ignore_ascii_case(signer)
                && (b.created_at, b.line) > (a.created_at, a.line)
        })
    };
    let attestations = attestations
        .iter()
        .filter(|a| newest_of_signer(a))
        .map(|a| {
            let categories = a.statement.predicate.categories();
            AttestationSummary {
                signer: a.statement.predicate.signer.email.clone(),
                keyid: a.keyid.clone(),
                created_at: a.statement.predicate.created_at.clone(),
                ai_used_for: if categories.is_empty() {
                    vec!["none".into()]
                } else {
                    categories.iter().map(|c| c.to_string()).collect()
                },
            }
        })
        .collect();
    ChangeReport {
        id: change.id.clone(),
        label: None,
        title: change.title(),
        first_file: first_file(change),
        verdict,
        findings,
        attestations,
        approvals: Vec::new(),
        mail_signatures: Vec::new(),
        governing,
        ai_code: AiCodeShare::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::{FileChange, Status};
    use std::cell::Cell;

    /// A source that counts what it is asked.
    #[derive(Default)]
    struct Counting {
        pairs: Cell<usize>,
        sides: Cell<usize>,
    }

    impl ChangeSource for Counting {
        type Error = ();
        fn change(&self, _: &[&AiUsage]) -> Result<Change, ()> {
            Err(())
        }
        fn pair(&self, _: &FileEntry) -> Option<FileChange> {
            self.pairs.set(self.pairs.get() + 1);
            None
        }
        fn sides(&self, _: &FileChange) -> Option<(Vec<u8>, Vec<u8>)> {
            self.sides.set(self.sides.get() + 1);
            Some((b"old\n".to_vec(), b"new\n".to_vec()))
        }
    }

    #[test]
    fn each_question_is_asked_of_the_source_once() {
        let source = Counting::default();
        let asked = Asked::new(&source);
        let entry: FileEntry = serde_json::from_value(serde_json::json!({
            "path": "b.c", "oldPath": "a.c", "status": "renamed", "digest": "00", "ai": null
        }))
        .expect("an entry");
        let file = FileChange {
            path: "b.c".into(),
            old_path: None,
            status: Status::Modified,
            old_mode: 0o100644,
            new_mode: 0o100644,
            old_blob: None,
            new_blob: None,
            binary: false,
            digest: None,
            added_lines: 1,
            removed_lines: 1,
        };
        for _ in 0..3 {
            assert_eq!(asked.pair(&entry), None);
            assert_eq!(
                asked.sides(&file).as_deref(),
                Some(&(b"old\n".to_vec(), b"new\n".to_vec()))
            );
        }
        // Another file is another question.
        let other = FileChange {
            path: "c.c".into(),
            ..file.clone()
        };
        assert!(asked.sides(&other).is_some());
        assert_eq!((source.pairs.get(), source.sides.get()), (1, 2));
    }
}
