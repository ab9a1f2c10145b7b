//! Checks of the commit message: the `AI-used-for` trailer against the attestation, and the DCO.

use std::collections::BTreeSet;

use crate::change::Change;
use crate::finding::{Code, Finding};
use crate::git::Mailmap;
use crate::model::AiUsage;
use crate::policy::Convention;
use crate::trailers::{Category, ForeignAiKind, Identity, MessageTrailers, AI_USED_FOR};

fn list(categories: &BTreeSet<Category>) -> String {
    let names: Vec<String> = categories.iter().map(|c| c.to_string()).collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// Findings about the trailers themselves, whatever was attested, under a trailer convention.
pub fn check_trailers(trailers: &MessageTrailers, convention: Convention) -> Vec<Finding> {
    let mut findings = Vec::new();
    if convention == Convention::AssistedBy {
        // The kernel's own trailer is checked against the attestation; QEMU's is foreign here.
        for t in trailers.trailers.iter().filter(|t| t.is(AI_USED_FOR)) {
            findings.push(Finding::new(
                Code::TrailerForeign,
                format!(
                    "'{}: {}' is another convention's AI trailer; this project uses Assisted-by",
                    t.key, t.value
                ),
            ));
        }
        for f in trailers
            .foreign
            .iter()
            .filter(|f| !matches!(f.kind, ForeignAiKind::AssistedBy(_)))
        {
            findings.push(Finding::new(
                Code::TrailerForeign,
                format!(
                    "'{}: {}' is another convention's AI trailer; this project uses Assisted-by",
                    f.trailer.key, f.trailer.value
                ),
            ));
        }
        return findings;
    }
    for t in &trailers.ai_used_for {
        if let Err(e) = t {
            findings.push(Finding::new(Code::TrailerMalformed, e.to_string()));
        }
    }
    if trailers.ai_used_for_misplaced {
        findings.push(Finding::new(
            Code::TrailerMisplaced,
            "AI-used-for comes after the first Signed-off-by; place it before the Signed-off-by lines",
        ));
    }
    for f in &trailers.foreign {
        findings.push(Finding::new(
            Code::TrailerForeign,
            format!(
                "'{}: {}' is another convention's AI trailer; this project uses AI-used-for",
                f.trailer.key, f.trailer.value
            ),
        ));
    }
    findings
}

/// The trailer's categories against the attested ones.
pub fn check_against_attestation(trailers: &MessageTrailers, predicate: &AiUsage) -> Vec<Finding> {
    let attested = predicate.categories();
    let declared = trailers.ai_categories();
    let any_trailer = !trailers.ai_used_for.is_empty();
    let all_parsed = trailers.ai_used_for.iter().all(|t| t.is_ok());
    if !any_trailer && !attested.is_empty() {
        vec![Finding::new(
            Code::TrailerMissing,
            format!(
                "AI use is attested ({}) but there is no AI-used-for trailer",
                list(&attested)
            ),
        )]
    } else if any_trailer && all_parsed && attested.is_empty() {
        vec![Finding::new(
            Code::TrailerUnexpected,
            format!(
                "AI-used-for: {} but the attestation declares no AI use",
                list(&declared)
            ),
        )]
    } else if let Some(f) = trailers
        .foreign
        .first()
        .filter(|_| !any_trailer && attested.is_empty())
    {
        // Another convention's trailer still discloses AI use: a declaration of none says less.
        vec![Finding::new(
            Code::TrailerUnexpected,
            format!(
                "'{}: {}' discloses AI use but the attestation declares none",
                f.trailer.key, f.trailer.value
            ),
        )]
    } else if any_trailer && all_parsed && declared != attested {
        vec![Finding::new(
            Code::TrailerMismatch,
            format!(
                "AI-used-for declares {} but the attestation declares {}",
                list(&declared),
                list(&attested)
            ),
        )]
    } else {
        Vec::new()
    }
}

/// The Developer's Certificate of Origin: a `Signed-off-by`, and one by the author, who may sign
/// off under another of their addresses that `mailmap` (the trusted revision's) joins to theirs.
pub fn check_dco(
    change: &Change,
    trailers: &MessageTrailers,
    mailmap: Option<&Mailmap>,
) -> Vec<Finding> {
    if trailers.signed_off_by.is_empty() {
        return vec![Finding::new(Code::DcoMissing, "no Signed-off-by")];
    }
    let canonical = |i: &Identity| match mailmap {
        Some(m) => m.resolve(i).email,
        None => i.email.clone(),
    };
    let author = canonical(&change.author);
    if !trailers
        .signed_off_by
        .iter()
        .any(|i| canonical(i).eq_ignore_ascii_case(&author))
    {
        return vec![Finding::new(
            Code::AuthorNotSignedOff,
            format!(
                "the author {} <{}> has no Signed-off-by",
                change.author.name, change.author.email
            ),
        )];
    }
    Vec::new()
}

/// Whether the attestation's signer is among the change's `Signed-off-by` identities.
pub fn signer_signed_off(trailers: &MessageTrailers, signer_email: &str) -> bool {
    trailers
        .signed_off_by
        .iter()
        .any(|i| i.email.eq_ignore_ascii_case(signer_email))
}
