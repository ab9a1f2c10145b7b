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

/// Whether `hash`, a record's hash of the lines `start..=end` (`ALGORITHM:HEX`, as Agent Trace's
/// `content_hash`), matches the file; `None` for an algorithm aiprov does not know, which is not
/// checked.
///
/// The specification defines no more than "hash of attributed content" and shows
/// `murmur3:9f2e8a1b`. The writers that set it hash the text the agent inserted:
/// agent-trace-cli `sha256:` of it with CRLF and CR made LF and trailing newlines removed,
/// KennyKeni/agent-trace `murmur3:` (MurmurHash3 x86 32-bit, seed 0, 8 hex digits) of it as
/// written. Both count an inserted text that ends with a newline as reaching one line further,
/// so the text is either the lines `start..=end` joined with `\n` (the last one without its
/// `\r`) or the lines before `end`, each with its `\n`; it matches when the hash is that of
/// either, as written or normalised. An edit inside a line hashes part of it, and the lines of
/// an edit that a later one changed no longer hash as recorded: neither matches.
fn content_hash_matches(hash: &str, lines: &[&[u8]], start: u32, end: u32) -> Option<bool> {
    use sha2::{Digest, Sha256};
    let (algorithm, expected) = hash.split_once(':')?;
    let digest: fn(&[u8]) -> String = match algorithm.to_ascii_lowercase().as_str() {
        "sha256" => |text| hex::encode(Sha256::digest(text)),
        "murmur3" => |text| {
            let h = murmur3::murmur3_32(&mut std::io::Cursor::new(text), 0)
                .expect("reading from memory cannot fail");
            format!("{h:08x}")
        },
        _ => return None,
    };
    let (s, e) = (start as usize, end as usize);
    if s == 0 || e < s {
        return Some(false);
    }
    let mut texts: Vec<Vec<u8>> = Vec::new();
    if e <= lines.len() {
        let mut text = lines[s - 1..e].join(&b'\n');
        if text.last() == Some(&b'\r') {
            text.pop();
        }
        texts.push(text);
    }
    if s < e && e - 1 <= lines.len() {
        let mut text = lines[s - 1..e - 1].join(&b'\n');
        text.push(b'\n');
        texts.push(text);
    }
    let normalised: Vec<Vec<u8>> = texts.iter().map(|t| normalise_newlines(t)).collect();
    Some(
        texts
            .iter()
            .chain(&normalised)
            .any(|t| digest(t).eq_ignore_ascii_case(expected)),
    )
}

/// `text` with CRLF and CR as LF and no newline at its end, as agent-trace-cli hashes it.
fn normalise_newlines(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.iter().peekable();
    while let Some(&b) = bytes.next() {
        if b == b'\r' {
            bytes.next_if_eq(&&b'\n');
            out.push(b'\n');
        } else {
            out.push(b);
        }
    }
    while out.last() == Some(&b'\n') {
        out.pop();
    }
    out
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

    #[test]
    fn content_hashes_are_those_the_writers_make() {
        use sha2::{Digest, Sha256};
        let sha = |t: &[u8]| format!("sha256:{}", hex::encode(Sha256::digest(t)));
        let check = |hash: &str, lines: &[&[u8]], s, e| content_hash_matches(hash, lines, s, e);
        // MurmurHash3 x86 32-bit, seed 0, as Bun.hash.murmur32v3 gives it (KennyKeni/agent-trace).
        assert_eq!(check("murmur3:248bfa47", &[b"hello"], 1, 1), Some(true));
        assert_eq!(check("murmur3:637e8125", &[b"a", b"b"], 1, 2), Some(true));
        // `a\nb\n` inserted counts as reaching line 3, at the end of the file or before more.
        assert_eq!(check("murmur3:fc213db3", &[b"a", b"b"], 1, 3), Some(true));
        assert_eq!(
            check("murmur3:fc213db3", &[b"a", b"b", b"c"], 1, 3),
            Some(true)
        );
        assert_eq!(
            check("murmur3:fc213db3", &[b"a", b"b", b"c"], 1, 2),
            Some(false)
        );
        // agent-trace-cli: CRLF as LF, no newline at the end; the last line without its CR.
        assert_eq!(check(&sha(b"a\nb"), &[b"a\r", b"b\r"], 1, 2), Some(true));
        assert_eq!(check(&sha(b"a\r\nb"), &[b"a\r", b"b\r"], 1, 2), Some(true));
        assert_eq!(check(&sha(b"a\nb"), &[b"a", b"b", b""], 1, 3), Some(true));
        assert_eq!(check(&sha(b"b"), &[b"a", b"b"], 1, 2), Some(false));
        assert_eq!(check(&sha(b"a"), &[b"a"], 2, 2), Some(false));
        assert_eq!(check(&sha(b"a"), &[b"a"], 1, u32::MAX), Some(false));
        // Algorithms aiprov does not know are not checked.
        assert_eq!(check("fnv1a32:0badcafe", &[b"a"], 1, 1), None);
        assert_eq!(check("9f2e8a1b", &[b"a"], 1, 1), None);
    }
}
