//! End to end: `aiprov attest` then `aiprov verify` on real git repositories, and each way an
//! attestation can fail giving its documented finding and exit code 1.

use crate::common;

use common::{lines, Fixture};
use serde_json::Value;

const SOB: &str = "Signed-off-by: Alice Author <alice@example.org>";

/// A repository whose first commit trusts alice's key (and bob's, when asked).
struct Setup {
    f: Fixture,
    base: String,
    alice_key: std::path::PathBuf,
    bob_key: std::path::PathBuf,
}

fn setup() -> Setup {
    let f = Fixture::new();
    let alice_key = f.keygen("alice");
    let bob_key = f.keygen("bob");
    f.init_trusting("alice@example.org", &alice_key);
    f.write("src/main.c", lines("int main", 30));
    f.write("tests/t.c", lines("test", 10));
    let base = f.commit_all(&format!("Initial import\n\n{SOB}"));
    Setup {
        f,
        base,
        alice_key,
        bob_key,
    }
}

impl Setup {
    fn attest(&self, extra: &[&str]) -> assert_cmd::assert::Assert {
        self.attest_as(&self.alice_key, extra)
    }

    fn attest_as(&self, key: &std::path::Path, extra: &[&str]) -> assert_cmd::assert::Assert {
        self.f
            .aiprov()
            .args(["attest", "--key"])
            .arg(key)
            .args(extra)
            .assert()
    }

    /// `aiprov verify BASE..HEAD --format json`: the exit code and the report.
    fn verify(&self) -> (i32, Value) {
        let out = self
            .f
            .aiprov()
            .args([
                "verify",
                "--format",
                "json",
                &format!("{}..HEAD", self.base),
            ])
            .output()
            .expect("run aiprov");
        let report: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
        (out.status.code().expect("exit code"), report)
    }

    /// The finding codes of the last change of the range.
    fn codes(&self) -> (i32, Vec<String>) {
        let (code, report) = self.verify();
        let changes = report["changes"].as_array().expect("changes");
        let last = changes.last().expect("a change");
        let codes = last["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| f["code"].as_str().expect("code").to_string())
            .collect();
        (code, codes)
    }

    fn note(&self) -> String {
        self.f.git(&["notes", "--ref=aiprov", "show", "HEAD"])
    }

    fn set_note(&self, rev: &str, note: &str) {
        self.f
            .git(&["notes", "--ref=aiprov", "add", "-f", "-m", note, rev]);
    }
}

#[test]
fn attest_then_verify_passes_for_every_kind_of_file_change() {
    let s = setup();
    let f = &s.f;
    f.write("src/bin.dat", [0u8, 1, 2, 3]);
    f.write("src/gone.c", lines("gone", 5));
    f.write("src/moved.c", lines("moved", 20));
    f.write("run.sh", "#!/bin/sh\n");
    f.write("kind", "a file that becomes a symlink\n");
    f.write("sub", "a file that becomes a submodule\n");
    f.commit_all(&format!("Prepare files\n\n{SOB}"));
    s.attest(&[]).success();
    // Every kind of change in one commit.
    f.write(
        "src/main.c",
        lines("int main", 30).replace("line 5\n", "line five\n"),
    );
    f.write("src/new.c", lines("new", 3));
    std::fs::remove_file(f.path("src/gone.c")).unwrap();
    std::fs::rename(f.path("src/moved.c"), f.path("src/renamed.c")).unwrap();
    f.write("src/bin.dat", [0u8, 1, 2, 4, 5]);
    f.write("docs/guide.rst", "Guide\n=====\n");
    std::fs::remove_file(f.path("kind")).unwrap();
    std::os::unix::fs::symlink("src/main.c", f.path("kind")).unwrap();
    f.write("no-newline.txt", "last line without newline");
    f.git(&["add", "-A"]);
    f.git(&["update-index", "--chmod=+x", "run.sh"]);
    f.git(&["rm", "-q", "--cached", "sub"]);
    std::fs::remove_file(f.path("sub")).unwrap();
    let sub = f.git(&["rev-parse", "HEAD"]);
    f.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{},sub", sub.trim()),
    ]);
    f.git(&[
        "commit",
        "-q",
        "-m",
        &format!("Everything at once\n\nAI-used-for: code, docs (mechanical)\n{SOB}"),
    ]);
    let status = f.git(&["show", "--format=", "--name-status", "HEAD"]);
    for kind in ["M\t", "A\t", "D\t", "R100\t", "T\t"] {
        assert!(status.contains(kind), "fixture lacks {kind:?}: {status}");
    }
    s.attest(&[]).success();
    let (code, report) = s.verify();
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["verdict"], "pass");
    assert_eq!(report["changes"].as_array().unwrap().len(), 2);
}

