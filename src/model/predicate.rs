//! The AI-usage predicate: who declared what AI use, file by file, for which change.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::change::Status;
use crate::trailers::{Category, Identity};

/// The AI-usage predicate (`https://aiprov.dev/ai-usage/v1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AiUsage {
    pub change: ChangeInfo,
    pub files: Vec<FileEntry>,
    /// AI used for research, static analysis or debugging, with none of its output in the change.
    #[serde(default)]
    pub research: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Tool>,
    /// The models the AI tools' records name (`anthropic/claude-opus-4-5`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<String>,
    pub signer: Identity,
    /// RFC 3339 UTC time of signing.
    pub created_at: String,
}

/// The change as it was when signed; for information and display, the binding is the subject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangeInfo {
    pub title: String,
    pub author: Identity,
    #[serde(default)]
    pub signed_off_by: Vec<Identity>,
    /// The `AI-used-for` trailer values at signing time, as written.
    #[serde(default)]
    pub ai_used_for: Vec<String>,
    /// The base (first parent) commit id at signing time; informational.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    /// The commit id at signing time; informational (ids change under `git am` and rebase).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

/// One file change and the AI use declared for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FileEntry {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_path: Option<String>,
    pub status: Status,
    /// Octal git modes as strings (`100644`); absent where that side does not exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_blob: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_blob: Option<String>,
    /// The file-change digest, lowercase hex SHA-256.
    pub digest: String,
    /// The AI use in this file; `null` when none.
    pub ai: Option<AiUse>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lines: Option<LineCounts>,
    /// Where the declaration of this file came from, when it was made from the AI tools'
    /// records (`attest --from`); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Declared>,
}

/// Where a file's declaration came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Declared {
    /// An Agent Trace record.
    AgentTrace,
    /// git-ai's authorship note.
    GitAi,
    /// The agent trailers of the message (`Co-authored-by: Claude ...`, `Assisted-by:`).
    Trailers,
    /// The signer's `--ai`/`--human` rules.
    Rules,
    /// The `AI-used-for` trailer, spread over the files by path class.
    AiUsedFor,
    /// No record names the file: declared as no AI use (attest said so).
    Unrecorded,
}

impl Declared {
    pub fn as_str(self) -> &'static str {
        match self {
            Declared::AgentTrace => "agent-trace",
            Declared::GitAi => "git-ai",
            Declared::Trailers => "trailers",
            Declared::Rules => "rules",
            Declared::AiUsedFor => "ai-used-for",
            Declared::Unrecorded => "unrecorded",
        }
    }
}

/// Categories of AI use in one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AiUse {
    pub categories: BTreeSet<Category>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
}

impl std::fmt::Display for AiUse {
    /// `AI: code, tests (explanation)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.categories.iter().map(|c| c.as_str()).collect();
        write!(f, "AI: {}", names.join(", "))?;
        match &self.explanation {
            Some(e) => write!(f, " ({e})"),
            None => Ok(()),
        }
    }
}

/// Added lines in a file, and how many of them came from AI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LineCounts {
    pub added: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added_by_ai: Option<u32>,
}

/// An AI tool used for the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

impl AiUsage {
    /// The categories declared across the change, `research` included.
    pub fn categories(&self) -> BTreeSet<Category> {
        let mut all: BTreeSet<Category> = self
            .files
            .iter()
            .filter_map(|f| f.ai.as_ref())
            .flat_map(|a| a.categories.iter().copied())
            .collect();
        if self.research {
            all.insert(Category::Research);
        }
        all
    }
}

/// Formats a git mode as the octal string the predicate uses.
pub fn mode_string(mode: u32) -> Option<String> {
    (mode != 0).then(|| format!("{mode:o}"))
}

impl FileEntry {
    /// The entry for a file change whose digest is computed, with the AI use declared for it.
    pub fn from_change(f: &crate::change::FileChange, ai: Option<AiUse>) -> FileEntry {
        FileEntry {
            path: f.path.clone(),
            old_path: f.old_path.clone(),
            status: f.status,
            old_mode: mode_string(f.old_mode),
            new_mode: mode_string(f.new_mode),
            old_blob: f.old_blob.clone(),
            new_blob: f.new_blob.clone(),
            digest: f.digest.clone().unwrap_or_default(),
            lines: (!f.binary).then_some(LineCounts {
                added: f.added_lines,
                added_by_ai: None,
            }),
            ai,
            source: None,
        }
    }

    /// The one-letter status, as `git diff --name-status` shows it.
    pub fn status_letter(&self) -> char {
        self.status.letter()
    }
}
