//! Issue 17, point 4: every command speaks JSON. With `--format json`, `init`, `keygen`,
//! `keyring add|revoke|list`, `attest`, `approve`, `show` and `am` each print one JSON document
//! (validated here against its schema under `schema/`), and an error is JSON too; a `--format`
//! that means nothing for a command is refused. And point 5's messages: TOML mistakes shown with
//! the file, the line and a caret; an `--ai` category that does not exist; plurals.

use crate::common;

use common::{assert_schema_valid, lines, Fixture};
use serde_json::Value;

const SOB_ALICE: &str = "Signed-off-by: Alice Author <alice@example.org>";

/// Runs aiprov with `--format json`; the exit code and the one JSON document on stdout.
fn json(f: &Fixture, args: &[&str]) -> (i32, Value) {
    let out = f
        .aiprov()
        .args(["--format", "json"])
        .args(args)
        .output()
        .expect("run aiprov");
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "aiprov {args:?}: stdout is not one JSON document ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().expect("an exit code"), doc)
}

/// Like [`json`], for a command that succeeds, its document checked against `schema`.
fn ok(f: &Fixture, schema: &str, args: &[&str]) -> Value {
    let (code, doc) = json(f, args);
    assert_eq!(code, 0, "aiprov {args:?}: {doc:#}");
    assert_schema_valid(schema, &doc);
    doc
}

fn path(p: &std::path::Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

fn note_lines(f: &Fixture, rev: &str) -> Vec<Value> {
    f.git(&["notes", "--ref=aiprov", "show", rev])
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("an envelope line"))
        .collect()
}

