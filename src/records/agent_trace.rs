//! Agent Trace records (agent-trace.dev, specification v0.1.0): the JSON Lines file
//! `.agent-trace/traces.jsonl`, one trace record a line, each naming the revision it was made
//! on, and for each file the conversations that wrote it with their line ranges and
//! contributors. [`read`] keeps the records that describe one commit and merges them into a
//! [`Record`].
//!
//! Strict about what the specification requires (the required fields, their types, the
//! contributor and VCS types, lines counted from 1), lenient about what it allows: `metadata`
//! and any field a writer adds of its own (`line_hashes`, a conversation's `id`) are ignored.
//! The formats of fields aiprov does not use (`id`, `timestamp`, `version`) are not checked:
//! the specification's own reference hook writes `"version": "1.0"` and agent-trace-cli
//! `"2.0"`, neither of the `X.Y.Z` form the schema asks for.

use std::collections::{BTreeMap, BTreeSet};

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

use super::{Contributor, FileRecord, Record, RecordError, Source, Span};
use crate::model::Tool;

/// The largest traces file read (a year of heavy use is a few megabytes).
pub const MAX_TRACE_BYTES: usize = 64 << 20;

/// The most spans the records of one commit may give, a file named without ranges counting as
/// one: laying a record over a file costs its spans times the file's lines.
pub const MAX_SPANS: usize = 10_000;

/// The longest `model_id`, as the specification bounds it.
const MAX_MODEL_ID_CHARS: usize = 250;

/// One line of the file: a trace record as the specification's schema has it. `version`, `id`,
/// `timestamp` and `metadata` are read only for their presence and type.
#[derive(Deserialize)]
#[allow(dead_code)]
struct TraceRecord {
    version: String,
    id: String,
    timestamp: String,
    vcs: Option<Object<Vcs>>,
    tool: Option<Object<ToolInfo>>,
    files: Vec<Object<TraceFile>>,
    metadata: Option<AnyObject>,
}

#[derive(Deserialize)]
struct Vcs {
    #[serde(rename = "type")]
    kind: VcsKind,
    revision: String,
}

#[derive(Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
enum VcsKind {
    Git,
    Jj,
    Hg,
    Svn,
}

#[derive(Deserialize)]
struct ToolInfo {
    name: Option<String>,
    version: Option<String>,
}

#[derive(Deserialize)]
struct TraceFile {
    path: String,
    conversations: Vec<Object<Conversation>>,
}

#[derive(Deserialize)]
struct Conversation {
    contributor: Option<Object<ContributorInfo>>,
    ranges: Vec<Object<Range>>,
}

#[derive(Deserialize)]
struct Range {
    start_line: u32,
    end_line: u32,
    content_hash: Option<String>,
    contributor: Option<Object<ContributorInfo>>,
}

#[derive(Deserialize, Clone)]
struct ContributorInfo {
    #[serde(rename = "type")]
    kind: ContributorKind,
    model_id: Option<String>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum ContributorKind {
    Human,
    Ai,
    Mixed,
    Unknown,
}

/// A JSON object read as `T`. serde reads a struct from an array too, its fields in order
/// (`[1, 3, null, null]` as a range); the specification's objects are objects, so this reads
/// `T` only from one.
struct Object<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(MapOnly(deserializer)).map(Object)
    }
}

/// A deserializer that reads a struct only from a map; everything else as `D` reads it.
struct MapOnly<D>(D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for MapOnly<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// Any JSON object, its content skipped unread (`metadata` is the writer's own).
struct AnyObject;

impl<'de> Deserialize<'de> for AnyObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Skip;
        impl<'de> Visitor<'de> for Skip {
            type Value = AnyObject;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AnyObject, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(AnyObject)
            }
        }
        deserializer.deserialize_map(Skip)
    }
}

impl From<ContributorKind> for Contributor {
    fn from(kind: ContributorKind) -> Contributor {
        match kind {
            ContributorKind::Human => Contributor::Human,
            ContributorKind::Ai => Contributor::Ai,
            ContributorKind::Mixed => Contributor::Mixed,
            ContributorKind::Unknown => Contributor::Unknown,
        }
    }
}

