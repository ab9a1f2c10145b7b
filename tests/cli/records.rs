//! `aiprov attest --from`: declarations made from the AI tools' own records (Agent Trace,
//! git-ai's notes, the agent trailers of the message), checked against the diff, as a
//! contributor runs it.

use crate::common;

use base64::Engine;
use common::{lines, Fixture};
use serde_json::Value;

const SOB: &str = "Signed-off-by: Alice Author <alice@example.org>";

/// A repository trusting alice's key, with a first commit; returns the fixture and the key.
fn setup() -> (Fixture, std::path::PathBuf) {
    let f = Fixture::new();
    let key = f.keygen("alice");
    f.init_trusting("alice@example.org", &key);
    f.write("hw/dev.c", lines("int dev", 10));
    f.write("tests/test-dev.c", lines("int test", 3));
    f.commit_all(&format!("Base\n\n{SOB}"));
    (f, key)
}

/// The predicate of the attestation on `rev`.
fn predicate(f: &Fixture, rev: &str) -> Value {
    let note = f.git(&["notes", "--ref=aiprov", "show", rev]);
    let envelope: Value = serde_json::from_str(note.lines().next().expect("a line")).expect("json");
    let payload = base64::engine::general_purpose::STANDARD
        .decode(envelope["payload"].as_str().expect("payload"))
        .expect("base64");
    let statement: Value = serde_json::from_slice(&payload).expect("statement");
    common::assert_schema_valid("ai-usage-statement.schema.json", &statement);
    statement["predicate"].clone()
}

/// Each file's path, categories, AI lines and source, as `path categories ai-lines source`.
fn files(predicate: &Value) -> Vec<String> {
    predicate["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| {
            let categories = match &f["ai"] {
                Value::Null => "-".to_string(),
                ai => ai["categories"]
                    .as_array()
                    .expect("categories")
                    .iter()
                    .map(|c| c.as_str().expect("category"))
                    .collect::<Vec<_>>()
                    .join(","),
            };
            format!(
                "{} {categories} {} {}",
                f["path"].as_str().expect("path"),
                f["lines"]["addedByAi"],
                f["source"].as_str().unwrap_or("(none)")
            )
        })
        .collect()
}

fn attest(f: &Fixture, key: &std::path::Path, args: &[&str]) -> std::process::Output {
    f.aiprov()
        .args(["attest", "-y", "--key"])
        .arg(key)
        .args(args)
        .output()
        .expect("run aiprov")
}