#[test]
fn every_command_prints_one_document_its_schema_accepts() {
    let f = Fixture::new();
    let keys = f.tmp.path().join("keys");
    let (alice, bob) = (keys.join("alice"), keys.join("bob"));

    // keygen: the key pair, as written.
    let doc = ok(&f, "keygen.schema.json", &["keygen", "-f", path(&alice)]);
    assert_eq!(doc["privateKey"], path(&alice));
    assert_eq!(doc["publicKey"], format!("{}.pub", path(&alice)));
    assert_eq!(doc["encrypted"], false);
    assert_eq!(doc["comment"], "alice@example.org");
    let public = std::fs::read_to_string(alice.with_extension("pub")).expect("the .pub file");
    assert_eq!(
        public.trim(),
        format!(
            "{} alice@example.org",
            doc["openssh"].as_str().expect("openssh")
        )
    );
    let doc = ok(
        &f,
        "keygen.schema.json",
        &["keygen", "-f", path(&bob), "-N", "secret"],
    );
    assert_eq!(doc["encrypted"], true);

    // init: the keyring created, the configuration set, the hooks installed.
    let doc = ok(&f, "init.schema.json", &["init", "--hooks"]);
    assert_eq!(doc["keyring"]["created"], true);
    assert_eq!(doc["keyring"]["path"], ".aiprov/keyring.toml");
    assert!(f.path(".aiprov/keyring.toml").exists());
    let config = doc["config"].as_array().expect("config");
    assert!(config
        .contains(&serde_json::json!({"key": "notes.rewriteRef", "value": "refs/notes/aiprov"})));
    assert!(
        config.contains(&serde_json::json!({"key": "format.notes", "value": "refs/notes/aiprov"}))
    );
    assert_eq!(doc["hooks"][0]["name"], "sendemail-validate");
    let doc = ok(&f, "init.schema.json", &["init"]);
    assert_eq!(
        doc["keyring"]["created"], false,
        "an existing keyring is left alone"
    );
    assert_eq!(doc["hooks"], serde_json::json!([]));

    // keyring add, again (nothing to do), revoke, list.
    let alice_pub = alice.with_extension("pub");
    let bob_pub = bob.with_extension("pub");
    let add = ["keyring", "add", "alice@example.org", path(&alice_pub)];
    let doc = ok(&f, "keyring-edit.schema.json", &add);
    assert_eq!(doc["action"], "add");
    assert_eq!(doc["changed"], true);
    assert_eq!(doc["identity"], "alice@example.org");
    let keyid = doc["keyid"].clone();
    let doc = ok(&f, "keyring-edit.schema.json", &add);
    assert_eq!(doc["changed"], false);
    ok(
        &f,
        "keyring-edit.schema.json",
        &["keyring", "add", "bob@example.org", path(&bob_pub)],
    );
    let doc = ok(
        &f,
        "keyring-edit.schema.json",
        &["keyring", "revoke", path(&bob_pub), "--reason", "lost"],
    );
    assert_eq!(doc["action"], "revoke");
    assert_eq!(doc["changed"], true);
    assert_eq!(doc["reason"], "lost");
    let doc = ok(&f, "keyring-list.schema.json", &["keyring", "list"]);
    assert_eq!(doc["keys"][0]["keyid"], keyid);
    assert_eq!(doc["keys"][1]["revoked"], true);
    assert_eq!(doc["revoked"][0]["reason"], "lost");

    // attest: the commit, what was declared, and the envelope stored in its note.
    f.write("hw/dev.c", lines("dev", 20));
    f.write("tests/test-dev.c", lines("test", 5));
    f.commit_all(&format!("Base\n\n{SOB_ALICE}"));
    f.write("tests/test-dev.c", lines("test", 9));
    let head = f.commit_all(&format!(
        "Cover the device\n\nAI-used-for: tests\n{SOB_ALICE}"
    ));
    let doc = ok(
        &f,
        "attest.schema.json",
        &["attest", "--stdout", "--key", path(&alice)],
    );
    assert_eq!(doc["stored"], false);
    assert!(
        f.git_cmd_fails(&["notes", "--ref=aiprov", "show", "HEAD"]),
        "--stdout stores nothing"
    );
    let doc = ok(&f, "attest.schema.json", &["attest", "--key", path(&alice)]);
    assert_eq!(doc["stored"], true);
    assert_eq!(doc["notesRef"], "refs/notes/aiprov");
    let attested = &doc["attested"][0];
    assert_eq!(attested["commit"], head.as_str());
    assert_eq!(attested["title"], "Cover the device");
    assert_eq!(attested["signer"], "alice@example.org");
    assert_eq!(attested["files"], 1);
    assert_eq!(attested["aiUsedFor"], serde_json::json!(["tests"]));
    assert_eq!(note_lines(&f, "HEAD"), vec![attested["envelope"].clone()]);

    // approve: the commit approved, by whom; its envelope is the note's second line.
    let doc = ok(
        &f,
        "approve.schema.json",
        &["approve", "--key", path(&alice)],
    );
    assert_eq!(doc["stored"], true);
    assert_eq!(doc["approver"]["email"], "alice@example.org");
    assert_eq!(doc["approved"][0]["commit"], head.as_str());
    assert_eq!(note_lines(&f, "HEAD").len(), 2);

    // show: each note line numbered as verify numbers them, with its statement.
    let doc = ok(&f, "show.schema.json", &["show"]);
    assert_eq!(doc["commit"], head.as_str());
    let shown = doc["attestations"].as_array().expect("lines");
    assert_eq!(shown.len(), 2);
    assert_eq!(
        (shown[0]["line"].clone(), shown[0]["kind"].clone()),
        (1.into(), "attestation".into())
    );
    assert_eq!(
        (shown[1]["line"].clone(), shown[1]["kind"].clone()),
        (2.into(), "approval".into())
    );
    assert_eq!(shown[0]["verified"], true);
    assert_schema_valid("ai-usage-statement.schema.json", &shown[0]["statement"]);

    // approve --mbox: the envelopes printed, each with the patch's subject.
    let mbox = f.tmp.path().join("series.mbox");
    let patch = f.git(&["format-patch", "--notes=aiprov", "--stdout", "-1", "HEAD"]);
    std::fs::write(&mbox, &patch).expect("write the mbox");
    let doc = ok(
        &f,
        "approve.schema.json",
        &["approve", "--mbox", path(&mbox), "--key", path(&alice)],
    );
    assert_eq!(doc["stored"], false);
    assert_eq!(doc["approved"][0]["title"], "[PATCH] Cover the device");
    assert_eq!(doc["approver"]["email"], "alice@example.org");
    assert_schema_valid("envelope.schema.json", &doc["approved"][0]["envelope"]);

    // am: applied, the commits made, the report of the patches (and git am's own output kept
    // off stdout).
    f.git(&["reset", "-q", "--hard", "HEAD~1"]);
    let doc = ok(&f, "am.schema.json", &["am", path(&mbox)]);
    assert_eq!(doc["applied"], true);
    let made = f.git(&["rev-parse", "HEAD"]);
    assert_eq!(doc["commits"], serde_json::json!([made.trim()]));
    assert_eq!(doc["report"]["verdict"], "pass");
    assert_eq!(doc["report"]["changes"][0]["title"], "Cover the device");

    // am refused: a tampered patch is not applied, exit code 1, still one document.
    f.git(&["reset", "-q", "--hard", "HEAD~1"]);
    let tampered = f.tmp.path().join("tampered.mbox");
    assert!(patch.contains("+test line 9\n"));
    std::fs::write(
        &tampered,
        patch.replace("+test line 9\n", "+test line nine\n"),
    )
    .expect("write the mbox");
    let (code, doc) = json(&f, &["am", path(&tampered)]);
    assert_eq!(code, 1, "{doc:#}");
    assert_schema_valid("am.schema.json", &doc);
    assert_eq!(doc["applied"], false);
    assert_eq!(doc["commits"], serde_json::json!([]));
    assert_eq!(
        doc["report"]["changes"][0]["findings"][0]["code"],
        "coverage.digest-mismatch"
    );
}