/// The trace records of `text` (a traces file, read from `origin`) that describe `commit`,
/// merged into one record: a file named by several records once, with all their spans in the
/// file's order; `None` when no record describes the commit.
///
/// A record describes the commit when its `vcs` is git and its `revision` is the commit's
/// `parent`. The writers write each record while the agent edits, before the commit exists,
/// and record `git rev-parse HEAD` of that moment (the specification's reference hook,
/// KennyKeni's agent-trace, agent-trace-cli): the parent, with the lines numbered in the file as
/// the edit left it, the file the commit takes unless something changes it after. The
/// specification's own wording anchors ranges to "the recorded revision" and finds a line's
/// trace by blaming it, which would make the revision the commit that holds the lines; no
/// writer can know that commit when it writes, and a record whose revision is the commit is,
/// in every writer's output, work done on top of it for the next commit. Counting those too
/// would declare the next commit's AI lines in this one wherever the line numbers meet (a
/// record never silently widens a declaration), so they are not read. A root commit has no
/// parent, and no record describes it; a record without `vcs`, or of another VCS, describes
/// none.
///
/// Errors name `origin` and the line (counted from 1, blank lines included and skipped): a
/// line that is not JSON or not a trace record (a required field missing or of the wrong
/// type, a line number of 0, a range that ends before it starts) on any line; a path that is
/// absolute or leaves the repository in a record of the commit. Over [`MAX_TRACE_BYTES`] or
/// [`MAX_SPANS`] is an error too.
pub fn read(text: &str, origin: &str, parent: Option<&str>) -> Result<Option<Record>, RecordError> {
    let error = |line: Option<usize>, message: String| RecordError {
        origin: origin.to_string(),
        line,
        message,
    };
    if text.len() > MAX_TRACE_BYTES {
        return Err(error(
            None,
            format!("over the limit of {MAX_TRACE_BYTES} bytes for Agent Trace records"),
        ));
    }
    let describes = |revision: &str| parent.is_some_and(|p| revision.eq_ignore_ascii_case(p));
    let mut merged = Merged::default();
    let mut found = false;
    for (index, line) in text.split('\n').enumerate() {
        let number = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let record = parse_line(line).map_err(|m| error(Some(number), m))?;
        let applies = record
            .vcs
            .as_ref()
            .is_some_and(|Object(v)| v.kind == VcsKind::Git && describes(&v.revision));
        if applies {
            found = true;
            merged.add(record).map_err(|m| error(Some(number), m))?;
        }
    }
    Ok(found.then(|| merged.into_record(origin)))
}

/// One line read and checked as a trace record; the error says where in it and what is wrong.
fn parse_line(line: &str) -> Result<TraceRecord, String> {
    let mut de = serde_json::Deserializer::from_str(line);
    let Object(record): Object<TraceRecord> =
        serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            match inner.classify() {
                serde_json::error::Category::Data if path != "." => {
                    format!("not an Agent Trace record: {path}: {}", json_error(&inner))
                }
                serde_json::error::Category::Data => {
                    format!("not an Agent Trace record: {}", json_error(&inner))
                }
                _ => format!("not JSON: {}", json_error(&inner)),
            }
        })?;
    de.end()
        .map_err(|e| format!("not JSON: {}", json_error(&e)))?;
    for (f, file) in record.files.iter().enumerate() {
        for (c, conversation) in file.0.conversations.iter().enumerate() {
            let at = format!("files[{f}].conversations[{c}]");
            check_contributor(
                conversation.0.contributor.as_ref(),
                &format!("{at}.contributor"),
            )?;
            for (r, Object(range)) in conversation.0.ranges.iter().enumerate() {
                let at = format!("{at}.ranges[{r}]");
                if range.start_line == 0 {
                    return Err(format!(
                        "{at}: start_line is 0, but lines are counted from 1"
                    ));
                }
                if range.end_line < range.start_line {
                    return Err(format!(
                        "{at}: end_line {} is before start_line {}",
                        range.end_line, range.start_line
                    ));
                }
                check_contributor(range.contributor.as_ref(), &format!("{at}.contributor"))?;
            }
        }
    }
    Ok(record)
}

