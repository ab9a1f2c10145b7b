//! git-ai's authorship notes (`refs/notes/ai`), read as a [`Record`].
//!
//! A note is the Git AI Standard v3.0.0's authorship log (`schema_version` `authorship/3.0.0`):
//! file paths, each followed by entries indented by two spaces, `KEY RANGES`, then a `---` line
//! and a JSON object. The key's prefix says who wrote the lines: `s_SESSION::t_TRACE` an AI
//! session (`sessions`), `h_HASH` a known human (`humans`), anything else a legacy AI prompt
//! (`prompts`); the JSON names each session's and prompt's agent (`agent_id`: `tool`, `id`,
//! `model`). Line numbers are the file's at the commit the note is on. `docs/formats.md` says
//! what aiprov takes of it and why.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Deserialize;

use super::{Contributor, FileRecord, Record, RecordError, Source, Span};
use crate::model::Tool;

/// The largest note read: git-ai's notes once carried the whole conversation (`messages`,
/// dropped in 1.3.4); the largest of the 10,685 notes in git-ai's own repository is 3.2 MB.
pub const MAX_NOTE_BYTES: usize = 16 << 20;

/// The most line ranges read in one note (a span each): the most in one of git-ai's own notes
/// is 4,261.
pub const MAX_RANGES: usize = 100_000;

/// Reads one authorship note; `origin` names it in errors (`refs/notes/ai on abc1234`).
///
/// One [`FileRecord`] per path, with a [`Span`] per range as written: AI's for a session or
/// legacy prompt key (with the agent's model), a person's for an `h_` key. A key whose session
/// or prompt the JSON lacks stays AI's, without a model, as git-ai's own `stats` counts it
/// (git-ai writes such notes: 505 of its own 10,685). Models and tools are those of the
/// entries; git-ai records no tool version.
pub fn read(note: &str, origin: &str) -> Result<Record, RecordError> {
    let fail = |line: Option<usize>, message: String| RecordError {
        origin: origin.to_string(),
        line,
        message,
    };
    if note.len() > MAX_NOTE_BYTES {
        return Err(fail(
            None,
            format!(
                "the note has {} bytes, over the limit of {MAX_NOTE_BYTES}",
                note.len()
            ),
        ));
    }
    let (attestations, divider, json) = split(note).ok_or_else(|| {
        fail(
            None,
            "no `---` line after the file entries: not a git-ai authorship note".into(),
        )
    })?;
    let metadata = metadata(json).map_err(|(line, m)| fail(line.map(|l| divider + l), m))?;
    let mut files = Files::new(&metadata);
    for (i, line) in attestations.lines().enumerate() {
        files.line(line).map_err(|m| fail(Some(i + 1), m))?;
    }
    Ok(files.into_record(origin))
}

/// The attestation section, the divider's line number (1-based) and the JSON after it. The
/// first line that is exactly `---` divides, as git-ai's parser takes it (line ends `\n` or
/// `\r\n`).
fn split(note: &str) -> Option<(&str, usize, &str)> {
    let mut offset = 0;
    for (i, line) in note.split_inclusive('\n').enumerate() {
        let bare = line.strip_suffix('\n').unwrap_or(line);
        if bare.strip_suffix('\r').unwrap_or(bare) == "---" {
            return Some((&note[..offset], i + 1, &note[offset + line.len()..]));
        }
        offset += line.len();
    }
    None
}

/// The JSON metadata, as far as aiprov reads it. Required are the fields git-ai's own parser
/// requires; others (`human_author`, counts, `messages`, `custom_attributes`) are ignored.
#[derive(Deserialize)]
struct Metadata {
    #[serde(rename = "base_commit_sha")]
    _base_commit_sha: String,
    prompts: BTreeMap<String, Agent>,
    #[serde(default)]
    sessions: BTreeMap<String, Agent>,
    /// Read for its form only: an `h_` key is a person's whether or not it names them.
    #[serde(default, rename = "humans")]
    _humans: BTreeMap<String, Human>,
}

/// A session or a legacy prompt: who wrote its lines.
#[derive(Deserialize)]
struct Agent {
    agent_id: AgentId,
}

#[derive(Deserialize)]
struct AgentId {
    tool: String,
    #[serde(rename = "id")]
    _id: String,
    model: String,
}

#[derive(Deserialize)]
struct Human {
    #[serde(rename = "author")]
    _author: String,
}

