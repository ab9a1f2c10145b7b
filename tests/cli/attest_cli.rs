//! `aiprov attest`, `show`, `init`, completions and the man page as a user runs them; every JSON
//! document the tool writes validates against its schema under `schema/`.

use crate::common;

use common::{lines, Fixture};
use serde_json::Value;

const SOB_ALICE: &str = "Signed-off-by: Alice Author <alice@example.org>";
const SOB_BOB: &str = "Signed-off-by: Bob Maintainer <bob@example.org>";

fn schema(name: &str) -> jsonschema::Validator {
    let path = format!("{}/schema/{name}", env!("CARGO_MANIFEST_DIR"));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("schema file"))
        .expect("schema JSON");
    jsonschema::validator_for(&doc).expect("valid schema")
}

fn assert_valid(schema_name: &str, doc: &Value) {
    let v = schema(schema_name);
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{schema_name}: {errors:#?}\n{doc:#}");
}

struct Keys {
    alice: std::path::PathBuf,
    bob: std::path::PathBuf,
}

fn setup() -> (Fixture, Keys, String) {
    let f = Fixture::new();
    let keys = Keys {
        alice: f.tmp.path().join("alice"),
        bob: f.tmp.path().join("bob"),
    };
    for k in [&keys.alice, &keys.bob] {
        f.aiprov().args(["keygen", "-f"]).arg(k).assert().success();
    }
    f.aiprov().arg("init").assert().success();
    f.aiprov()
        .args(["keyring", "add", "alice@example.org"])
        .arg(keys.alice.with_extension("pub"))
        .assert()
        .success();
    f.aiprov()
        .args(["keyring", "add", "bob@example.org"])
        .arg(keys.bob.with_extension("pub"))
        .assert()
        .success();
    f.write("hw/dev.c", lines("dev", 20));
    f.write("tests/test-dev.c", lines("test", 5));
    let base = f.commit_all(&format!("Base\n\n{SOB_ALICE}"));
    (f, keys, base)
}

fn envelope_lines(f: &Fixture) -> Vec<Value> {
    f.git(&["notes", "--ref=aiprov", "show", "HEAD"])
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("envelope JSON"))
        .collect()
}

fn payload(envelope: &Value) -> Value {
    let env = aiprov::dsse::Envelope::parse(envelope.to_string().as_bytes()).expect("envelope");
    serde_json::from_slice(&env.payload).expect("statement JSON")
}

fn verify_json(f: &Fixture, args: &[&str]) -> (i32, Value) {
    let out = f
        .aiprov()
        .args(["verify", "--format", "json"])
        .args(args)
        .output()
        .expect("run");
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    assert_valid("report.schema.json", &doc);
    (out.status.code().unwrap_or(-1), doc)
}

fn codes(doc: &Value) -> Vec<String> {
    let mut c: Vec<String> = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|ch| ch["findings"].as_array().unwrap().iter())
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    c.sort();
    c
}