#[test]
fn an_unattested_commit_is_signature_missing() {
    let s = setup();
    s.f.write("src/main.c", "changed\n");
    s.f.commit_all(&format!("Change\n\n{SOB}"));
    assert_eq!(s.codes(), (1, vec!["signature.missing".to_string()]));
}

#[test]
fn a_note_that_is_not_an_envelope_is_signature_invalid() {
    let s = setup();
    s.f.write("src/main.c", "changed\n");
    s.f.commit_all(&format!("Change\n\n{SOB}"));
    s.set_note("HEAD", "{\"not\": \"an envelope\"}");
    let (code, codes) = s.codes();
    assert_eq!(code, 1);
    assert_eq!(codes, vec!["signature.invalid"]);
}

/// Flips one character of a base64 field of the note's envelope.
fn tamper(note: &str, field: &str) -> String {
    let mut env: Value = serde_json::from_str(note.trim()).expect("envelope");
    let target = if field == "payload" {
        &mut env["payload"]
    } else {
        &mut env["signatures"][0]["sig"]
    };
    let s = target.as_str().unwrap().to_string();
    let mut bytes = s.into_bytes();
    let i = bytes.len() / 2;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    *target = Value::String(String::from_utf8(bytes).unwrap());
    env.to_string()
}

#[test]
fn a_changed_byte_of_the_payload_or_signature_is_signature_invalid() {
    for field in ["payload", "sig"] {
        let s = setup();
        s.f.write("src/main.c", "changed\n");
        s.f.commit_all(&format!("Change\n\n{SOB}"));
        s.attest(&[]).success();
        assert_eq!(s.codes(), (0, vec![]));
        let tampered = tamper(&s.note(), field);
        s.set_note("HEAD", &tampered);
        let (code, codes) = s.codes();
        assert_eq!(code, 1, "{field}");
        assert!(
            codes.contains(&"signature.invalid".to_string()),
            "{field}: {codes:?}"
        );
    }
}

#[test]
fn a_changed_line_is_a_digest_mismatch() {
    let s = setup();
    s.f.write(
        "src/main.c",
        lines("int main", 30).replace("line 3\n", "line three\n"),
    );
    s.f.commit_all(&format!("Change\n\n{SOB}"));
    s.attest(&[]).success();
    let note = s.note();
    s.f.write(
        "src/main.c",
        lines("int main", 30).replace("line 3\n", "line THREE\n"),
    );
    s.f.git(&["commit", "-q", "-a", "--amend", "--no-edit"]);
    s.set_note("HEAD", &note);
    let (code, codes) = s.codes();
    assert_eq!(
        (code, codes),
        (1, vec!["coverage.digest-mismatch".to_string()])
    );
}

#[test]
fn a_trailer_category_that_differs_from_the_attestation_is_a_mismatch() {
    let s = setup();
    s.f.write("tests/t.c", "new test\n");
    s.f.commit_all(&format!("Add a test\n\nAI-used-for: code\n{SOB}"));
    s.attest(&["--ai", "*=code"]).success();
    // The trailer edited after signing (the note follows the amend); attest itself refuses to
    // sign less than a trailer says.
    s.f.git(&[
        "commit",
        "-q",
        "--amend",
        "-m",
        &format!("Add a test\n\nAI-used-for: tests\n{SOB}"),
    ]);
    assert_eq!(s.codes(), (1, vec!["trailer.mismatch".to_string()]));
}

#[test]
fn a_key_missing_from_the_keyring_is_untrusted() {
    let s = setup();
    s.f.write("src/main.c", "changed\n");
    s.f.commit_all(&format!("Change\n\n{SOB}"));
    s.attest_as(&s.bob_key, &[]).success();
    assert_eq!(s.codes(), (1, vec!["signature.untrusted".to_string()]));
}

#[test]
fn a_key_that_the_change_itself_adds_is_untrusted() {
    let s = setup();
    s.f.aiprov()
        .args(["keyring", "add", "alice@example.org"])
        .arg(s.bob_key.with_extension("pub"))
        .assert()
        .success();
    s.f.write("src/main.c", "changed\n");
    s.f.commit_all(&format!("Trust my other key\n\n{SOB}"));
    s.attest_as(&s.bob_key, &[]).success();
    assert_eq!(s.codes(), (1, vec!["signature.untrusted".to_string()]));
}

fn keyring_with(s: &Setup, args: &[&str]) {
    std::fs::remove_file(s.f.path(".aiprov/keyring.toml")).unwrap();
    s.f.aiprov().arg("init").assert().success();
    s.f.aiprov()
        .args(["keyring", "add", "alice@example.org"])
        .arg(s.alice_key.with_extension("pub"))
        .args(args)
        .assert()
        .success();
}

