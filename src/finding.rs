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

    /// What the code means, in one line: the short description of its rule in SARIF reports,
    /// and the index of `docs/finding-codes.md` (a unit test keeps the two the same).
    pub fn summary(self) -> &'static str {
        match self {
            Code::SignatureMissing => "no attestation for the change",
            Code::SignatureInvalid => {
                "an envelope that fails to parse or whose signature does not verify"
            }
            Code::SignatureUntrusted => {
                "signed by a key or identity the trusted keyring does not accept"
            }
            Code::SignerNotSignedOff => {
                "the signer is not among the change's Signed-off-by identities"
            }
            Code::FileMissing => "a file change that no attestation entry covers",
            Code::FileExtra => "an attested file that the change does not touch",
            Code::DigestMismatch => "a file whose changed lines differ from what was attested",
            Code::TrailerMissing => "AI use attested but no AI-used-for trailer",
            Code::TrailerUnexpected => "an AI-used-for trailer but no AI use attested",
            Code::TrailerMismatch => "the trailer's categories differ from the attested ones",
            Code::TrailerMalformed => "a trailer value outside the grammar",
            Code::TrailerMisplaced => "AI-used-for after the first Signed-off-by",
            Code::TrailerForeign => "an AI trailer of another convention",
            Code::DcoMissing => "no Signed-off-by",
            Code::AuthorNotSignedOff => "the author has no Signed-off-by",
            Code::AgentSignedOff => "a Signed-off-by names an AI agent",
            Code::CategoryNotAllowed => {
                "AI use in a category or path the policy forbids without approval"
            }
            Code::FixTooLarge => "AI-written code beyond the small-fix limit",
            Code::ApprovalMissing => "a required maintainer approval is absent",
            Code::ArchiveSummaryMissing => "the archive holds no release summary",
            Code::ArchiveSummaryMismatch => {
                "the release summary contradicts the archive or the repository"
            }
            Code::ArchiveEnvelopeMissing => "an envelope the summary lists is not in the archive",
            Code::ArchiveEnvelopeUnlisted => "a line of the archive that the summary does not list",
        }
    }

    /// Where the code is documented: its section of `docs/finding-codes.md` in the project's
    /// repository, the one place reports link to (SARIF rules' `helpUri`). The anchor is the one
    /// GitHub and GitLab give the section's heading (`` ### `signature.missing` ``: the
    /// punctuation but hyphens dropped), so it stays as long as the code does.
    pub fn help_uri(self) -> String {
        let anchor: String = self.as_str().chars().filter(|&c| c != '.').collect();
        format!("{DOCS}/finding-codes.md#{anchor}")
    }

    /// The default severity until the policy says otherwise.
    pub fn default_severity(self) -> Severity {
        match self {
            Code::TrailerForeign => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

/// The project's documentation as its repository serves it (Cargo.toml's `repository`, the main
/// branch): what links in reports point at.
pub const DOCS: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/docs");

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

#[cfg(test)]
mod tests {
    use super::*;

    /// The anchor GitHub (and GitLab) gives a heading: lowercase, spaces as hyphens, the
    /// punctuation but hyphens and underscores dropped.
    fn slug(heading: &str) -> String {
        heading
            .to_lowercase()
            .chars()
            .filter_map(|c| match c {
                ' ' => Some('-'),
                c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                _ => None,
            })
            .collect()
    }

    const DOC: &str = include_str!("../docs/finding-codes.md");

    #[test]
    fn every_code_links_to_its_own_section_of_the_docs() {
        let anchors: Vec<String> = DOC
            .lines()
            .filter_map(|l| l.strip_prefix("## "))
            .map(slug)
            .collect();
        for code in Code::ALL {
            let uri = code.help_uri();
            let (page, anchor) = uri.split_once('#').expect("a fragment");
            assert_eq!(
                page,
                concat!(
                    env!("CARGO_PKG_REPOSITORY"),
                    "/blob/main/docs/finding-codes.md"
                )
            );
            assert!(
                anchors.iter().any(|a| a == anchor),
                "{code}: no heading of docs/finding-codes.md has the anchor #{anchor}"
            );
        }
        // One section per code, and no other.
        assert_eq!(anchors.len(), Code::ALL.len(), "{anchors:?}");
    }

    #[test]
    fn the_docs_index_says_what_the_code_says() {
        for code in Code::ALL {
            let severity = match code.default_severity() {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let row = format!(
                "| [`{code}`](#{}) | {severity} | {} |",
                code.as_str().replace('.', ""),
                code.summary()
            );
            assert!(
                DOC.contains(&row),
                "docs/finding-codes.md lacks the row\n{row}"
            );
        }
    }

    #[test]
    fn an_anchor_is_the_code_without_its_dots() {
        assert_eq!(
            Code::SignerNotSignedOff
                .help_uri()
                .rsplit_once('#')
                .map(|p| p.1),
            Some("signaturesigner-not-signed-off")
        );
        assert_eq!(
            slug("`dco.author-not-signed-off`"),
            "dcoauthor-not-signed-off"
        );
    }
}
