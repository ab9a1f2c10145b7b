//! The release-summary predicate: a release manager's signed account of every change of a
//! release, with its verdict, its findings and the digests of its envelopes in the archive.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{Tool, Verdict};
use crate::trailers::{Category, Identity};

/// `predicateType` of a release summary.
pub const RELEASE_PREDICATE_TYPE: &str = "https://aiprov.dev/release-summary/v1";

/// The release-summary predicate (`https://aiprov.dev/release-summary/v1`). The statement's
/// subject names the release commit (`gitCommit`) and any release tarballs (`sha256`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReleaseSummary {
    pub release: Release,
    /// Every commit of the range, oldest first.
    pub changes: Vec<ReleaseChange>,
    pub totals: Totals,
    pub signer: Identity,
    /// RFC 3339 UTC time of signing.
    pub created_at: String,
}

/// Which release, and the range of commits it covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Release {
    /// The range as given, e.g. `v1.0..v1.1`.
    pub range: String,
    /// The release commit (the range's tip).
    pub commit: String,
    /// The range base, whose keyring and policy the changes were verified with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
}

/// One change of the release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReleaseChange {
    pub commit: String,
    pub title: String,
    pub author: Identity,
    /// The committer date, RFC 3339 UTC: when the change landed.
    pub date: String,
    pub verdict: Verdict,
    /// Findings by code (errors and warnings).
    #[serde(default)]
    pub findings: BTreeMap<String, u32>,
    /// SHA-256 (hex) of each envelope line of this change in the archive.
    #[serde(default)]
    pub envelopes: Vec<String>,
    /// AI used for research only, as the governing attestation declares.
    #[serde(default)]
    pub research: bool,
    /// Whether a trusted attestation governs this change (its AI use is declared).
    pub attested: bool,
    /// The maintainers' approvals the verdict relies on: each approver's email (as `verify`
    /// reports them, `ChangeReport::approvals`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<String>,
    /// The commit's parents, first parent first: the history a VSA of the revision summarises
    /// (`report::vsa`). Absent in archives written before aiprov recorded it, as are `tools`
    /// and `models`; always present (perhaps empty) since.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parents: Option<Vec<String>>,
    /// The AI tools its governing attestation names (empty when none, or unattested).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Tool>>,
    /// The AI models its governing attestation names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub models: Option<Vec<String>>,
    pub files: Vec<ReleaseFile>,
}

/// One file change of a release change, with the AI use its attestation declares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReleaseFile {
    pub path: String,
    pub added: u32,
    pub removed: u32,
    /// Categories of AI use; empty for none (or when the change is not attested).
    #[serde(default)]
    pub ai: BTreeSet<Category>,
    /// The most specific MAINTAINERS section covering the path, at the release commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
}

/// Counts over the release.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Totals {
    pub changes: u32,
    pub pass: u32,
    pub fail: u32,
    pub skipped: u32,
    pub envelopes: u32,
    pub findings: BTreeMap<String, u32>,
}

impl Totals {
    /// The totals of `changes`, counting each distinct envelope once.
    pub fn of(changes: &[ReleaseChange]) -> Totals {
        let mut t = Totals::default();
        let mut envelopes = BTreeSet::new();
        for c in changes {
            t.changes += 1;
            match c.verdict {
                Verdict::Pass => t.pass += 1,
                Verdict::Fail => t.fail += 1,
                Verdict::Skipped => t.skipped += 1,
            }
            for (code, n) in &c.findings {
                *t.findings.entry(code.clone()).or_default() += n;
            }
            envelopes.extend(c.envelopes.iter());
        }
        t.envelopes = envelopes.len() as u32;
        t
    }
}

/// A release-summary statement.
pub type ReleaseStatement = super::Statement<ReleaseSummary>;