/// Only the version, read first: a note of another major version need not fit [`Metadata`].
#[derive(Deserialize)]
struct Version {
    schema_version: Option<serde_json::Value>,
}

/// Reads the JSON; an error's line is counted from the divider.
fn metadata(json: &str) -> Result<Metadata, (Option<usize>, String)> {
    let located = |e: serde_json::Error| {
        let message = e.to_string();
        // serde_json appends the place; the line is said by the error's own field.
        let message = match message.rsplit_once(" at line ") {
            Some((m, _)) => m.to_string(),
            None => message,
        };
        (
            (e.line() > 0).then_some(e.line()),
            format!("JSON metadata: {message}"),
        )
    };
    crate::json::check_unique_keys(json.as_bytes()).map_err(located)?;
    // serde would also take a struct from an array, by position.
    if !json.trim_start().starts_with('{') {
        return Err((None, "the JSON metadata is not an object".into()));
    }
    let version: Version = serde_json::from_str(json).map_err(located)?;
    match version.schema_version {
        Some(serde_json::Value::String(v)) if is_v3(&v) => {}
        Some(v) => {
            return Err((
                None,
                format!(
                    "schema_version {} is not one aiprov reads (git-ai's authorship/3.x.y)",
                    cut(&v.to_string())
                ),
            ));
        }
        None => {
            return Err((
                None,
                "the JSON metadata has no schema_version: not a git-ai authorship note".into(),
            ));
        }
    }
    serde_json::from_str(json).map_err(located)
}

/// `authorship/3.MINOR.PATCH`: git-ai writes `3.0.0`, and its sessions and known humans came
/// without a new version, so a later 3.x is taken to add only what aiprov may ignore.
fn is_v3(version: &str) -> bool {
    let Some(rest) = version.strip_prefix("authorship/3.") else {
        return false;
    };
    let mut parts = rest.split('.');
    let number =
        |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    number(parts.next()) && number(parts.next()) && parts.next().is_none()
}

/// The attestation section read line by line into file records.
struct Files<'m> {
    metadata: &'m Metadata,
    files: Vec<FileRecord>,
    index: HashMap<String, usize>,
    /// The path line last read, and its file once an entry names lines of it.
    current: Option<(String, Option<usize>)>,
    models: BTreeSet<String>,
    tools: BTreeSet<&'m str>,
    ranges: usize,
}

impl<'m> Files<'m> {
    fn new(metadata: &'m Metadata) -> Self {
        Files {
            metadata,
            files: Vec::new(),
            index: HashMap::new(),
            current: None,
            models: BTreeSet::new(),
            tools: BTreeSet::new(),
            ranges: 0,
        }
    }

    fn line(&mut self, line: &str) -> Result<(), String> {
        // git-ai's parser drops trailing whitespace; a path ending in a space is quoted.
        let line = line.trim_end();
        if line.is_empty() {
            return Ok(());
        }
        if let Some(entry) = line.strip_prefix("  ") {
            return self.entry(entry);
        }
        if line.starts_with(char::is_whitespace) {
            return Err(format!(
                "{} is neither a file path (at the start of the line) nor an entry \
                 (indented by two spaces)",
                quoted(line)
            ));
        }
        self.current = Some((unquote(line).to_string(), None));
        Ok(())
    }

    /// `KEY RANGES` under the current path.
    fn entry(&mut self, entry: &str) -> Result<(), String> {
        let Some((key, ranges)) = entry.split_once(' ').filter(|(k, _)| !k.is_empty()) else {
            return Err(format!(
                "entry {} is not a key, one space and line ranges (`s_…::t_… 1-10,15`)",
                quoted(entry)
            ));
        };
        let Some((path, file)) = &mut self.current else {
            return Err(format!(
                "entry {} comes before any file path",
                quoted(entry)
            ));
        };
        let (contributor, agent) = resolve(self.metadata, key);
        let model = agent.and_then(|a| known_model(&a.model));
        if let Some(a) = agent.filter(|a| !a.tool.is_empty()) {
            self.tools.insert(&a.tool);
        }
        if let Some(m) = &model {
            self.models.insert(m.clone());
        }
        let idx = *file.get_or_insert_with(|| {
            *self.index.entry(path.clone()).or_insert_with(|| {
                self.files.push(FileRecord {
                    path: crate::text::path_name(path.as_bytes()),
                    spans: Some(Vec::new()),
                });
                self.files.len() - 1
            })
        });
        let spans = self.files[idx].spans.get_or_insert_with(Vec::new);
        for part in ranges.split(',') {
            if self.ranges == MAX_RANGES {
                return Err(format!("more than {MAX_RANGES} line ranges in one note"));
            }
            self.ranges += 1;
            let (start, end) = range(part)?;
            spans.push(Span {
                start,
                end,
                contributor,
                model: model.clone(),
                content_hash: None,
            });
        }
        Ok(())
    }