#[test]
fn every_error_is_one_json_document_with_format_json() {
    let f = Fixture::new();
    f.write("a.txt", "a\n");
    f.commit_all(&format!("A\n\n{SOB_ALICE}"));
    let missing = f.tmp.path().join("missing");
    let m = path(&missing);
    // A key file under a file, not a directory.
    let not_a_dir = f.path("a.txt/key");
    for args in [
        vec!["init", "--hooks"],
        vec!["keygen", "-f", path(&not_a_dir)],
        vec!["keyring", "add", "alice@example.org", m],
        vec!["keyring", "revoke", m],
        vec!["attest", "nope"],
        vec!["approve", "nope"],
        vec!["show", "nope"],
        vec!["am", m],
        vec!["verify", "nope"],
        // Usage mistakes, which clap finds, are JSON too.
        vec!["attest", "--no-such-flag"],
        vec!["keyring", "add"],
    ] {
        if args == ["init", "--hooks"] {
            // A hook aiprov did not write is not replaced.
            f.write(".git/hooks/sendemail-validate", "#!/bin/sh\nexit 0\n");
        }
        let (code, doc) = json(&f, &args);
        assert_eq!(code, 2, "aiprov {args:?}: {doc:#}");
        assert_schema_valid("error.schema.json", &doc);
        assert!(
            !doc["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .is_empty(),
            "aiprov {args:?}: {doc:#}"
        );
    }
    // `--format=json` is read too when clap cannot parse the rest.
    let out = f
        .aiprov()
        .args(["--format=json", "show", "--bogus"])
        .output()
        .expect("run");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("a JSON error");
    assert_eq!(
        doc["error"]["message"],
        "unexpected argument '--bogus' found"
    );
    assert_eq!(out.status.code(), Some(2));
    // Help is not an error.
    f.aiprov()
        .args(["--format", "json", "show", "--help"])
        .assert()
        .success();
}

#[test]
fn a_format_that_means_nothing_for_a_command_is_refused() {
    let f = Fixture::new();
    f.write("a.txt", "a\n");
    f.commit_all(&format!("A\n\n{SOB_ALICE}"));
    let mbox = f.tmp.path().join("x.mbox");
    std::fs::write(&mbox, "").expect("write");
    let key = f.tmp.path().join("key");
    for args in [
        vec!["init"],
        vec!["keygen", "-f", path(&key)],
        vec!["keyring", "list"],
        vec!["attest"],
        vec!["approve"],
        vec!["show"],
        vec!["am", path(&mbox)],
        vec!["verify"],
        vec!["archive", "HEAD", "-o", "a.jsonl"],
        vec!["policy", "show"],
        vec!["completions", "bash"],
    ] {
        let out = f
            .aiprov()
            .args(["--format", "markdown"])
            .args(&args)
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "aiprov {args:?}");
        assert!(out.stdout.is_empty(), "aiprov {args:?} printed a result");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.starts_with(&format!(
                "error: `aiprov {}` has no markdown output",
                args[0]
            )),
            "aiprov {args:?}: {stderr}"
        );
    }
    // Refused before anything is done.
    assert!(!f.path(".aiprov").exists());
    assert!(!key.exists());
    insta::assert_snapshot!(f.outcome(f.aiprov().args(["show", "--format", "markdown"])), @r"
    exit: 2
    --- stdout
    --- stderr
    error: `aiprov show` has no markdown output (--format human or json)
    hint: Markdown is the output of `aiprov report`
    ");
    // A shell script has no JSON form either; the refusal is JSON, as every error is.
    let (code, doc) = json(&f, &["completions", "bash"]);
    assert_eq!(code, 2);
    assert_schema_valid("error.schema.json", &doc);
    assert_eq!(
        doc["error"]["message"],
        "`aiprov completions` has no json output (--format human)"
    );
    // Where Markdown means something, it is the output.
    f.write("a.txt", "b\n");
    f.commit_all(&format!("B\n\n{SOB_ALICE}"));
    let out = f
        .aiprov()
        .args(["--format", "markdown", "report", "HEAD~1..HEAD"])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("# "));
}

