//! The AI tools' own records of what they wrote: Agent Trace (`.agent-trace/traces.jsonl`),
//! git-ai's authorship notes (`refs/notes/ai`) and the trailers agents write by default. Each
//! reader turns its format into a [`Record`]: which lines of which files AI wrote, with which
//! models and tools. [`map_onto`] lays a record over a commit's added lines; `attest` builds the
//! declaration from that and says where the record and the diff disagree.

pub mod agent_trace;
pub mod git_ai;
pub mod trailers;

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
    /// The record's hash of what was written (Agent Trace's `content_hash`, as written); kept,
    /// not checked (see [`map_onto`]).
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
    /// Where record and diff disagree, as ranges of lines: AI spans of which this change added
    /// no line (work the record places where the commit did nothing), or past the end of the
    /// file. A span that holds added lines and some it did not add is no disagreement: an
    /// agent's edit replaces text with the lines around it.
    pub stale: Vec<(u32, u32)>,
}

/// Lays a file's record over the file as the commit has it: `added` are the line numbers
/// (1-based, ascending) the commit added, `lines` how many lines the file has after it. A file
/// named without lines attributes all its added lines to AI. The work is bounded by the
/// number of spans and added lines, whatever lines the spans claim.
///
/// A span's `content_hash` is not checked: the writers hash the text the agent inserted (a
/// fragment of a line, for an edit inside one), so a hash that differs from the lines says
/// nothing about whether they are the agent's.
pub fn map_onto(record: &FileRecord, added: &[u32], lines: u32) -> FileMapping {
    let Some(spans) = &record.spans else {
        return FileMapping {
            ai_lines: added.to_vec(),
            stale: Vec::new(),
        };
    };
    let mut intervals = Vec::new();
    let mut stale = Vec::new();
    for span in spans.iter().filter(|s| s.contributor.is_ai()) {
        if span.end > lines {
            stale.push((span.start.max(lines + 1), span.end));
        }
        let (start, end) = (span.start.max(1), span.end.min(lines));
        if start > end {
            continue;
        }
        // The first added line at or after the span's start, and whether it is in the span.
        let first = added.partition_point(|&n| n < start);
        match added.get(first) {
            Some(&n) if n <= end => intervals.push((start, end)),
            _ => stale.push((start, end)),
        }
    }
    intervals.sort_unstable();
    let mut ai_lines = Vec::new();
    let mut next = intervals.iter().peekable();
    for &n in added {
        while next.next_if(|&&(_, end)| end < n).is_some() {}
        if next.peek().is_some_and(|&&(start, _)| start <= n) {
            ai_lines.push(n);
        }
    }
    stale.sort_unstable();
    stale.dedup();
    FileMapping { ai_lines, stale }
}

/// The records that name each path, in the order given.
pub fn by_path(records: &[Record]) -> BTreeMap<&str, Vec<(&Record, &FileRecord)>> {
    let mut out: BTreeMap<&str, Vec<_>> = BTreeMap::new();
    for r in records {
        for f in &r.files {
            out.entry(f.path.as_str()).or_default().push((r, f));
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

    fn file(spans: Vec<Span>) -> FileRecord {
        FileRecord {
            path: "f".into(),
            spans: Some(spans),
        }
    }

    #[test]
    fn spans_map_onto_added_lines_and_spans_with_none_are_stale() {
        let record = file(vec![
            // Lines 1-3 hold added line 2: an edit with its context, no disagreement.
            span(1, 3, Contributor::Ai),
            span(4, 4, Contributor::Human),
            // Nothing added in 5-6; 9-12 past the end of the 10-line file.
            span(5, 6, Contributor::Mixed),
            span(9, 12, Contributor::Unknown),
        ]);
        let m = map_onto(&record, &[2, 4, 9], 10);
        assert_eq!(m.ai_lines, vec![2, 9]);
        assert_eq!(m.stale, vec![(5, 6), (11, 12)]);
        let whole = FileRecord {
            path: "f".into(),
            spans: None,
        };
        assert_eq!(map_onto(&whole, &[1, 2], 2).ai_lines, vec![1, 2]);
    }

    #[test]
    fn a_span_as_long_as_it_likes_costs_no_more_than_the_added_lines() {
        // Ten thousand spans claiming four billion lines each of a short file.
        let record = file(vec![span(1, u32::MAX, Contributor::Ai); 10_000]);
        let m = map_onto(&record, &[1, 3], 3);
        assert_eq!(m.ai_lines, vec![1, 3]);
        assert_eq!(m.stale, vec![(4, u32::MAX)]);
    }
}