#[test]
fn agent_trailers_declare_each_file_by_its_class_and_the_fixed_trailer_verifies() {
    let (f, key) = setup();
    let mut code = lines("int dev", 10);
    code.push_str("/* Explains dev. */\n");
    f.write("hw/dev.c", &code);
    f.write("hw/new.c", "int fresh;\nint fresher;\n");
    f.write("tests/test-dev.c", lines("int test", 4));
    f.commit_all(&format!(
        "Add new\n\nAssisted-by: Claude:claude-opus-4-5 coccinelle\nCo-authored-by: Claude <noreply@anthropic.com>\n{SOB}"
    ));
    // Without --fix-trailer, attest says what verify will report of the missing trailer.
    let out = attest(&f, &key, &["--from", "trailers", "--stdout"]);
    assert!(out.status.success(), "{}", f.render(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("verify will report trailer.missing: AI use is attested (code, tests, docs)")
            && err.contains("--fix-trailer"),
        "{err}"
    );
    let out = attest(&f, &key, &["--from", "trailers", "--fix-trailer"]);
    assert!(out.status.success(), "{}", f.render(&out));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("verify will report"));
    let message = f.git(&["log", "-1", "--format=%B"]);
    assert!(
        message.contains("AI-used-for: code, tests, docs\nSigned-off-by:"),
        "{message}"
    );
    let p = predicate(&f, "HEAD");
    // The comment added to code is AI documentation; the new code file is code.
    assert_eq!(
        files(&p),
        [
            "hw/dev.c docs 1 trailers",
            "hw/new.c code 2 trailers",
            "tests/test-dev.c tests 1 trailers"
        ]
    );
    let tools: Vec<&str> = p["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .map(|t| t["name"].as_str().expect("name"))
        .collect();
    assert_eq!(tools, ["Claude", "coccinelle"]);
    assert_eq!(p["models"], serde_json::json!(["claude-opus-4-5"]));
    f.aiprov()
        .args(["verify", "HEAD~1..HEAD"])
        .assert()
        .success();
    // show says where each declaration came from.
    let shown = f.aiprov().args(["show", "HEAD"]).output().expect("show");
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(
        shown.contains("hw/new.c  AI: code  (from trailers)"),
        "{shown}"
    );
    assert!(
        shown.contains("models:            claude-opus-4-5"),
        "{shown}"
    );
}

#[test]
fn rules_win_over_records_for_the_files_they_match() {
    let (f, key) = setup();
    f.write("hw/dev.c", lines("int dev", 12));
    f.write("tests/test-dev.c", lines("int test", 4));
    f.commit_all(&format!(
        "Change\n\nCo-authored-by: Claude <noreply@anthropic.com>\nAI-used-for: code\n{SOB}"
    ));
    let out = attest(&f, &key, &["--from", "auto", "--human", "tests/**"]);
    assert!(out.status.success(), "{}", f.render(&out));
    assert_eq!(
        files(&predicate(&f, "HEAD")),
        ["hw/dev.c code 2 trailers", "tests/test-dev.c - null rules"]
    );
}

#[test]
fn a_record_that_says_less_than_the_trailer_is_refused_and_nothing_is_written() {
    let (f, key) = setup();
    f.write("tests/test-dev.c", lines("int test", 4));
    f.commit_all(&format!(
        "Test\n\nCo-authored-by: Claude <noreply@anthropic.com>\nAI-used-for: code\n{SOB}"
    ));
    let out = attest(&f, &key, &["--from", "trailers"]);
    assert_eq!(out.status.code(), Some(2), "{}", f.render(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("declare AI use for code but the attestation would declare AI use for tests"),
        "{err}"
    );
    assert!(f.git_cmd_fails(&["rev-parse", "--verify", "-q", "refs/notes/aiprov"]));
}

#[test]
fn a_source_named_that_has_no_record_is_an_error_and_auto_falls_back_to_the_trailer() {
    let (f, key) = setup();
    f.write("hw/dev.c", lines("int dev", 12));
    f.write("tests/test-dev.c", lines("int test", 4));
    f.commit_all(&format!("Change\n\nAI-used-for: tests\n{SOB}"));
    for (source, says) in [
        ("trailers", "has no agent trailer"),
        ("git-ai", "no git-ai note on"),
        (
            "agent-trace",
            "cannot read the Agent Trace records .agent-trace/traces.jsonl",
        ),
    ] {
        let out = attest(&f, &key, &["--from", source]);
        assert_eq!(out.status.code(), Some(2), "{}", f.render(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{source}: {err}");
    }
    assert!(f.git_cmd_fails(&["rev-parse", "--verify", "-q", "refs/notes/aiprov"]));
    let out = attest(&f, &key, &["--from", "auto"]);
    assert!(out.status.success(), "{}", f.render(&out));
    assert_eq!(
        files(&predicate(&f, "HEAD")),
        [
            "hw/dev.c - null unrecorded",
            "tests/test-dev.c tests null ai-used-for"
        ]
    );
    f.aiprov()
        .args(["verify", "HEAD~1..HEAD"])
        .assert()
        .success();
}

#[test]
fn an_unknown_source_is_refused_with_the_list() {
    let (f, key) = setup();
    let out = attest(&f, &key, &["--from", "cursor"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--from cursor: not a source of records")
            && err.contains("auto, agent-trace[=FILE], git-ai and trailers"),
        "{err}"
    );
}

/// Drives agent-trace-cli as Claude Code does: after the agent wrote `path` (whole, with
/// `content`), a PostToolUse event on the standard input of `agent-trace record`. Returns the
/// traces file it keeps (under its own home, not in the repository).
fn agent_wrote(f: &Fixture, path: &str, content: &str) -> std::path::PathBuf {
    let home = f.tmp.path().join("agent-trace");
    let transcript = f.tmp.path().join("transcript.jsonl");
    std::fs::write(
        &transcript,
        r#"{"type":"assistant","message":{"model":"claude-sonnet-4-5-20250929","role":"assistant"}}"#,
    )
    .expect("transcript");
    f.write(path, content);
    let event = serde_json::json!({
        "session_id": "s-1",
        "transcript_path": transcript,
        "cwd": f.repo,
        "hook_event_name": "PostToolUse",
        "tool_name": "Write",
        "tool_input": {"file_path": f.repo.join(path), "content": content},
        "tool_use_id": format!("toolu_{}", path.len()),
    });
    let run = |args: &[&str], stdin: &[u8]| {
        let mut c = std::process::Command::new(common::venv_bin("agent-trace"));
        c.args(args)
            .current_dir(&f.repo)
            .env("HOME", f.home())
            .env("AGENT_TRACE_HOME", &home)
            .env("AGENT_TRACE_TELEMETRY", "0")
            .env("CLAUDE_PROJECT_DIR", &f.repo);
        let mut child = c
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run agent-trace");
        std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), stdin).expect("event");
        let out = child.wait_with_output().expect("agent-trace");
        assert!(out.status.success(), "agent-trace {args:?}: {out:?}");
    };
    run(&["init"], b"");
    run(&["record"], event.to_string().as_bytes());
    let projects = home.join("projects");
    let dir = std::fs::read_dir(&projects)
        .expect("agent-trace's projects")
        .next()
        .expect("a project")
        .expect("an entry");
    dir.path().join("traces.jsonl")
}

#[test]
fn a_commit_written_by_an_agent_is_declared_from_its_agent_trace_and_verifies() {
    let (f, key) = setup();
    // The agent writes a new code file and a test; the person edits the README.
    let traces = agent_wrote(&f, "hw/fresh.c", "int fresh(void)\n{\n    return 1;\n}\n");
    agent_wrote(&f, "tests/test-fresh.c", "int test_fresh;\n");
    f.write("README", "Read me.\n");
    f.git(&["add", "hw/fresh.c", "tests/test-fresh.c", "README"]);
    f.git(&["commit", "-q", "-m", &format!("Add fresh\n\n{SOB}")]);
    let from = format!("agent-trace={}", traces.display());

    // The README is in no record: said, and refused with --strict, nothing written.
    let out = attest(&f, &key, &["--from", &from, "--strict"]);
    assert_eq!(out.status.code(), Some(2), "{}", f.render(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the records and the diff disagree (--strict)")
            && err.contains("README: no record names it"),
        "{err}"
    );
    assert!(f.git_cmd_fails(&["rev-parse", "--verify", "-q", "refs/notes/aiprov"]));

    // Without --strict it is said, and the declaration made as the records say.
    let out = attest(&f, &key, &["--from", &from, "--fix-trailer"]);
    assert!(out.status.success(), "{}", f.render(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("records and diff disagree: README: no record names it"),
        "{err}"
    );
    let p = predicate(&f, "HEAD");
    assert_eq!(
        files(&p),
        [
            "README - null unrecorded",
            "hw/fresh.c code 4 agent-trace",
            "tests/test-fresh.c tests 1 agent-trace"
        ]
    );
    assert_eq!(
        p["models"],
        serde_json::json!(["anthropic/claude-sonnet-4-5-20250929"])
    );
    assert_eq!(p["tools"][0]["name"], "claude-code");
    let message = f.git(&["log", "-1", "--format=%B"]);
    assert!(message.contains("AI-used-for: code, tests\n"), "{message}");
    f.aiprov()
        .args(["verify", "HEAD~1..HEAD"])
        .assert()
        .success();
}

#[test]
fn a_malformed_agent_trace_is_a_clear_error_and_nothing_is_written() {
    let (f, key) = setup();
    let parent = f.git(&["rev-parse", "HEAD"]).trim().to_string();
    f.write("hw/dev.c", lines("int dev", 12));
    f.commit_all(&format!("Change\n\n{SOB}"));
    let good = format!(
        r#"{{"version":"0.1.0","id":"550e8400-e29b-41d4-a716-446655440000","timestamp":"2026-01-25T10:00:00Z","vcs":{{"type":"git","revision":"{parent}"}},"files":[{{"path":"hw/dev.c","conversations":[{{"contributor":{{"type":"ai"}},"ranges":[{{"start_line":11,"end_line":12}}]}}]}}]}}"#
    );
    // The second record's range has no end.
    f.write(
        ".agent-trace/traces.jsonl",
        format!("{good}\n{}\n", good.replace(r#","end_line":12"#, "")),
    );
    let out = attest(&f, &key, &["--from", "auto"]);
    assert_eq!(out.status.code(), Some(2), "{}", f.render(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(".agent-trace/traces.jsonl, line 2")
            && err.contains("missing field `end_line`"),
        "{err}"
    );
    assert!(f.git_cmd_fails(&["rev-parse", "--verify", "-q", "refs/notes/aiprov"]));
    // Put right, the record in the work tree is read by --from auto.
    f.write(".agent-trace/traces.jsonl", format!("{good}\n"));
    let out = attest(&f, &key, &["--from", "auto"]);
    assert!(out.status.success(), "{}", f.render(&out));
    assert_eq!(
        files(&predicate(&f, "HEAD")),
        ["hw/dev.c code 2 agent-trace"]
    );
}

#[test]
fn the_trailers_agents_write_by_default_are_read_and_a_malformed_one_refused() {
    let (f, key) = setup();
    // Claude Code's default commit message ends like this; GitHub's Copilot coding agent signs
    // as copilot-swe-agent[bot] with Copilot's noreply address.
    f.write("hw/dev.c", lines("int dev", 12));
    f.commit_all(&format!(
        "Add two\n\n\u{1f916} Generated with [Claude Code](https://claude.com/claude-code)\n\n\
         Co-Authored-By: Claude <noreply@anthropic.com>\n\
         Co-authored-by: copilot-swe-agent[bot] <198982749+Copilot@users.noreply.github.com>\n\
         {SOB}"
    ));
    let out = attest(&f, &key, &["--from", "trailers", "--fix-trailer"]);
    assert!(out.status.success(), "{}", f.render(&out));
    let p = predicate(&f, "HEAD");
    assert_eq!(files(&p), ["hw/dev.c code 2 trailers"]);
    let tools: Vec<&str> = p["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .map(|t| t["name"].as_str().expect("name"))
        .collect();
    assert_eq!(tools, ["Claude", "copilot-swe-agent[bot]"]);
    f.aiprov()
        .args(["verify", "HEAD~1..HEAD"])
        .assert()
        .success();

    // Under the kernel's policy, an Assisted-by that is not AGENT:MODEL cannot be read: refused
    // with the grammar, nothing written.
    f.write(".aiprov/policy.toml", "version = 1\nprofile = \"kernel\"\n");
    f.commit_all(&format!("Kernel policy\n\n{SOB}"));
    f.write("hw/dev.c", lines("int dev", 13));
    f.commit_all(&format!("Add one\n\nAssisted-by: Claude Opus 4.5\n{SOB}"));
    let before = f.git(&["rev-parse", "refs/notes/aiprov"]);
    let out = attest(&f, &key, &["--from", "trailers"]);
    assert_eq!(out.status.code(), Some(2), "{}", f.render(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot be read") && err.contains("AGENT_NAME:MODEL_VERSION"),
        "{err}"
    );
    assert_eq!(f.git(&["rev-parse", "refs/notes/aiprov"]), before);
}

/// A git-ai authorship note (Git AI Standard v3.0.0, as git-ai 1.4 and later write it) giving
/// `path`'s `lines` to a Claude Code session.
fn git_ai_note(base: &str, path: &str, lines: &str) -> String {
    format!(
        "{path}\n  s_d88105b9b31039::t_4e0c9a7d21b83f {lines}\n---\n{}",
        serde_json::to_string_pretty(&serde_json::json!({
            "schema_version": "authorship/3.0.0",
            "git_ai_version": "1.4.5",
            "base_commit_sha": base,
            "prompts": {},
            "sessions": {"s_d88105b9b31039": {
                "agent_id": {"tool": "claude", "id": "7f3c1a52-9b1e-4d2a-8c55-0e6f2b9d4a10",
                             "model": "claude-sonnet-4-5-20250929"},
                "human_author": "Alice Author <alice@example.org>"
            }}
        }))
        .expect("JSON")
    )
}

#[test]
fn a_commit_with_a_git_ai_note_is_declared_from_it_and_verifies() {
    let (f, key) = setup();
    let mut code = lines("int dev", 10);
    code.push_str("int ai_one;\nint ai_two;\nint mine;\n");
    f.write("hw/dev.c", &code);
    let head = f.commit_all(&format!("Add three\n\n{SOB}"));
    // git-ai gives lines 11 and 12 to the agent; line 13 is the person's.
    f.git(&[
        "notes",
        "--ref=ai",
        "add",
        "-m",
        &git_ai_note(&head, "hw/dev.c", "11-12"),
        "HEAD",
    ]);
    let out = attest(&f, &key, &["--from", "git-ai", "--fix-trailer"]);
    assert!(out.status.success(), "{}", f.render(&out));
    let p = predicate(&f, "HEAD");
    assert_eq!(files(&p), ["hw/dev.c code 2 git-ai"]);
    assert_eq!(
        p["models"],
        serde_json::json!(["claude-sonnet-4-5-20250929"])
    );
    assert_eq!(p["tools"][0]["name"], "claude");
    f.aiprov()
        .args(["verify", "HEAD~1..HEAD"])
        .assert()
        .success();

    // A malformed note (a range that ends before it starts): the note and its line named,
    // nothing written.
    f.write("hw/dev.c", lines("int dev", 14));
    let head = f.commit_all(&format!("Add one\n\n{SOB}"));
    f.git(&[
        "notes",
        "--ref=ai",
        "add",
        "-m",
        &git_ai_note(&head, "hw/dev.c", "14-11"),
        "HEAD",
    ]);
    let before = f.git(&["rev-parse", "refs/notes/aiprov"]);
    let out = attest(&f, &key, &["--from", "auto"]);
    assert_eq!(out.status.code(), Some(2), "{}", f.render(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refs/notes/ai on ") && err.contains("line 2"),
        "{err}"
    );
    assert_eq!(f.git(&["rev-parse", "refs/notes/aiprov"]), before);
}