#[test]
fn toml_mistakes_show_the_file_the_line_and_a_caret() {
    let f = Fixture::new();
    f.aiprov().arg("init").assert().success();
    f.write(
        ".aiprov/keyring.toml",
        "version = 1\n\n[[signer]]\nidentity = \"alice@example.org\"\nkee = \"ssh-ed25519 AAAA\"\n",
    );
    // Editing or listing the keyring of the work tree.
    insta::assert_snapshot!(f.outcome(f.aiprov().args(["keyring", "list"])), @r#"
    exit: 2
    --- stdout
    --- stderr
    error: .aiprov/keyring.toml:5:1: unknown field `kee`, expected one of `identity`, `key`, `valid-after`, `valid-before`
      |
    5 | kee = "ssh-ed25519 AAAA"
      | ^^^
    "#);
    f.write(".aiprov/keyring.toml", "version = 2\n");
    let key = f.keygen("k");
    insta::assert_snapshot!(f.outcome(f.aiprov().args(["keyring", "revoke"]).arg(key.with_extension("pub"))), @r"
    exit: 2
    --- stdout
    --- stderr
    error: .aiprov/keyring.toml:1:11: unsupported keyring version 2 (this aiprov reads version 1)
      |
    1 | version = 2
      |           ^
    ");
    // Read from the trusted revision by verify, the policy as the keyring.
    std::fs::remove_file(f.path(".aiprov/keyring.toml")).expect("remove");
    f.aiprov().arg("init").assert().success();
    f.write(
        ".aiprov/policy.toml",
        "version = 1\n[ai]\ncategories = [\"code\", \"documentation\"]\n",
    );
    f.commit_all(&format!("Trust\n\n{SOB_ALICE}"));
    f.write("a.txt", "a\n");
    f.commit_all(&format!("A\n\n{SOB_ALICE}"));
    insta::assert_snapshot!(f.outcome(f.aiprov().args(["verify", "HEAD"])), @r#"
    exit: 2
    --- stdout
    --- stderr
    error: .aiprov/policy.toml at [id]:3:14: unknown category 'documentation' (the categories are 'code', 'tests', 'docs', 'research' and 'analysis')
      |
    3 | categories = ["code", "documentation"]
      |              ^^^^^^^^^^^^^^^^^^^^^^^^^
    "#);
    // With JSON, the place is in the document.
    let (code, doc) = json(&f, &["verify", "HEAD"]);
    assert_eq!(code, 2);
    assert_schema_valid("error.schema.json", &doc);
    assert_eq!(doc["error"]["at"]["line"], 3);
    assert_eq!(doc["error"]["at"]["column"], 14);
}

#[test]
fn an_ai_rule_with_no_such_category_lists_the_categories() {
    let f = Fixture::new();
    f.write("docs/a.rst", "A\n");
    f.commit_all(&format!("Docs\n\nAI-used-for: docs\n{SOB_ALICE}"));
    insta::assert_snapshot!(f.outcome(f.aiprov().args(["attest", "--ai", "docs/**=documentation"])), @r"
    exit: 2
    --- stdout
    --- stderr
    error: invalid --ai rule 'docs/**=documentation': 'documentation' is not a category (the categories are code, tests and docs; research is declared with --research)
    ");
}

#[test]
fn one_is_singular() {
    let f = Fixture::new();
    let alice = f.keygen("alice");
    f.init_trusting("alice@example.org", &alice);
    f.write("a.txt", "a\n");
    f.commit_all(&format!("Base\n\n{SOB_ALICE}"));
    f.write("a.txt", "a\nb\n");
    f.commit_all(&format!("Change\n\n{SOB_ALICE}"));
    f.aiprov()
        .args(["attest", "--key"])
        .arg(&alice)
        .assert()
        .success();
    let mbox = f.tmp.path().join("one.mbox");
    std::fs::write(
        &mbox,
        f.git(&["format-patch", "--notes=aiprov", "--stdout", "-1", "HEAD"]),
    )
    .expect("write");
    f.git(&["reset", "-q", "--hard", "HEAD~1"]);
    let out = f.aiprov().arg("am").arg(&mbox).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("applied 1 patch; their attestations are notes in refs/notes/aiprov"),
        "{stderr}"
    );
    let archive = f.tmp.path().join("a.jsonl");
    let out = f
        .aiprov()
        .args(["archive", "HEAD~1..HEAD", "--key"])
        .arg(&alice)
        .arg("-o")
        .arg(&archive)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with(
            "archived 1 change of HEAD~1..HEAD (1 passed, 0 failed, 0 skipped; 1 envelope)"
        ),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = f
        .aiprov()
        .args(["verify", "--archive"])
        .arg(&archive)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(": 1 change;"), "{stdout}");
    assert!(
        stdout.contains("archive verified: 1 change as recorded"),
        "{stdout}"
    );
}

#[test]
fn show_numbers_note_lines_as_verify_does() {
    let f = Fixture::new();
    let alice = f.keygen("alice");
    f.init_trusting("alice@example.org", &alice);
    f.write("a.txt", "a\n");
    f.commit_all(&format!("Base\n\n{SOB_ALICE}"));
    f.write("a.txt", "a\nb\n");
    f.commit_all(&format!("Change\n\n{SOB_ALICE}"));
    f.aiprov()
        .args(["attest", "--key"])
        .arg(&alice)
        .assert()
        .success();
    // A note whose first line is blank and whose second is not an envelope.
    let envelope = f.git(&["notes", "--ref=aiprov", "show", "HEAD"]);
    let note = f.tmp.path().join("note");
    std::fs::write(&note, format!("\nnot an envelope\n{envelope}")).expect("write");
    // As a blob, so that git keeps the blank line (`-F` would strip it).
    let blob = f.git(&["hash-object", "-w", path(&note)]);
    f.git(&[
        "notes",
        "--ref=aiprov",
        "add",
        "-f",
        "-C",
        blob.trim(),
        "HEAD",
    ]);
    let verified = f.outcome(f.aiprov().args(["verify", "--color", "never", "HEAD"]));
    assert!(verified.contains("note line 2: "), "{verified}");
    let shown = f.outcome(f.aiprov().args(["show", "--color", "never"]));
    let heads: Vec<&str> = shown
        .lines()
        .filter(|l| l.starts_with("note line"))
        .collect();
    insta::assert_snapshot!(heads.join("\n"), @"
    note line 2: unreadable (signature.invalid: not a valid envelope: expected ident at line 1 column 2)
    note line 3: attestation by Alice Author <alice@example.org> at 2026-01-02T00:00:00Z (verified)
    ");
    let doc = ok(&f, "show.schema.json", &["show"]);
    let numbers: Vec<&Value> = doc["attestations"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| &l["line"])
        .collect();
    assert_eq!(numbers, [&Value::from(2), &Value::from(3)]);
    assert_eq!(doc["attestations"][0]["kind"], "unreadable");
    assert_eq!(doc["attestations"][0]["statement"], Value::Null);
}

#[test]
fn a_keyring_value_that_is_wrong_is_shown_where_it_is() {
    let f = Fixture::new();
    let alice = f.keygen("alice");
    f.init_trusting("alice@example.org", &alice);
    let text = std::fs::read_to_string(f.path(".aiprov/keyring.toml")).expect("the keyring");
    f.write(
        ".aiprov/keyring.toml",
        text.replace("[[signer]]", "[[signer]]\nvalid-after = \"yesterday\""),
    );
    let bob = f.keygen("bob");
    insta::assert_snapshot!(f.outcome(f.aiprov().args(["keyring", "add", "bob@example.org"]).arg(bob.with_extension("pub"))), @r#"
    exit: 2
    --- stdout
    --- stderr
    error: .aiprov/keyring.toml:13:15: signer 1 (alice@example.org): invalid date 'yesterday' (expected YYYY-MM-DD or an RFC 3339 time such as 2026-01-31T12:00:00Z)
       |
    13 | valid-after = "yesterday"
       |               ^^^^^^^^^^^
    "#);
}

#[test]
fn the_examples_of_the_command_schemas_validate_and_the_schemas_refuse_strays() {
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/examples");
    for name in [
        "am",
        "approve",
        "attest",
        "error",
        "hook",
        "init",
        "keygen",
        "keyring-edit",
        "keyring-list",
        "notes-sync",
        "show",
    ] {
        let text = std::fs::read_to_string(examples.join(format!("{name}.json")))
            .unwrap_or_else(|e| panic!("schema/examples/{name}.json: {e}"));
        let mut doc: Value = serde_json::from_str(&text).expect("JSON");
        let schema = format!("{name}.schema.json");
        assert_schema_valid(&schema, &doc);
        // A field no document has is refused, at the top and one level down.
        doc["stray"] = true.into();
        assert!(
            !common::schema_validator(&schema).is_valid(&doc),
            "{schema}"
        );
    }
    let text = std::fs::read_to_string(examples.join("show.json")).expect("show.json");
    let mut doc: Value = serde_json::from_str(&text).expect("JSON");
    doc["attestations"][0]["verified"] = false.into();
    doc["attestations"][0]["kind"] = "unreadable".into();
    assert!(
        !common::schema_validator("show.schema.json").is_valid(&doc),
        "an unreadable line has no statement"
    );
}
