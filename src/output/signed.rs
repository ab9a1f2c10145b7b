//! The results of signing: `attest` and `approve`, for people or as JSON
//! (`schema/attest.schema.json`, `schema/approve.schema.json`).

use std::io::Write;

use serde::Serialize;

use super::{Output, Results};
use crate::text::count;
use crate::trailers::Identity;

/// What `aiprov attest` signed, and where it went.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attestations {
    pub schema_version: u32,
    /// Whether the envelopes were stored in the notes (else printed: `--stdout`).
    pub stored: bool,
    pub notes_ref: String,
    pub attested: Vec<AttestedCommit>,
    /// Merges of ranges left out.
    pub merges_skipped: usize,
}

/// One commit attested.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttestedCommit {
    pub commit: String,
    #[serde(skip)]
    pub short: String,
    pub title: String,
    pub signer: String,
    /// File changes declared.
    pub files: usize,
    /// The categories of AI use declared, none for no AI use.
    pub ai_used_for: Vec<String>,
    /// The note line written: a DSSE envelope, or a Sigstore bundle.
    pub envelope: serde_json::Value,
    /// The line as written, for `--stdout`.
    #[serde(skip)]
    pub line: String,
}

impl Results for Attestations {
    fn human(&self, out: &Output) -> std::io::Result<()> {
        for done in &self.attested {
            if !self.stored {
                writeln!(out.stdout(), "{}", done.line)?;
                continue;
            }
            let what = if done.ai_used_for.is_empty() {
                "no AI use".to_string()
            } else {
                format!("AI used for {}", done.ai_used_for.join(", "))
            };
            out.status(format!(
                "attested {} {} ({what}; {}) as {}",
                done.short,
                done.title,
                count(done.files, "file", "files"),
                done.signer
            ));
        }
        if self.attested.len() > 1 && self.stored {
            out.status(format!(
                "attested {}, in one notes commit",
                count(self.attested.len(), "commit", "commits")
            ));
        }
        if self.merges_skipped > 0 {
            out.status(format!(
                "left out {}: a merge with changes of its own is attested by naming it",
                count(self.merges_skipped, "merge", "merges"),
            ));
        }
        Ok(())
    }
}

/// What `aiprov approve` signed: approvals stored in the notes of commits, or printed for the
/// patches of an mbox.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Approvals {
    pub schema_version: u32,
    /// Whether the approvals were stored in the notes (commits), else printed (mails).
    pub stored: bool,
    pub notes_ref: String,
    /// Who approved, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approver: Option<Identity>,
    pub approved: Vec<ApprovedChange>,
    /// Merges of ranges left out.
    pub merges_skipped: usize,
}

/// One change approved: a commit, or a patch mail by its subject with its envelope.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovedChange {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(skip)]
    pub short: String,
    pub title: String,
    /// The approval envelope, for a patch mail (a commit's is in its note).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub envelope: Option<serde_json::Value>,
    #[serde(skip)]
    pub line: String,
    /// Whether it replaced an approval of the same approver (other maintainers' are kept).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub replaced: bool,
}

impl Results for Approvals {
    fn human(&self, out: &Output) -> std::io::Result<()> {
        for done in &self.approved {
            if self.stored {
                let by = self.approver.as_ref().map_or("", |a| a.email.as_str());
                let again = if done.replaced {
                    " (replacing your earlier approval; other maintainers' are kept)"
                } else {
                    ""
                };
                out.status(format!(
                    "approved {} {} as {by}{again}",
                    done.short, done.title
                ));
            } else {
                writeln!(out.stdout(), "{}", done.line)?;
                out.status(format!("approved {}", done.title));
            }
        }
        if self.merges_skipped > 0 {
            out.status(format!(
                "left out {}: a merge with changes of its own is approved by naming it",
                count(self.merges_skipped, "merge", "merges"),
            ));
        }
        Ok(())
    }
}