#[test]
fn an_expired_key_is_untrusted() {
    let s = setup();
    keyring_with(&s, &["--valid-before", "2025-06-01"]);
    let base = s.f.commit_all(&format!("Key expires\n\n{SOB}"));
    s.f.write("src/main.c", "changed\n");
    s.f.commit_all(&format!("Change\n\n{SOB}"));
    // aiprov attest refuses to sign with this key; verify refuses a signature made without it.
    s.attest(&[]).code(2);
    common::attest_unchecked(&s.f, &s.alice_key, "alice@example.org", &[]);
    let s = Setup { base, ..s };
    let (code, codes) = s.codes();
    assert_eq!((code, codes), (1, vec!["signature.untrusted".to_string()]));
}

#[test]
fn a_revoked_key_is_untrusted() {
    let s = setup();
    s.f.aiprov()
        .args(["keyring", "revoke", "--reason", "laptop lost"])
        .arg(s.alice_key.with_extension("pub"))
        .assert()
        .success();
    let base = s.f.commit_all(&format!("Revoke a key\n\n{SOB}"));
    s.f.write("src/main.c", "changed\n");
    s.f.commit_all(&format!("Change\n\n{SOB}"));
    // aiprov attest refuses to sign with this key; verify refuses a signature made without it.
    s.attest(&[]).code(2);
    common::attest_unchecked(&s.f, &s.alice_key, "alice@example.org", &[]);
    let s = Setup { base, ..s };
    let (code, codes) = s.codes();
    assert_eq!((code, codes), (1, vec!["signature.untrusted".to_string()]));
}

#[test]
fn an_attestation_copied_onto_another_commit_is_reported() {
    let s = setup();
    s.f.write("src/main.c", "changed\n");
    s.f.commit_all(&format!("Change\n\n{SOB}"));
    s.attest(&[]).success();
    let note = s.note();
    s.f.write("tests/t.c", "other\n");
    s.f.commit_all(&format!("Other change\n\n{SOB}"));
    s.set_note("HEAD", &note);
    let (code, mut codes) = s.codes();
    codes.sort();
    assert_eq!(code, 1);
    assert_eq!(codes, vec!["coverage.file-extra", "coverage.file-missing"]);
}

#[test]
fn a_change_without_signed_off_by_is_dco_missing() {
    let s = setup();
    s.f.write("src/main.c", "changed\n");
    s.f.commit_all("Change without sign-off");
    s.attest(&[]).success();
    let (code, mut codes) = s.codes();
    codes.sort();
    assert_eq!(code, 1);
    assert_eq!(
        codes,
        vec!["dco.missing", "signature.signer-not-signed-off"]
    );
}

#[test]
fn merge_commits_without_attestation_are_skipped_and_attested_ones_verified() {
    let s = setup();
    let f = &s.f;
    f.git(&["checkout", "-q", "-b", "topic"]);
    f.write("tests/t.c", "topic\n");
    f.commit_all(&format!("Topic change\n\n{SOB}"));
    s.attest(&[]).success();
    f.git(&["checkout", "-q", "main"]);
    f.write("src/main.c", "main\n");
    f.commit_all(&format!("Main change\n\n{SOB}"));
    s.attest(&[]).success();
    f.git(&[
        "merge",
        "-q",
        "--no-ff",
        "-m",
        &format!("Merge topic\n\n{SOB}"),
        "topic",
    ]);
    let (code, report) = s.verify();
    assert_eq!(code, 0, "{report:#}");
    let verdicts: Vec<&str> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(
        verdicts.iter().filter(|v| **v == "skipped").count(),
        1,
        "{verdicts:?}"
    );
    // Attested, a merge is verified against its first parent: the topic's file.
    s.attest(&[]).success();
    let (code, report) = s.verify();
    assert_eq!(code, 0, "{report:#}");
    assert!(report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["verdict"] == "pass"));
}