    fn into_record(self, origin: &str) -> Record {
        Record {
            source: Source::GitAi,
            origin: origin.to_string(),
            files: self.files,
            whole_change: false,
            models: self.models,
            tools: self
                .tools
                .into_iter()
                .map(|name| Tool {
                    name: name.to_string(),
                    version: None,
                })
                .collect(),
        }
    }
}

/// Who a key says wrote its lines, by its prefix (the standard's routing), and the agent the
/// JSON names for it, if it does.
fn resolve<'m>(metadata: &'m Metadata, key: &str) -> (Contributor, Option<&'m AgentId>) {
    if key.starts_with("h_") {
        return (Contributor::Human, None);
    }
    let agent = match key.strip_prefix("s_") {
        Some(_) => {
            let session = key.split_once("::").map_or(key, |(s, _)| s);
            metadata.sessions.get(session)
        }
        None => metadata.prompts.get(key),
    };
    (Contributor::Ai, agent.map(|a| &a.agent_id))
}

/// A model git-ai names: its `unknown` (and an empty name) says none.
fn known_model(model: &str) -> Option<String> {
    (!model.is_empty() && !model.eq_ignore_ascii_case("unknown")).then(|| model.to_string())
}

/// A path line: quoted when the path holds a space, tab or newline, with nothing escaped (the
/// standard asks paths not to hold `"`), so the quotes are taken off as git-ai's parser does.
fn unquote(line: &str) -> &str {
    match line.strip_prefix('"').and_then(|l| l.strip_suffix('"')) {
        Some(inner) => inner,
        None => line,
    }
}

/// Text of the note quoted for a message, control characters escaped, a long one cut.
fn quoted(text: &str) -> String {
    cut(&format!("{text:?}"))
}

