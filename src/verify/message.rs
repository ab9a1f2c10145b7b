//! Checks of the commit message: the `AI-used-for` trailer against the attestation, and the DCO.

use std::collections::BTreeSet;

use crate::change::Change;
use crate::finding::{Code, Finding};
use crate::git::Mailmap;
use crate::model::AiUsage;
use crate::policy::{Convention, Policy};
use crate::trailers::{
    written_categories, Category, ForeignAiKind, Identity, MessageTrailers, AI_USED_FOR,
};

fn list(categories: &BTreeSet<Category>) -> String {
    let names: Vec<String> = categories.iter().map(|c| c.to_string()).collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// Findings about the trailers themselves, whatever was attested, under the policy's trailer
/// convention and category names.
pub fn check_trailers(trailers: &MessageTrailers, policy: &Policy) -> Vec<Finding> {
    let mut findings = Vec::new();
    if policy.convention == Convention::AssistedBy {
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
        for f in &trailers.foreign {
            if let ForeignAiKind::AssistedBy(parsed) = &f.kind {
                if let Err(e) = parsed {
                    findings.push(Finding::new(Code::TrailerMalformed, e.to_string()));
                }
                continue;
            }
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
    for t in trailers.trailers.iter().filter(|t| t.is(AI_USED_FOR)) {
        if t.value.parse::<crate::trailers::AiUsedFor>().is_ok() {
            findings.extend(check_category_names(&t.value, policy));
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

/// The names of AI used with none of its output in the change, in a well-formed `AI-used-for:`
/// value, against those the policy accepts: `research` and `analysis` are one category where it
/// accepts both, and a clear finding where it knows the category by its other name.
fn check_category_names(value: &str, policy: &Policy) -> Vec<Finding> {
    let mut findings = Vec::new();
    for name in written_categories(value) {
        if policy.accepts_category(name) {
            continue;
        }
        // Code, tests and docs are judged file by file (`policy::check_categories`).
        let other = match name.to_ascii_lowercase().as_str() {
            "research" => "analysis",
            "analysis" => "research",
            _ => continue,
        };
        findings.push(match policy.accepts_category(other) {
            true => Finding::new(
                Code::TrailerMalformed,
                format!(
                    "AI-used-for: {value}: the policy (profile {}) calls this category '{other}', not '{name}'",
                    policy.profile
                ),
            ),
            false => Finding::new(
                Code::CategoryNotAllowed,
                format!(
                    "AI-used-for: {value}: the policy (profile {}) does not allow AI use for '{name}'",
                    policy.profile
                ),
            ),
        });
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

/// The Developer's Certificate of Origin: a `Signed-off-by`, one by the author (who may sign off
/// under another of their addresses that `mailmap`, the trusted revision's, joins to theirs), and
/// none by an AI agent (only a person can certify the DCO; the kernel's coding-assistants.rst
/// says so).
pub fn check_dco(
    change: &Change,
    trailers: &MessageTrailers,
    mailmap: Option<&Mailmap>,
) -> Vec<Finding> {
    let mut findings: Vec<Finding> = trailers
        .signed_off_by
        .iter()
        .filter(|i| i.looks_like_ai_agent())
        .map(|i| {
            Finding::new(
                Code::AgentSignedOff,
                format!(
                    "Signed-off-by: {i} names an AI agent; only a person can certify the DCO (an agent discloses itself with a disclosure trailer instead)"
                ),
            )
        })
        .collect();
    findings.extend(check_sign_offs(change, trailers, mailmap));
    findings
}

fn check_sign_offs(
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
