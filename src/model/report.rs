//! The verification report (`--format json`, `schema/report.schema.json`): a verdict per change,
//! with its findings, the attestations that verified, and a mail's own signatures.

use serde::{Deserialize, Serialize};

use super::AiUsage;
use crate::finding::Finding;

/// The version of the verification report format (`schema/report.schema.json`).
pub const REPORT_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
    /// A merge commit without attestation that is the clean automatic merge of its parents: its
    /// changes are verified in the commits it merges.
    Skipped,
}

/// A verified attestation, as the report shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttestationSummary {
    pub signer: String,
    pub keyid: String,
    pub created_at: String,
    /// AI use declared, by category (`none` when none).
    pub ai_used_for: Vec<String>,
}

/// A maintainer's approval that counted, as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalSummary {
    pub approver: String,
    pub created_at: String,
    /// The files whose AI use the policy allows only with a maintainer's approval (or whose
    /// AI code is over the small-fix limit) and that this approval let through.
    pub files: Vec<String>,
}

/// The verification of one change.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeReport {
    /// Commit id, or the mail's Message-ID.
    pub id: String,
    /// How people are shown the change when not by its id: `patch 2/5` for a mail (whose id is
    /// its Message-ID when it has one).
    #[serde(skip)]
    pub label: Option<String>,
    pub title: String,
    /// The first file the change touches that is still there after it (else the first it
    /// deletes): where the reports that must place every finding in a file (SARIF, Code
    /// Quality) put those about the whole change (`docs/ci.md`).
    #[serde(skip)]
    pub first_file: Option<String>,
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
    #[serde(default)]
    pub attestations: Vec<AttestationSummary>,
    /// The maintainers' approvals the verdict relies on: each approver with the files whose AI
    /// use their approval let through.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<ApprovalSummary>,
    /// Signatures of the mail itself (patatt's `X-Developer-Signature`), for patch mails.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mail_signatures: Vec<MailSignature>,
    /// The predicate of the governing attestation (the newest trusted one, preferring signers
    /// who signed off), which archives and reports read the declared AI use from.
    #[serde(skip)]
    pub governing: Option<Box<AiUsage>>,
    /// The change's AI-written code that the small-fix limit counts, for the limit over a
    /// series (`verify::check_series`).
    #[serde(skip)]
    pub ai_code: AiCodeShare,
}

/// AI-written code that the small-fix limit counts: not on a test path, no code exception in
/// its explanation, and no maintainer's approval of its file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AiCodeShare {
    /// Changed lines of code (comments and blank lines not counted, where they can be told).
    pub lines: usize,
    /// The files they are in.
    pub files: Vec<String>,
    /// Who could approve each of those files (`None`: no MAINTAINERS file), for the
    /// `policy.approval-missing` findings of the series.
    pub maintainers: std::collections::BTreeMap<String, Option<Vec<String>>>,
}

/// The result of one signature of a patch mail itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MailSignature {
    /// `patatt`.
    pub kind: String,
    pub identity: String,
    /// `valid`, `invalid`, `no-key` or `unsupported`.
    pub result: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The whole verification report (`--format json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub schema_version: u32,
    pub verdict: Verdict,
    pub changes: Vec<ChangeReport>,
}

impl Report {
    pub fn new(changes: Vec<ChangeReport>) -> Report {
        let failed = changes.iter().any(|c| c.verdict == Verdict::Fail);
        Report {
            schema_version: REPORT_SCHEMA_VERSION,
            verdict: if failed { Verdict::Fail } else { Verdict::Pass },
            changes,
        }
    }
}