/// At most 80 characters of `text`, for a message: a hostile note's line can be megabytes.
fn cut(text: &str) -> String {
    match text.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

/// `N` or `N-M`: 1-based, inclusive, M not before N.
fn range(part: &str) -> Result<(u32, u32), String> {
    let bad = |why: &str| format!("line range {}: {why}", quoted(part));
    let number = |s: &str| {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(
                "a line number is digits (ranges are `N` or `N-M`, comma-separated, no spaces)",
            ));
        }
        match s.parse::<u32>() {
            Ok(0) => Err(bad("lines are numbered from 1")),
            Ok(n) => Ok(n),
            Err(_) => Err(bad("line number too large")),
        }
    };
    let (start, end) = match part.split_once('-') {
        Some((a, b)) => (number(a)?, number(b)?),
        None => {
            let n = number(part)?;
            (n, n)
        }
    };
    if end < start {
        return Err(bad("it ends before it starts"));
    }
    Ok((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: &str = "refs/notes/ai on abc1234";

    /// A note of `attestations` over JSON naming one session, one legacy prompt and one human.
    fn note(attestations: &str) -> String {
        format!("{attestations}---\n{}", json("authorship/3.0.0"))
    }

    fn json(version: &str) -> String {
        format!(
            r#"{{
  "schema_version": "{version}",
  "git_ai_version": "1.6.24",
  "base_commit_sha": "55a1d728fb968fff90c5050470d6bd5d629967c6",
  "prompts": {{
    "c9883b05a2487d6d": {{
      "agent_id": {{"tool": "cursor", "id": "conv-1", "model": "gpt-4"}},
      "human_author": "Ada <ada@example.com>",
      "messages": [{{"type": "user", "text": "hello"}}],
      "total_additions": 3, "total_deletions": 0, "accepted_lines": 3, "overriden_lines": 1
    }}
  }},
  "humans": {{"h_31dce776f88375": {{"author": "Ada <ada@example.com>"}}}},
  "sessions": {{
    "s_11c3e1cdda522c": {{
      "agent_id": {{"tool": "claude", "id": "c3235b29", "model": "claude-opus-4-6"}},
      "human_author": "Ada <ada@example.com>"
    }}
  }}
}}"#
        )
    }

    fn spans(record: &Record, path: &str) -> Vec<(u32, u32, Contributor, Option<String>)> {
        let file = record.files.iter().find(|f| f.path == path).expect(path);
        let spans = file.spans.as_ref().expect("spans");
        spans
            .iter()
            .map(|s| (s.start, s.end, s.contributor, s.model.clone()))
            .collect()
    }

    fn ai(start: u32, end: u32, model: &str) -> (u32, u32, Contributor, Option<String>) {
        (start, end, Contributor::Ai, Some(model.to_string()))
    }

    fn error(note: &str) -> String {
        read(note, ORIGIN).expect_err("refused").to_string()
    }

    #[test]
    fn the_example_note_maps_sessions_prompts_and_humans() {
        let note = include_str!("../../tests/data/git-ai/authorship-3.0.0.txt");
        let record = read(note, ORIGIN).expect("the example reads");
        assert_eq!(record.source, Source::GitAi);
        assert_eq!(record.origin, ORIGIN);
        assert!(!record.whole_change);
        let paths: Vec<&str> = record.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            ["src/main.rs", "docs/getting started.md", "src/lib.rs"]
        );
        let claude = "claude-sonnet-4-5-20250929";
        assert_eq!(
            spans(&record, "src/main.rs"),
            [
                ai(1, 10, claude),
                ai(15, 20, claude),
                ai(25, 25, claude),
                ai(30, 35, claude),
                (42, 50, Contributor::Human, None),
            ]
        );
        assert_eq!(
            spans(&record, "docs/getting started.md"),
            [ai(3, 8, "gpt-5-codex"), ai(12, 12, "gpt-5-codex")]
        );
        assert_eq!(spans(&record, "src/lib.rs"), [ai(1, 50, "gpt-4")]);
        let models: Vec<&str> = record.models.iter().map(String::as_str).collect();
        assert_eq!(models, [claude, "gpt-4", "gpt-5-codex"]);
        let tools: Vec<(&str, Option<&str>)> = record
            .tools
            .iter()
            .map(|t| (t.name.as_str(), t.version.as_deref()))
            .collect();
        assert_eq!(tools, [("claude", None), ("codex", None), ("cursor", None)]);
    }

    #[test]
    fn the_malformed_example_is_refused_at_its_line() {
        let note = include_str!("../../tests/data/git-ai/malformed-range.txt");
        assert_eq!(
            error(note),
            "refs/notes/ai on abc1234, line 3: line range \"35-30\": it ends before it starts"
        );
    }

    #[test]
    fn legacy_prompt_keys_of_any_length_and_sessions_share_a_file() {
        // Keys of 7 characters come from git-ai before 1.0; its notes still carry them.
        let record = read(
            &note("a.rs\n  c9883b05a2487d6d 1-3\n  s_11c3e1cdda522c::t_9f8e7d6c5b4a32 7\n  abc1234 9\n"),
            ORIGIN,
        )
        .expect("reads");
        assert_eq!(
            spans(&record, "a.rs"),
            [
                ai(1, 3, "gpt-4"),
                ai(7, 7, "claude-opus-4-6"),
                (9, 9, Contributor::Ai, None),
            ]
        );
    }

    #[test]
    fn a_key_the_json_does_not_name_stays_ai_without_a_model() {
        // git-ai's own notes have such keys (505 of 10,685), and its stats count them as AI.
        let record = read(
            &note("a.rs\n  s_ffffffffffffff::t_00000000000000 1-2\n  0123456789abcdef 4\n  h_ffffffffffffff 6\n"),
            ORIGIN,
        )
        .expect("reads");
        assert_eq!(
            spans(&record, "a.rs"),
            [
                (1, 2, Contributor::Ai, None),
                (4, 4, Contributor::Ai, None),
                (6, 6, Contributor::Human, None),
            ]
        );
        assert!(record.models.is_empty());
        assert!(record.tools.is_empty());
    }

    #[test]
    fn only_the_agents_of_entries_give_models_and_tools() {
        let record = read(&note("a.rs\n  h_31dce776f88375 1\n"), ORIGIN).expect("reads");
        assert_eq!(spans(&record, "a.rs"), [(1, 1, Contributor::Human, None)]);
        assert!(record.models.is_empty() && record.tools.is_empty());
        let empty = read(&note(""), ORIGIN).expect("a note without entries reads");
        assert!(empty.files.is_empty());
    }

    #[test]
    fn an_unknown_model_is_no_model() {
        let n = note("a.rs\n  s_11c3e1cdda522c::t_1 1\n").replace("claude-opus-4-6", "unknown");
        let record = read(&n, ORIGIN).expect("reads");
        assert_eq!(spans(&record, "a.rs"), [(1, 1, Contributor::Ai, None)]);
        assert!(record.models.is_empty());
        assert_eq!(record.tools.len(), 1);
    }

    #[test]
    fn paths_with_whitespace_are_quoted_without_escapes() {
        let record = read(
            &note(concat!(
                "\"my file.rs\"\n  abc1234 1\n",
                "\"tab\there.rs\"\n  abc1234 2\n",
                // Unquoted: no whitespace, so git-ai writes the quote as it is.
                "\"half.rs\n  abc1234 3\n",
                "\"\n  abc1234 4\n",
                "dir/caf\u{e9}.rs\n  abc1234 5\n",
            )),
            ORIGIN,
        )
        .expect("reads");
        let paths: Vec<&str> = record.files.iter().map(|f| f.path.as_str()).collect();
        // aiprov names a path starting with `"` by git's C-quoting (text::path_name).
        assert_eq!(
            paths,
            [
                "my file.rs",
                "tab\there.rs",
                r#""\"half.rs""#,
                r#""\"""#,
                "dir/caf\u{e9}.rs"
            ]
        );
    }

    #[test]
    fn ranges_are_read_as_written_unsorted_and_overlapping_too() {
        // git-ai's own notes have both, though the standard asks for sorted ranges.
        let record =
            read(&note("a.rs\n  abc1234 820-853,820-843,846,2,2\n"), ORIGIN).expect("reads");
        let got: Vec<(u32, u32)> = spans(&record, "a.rs").iter().map(|s| (s.0, s.1)).collect();
        assert_eq!(got, [(820, 853), (820, 843), (846, 846), (2, 2), (2, 2)]);
    }

    #[test]
    fn a_path_named_twice_is_one_file_and_a_path_without_entries_none() {
        let record = read(
            &note("a.rs\n  abc1234 1\nempty.rs\nb.rs\n  abc1234 2\na.rs\n  h_31dce776f88375 3\n"),
            ORIGIN,
        )
        .expect("reads");
        let paths: Vec<&str> = record.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["a.rs", "b.rs"]);
        assert_eq!(
            spans(&record, "a.rs"),
            [
                (1, 1, Contributor::Ai, None),
                (3, 3, Contributor::Human, None)
            ]
        );
    }

    #[test]
    fn crlf_line_ends_and_trailing_blanks_read_as_git_ai_reads_them() {
        let n = note("a.rs  \n  abc1234 1-2  \n\n").replace('\n', "\r\n");
        let record = read(&n, ORIGIN).expect("reads");
        assert_eq!(spans(&record, "a.rs"), [(1, 2, Contributor::Ai, None)]);
    }

    #[test]
    fn malformed_ranges_are_refused_with_their_line() {
        let digits =
            "a line number is digits (ranges are `N` or `N-M`, comma-separated, no spaces)";
        for (ranges, why) in [
            ("0", "lines are numbered from 1"),
            ("3-0", "lines are numbered from 1"),
            ("9-3", "it ends before it starts"),
            ("1-", digits),
            ("-3", digits),
            ("x", digits),
            ("", digits),
            (" 2", digits),
            ("+5", digits),
            ("1-2-3", digits),
            ("4294967296", "line number too large"),
        ] {
            let n = note(&format!("a.rs\n  abc1234 1,{ranges},7\n"));
            let want = format!("{ORIGIN}, line 2: line range {ranges:?}: {why}");
            assert_eq!(error(&n), want, "{ranges:?}");
        }
        let largest = read(&note("a.rs\n  abc1234 4294967295\n"), ORIGIN).expect("reads");
        assert_eq!(spans(&largest, "a.rs")[0].1, u32::MAX);
    }

    #[test]
    fn malformed_lines_are_refused_with_their_line() {
        assert_eq!(
            error(&note("  abc1234 1\n")),
            format!("{ORIGIN}, line 1: entry \"abc1234 1\" comes before any file path")
        );
        assert_eq!(
            error(&note("a.rs\n  abc1234\n")),
            format!(
                "{ORIGIN}, line 2: entry \"abc1234\" is not a key, one space and line ranges \
                 (`s_…::t_… 1-10,15`)"
            )
        );
        assert!(error(&note("a.rs\n   abc1234 1\n"))
            .starts_with(&format!("{ORIGIN}, line 2: entry \" abc1234 1\"")));
        assert_eq!(
            error(&note("a.rs\n abc1234 1\n")),
            format!(
                "{ORIGIN}, line 2: \" abc1234 1\" is neither a file path (at the start of the \
                 line) nor an entry (indented by two spaces)"
            )
        );
        assert_eq!(
            error("a.rs\n  abc1234 1\n"),
            format!("{ORIGIN}: no `---` line after the file entries: not a git-ai authorship note")
        );
    }

    #[test]
    fn a_long_line_is_cut_in_its_message() {
        let e = error(&note(&format!("a.rs\n  abc1234 {}\n", "9".repeat(1 << 20))));
        assert!(e.len() < 200, "{e}");
        assert!(e.ends_with("…: line number too large"), "{e}");
    }

    #[test]
    fn other_schema_versions_are_refused() {
        for (version, reads) in [
            ("authorship/3.0.0", true),
            ("authorship/3.1.0", true),
            ("authorship/4.0.0", false),
            ("authorship/0.0.1", false),
            ("authorship/3.0", false),
            ("authorship/3.0.0-beta", false),
        ] {
            let n = format!("a.rs\n  abc1234 1\n---\n{}", json(version));
            match read(&n, ORIGIN) {
                Ok(_) => assert!(reads, "{version}"),
                Err(e) => {
                    assert!(!reads, "{version}: {e}");
                    assert_eq!(
                        e.to_string(),
                        format!(
                            "{ORIGIN}: schema_version \"{version}\" is not one aiprov reads \
                             (git-ai's authorship/3.x.y)"
                        )
                    );
                }
            }
        }
        assert_eq!(
            error("---\n{\"prompts\": {}}"),
            format!(
                "{ORIGIN}: the JSON metadata has no schema_version: not a git-ai authorship note"
            )
        );
    }

    #[test]
    fn bad_json_is_refused_at_its_line_in_the_note() {
        // The JSON starts on line 3; its line 4 is the note's line 6.
        let broken = note("a.rs\n  abc1234 1\n").replace(
            "\"git_ai_version\": \"1.6.24\",",
            "\"git_ai_version\" \"1.6.24\",",
        );
        assert_eq!(
            error(&broken),
            format!("{ORIGIN}, line 6: JSON metadata: expected `:`")
        );
        let no_model = note("a.rs\n  abc1234 1\n").replace(", \"model\": \"gpt-4\"", "");
        let e = read(&no_model, ORIGIN).expect_err("refused");
        assert!(e.message.contains("missing field `model`"), "{e}");
        assert!(e.line.is_some_and(|l| l > 3), "{e}");
        let twice = note("a.rs\n  abc1234 1\n").replace(
            "\"git_ai_version\": \"1.6.24\",",
            "\"git_ai_version\": \"1.6.24\", \"prompts\": {},",
        );
        assert!(error(&twice).contains("duplicate key \"prompts\""));
        assert!(error("a.rs\n  abc1234 1\n---\n").contains("JSON metadata: EOF"));
        assert_eq!(
            error("---\n[\"authorship/3.0.0\"]"),
            format!("{ORIGIN}: the JSON metadata is not an object")
        );
        let no_prompts =
            "---\n{\"schema_version\": \"authorship/3.0.0\", \"base_commit_sha\": \"\"}";
        assert!(error(no_prompts).contains("missing field `prompts`"));
    }

    #[test]
    fn a_note_over_its_limits_is_refused_cheaply() {
        let big = format!(
            "a.rs\n  abc1234 {}1\n---\n{{}}",
            "1,".repeat(MAX_NOTE_BYTES / 2)
        );
        assert_eq!(
            error(&big),
            format!(
                "{ORIGIN}: the note has {} bytes, over the limit of {MAX_NOTE_BYTES}",
                big.len()
            )
        );
        let at_limit = format!("a.rs\n  abc1234 {}1\n", "1,".repeat(MAX_RANGES - 1));
        assert!(read(&note(&at_limit), ORIGIN).is_ok());
        let over = format!(
            "a.rs\n  abc1234 1\nb.rs\n  abc1234 {}1\n",
            "1,".repeat(MAX_RANGES - 1)
        );
        assert_eq!(
            error(&note(&over)),
            format!("{ORIGIN}, line 4: more than {MAX_RANGES} line ranges in one note")
        );
    }
}