/// serde_json's message with the column, without its line: each line is a document of its own,
/// so its "line 1" would contradict the line of the file that the error names.
fn json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let position = format!(" at line {} column {}", e.line(), e.column());
    match text.strip_suffix(&position) {
        Some(message) if e.column() > 0 => format!("{message} (column {})", e.column()),
        Some(message) => message.to_string(),
        None => text,
    }
}

fn check_contributor(
    contributor: Option<&Object<ContributorInfo>>,
    at: &str,
) -> Result<(), String> {
    match contributor.and_then(|c| c.0.model_id.as_deref()) {
        Some(model) if model.chars().count() > MAX_MODEL_ID_CHARS => Err(format!(
            "{at}.model_id is longer than the {MAX_MODEL_ID_CHARS} characters allowed"
        )),
        _ => Ok(()),
    }
}

/// The records of a commit as they are read: files by path in the order first named.
#[derive(Default)]
struct Merged {
    files: Vec<FileRecord>,
    index: BTreeMap<String, usize>,
    spans: usize,
    models: BTreeSet<String>,
    tools: Vec<Tool>,
}

impl Merged {
    fn add(&mut self, record: TraceRecord) -> Result<(), String> {
        if let Some(tool) = record.tool.and_then(|Object(t)| {
            t.name.map(|name| Tool {
                name,
                version: t.version,
            })
        }) {
            if !self.tools.contains(&tool) {
                self.tools.push(tool);
            }
        }
        for (f, Object(file)) in record.files.into_iter().enumerate() {
            let path = repo_path(&file.path).map_err(|m| format!("files[{f}].path: {m}"))?;
            let ranges: usize = file.conversations.iter().map(|c| c.0.ranges.len()).sum();
            self.spans += ranges.max(1);
            if self.spans > MAX_SPANS {
                return Err(format!(
                    "the records of this commit give more than {MAX_SPANS} spans (line ranges and files named without one)"
                ));
            }
            let mut spans = Vec::with_capacity(ranges);
            for Object(conversation) in file.conversations {
                for Object(range) in conversation.ranges {
                    // A range's own contributor replaces the conversation's whole (a hand-off to
                    // another agent): its model is not the conversation's.
                    let who = match range.contributor {
                        Some(Object(own)) => Some(own),
                        None => conversation.contributor.as_ref().map(|c| c.0.clone()),
                    };
                    let contributor = who.as_ref().map_or(Contributor::Unknown, |c| c.kind.into());
                    let model = who.and_then(|c| c.model_id);
                    if let Some(m) = model.as_ref().filter(|_| contributor.is_ai()) {
                        self.models.insert(m.clone());
                    }
                    spans.push(Span {
                        start: range.start_line,
                        end: range.end_line,
                        contributor,
                        model,
                        content_hash: range.content_hash,
                    });
                }
            }
            let i = *self.index.entry(path.clone()).or_insert_with(|| {
                self.files.push(FileRecord {
                    path,
                    spans: Some(Vec::new()),
                });
                self.files.len() - 1
            });
            if let Some(all) = &mut self.files[i].spans {
                all.extend(spans);
            }
        }
        Ok(())
    }

    fn into_record(self, origin: &str) -> Record {
        Record {
            source: Source::AgentTrace,
            origin: origin.to_string(),
            files: self.files,
            whole_change: false,
            models: self.models,
            tools: self.tools,
        }
    }
}