#[test]
fn per_file_ai_use_is_inferred_from_the_trailer_and_path_classes() {
    let (f, keys, base) = setup();
    f.write("hw/dev.c", lines("dev", 22));
    f.write("tests/test-dev.c", lines("test", 9));
    f.write("docs/dev.rst", "Device\n======\n");
    f.commit_all(&format!(
        "Extend the device\n\nAI-used-for: tests, docs\n{SOB_ALICE}"
    ));
    f.aiprov()
        .args(["attest", "--key"])
        .arg(&keys.alice)
        .assert()
        .success();
    let envs = envelope_lines(&f);
    assert_eq!(envs.len(), 1);
    assert_valid("envelope.schema.json", &envs[0]);
    let st = payload(&envs[0]);
    assert_valid("ai-usage-statement.schema.json", &st);
    let ai_of = |path: &str| {
        st["predicate"]["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["path"] == path)
            .map(|e| e["ai"].clone())
            .unwrap_or_else(|| panic!("no entry for {path}"))
    };
    assert_eq!(ai_of("hw/dev.c"), Value::Null);
    assert_eq!(
        ai_of("tests/test-dev.c")["categories"],
        serde_json::json!(["tests"])
    );
    assert_eq!(
        ai_of("docs/dev.rst")["categories"],
        serde_json::json!(["docs"])
    );
    assert_eq!(st["predicate"]["signer"]["email"], "alice@example.org");
    assert_eq!(st["predicate"]["createdAt"], "2026-01-02T00:00:00Z");
    let (code, doc) = verify_json(&f, &[&format!("{base}..HEAD")]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(
        doc["changes"][0]["attestations"][0]["aiUsedFor"],
        serde_json::json!(["tests", "docs"])
    );
}

#[test]
fn explicit_rules_and_research_and_stdout() {
    let (f, keys, _) = setup();
    f.write("hw/dev.c", lines("dev", 21));
    f.write("tests/test-dev.c", lines("test", 6));
    f.commit_all(&format!(
        "Change\n\nAI-used-for: code (refactoring), research\n{SOB_ALICE}"
    ));
    let out = f
        .aiprov()
        .args([
            "attest",
            "--stdout",
            "--research",
            "--tool",
            "Claude Code@2.1",
            "--ai",
            "**=code (refactoring)",
            "--human",
            "tests/**",
            "--key",
        ])
        .arg(&keys.alice)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let env: Value = serde_json::from_slice(&out.stdout).unwrap();
    let st = payload(&env);
    assert_valid("ai-usage-statement.schema.json", &st);
    let files = st["predicate"]["files"].as_array().unwrap();
    assert_eq!(files[0]["path"], "hw/dev.c");
    assert_eq!(
        files[0]["ai"],
        serde_json::json!({"categories": ["code"], "explanation": "refactoring"})
    );
    assert_eq!(files[1]["ai"], Value::Null);
    assert_eq!(st["predicate"]["research"], true);
    assert_eq!(
        st["predicate"]["tools"],
        serde_json::json!([{"name": "Claude Code", "version": "2.1"}])
    );
    // --stdout stores nothing.
    assert!(f.git_cmd_fails(&["notes", "--ref=aiprov", "show", "HEAD"]));
}

#[test]
fn attesting_again_replaces_only_the_same_signers_line() {
    let (f, keys, base) = setup();
    f.write("hw/dev.c", lines("dev", 21));
    f.commit_all(&format!("Change\n\n{SOB_ALICE}\n{SOB_BOB}"));
    f.aiprov()
        .args(["attest", "--key"])
        .arg(&keys.alice)
        .assert()
        .success();
    f.aiprov()
        .args(["attest", "--key"])
        .arg(&keys.bob)
        .env("GIT_COMMITTER_EMAIL", "bob@example.org")
        .assert()
        .success();
    f.aiprov()
        .args(["attest", "--key"])
        .arg(&keys.alice)
        .env("AIPROV_NOW", "2026-01-03T00:00:00Z")
        .assert()
        .success();
    let envs = envelope_lines(&f);
    let signers: Vec<(String, String)> = envs
        .iter()
        .map(|e| {
            let p = payload(e);
            (
                p["predicate"]["signer"]["email"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                p["predicate"]["createdAt"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        signers,
        vec![
            (
                "bob@example.org".to_string(),
                "2026-01-02T00:00:00Z".to_string()
            ),
            (
                "alice@example.org".to_string(),
                "2026-01-03T00:00:00Z".to_string()
            ),
        ]
    );
    let (code, doc) = verify_json(&f, &[&format!("{base}..HEAD")]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(
        doc["changes"][0]["attestations"].as_array().unwrap().len(),
        2
    );
}

#[test]
fn fix_trailer_adds_the_trailer_before_the_sign_offs() {
    let (f, keys, base) = setup();
    f.write("hw/dev.c", lines("dev", 21));
    f.commit_all(&format!("Change\n\nLonger explanation.\n\n{SOB_ALICE}"));
    f.aiprov()
        .args(["attest", "--fix-trailer", "--ai", "hw/*=code", "--key"])
        .arg(&keys.alice)
        .assert()
        .success();
    let message = f.git(&["log", "-1", "--format=%B"]);
    assert_eq!(
        message,
        format!("Change\n\nLonger explanation.\n\nAI-used-for: code\n{SOB_ALICE}\n\n")
    );
    let parsed = f.git(&["log", "-1", "--format=%(trailers:only,unfold)"]);
    assert_eq!(parsed, format!("AI-used-for: code\n{SOB_ALICE}\n\n"));
    let (code, doc) = verify_json(&f, &[&format!("{base}..HEAD")]);
    assert_eq!(code, 0, "{doc:#}");
    // It never removes the declaration again: saying no AI was used is refused, the commit kept.
    let before = f.git(&["rev-parse", "HEAD"]);
    let outcome = f.outcome(
        f.aiprov()
            .args(["attest", "--fix-trailer", "--human", "**", "--key"])
            .arg(&keys.alice),
    );
    insta::assert_snapshot!(outcome, @"
        exit: 2
        --- stdout
        --- stderr
        error: --fix-trailer would remove the commit's declaration of AI use (`AI-used-for: code`), and the attestation would declare none
        hint: if AI was used, say where with --ai GLOB=CATEGORY; if it was not, edit the trailer yourself (`git commit --amend`)
        ");
    assert_eq!(f.git(&["rev-parse", "HEAD"]), before);
    assert_eq!(envelope_lines(&f).len(), 1);
}

#[test]
fn trailer_findings() {
    let cases: [(&str, &[&str], Vec<&str>, i32); 5] = [
        ("AI-used-for: magic", &[], vec!["trailer.malformed"], 1),
        (
            "AI-used-for: code",
            &["--human", "**"],
            vec!["trailer.unexpected"],
            1,
        ),
        ("", &["--ai", "**=code"], vec!["trailer.missing"], 1),
        (
            "Assisted-by: Claude:claude-opus-4 checkpatch",
            &[],
            vec!["trailer.foreign", "trailer.unexpected"],
            1,
        ),
        (
            "__SOB__\nAI-used-for: code",
            &["--ai", "**=code"],
            vec!["trailer.misplaced"],
            1,
        ),
    ];
    for (trailer, args, expected, exit) in cases {
        let (f, keys, base) = setup();
        f.write("hw/dev.c", lines("dev", 21));
        let message = if let Some(rest) = trailer.strip_prefix("__SOB__\n") {
            format!("Change\n\n{SOB_ALICE}\n{rest}")
        } else if trailer.is_empty() {
            format!("Change\n\n{SOB_ALICE}")
        } else {
            format!("Change\n\n{trailer}\n{SOB_ALICE}")
        };
        f.commit_all(&message);
        let attest = f
            .aiprov()
            .args(["attest", "--key"])
            .arg(&keys.alice)
            .args(args)
            .output()
            .expect("run");
        if !attest.status.success() {
            // attest refuses to sign less than the trailer says
            // (tests/cli/adversarial_trailers.rs); the finding is for an attestation made before
            // the trailer was edited.
            assert_eq!(attest.status.code(), Some(2), "{trailer}");
            f.git(&[
                "commit",
                "--amend",
                "-q",
                "-m",
                &format!("Change\n\n{SOB_ALICE}"),
            ]);
            f.aiprov()
                .args(["attest", "--key"])
                .arg(&keys.alice)
                .args(args)
                .assert()
                .success();
            let attested = f.git(&["rev-parse", "HEAD"]);
            f.git(&["commit", "--amend", "-q", "-m", &message]);
            f.git(&[
                "notes",
                "--ref=aiprov",
                "copy",
                "-f",
                attested.trim(),
                "HEAD",
            ]);
        }
        let (code, doc) = verify_json(&f, &[&format!("{base}..HEAD")]);
        assert_eq!(codes(&doc), expected, "{trailer}");
        assert_eq!(code, exit, "{trailer}");
    }
}

#[test]
fn author_without_sign_off() {
    let (f, keys, base) = setup();
    f.write("hw/dev.c", lines("dev", 21));
    f.commit_all(&format!("Change\n\n{SOB_BOB}"));
    f.aiprov()
        .args(["attest", "--key"])
        .arg(&keys.bob)
        .env("GIT_COMMITTER_EMAIL", "bob@example.org")
        .assert()
        .success();
    let (code, doc) = verify_json(&f, &[&format!("{base}..HEAD")]);
    assert_eq!(
        (code, codes(&doc)),
        (1, vec!["dco.author-not-signed-off".to_string()])
    );
}

#[test]
fn show_prints_the_attestation() {
    let (f, keys, _) = setup();
    f.write("hw/dev.c", lines("dev", 21));
    f.commit_all(&format!(
        "Change the device\n\nAI-used-for: code\n{SOB_ALICE}"
    ));
    f.aiprov()
        .args(["attest", "--key"])
        .arg(&keys.alice)
        .assert()
        .success();
    insta::assert_snapshot!(f.outcome(f.aiprov().args(["show", "--color", "never"])), @"
        exit: 0
        --- stdout
        note line 1: attestation by Alice Author <alice@example.org> at 2026-01-02T00:00:00Z (verified)
          change:            Change the device
          author:            Alice Author <alice@example.org>
          signed off by:     Alice Author <alice@example.org>
          AI-used-for:       code
          commit:            [id]
          base:              [id]
          AI used:           code
          research/analysis: no
          tools:             none
            M hw/dev.c  AI: code
              digest [id], blobs [id] -> [id], modes 100644 -> 100644, 1 added line
        --- stderr
        ");
    let out = f
        .aiprov()
        .args(["show", "--format", "json"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["attestations"][0]["status"], "verified");
    assert_valid(
        "ai-usage-statement.schema.json",
        &doc["attestations"][0]["statement"],
    );
}

#[test]
fn show_prints_everything_the_attestation_says_analysis_included() {
    let (f, keys, _) = setup();
    f.write("hw/dev.c", lines("dev", 22));
    f.commit_all(&format!(
        "Change the device\n\nAI-used-for: analysis\n{SOB_ALICE}"
    ));
    f.aiprov()
        .args([
            "attest",
            "--human",
            "**",
            "--research",
            "--tool",
            "Claude@opus-4",
            "--key",
        ])
        .arg(&keys.alice)
        .assert()
        .success();
    insta::assert_snapshot!(f.outcome(f.aiprov().args(["show", "--color", "never"])), @"
        exit: 0
        --- stdout
        note line 1: attestation by Alice Author <alice@example.org> at 2026-01-02T00:00:00Z (verified)
          change:            Change the device
          author:            Alice Author <alice@example.org>
          signed off by:     Alice Author <alice@example.org>
          AI-used-for:       analysis
          commit:            [id]
          base:              [id]
          AI used:           research
          research/analysis: yes (AI used for research, analysis or debugging; none of its output is in the change)
          tools:             Claude opus-4
            M hw/dev.c  no AI
              digest [id], blobs [id] -> [id], modes 100644 -> 100644, 2 added lines
        --- stderr
        ");
}

#[test]
fn init_configures_notes_rewriting_and_format_patch() {
    let (f, _, _) = setup();
    assert_eq!(
        f.git(&["config", "--get-all", "notes.rewriteRef"]).trim(),
        "refs/notes/aiprov"
    );
    assert_eq!(
        f.git(&["config", "--get-all", "format.notes"]).trim(),
        "refs/notes/aiprov"
    );
    assert_eq!(f.git(&["config", "notes.rewrite.rebase"]).trim(), "true");
    // Idempotent: a second init changes nothing.
    f.aiprov().arg("init").assert().success();
    assert_eq!(
        f.git(&["config", "--get-all", "notes.rewriteRef"]).trim(),
        "refs/notes/aiprov"
    );
    let keyring = std::fs::read_to_string(f.path(".aiprov/keyring.toml")).unwrap();
    assert_eq!(keyring.matches("[[signer]]").count(), 2);
}

#[test]
fn keyring_list_shows_keys_and_revocations() {
    let (f, keys, _) = setup();
    f.aiprov()
        .args(["keyring", "revoke"])
        .arg(keys.bob.with_extension("pub"))
        .assert()
        .success();
    let out = f
        .aiprov()
        .args(["keyring", "list", "--format", "json"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let keys_listed = doc["keys"].as_array().unwrap();
    assert_eq!(keys_listed.len(), 2);
    assert_eq!(
        keys_listed[0]["identities"],
        serde_json::json!(["alice@example.org"])
    );
    assert_eq!(keys_listed[0]["revoked"], false);
    assert_eq!(keys_listed[1]["revoked"], true);
    assert_eq!(doc["revoked"].as_array().unwrap().len(), 1);
}

#[test]
fn completions_and_man_page_are_generated() {
    let f = Fixture::new();
    for shell in ["bash", "zsh", "fish"] {
        let out = f.aiprov().args(["completions", shell]).output().unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("attest") && text.contains("trust-ref"),
            "{shell}"
        );
    }
    let out = f.aiprov().arg("man").output().unwrap();
    let man = String::from_utf8(out.stdout).unwrap();
    assert!(
        man.starts_with(".ie") || man.contains(".TH aiprov"),
        "{man}"
    );
}

#[test]
fn the_schema_examples_validate() {
    for (schema_name, example) in [
        ("ai-usage-statement.schema.json", "ai-usage-statement.json"),
        ("report.schema.json", "report.json"),
        ("envelope.schema.json", "envelope.json"),
        ("release-summary.schema.json", "release-summary.json"),
        ("archive-report.schema.json", "archive-report.json"),
        ("ai-report.schema.json", "ai-report.json"),
    ] {
        let path = format!("{}/schema/examples/{example}", env!("CARGO_MANIFEST_DIR"));
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_valid(schema_name, &doc);
    }
    // And the schema rejects what it must: an unknown field, a bad category.
    let path = format!(
        "{}/schema/examples/ai-usage-statement.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    doc["predicate"]["files"][0]["ai"] = serde_json::json!({"categories": ["magic"]});
    assert!(!schema("ai-usage-statement.schema.json").is_valid(&doc));
    doc["predicate"]["files"][0]["ai"] = Value::Null;
    doc["predicate"]["extra"] = Value::Bool(true);
    assert!(!schema("ai-usage-statement.schema.json").is_valid(&doc));
}

#[test]
fn the_policy_example_validates_and_parses() {
    let path = format!("{}/schema/examples/policy.toml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let doc: Value = serde_json::to_value(toml_to_json(&text)).unwrap();
    assert_valid("policy.schema.json", &doc);
    let policy = aiprov::policy::Policy::parse(text.as_bytes(), &path).expect("aiprov reads it");
    assert_eq!(policy.small_fix_limit, 25);
    let mut bad = doc.clone();
    bad["severity"]["no.such-code"] = Value::String("off".into());
    assert!(!schema("policy.schema.json").is_valid(&bad));
}

fn toml_to_json(text: &str) -> Value {
    let v: toml::Value = toml::from_str(text).expect("TOML");
    serde_json::to_value(v).expect("JSON")
}

#[test]
fn a_rule_about_no_file_of_the_change_is_a_warning() {
    let (f, keys, _) = setup();
    f.write("hw/dev.c", lines("dev", 22));
    f.commit_all(&format!("Change dev\n\n{SOB_ALICE}"));
    let out = f
        .aiprov()
        .args(["attest", "-y", "--stdout", "--key"])
        .arg(&keys.alice)
        .args([
            "--ai",
            "hw/net/**=code",
            "--human",
            "hw/**",
            "--human",
            "doc/**",
        ])
        .output()
        .expect("attest");
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: --ai 'hw/net/**=code' matches no file of the change of")
            && stderr.contains("warning: --human 'doc/**' matches no file"),
        "{stderr}"
    );
    // The rule that matched says nothing.
    assert!(!stderr.contains("--human 'hw/**'"), "{stderr}");
}

#[test]
fn keygen_names_the_key_after_the_repositorys_user() {
    let f = Fixture::new();
    f.git(&["config", "user.email", "dev@project.example"]);
    let key = f.tmp.path().join("k");
    f.aiprov()
        .env_remove("GIT_COMMITTER_EMAIL")
        .env_remove("EMAIL")
        .args(["keygen", "-f"])
        .arg(&key)
        .assert()
        .success();
    let public = std::fs::read_to_string(key.with_extension("pub")).expect("public key");
    assert!(
        public.trim_end().ends_with(" dev@project.example"),
        "{public}"
    );
}