#[test]
fn a_keyring_backed_by_git_allowed_signers() {
    let f = Fixture::new();
    let alice = f.keygen("alice");
    let bob = f.keygen("bob");
    let public = |k: &std::path::Path| std::fs::read_to_string(k.with_extension("pub")).unwrap();
    f.aiprov().arg("init").assert().success();
    let keyring = std::fs::read_to_string(f.path(".aiprov/keyring.toml")).unwrap();
    f.write(
        ".aiprov/keyring.toml",
        keyring.replace(
            "# allowed-signers = \"../.gitsigners\"",
            "allowed-signers = \"../.gitsigners\"",
        ),
    );
    f.write(
        ".gitsigners",
        format!(
            "# git's SSH allowed signers\n*@example.org namespaces=\"git\",valid-after=\"20250101\" {}\nbob@elsewhere.org {}",
            public(&alice).trim(),
            public(&bob).trim()
        ),
    );
    f.write("a.c", lines("a", 3));
    let base = f.commit_all(&format!("Base\n\n{SOB}"));
    f.write("a.c", lines("a", 4));
    f.commit_all(&format!("Change\n\n{SOB}"));
    f.aiprov()
        .args(["attest", "--key"])
        .arg(&alice)
        .assert()
        .success();
    let s = Setup {
        f,
        base,
        alice_key: alice,
        bob_key: bob,
    };
    assert_eq!(s.codes(), (0, vec![]));
    // bob's key is trusted only for bob@elsewhere.org, not for the signer alice@example.org:
    // aiprov attest refuses to sign so, and verify refuses such a signature made without it.
    s.attest_as(&s.bob_key, &["--signer", "alice@example.org"])
        .code(2);
    common::attest_unchecked(&s.f, &s.bob_key, "alice@example.org", &[]);
    assert_eq!(s.codes(), (1, vec!["signature.untrusted".to_string()]));
}

#[test]
fn an_empty_range_says_that_nothing_was_verified() {
    let s = setup();
    let outcome = s.f.outcome(s.f.aiprov().args(["verify", "HEAD..HEAD"]));
    insta::assert_snapshot!(outcome, @"
    exit: 0
    --- stdout
    verified: 0 passed, 0 failed
    --- stderr
    warning: HEAD..HEAD names no commits: nothing was verified
    ");
    let json =
        s.f.aiprov()
            .args(["verify", "--format", "json", "HEAD..HEAD"])
            .output()
            .expect("verify");
    assert!(String::from_utf8_lossy(&json.stderr).contains("nothing was verified"));
    let doc: Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(doc["changes"], serde_json::json!([]));
}

#[test]
fn a_clone_without_the_notes_says_how_to_fetch_them() {
    let s = setup();
    s.f.write("src/main.c", "changed\n");
    s.f.commit_all(&format!("Change\n\n{SOB}"));
    s.attest(&[]).success();
    let clone = s.f.tmp.path().join("clone");
    common::git(
        s.f.tmp.path(),
        &["clone", "-q", s.f.repo.to_str().expect("path"), "clone"],
    );
    let range = format!("{}..HEAD", s.base);
    let verify = || {
        s.f.aiprov()
            .current_dir(&clone)
            .args(["verify", &range])
            .output()
            .expect("verify")
    };
    let before = verify();
    let stderr = String::from_utf8_lossy(&before.stderr);
    assert_eq!(before.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("has no attestation notes")
            && stderr.contains("(hint: `aiprov fetch origin`)"),
        "{stderr}"
    );
    // Fetched as the hint says, the notes are there and the change verifies.
    s.f.aiprov()
        .current_dir(&clone)
        .args(["fetch", "origin"])
        .assert()
        .success();
    let after = verify();
    assert_eq!(
        after.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&after.stdout)
    );
    assert!(!String::from_utf8_lossy(&after.stderr).contains("no attestation notes"));
}

#[test]
fn init_fetches_the_remotes_notes_beside_yours_and_verify_says_to_merge_them_with_aiprov_fetch() {
    let s = setup();
    s.f.write("src/main.c", "changed\n");
    s.f.commit_all(&format!("Change\n\n{SOB}"));
    s.attest(&[]).success();
    let clone = s.f.tmp.path().join("clone");
    common::git(
        s.f.tmp.path(),
        &["clone", "-q", s.f.repo.to_str().expect("path"), "clone"],
    );
    let aiprov = |args: &[&str]| {
        s.f.aiprov()
            .current_dir(&clone)
            .args(args)
            .output()
            .expect("aiprov")
    };
    assert_eq!(aiprov(&["init"]).status.code(), Some(0));
    let range = format!("{}..HEAD", s.base);
    common::git(&clone, &["fetch", "-q", "origin"]);
    let before = aiprov(&["verify", &range]);
    let stderr = String::from_utf8_lossy(&before.stderr);
    assert_eq!(before.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("`aiprov fetch origin`: they were fetched into refs/notes/remotes/origin/aiprov, not merged"),
        "{stderr}"
    );
    // The second init adds nothing: the refspec is there once.
    assert_eq!(aiprov(&["init"]).status.code(), Some(0));
    let refspecs = common::git(&clone, &["config", "--get-all", "remote.origin.fetch"]);
    assert_eq!(
        refspecs
            .lines()
            .filter(|l| l.contains("refs/notes/"))
            .count(),
        1,
        "{refspecs}"
    );
    assert_eq!(aiprov(&["fetch"]).status.code(), Some(0));
    let after = aiprov(&["verify", &range]);
    assert_eq!(
        after.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&after.stderr)
    );
}
