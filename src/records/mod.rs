//! The AI tools' own records of what they wrote: Agent Trace (`.agent-trace/traces.jsonl`),
//! git-ai's authorship notes (`refs/notes/ai`) and the trailers agents write by default. Each
//! reader turns its format into a [`Record`]: which lines of which files AI wrote, with which
//! models and tools. [`map_onto`] lays a record over a commit's added lines; `attest` builds the
//! declaration from that and says where the record and the diff disagree.

pub mod git_ai;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::Tool;

/// Where a file's declaration came from. Written into the statement (`FileEntry::source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// An Agent Trace record (agent-trace.dev, v0.1).
    AgentTrace,
    /// git-ai's authorship log in `refs/notes/ai`.
    GitAi,
    /// The agent trailers of the commit message (`Co-authored-by: Claude ...`, `Assisted-by:`,
    /// `Generated-by:`).
    Trailers,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::AgentTrace => "agent-trace",
            Source::GitAi => "git-ai",
            Source::Trailers => "trailers",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who wrote some lines, as a record says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contributor {
    Ai,
    Human,
    /// AI and a person together (Agent Trace's `mixed`): counted as AI.
    Mixed,
    /// The record does not know: counted as AI, and said.
    Unknown,
}

impl Contributor {
    /// Whether lines so attributed are declared as AI's.
    pub fn is_ai(self) -> bool {
        !matches!(self, Contributor::Human)
    }
}

/// Lines of one file, 1-based and inclusive, in the file as the commit has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub start: u32,
    pub end: u32,
    pub contributor: Contributor,
    /// The model that wrote them, where the record says (`anthropic/claude-opus-4-5`).
    pub model: Option<String>,
    /// The record's hash of the lines (Agent Trace's `content_hash`, as written), checked
    /// against the commit's lines where its algorithm is known.
    pub content_hash: Option<String>,
}

/// What a record says of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRecord {
    /// The path in the repository, `/`-separated, as git names it.
    pub path: String,
    /// The lines the record attributes; `None` when it names the file without lines.
    pub spans: Option<Vec<Span>>,
}

/// One tool's record of a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub source: Source,
    /// Where it was read, for messages: `.agent-trace/traces.jsonl`, `refs/notes/ai`, ...
    pub origin: String,
    /// The files it names (a path at most once: readers merge what they read of a file).
    pub files: Vec<FileRecord>,
    /// `true` when the record is about the whole change and names no file (trailers).
    pub whole_change: bool,
    pub models: BTreeSet<String>,
    pub tools: Vec<Tool>,
}

/// A record that cannot be read: the file or note, and where in it.
#[derive(Debug, thiserror::Error)]
#[error("{origin}{}: {message}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
pub struct RecordError {
    pub origin: String,
    pub line: Option<usize>,
    pub message: String,
}

/// A record laid over one file of a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMapping {
    /// Added lines the record attributes to AI.
    pub ai_lines: Vec<u32>,
    /// Lines the record attributes (to AI or not) that this change did not add, lie past the
    /// end of the file, or whose content hash differs: where record and diff disagree.
    pub stale: Vec<u32>,
}

/// Lays a file's record over the file as the commit has it: `added` are the line numbers
/// (1-based) the commit added, `lines` the file's lines after the change. A file named without
/// lines attributes all its added lines to AI.
pub fn map_onto(record: &FileRecord, added: &[u32], lines: &[&[u8]]) -> FileMapping {
    let Some(spans) = &record.spans else {
        return FileMapping {
            ai_lines: added.to_vec(),
            stale: Vec::new(),
        };
    };
    let added_set: BTreeSet<u32> = added.iter().copied().collect();
    let mut ai = BTreeSet::new();
    let mut stale = BTreeSet::new();
    for span in spans {
        let hash_ok = span
            .content_hash
            .as_deref()
            .and_then(|h| content_hash_matches(h, lines, span.start, span.end))
            .unwrap_or(true);
        // Past the end of the file: the first such line stands for all (a span's end is the
        // record's to choose, so it bounds nothing).
        let last = lines.len() as u32;
        if span.end > last {
            stale.insert(span.start.max(last + 1));
        }
        for n in span.start.max(1)..=span.end.min(last) {
            if !hash_ok {
                stale.insert(n);
            } else if added_set.contains(&n) {
                if span.contributor.is_ai() {
                    ai.insert(n);
                }
            } else if span.contributor.is_ai() {
                stale.insert(n);
            }
        }
    }
    FileMapping {
        ai_lines: ai.into_iter().collect(),
        stale: stale.into_iter().collect(),
    }
}

/// Whether `hash` (`sha256:HEX` of the lines `start..=end` joined with `\n`) matches the file;
/// `None` for an algorithm aiprov does not know, which is not checked.
fn content_hash_matches(hash: &str, lines: &[&[u8]], start: u32, end: u32) -> Option<bool> {
    use sha2::{Digest, Sha256};
    let hex = hash.strip_prefix("sha256:")?;
    let (s, e) = (start as usize, end as usize);
    if s == 0 || e < s || e > lines.len() {
        return Some(false);
    }
    let joined = lines[s - 1..e].join(&b'\n');
    Some(hex::encode(Sha256::digest(&joined)).eq_ignore_ascii_case(hex))
}

/// Records merged by path: for each path, the first record (in the order given) that names it.
pub fn by_path(records: &[Record]) -> BTreeMap<&str, (&Record, &FileRecord)> {
    let mut out = BTreeMap::new();
    for r in records {
        for f in &r.files {
            out.entry(f.path.as_str()).or_insert((r, f));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: u32, end: u32, contributor: Contributor) -> Span {
        Span {
            start,
            end,
            contributor,
            model: None,
            content_hash: None,
        }
    }

    #[test]
    fn spans_map_onto_added_lines_and_the_rest_is_stale() {
        let lines: Vec<&[u8]> = vec![b"a", b"b", b"c", b"d"];
        let record = FileRecord {
            path: "f".into(),
            spans: Some(vec![
                span(2, 3, Contributor::Ai),
                span(4, 4, Contributor::Human),
                span(9, 9, Contributor::Ai),
            ]),
        };
        let m = map_onto(&record, &[2, 4], &lines);
        assert_eq!(m.ai_lines, vec![2]);
        // 3 is AI's by the record but not added here; 9 is past the end of the file.
        assert_eq!(m.stale, vec![3, 9]);
        let whole = FileRecord {
            path: "f".into(),
            spans: None,
        };
        assert_eq!(map_onto(&whole, &[1, 2], &lines).ai_lines, vec![1, 2]);
    }

    #[test]
    fn a_content_hash_that_differs_makes_the_span_stale() {
        use sha2::{Digest, Sha256};
        let lines: Vec<&[u8]> = vec![b"x", b"y"];
        let good = format!("sha256:{}", hex::encode(Sha256::digest(b"x\ny")));
        let mut s = span(1, 2, Contributor::Ai);
        s.content_hash = Some(good);
        let record = FileRecord {
            path: "f".into(),
            spans: Some(vec![s.clone()]),
        };
        assert_eq!(map_onto(&record, &[1, 2], &lines).ai_lines, vec![1, 2]);
        s.content_hash = Some(format!("sha256:{}", "0".repeat(64)));
        let record = FileRecord {
            path: "f".into(),
            spans: Some(vec![s]),
        };
        let m = map_onto(&record, &[1, 2], &lines);
        assert!(m.ai_lines.is_empty());
        assert_eq!(m.stale, vec![1, 2]);
    }
}
