//! The checks: each returns findings, none prints. [`verify_commit`] runs them all on one commit.

mod coverage;
mod envelopes;
mod message;
mod policy;
#[cfg(feature = "sigstore")]
mod sigstore;
mod sources;

pub use coverage::{check as check_coverage, entry_index, index, needs_digest, same_ids, EntryKey};
pub use envelopes::{
    check_note, check_release_summary, parse_statement, Attestation, NoteCheck, ParsedStatement,
    MAX_NOTE_ENVELOPES,
};
pub use policy::FileFacts;
pub use sources::{
    verify_commit, verify_commit_change, verify_commit_note, verify_mail, MailBlobs,
};

use crate::change::Change;
use crate::finding::{Code, Finding, Severity};
use crate::keyring::Keyring;
use crate::model::{AiUsage, AttestationSummary, ChangeReport, FileEntry, Verdict};
use crate::policy::maintainers::MaintainerLookup;
use crate::policy::{Convention, Policy};
use crate::trailers::MessageTrailers;

/// What verification trusts: the keyring and the policy of the trusted revision.
#[derive(Clone, Copy)]
pub struct Trusted<'a> {
    pub keyring: &'a Keyring,
    pub policy: &'a Policy,
    /// The MAINTAINERS file, when the trusted revision has one: who may approve AI use.
    pub maintainers: Option<&'a dyn MaintainerLookup>,
}

/// Verifies a change given the envelopes that claim it, and returns the change verified with its
/// report. `change` computes the change, with digests for the file changes that any of the given
/// trusted predicates needs.
pub fn verify_change<E>(
    note: Option<&[u8]>,
    trust: &Trusted<'_>,
    change: impl FnOnce(&[&AiUsage]) -> Result<Change, E>,
    pair: &dyn Fn(&FileEntry) -> Option<crate::change::FileChange>,
    facts: &dyn FileFacts,
) -> Result<(ChangeReport, Change), E> {
    let (keyring, policy) = (trust.keyring, trust.policy);
    let checked = note.map(|n| check_note(n, keyring)).unwrap_or_default();
    let mut findings = checked.findings;
    let predicates: Vec<&AiUsage> = checked
        .attestations
        .iter()
        .map(|a| &a.statement.predicate)
        .collect();
    let change = change(&predicates)?;
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
                    "no attestation for this merge, which carries changes of its own: its tree differs from the automatic merge of its parents in {} files",
                    change.files.len()
                )
            } else {
                "no attestation for this change".to_string()
            },
        ));
    }
    if let Some(att) = governing {
        let predicate = &att.statement.predicate;
        let signer = &predicate.signer.email;
        if !message::signer_signed_off(&trailers, signer) {
            findings.push(Finding::new(
                Code::SignerNotSignedOff,
                format!("the signer {signer} is not among the Signed-off-by identities"),
            ));
        }
        findings.extend(coverage::check(&change, &predicate.files, signer, pair));
        findings.extend(match policy.convention {
            Convention::AiUsedFor => message::check_against_attestation(&trailers, predicate),
            Convention::AssistedBy => policy::check_assisted_by(&trailers, predicate),
        });
        // An approval counts when a maintainer of the file signed it for the attested digest.
        let mut digests: std::collections::HashMap<&str, &String> = Default::default();
        for e in &predicate.files {
            digests.entry(e.path.as_str()).or_insert(&e.digest);
        }
        let approved = |path: &str| {
            let digest = digests.get(path).copied();
            checked.approvals.iter().any(|a| {
                trust
                    .maintainers
                    .is_some_and(|m| m.is_maintainer(path, &a.approver))
                    && a.files.iter().any(|(n, d)| n == path && Some(d) == digest)
            })
        };
        findings.extend(policy::check_categories(
            &change, predicate, policy, facts, &approved, pair,
        ));
    }
    findings.extend(message::check_trailers(&trailers, policy.convention));
    findings.extend(message::check_dco(&change, &trailers));
    let findings = with_severities(findings, policy);
    let failed = findings.iter().any(|f| f.severity == Severity::Error);
    let verdict = if failed { Verdict::Fail } else { Verdict::Pass };
    let governing = governing.map(|a| Box::new(a.statement.predicate.clone()));
    let verified = report(&change, verdict, findings, &checked.attestations, governing);
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

fn report(
    change: &Change,
    verdict: Verdict,
    findings: Vec<Finding>,
    attestations: &[Attestation],
    governing: Option<Box<AiUsage>>,
) -> ChangeReport {
    let attestations = attestations
        .iter()
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
        title: change.title(),
        verdict,
        findings,
        attestations,
        mail_signatures: Vec::new(),
        governing,
    }
}