/// A record's path as aiprov names the file: relative to the top of the repository (as the
/// specification has it), `.` and empty components dropped, `..` resolved; an absolute path
/// or one that leaves the repository is refused, since it names no file of the commit.
fn repo_path(path: &str) -> Result<String, String> {
    let shown = crate::text::printable(path);
    let bytes = path.as_bytes();
    let drive = bytes.len() > 2
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && matches!(bytes[2], b'/' | b'\\');
    if path.starts_with('/') || path.starts_with('\\') || drive {
        return Err(format!(
            "\"{shown}\" is absolute, but Agent Trace names files from the top of the repository"
        ));
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(format!("\"{shown}\" leaves the repository"));
                }
            }
            name => parts.push(name),
        }
    }
    if parts.is_empty() {
        return Err(format!("\"{shown}\" names no file"));
    }
    Ok(crate::text::path_name(parts.join("/").as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMIT: &str = "1111111111111111111111111111111111111111";
    const PARENT: &str = "2222222222222222222222222222222222222222";
    const OTHER: &str = "3333333333333333333333333333333333333333";

    /// A trace record on `revision` (git), with `files` as JSON.
    fn line(revision: &str, files: &str) -> String {
        format!(
            r#"{{"version":"0.1.0","id":"550e8400-e29b-41d4-a716-446655440000","timestamp":"2026-01-25T10:00:00Z","vcs":{{"type":"git","revision":"{revision}"}},"files":{files}}}"#
        )
    }

    /// One file written by one AI conversation, in the ranges given as `[start, end]`.
    fn ai_file(path: &str, ranges: &[(u32, u32)]) -> String {
        let ranges: Vec<String> = ranges
            .iter()
            .map(|(s, e)| format!(r#"{{"start_line":{s},"end_line":{e}}}"#))
            .collect();
        let path = serde_json::to_string(path).expect("a string");
        format!(
            r#"[{{"path":{path},"conversations":[{{"contributor":{{"type":"ai","model_id":"anthropic/claude-opus-4-5"}},"ranges":[{}]}}]}}]"#,
            ranges.join(",")
        )
    }

    /// The record of a commit whose parent is `COMMIT` (the revision the writers record).
    fn read_commit(text: &str) -> Result<Option<Record>, RecordError> {
        read(text, ".agent-trace/traces.jsonl", Some(COMMIT))
    }

    fn lines_of(file: &FileRecord) -> Vec<(u32, u32)> {
        file.spans
            .iter()
            .flatten()
            .map(|s| (s.start, s.end))
            .collect()
    }

    #[test]
    fn records_of_the_parent_revision_are_merged_by_path() {
        let text = [
            line(PARENT, &ai_file("src/a.rs", &[(1, 3)])),
            line(OTHER, &ai_file("src/a.rs", &[(7, 9)])),
            line(&COMMIT.to_uppercase(), &ai_file("./src/a.rs", &[(5, 5)])),
            line(COMMIT, &ai_file("src/b.rs", &[(2, 2)])),
        ]
        .join("\n");
        let record = read_commit(&text).unwrap().expect("a record of the commit");
        assert_eq!(record.source, Source::AgentTrace);
        assert_eq!(record.origin, ".agent-trace/traces.jsonl");
        assert!(!record.whole_change);
        let files: Vec<(&str, Vec<(u32, u32)>)> = record
            .files
            .iter()
            .map(|f| (f.path.as_str(), lines_of(f)))
            .collect();
        assert_eq!(
            files,
            vec![("src/a.rs", vec![(5, 5)]), ("src/b.rs", vec![(2, 2)])]
        );
        assert_eq!(
            record.models,
            BTreeSet::from(["anthropic/claude-opus-4-5".to_string()])
        );
    }

    #[test]
    fn no_record_of_the_commit_is_none() {
        let no_vcs = r#"{"version":"0.1.0","id":"550e8400-e29b-41d4-a716-446655440000","timestamp":"2026-01-25T10:00:00Z","files":[]}"#;
        let jj = line(COMMIT, "[]").replace(r#""type":"git""#, r#""type":"jj""#);
        let text = [line(OTHER, &ai_file("a", &[(1, 1)])), no_vcs.into(), jj].join("\n");
        assert!(read_commit(&text).unwrap().is_none());
        assert!(read_commit("").unwrap().is_none());
        // A root commit: only the commit itself.
        let on_parent = line(PARENT, &ai_file("a", &[(1, 1)]));
        assert!(read(&on_parent, "t", None).unwrap().is_none());
    }

    #[test]
    fn a_range_contributor_overrides_the_conversation_and_none_is_unknown() {
        let files = r#"[{"path":"f","conversations":[
            {"contributor":{"type":"ai","model_id":"openai/gpt-4o"},"ranges":[
                {"start_line":1,"end_line":2},
                {"start_line":3,"end_line":3,"contributor":{"type":"human"}},
                {"start_line":4,"end_line":4,"contributor":{"type":"mixed","model_id":"google/gemini-2.5-pro"}},
                {"start_line":5,"end_line":5,"content_hash":"murmur3:9f2e8a1b"}]},
            {"ranges":[{"start_line":6,"end_line":6}]},
            {"contributor":{"type":"human","model_id":"a/typist"},"ranges":[{"start_line":7,"end_line":7}]}]}]"#
            .replace('\n', "");
        let text = line(COMMIT, &files).replace(
            r#""files""#,
            r#""tool":{"name":"cursor","version":"2.4.0"},"metadata":{"dev.cursor":{"x":1}},"files""#,
        );
        let record = read_commit(&text).unwrap().unwrap();
        let spans = record.files[0].spans.as_ref().unwrap();
        let got: Vec<(u32, Contributor, Option<&str>, Option<&str>)> = spans
            .iter()
            .map(|s| {
                (
                    s.start,
                    s.contributor,
                    s.model.as_deref(),
                    s.content_hash.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (1, Contributor::Ai, Some("openai/gpt-4o"), None),
                (3, Contributor::Human, None, None),
                (4, Contributor::Mixed, Some("google/gemini-2.5-pro"), None),
                (
                    5,
                    Contributor::Ai,
                    Some("openai/gpt-4o"),
                    Some("murmur3:9f2e8a1b")
                ),
                (6, Contributor::Unknown, None, None),
                (7, Contributor::Human, Some("a/typist"), None),
            ]
        );
        assert_eq!(spans[0].end, 2);
        // A person's "model" is no model of the change.
        assert_eq!(
            record.models,
            BTreeSet::from(["google/gemini-2.5-pro".into(), "openai/gpt-4o".into()])
        );
        assert_eq!(
            record.tools,
            vec![Tool {
                name: "cursor".into(),
                version: Some("2.4.0".into())
            }]
        );
    }

    #[test]
    fn tools_are_named_once_and_a_tool_without_a_name_is_none() {
        let with = |tool: &str| {
            line(COMMIT, "[]").replace(r#""files""#, &format!(r#""tool":{tool},"files""#))
        };
        let text = [
            with(r#"{"name":"claude-code"}"#),
            with(r#"{"version":"1"}"#),
            with(r#"{"name":"claude-code"}"#),
            with(r#"{"name":"claude-code","version":"2.1"}"#),
        ]
        .join("\n");
        let record = read_commit(&text).unwrap().unwrap();
        let tools: Vec<(&str, Option<&str>)> = record
            .tools
            .iter()
            .map(|t| (t.name.as_str(), t.version.as_deref()))
            .collect();
        assert_eq!(
            tools,
            vec![("claude-code", None), ("claude-code", Some("2.1"))]
        );
        assert!(record.files.is_empty());
    }

    /// The error `text` gives, as a user reads it.
    fn error_of(text: &str) -> String {
        read_commit(text).expect_err("an error").to_string()
    }

    #[test]
    fn a_bad_line_is_named_with_what_is_wrong() {
        let good = line(OTHER, "[]");
        let cases = [
            ("{\"version\":", "not JSON: EOF while parsing a value (column 11)"),
            ("[1, 2]", "not an Agent Trace record: invalid type: sequence, expected struct TraceRecord"),
            (
                &line(COMMIT, r#"[{"path":"f","conversations":[{"ranges":[{"start_line":1}]}]}]"#),
                "not an Agent Trace record: files[0].conversations[0].ranges[0]: missing field `end_line` (column 238)",
            ),
            (
                &line(COMMIT, r#"[{"path":"f","conversations":[{"contributor":{"type":"robot"},"ranges":[]}]}]"#),
                "not an Agent Trace record: files[0].conversations[0].contributor.type: unknown variant `robot`, expected one of `human`, `ai`, `mixed`, `unknown` (column 241)",
            ),
            (
                &line(COMMIT, r#"[{"path":"f","conversations":[{"ranges":[[1, 3, null, null]]}]}]"#),
                "not an Agent Trace record: files[0].conversations[0].ranges[0]: invalid type: sequence, expected struct Range (column 222)",
            ),
            (
                &line(COMMIT, &ai_file("f", &[(0, 1)])),
                "files[0].conversations[0].ranges[0]: start_line is 0, but lines are counted from 1",
            ),
            (
                &line(COMMIT, &ai_file("f", &[(5, 2)])),
                "files[0].conversations[0].ranges[0]: end_line 2 is before start_line 5",
            ),
            (
                &line(COMMIT, "[]").replace(r#""id":"550e8400-e29b-41d4-a716-446655440000","#, ""),
                "not an Agent Trace record: missing field `id` (column 140)",
            ),
            (
                &line(COMMIT, "[]").replace(r#""type":"git""#, r#""type":"cvs""#),
                "not an Agent Trace record: vcs.type: unknown variant `cvs`, expected one of `git`, `jj`, `hg`, `svn` (column 117)",
            ),
            (
                &line(COMMIT, "[]").replace(r#""files":[]"#, r#""files":[],"metadata":[]"#),
                "not an Agent Trace record: metadata: invalid type: sequence, expected an object (column 195)",
            ),
            (
                &format!("{} x", line(COMMIT, "[]")),
                "not JSON: trailing characters (column 186)",
            ),
        ];
        let mut wrong = Vec::new();
        for (bad, message) in cases {
            // A good line, a blank one, then the bad one: line 3 whichever record it is of.
            let text = format!("{good}\n\n{bad}\n");
            let got = error_of(&text);
            if got != format!(".agent-trace/traces.jsonl, line 3: {message}") {
                wrong.push(format!("{bad}\n  => {got}"));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn a_model_id_over_250_characters_is_refused() {
        let long = "m".repeat(251);
        let files = format!(
            r#"[{{"path":"f","conversations":[{{"ranges":[{{"start_line":1,"end_line":1,"contributor":{{"type":"ai","model_id":"{long}"}}}}]}}]}}]"#
        );
        assert_eq!(
            error_of(&line(OTHER, &files)),
            ".agent-trace/traces.jsonl, line 1: files[0].conversations[0].ranges[0].contributor.model_id is longer than the 250 characters allowed"
        );
    }

    #[test]
    fn paths_are_normalised_and_those_outside_the_repository_refused() {
        let path_of = |p: &str| {
            read_commit(&line(COMMIT, &ai_file(p, &[(1, 1)])))
                .map(|r| r.expect("a record").files[0].path.clone())
                .map_err(|e| e.to_string())
        };
        assert_eq!(path_of("./src//a.rs").unwrap(), "src/a.rs");
        assert_eq!(path_of("src/./x/../a.rs").unwrap(), "src/a.rs");
        assert_eq!(path_of("\"quoted").unwrap(), r#""\"quoted""#);
        let refused = |p: &str, why: &str| {
            assert_eq!(
                path_of(p).unwrap_err(),
                format!(".agent-trace/traces.jsonl, line 1: files[0].path: {why}"),
            )
        };
        refused("/home/u/.bashrc", "\"/home/u/.bashrc\" is absolute, but Agent Trace names files from the top of the repository");
        refused(
            "C:\\x",
            "\"C:\\x\" is absolute, but Agent Trace names files from the top of the repository",
        );
        refused("../x", "\"../x\" leaves the repository");
        refused("a/../../x", "\"a/../../x\" leaves the repository");
        refused("./", "\"./\" names no file");
        refused("a/..", "\"a/..\" names no file");
    }

    #[test]
    fn a_path_outside_the_repository_in_another_commit_s_record_is_not_read() {
        let text = line(OTHER, &ai_file("/tmp/scratch", &[(1, 1)]));
        assert!(read_commit(&text).unwrap().is_none());
    }

    #[test]
    fn the_spans_of_a_commit_are_bounded() {
        let many: Vec<(u32, u32)> = (1..=MAX_SPANS as u32).map(|n| (n, n)).collect();
        let full = line(COMMIT, &ai_file("a", &many));
        let record = read_commit(&full).unwrap().unwrap();
        assert_eq!(record.files[0].spans.as_ref().unwrap().len(), MAX_SPANS);
        // One more file, even without ranges, is over; records of other commits do not count.
        let text = [
            line(OTHER, &ai_file("b", &many)),
            full,
            line(COMMIT, r#"[{"path":"c","conversations":[]}]"#),
        ]
        .join("\n");
        assert_eq!(
            error_of(&text),
            ".agent-trace/traces.jsonl, line 3: the records of this commit give more than 10000 spans (line ranges and files named without one)"
        );
    }

    /// The real example: agent-trace-cli 0.1.3's records of the commits `one` and `two` of a
    /// scratch repository (tests/data/agent-trace/, made by make.sh there).
    const REAL: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/agent-trace/traces.jsonl"
    ));
    const INITIAL: &str = "6fb5cf59ba43586da18e98980b7aed0799eed32b";
    const ONE: &str = "46500fd19b35f6f4406d9987bdc0aba0be7bf77f";

    fn real(parent: Option<&str>) -> Record {
        read(REAL, "traces.jsonl", parent)
            .expect("the real example reads")
            .expect("a record of the commit")
    }

    #[test]
    fn the_real_example_is_read_for_each_commit() {
        let one = real(Some(INITIAL));
        let files: Vec<(&str, Vec<(u32, u32)>)> = one
            .files
            .iter()
            .map(|f| (f.path.as_str(), lines_of(f)))
            .collect();
        // The Write and the edit inside a line (placed on the first "2" of the file, in "u32");
        // the shell command under its pseudo path. Not the edit made for `two` on top of `one`.
        assert_eq!(
            files,
            vec![
                ("src/lib.rs", vec![(1, 3), (1, 1)]),
                ("README.md", vec![(1, 2)]),
                (".shell-history", vec![(1, 1)]),
            ]
        );
        let spans = one.files.iter().flat_map(|f| f.spans.iter().flatten());
        assert!(spans.clone().all(|s| s.contributor == Contributor::Ai
            && s.model.as_deref() == Some("anthropic/claude-sonnet-4-5-20250929")));
        assert_eq!(spans.filter(|s| s.content_hash.is_some()).count(), 3);
        assert_eq!(
            one.models,
            BTreeSet::from(["anthropic/claude-sonnet-4-5-20250929".to_string()])
        );
        assert_eq!(
            one.tools,
            vec![Tool {
                name: "claude-code".into(),
                version: None
            }]
        );
        let two = real(Some(ONE));
        assert_eq!(two.files.len(), 1);
        assert_eq!(lines_of(&two.files[0]), vec![(3, 8)]);
        // The first commit has no parent: no record describes it, though the work on top of
        // it (for `one`) names it as its revision.
        assert!(read(REAL, "traces.jsonl", None).expect("reads").is_none());
    }

    #[test]
    fn the_real_example_maps_onto_the_commits_lines() {
        use super::super::map_onto;
        let mapped = |record: &Record, path: &str, added: &[u32], lines: u32| {
            let file = record.files.iter().find(|f| f.path == path).expect(path);
            let m = map_onto(file, added, lines);
            (m.ai_lines, m.stale)
        };
        let one = real(Some(INITIAL));
        // `hello` made `hello\nworld`: the edit's range holds the line it kept and the one added.
        assert_eq!(mapped(&one, "README.md", &[2], 2), (vec![2], vec![]));
        // The Write, and the edit inside its second line: all three lines are AI's.
        assert_eq!(
            mapped(&one, "src/lib.rs", &[1, 2, 3], 3),
            (vec![1, 2, 3], vec![])
        );
        // The text inserted for `two` ends with a newline, so its range reaches line 8 of 7.
        let two = real(Some(ONE));
        assert_eq!(
            mapped(&two, "src/lib.rs", &[4, 5, 6, 7], 7),
            (vec![4, 5, 6, 7], vec![(8, 8)])
        );
    }

    #[test]
    fn a_file_over_the_size_limit_is_refused() {
        let text = " ".repeat(MAX_TRACE_BYTES + 1);
        assert_eq!(
            error_of(&text),
            ".agent-trace/traces.jsonl: over the limit of 67108864 bytes for Agent Trace records"
        );
    }
}
