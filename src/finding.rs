//! Findings: what verification reports, with stable codes (see `docs/finding-codes.md`).

use serde::{Deserialize, Serialize};

/// The stable finding codes of SPEC section 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Code {
    #[serde(rename = "signature.missing")]
    SignatureMissing,
    #[serde(rename = "signature.invalid")]
    SignatureInvalid,
    #[serde(rename = "signature.untrusted")]
    SignatureUntrusted,
    #[serde(rename = "signature.signer-not-signed-off")]
    SignerNotSignedOff,
    #[serde(rename = "coverage.file-missing")]
    FileMissing,
    #[serde(rename = "coverage.file-extra")]
    FileExtra,
    #[serde(rename = "coverage.digest-mismatch")]
    DigestMismatch,
    #[serde(rename = "trailer.missing")]
    TrailerMissing,
    #[serde(rename = "trailer.unexpected")]
    TrailerUnexpected,
    #[serde(rename = "trailer.mismatch")]
    TrailerMismatch,
    #[serde(rename = "trailer.malformed")]
    TrailerMalformed,
    #[serde(rename = "trailer.misplaced")]
    TrailerMisplaced,
    #[serde(rename = "trailer.foreign")]
    TrailerForeign,
    #[serde(rename = "dco.missing")]
    DcoMissing,
    #[serde(rename = "dco.author-not-signed-off")]
    AuthorNotSignedOff,
    #[serde(rename = "dco.agent-signed-off")]
    AgentSignedOff,
    #[serde(rename = "policy.category-not-allowed")]
    CategoryNotAllowed,
    #[serde(rename = "policy.fix-too-large")]
    FixTooLarge,
    #[serde(rename = "policy.approval-missing")]
    ApprovalMissing,
    #[serde(rename = "archive.summary-missing")]
    ArchiveSummaryMissing,
    #[serde(rename = "archive.summary-mismatch")]
    ArchiveSummaryMismatch,
    #[serde(rename = "archive.envelope-missing")]
    ArchiveEnvelopeMissing,
    #[serde(rename = "archive.envelope-unlisted")]
    ArchiveEnvelopeUnlisted,
}

impl Code {
    pub const ALL: [Code; 23] = [
        Code::SignatureMissing,
        Code::SignatureInvalid,
        Code::SignatureUntrusted,
        Code::SignerNotSignedOff,
        Code::FileMissing,
        Code::FileExtra,
        Code::DigestMismatch,
        Code::TrailerMissing,
        Code::TrailerUnexpected,
        Code::TrailerMismatch,
        Code::TrailerMalformed,
        Code::TrailerMisplaced,
        Code::TrailerForeign,
        Code::DcoMissing,
        Code::AuthorNotSignedOff,
        Code::AgentSignedOff,
        Code::CategoryNotAllowed,
        Code::FixTooLarge,
        Code::ApprovalMissing,
        Code::ArchiveSummaryMissing,
        Code::ArchiveSummaryMismatch,
        Code::ArchiveEnvelopeMissing,
        Code::ArchiveEnvelopeUnlisted,
    ];

    /// The code as written in reports, e.g. `coverage.digest-mismatch`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::SignatureMissing => "signature.missing",
            Code::SignatureInvalid => "signature.invalid",
            Code::SignatureUntrusted => "signature.untrusted",
            Code::SignerNotSignedOff => "signature.signer-not-signed-off",
            Code::FileMissing => "coverage.file-missing",
            Code::FileExtra => "coverage.file-extra",
            Code::DigestMismatch => "coverage.digest-mismatch",
            Code::TrailerMissing => "trailer.missing",
            Code::TrailerUnexpected => "trailer.unexpected",
            Code::TrailerMismatch => "trailer.mismatch",
            Code::TrailerMalformed => "trailer.malformed",
            Code::TrailerMisplaced => "trailer.misplaced",
            Code::TrailerForeign => "trailer.foreign",
            Code::DcoMissing => "dco.missing",
            Code::AuthorNotSignedOff => "dco.author-not-signed-off",
            Code::AgentSignedOff => "dco.agent-signed-off",
            Code::CategoryNotAllowed => "policy.category-not-allowed",
            Code::FixTooLarge => "policy.fix-too-large",
            Code::ApprovalMissing => "policy.approval-missing",
            Code::ArchiveSummaryMissing => "archive.summary-missing",
            Code::ArchiveSummaryMismatch => "archive.summary-mismatch",
            Code::ArchiveEnvelopeMissing => "archive.envelope-missing",
            Code::ArchiveEnvelopeUnlisted => "archive.envelope-unlisted",
        }
    }

    /// The default severity until the policy says otherwise.
    pub fn default_severity(self) -> Severity {
        match self {
            Code::TrailerForeign => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One thing verification found about a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    pub message: String,
}

impl Finding {
    pub fn new(code: Code, message: impl Into<String>) -> Finding {
        Finding {
            code,
            severity: code.default_severity(),
            file: None,
            message: one_line(message.into()),
        }
    }

    pub fn in_file(mut self, file: impl Into<String>) -> Finding {
        self.file = Some(file.into());
        self
    }
}

/// Messages are one line, whatever input they quote: control characters are spelled as escapes
/// (`\n`), so that `a\nb` and `a b` stay two names.
fn one_line(s: String) -> String {
    match crate::text::printable(&s) {
        std::borrow::Cow::Borrowed(_) => s,
        std::borrow::Cow::Owned(escaped) => escaped,
    }
}
