//! Whom `attest`, `approve` and `archive` sign as: the identity the keyring at the trusted
//! revision trusts the key for, so that nothing is signed that will not verify.

use crate::common;

use common::{lines, Fixture};
use serde_json::Value;

/// A repository whose keyring trusts `key` for `alice@work.example` (and `extra`), while git's
/// user is `alice@personal.example`; HEAD is a change to attest, signed off by its author and as
/// `alice@work.example`.
fn setup(extra: &[&str]) -> (Fixture, std::path::PathBuf, String) {
    let f = Fixture::new();
    let key = f.keygen("alice");
    f.init_trusting("alice@work.example", &key);
    for email in extra {
        f.aiprov()
            .args(["keyring", "add", email])
            .arg(key.with_extension("pub"))
            .assert()
            .success();
    }
    let base = f.commit_all("Trust alice's key\n\nSigned-off-by: Alice <alice@work.example>");
    f.write("src/lib.c", lines("code", 5));
    f.commit_all(
        "Add lib\n\nSigned-off-by: Alice Author <alice@example.org>\nSigned-off-by: Alice <alice@work.example>",
    );
    (f, key, base)
}

fn as_user(f: &Fixture) -> assert_cmd::Command {
    let mut c = f.aiprov();
    c.env("GIT_COMMITTER_EMAIL", "alice@personal.example")
        .env("GIT_COMMITTER_NAME", "Alice");
    c
}

/// `aiprov attest -y --human '**' --key KEY` of HEAD as git's user alice@personal.example.
fn attest(f: &Fixture, key: &std::path::Path) -> std::process::Output {
    as_user(f)
        .args(["attest", "-y", "--human", "**", "--key"])
        .arg(key)
        .output()
        .expect("run aiprov attest")
}

fn notes(f: &Fixture) -> String {
    f.git(&["notes", "--ref=aiprov", "list"])
}

fn verify(f: &Fixture, range: &str) -> (i32, Value) {
    let out = f
        .aiprov()
        .args(["verify", "--format", "json", range])
        .output()
        .expect("run");
    let doc = serde_json::from_slice(&out.stdout).expect("JSON report");
    (out.status.code().unwrap_or(-1), doc)
}

fn signers(doc: &Value) -> Vec<String> {
    doc["changes"][0]["attestations"]
        .as_array()
        .expect("attestations")
        .iter()
        .map(|a| a["signer"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn attest_signs_as_the_identity_the_keyring_trusts_the_key_for() {
    let (f, key, base) = setup(&[]);
    let out = attest(&f, &key);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("signing as alice@work.example")
            && stderr.contains("alice@personal.example"),
        "{stderr}"
    );
    let (code, doc) = verify(&f, &format!("{base}..HEAD"));
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(signers(&doc), ["alice@work.example"], "{doc:#}");
}

#[test]
fn a_signer_the_key_is_not_trusted_for_is_refused_and_nothing_is_written() {
    let (f, key, _) = setup(&[]);
    let outcome = f.outcome(
        as_user(&f)
            .args([
                "attest",
                "-y",
                "--human",
                "**",
                "--signer",
                "mallory@work.example",
                "--key",
            ])
            .arg(&key),
    );
    assert!(outcome.starts_with("exit: 2"), "{outcome}");
    assert!(
        outcome.contains("does not trust the key SHA256:")
            && outcome.contains("for mallory@work.example")
            && outcome.contains("hint: the key is trusted for alice@work.example"),
        "{outcome}"
    );
    assert_eq!(notes(&f), "", "a refused attestation must not be stored");
    // The same for an approval and, with --stdout, for an envelope printed only.
    let approve = as_user(&f)
        .args(["approve", "--signer", "mallory@work.example", "--key"])
        .arg(&key)
        .output()
        .unwrap();
    assert_eq!(approve.status.code(), Some(2));
    let printed = as_user(&f)
        .args([
            "attest",
            "-y",
            "--stdout",
            "--human",
            "**",
            "--signer",
            "bob@x.example",
            "--key",
        ])
        .arg(&key)
        .output()
        .unwrap();
    assert_eq!(printed.status.code(), Some(2));
    assert!(printed.stdout.is_empty());
    assert_eq!(notes(&f), "");
}

#[test]
fn several_identities_for_one_key_need_a_choice() {
    let (f, key, base) = setup(&["alice@other.example"]);
    let outcome = f.outcome(
        as_user(&f)
            .args(["attest", "-y", "--human", "**", "--key"])
            .arg(&key),
    );
    assert!(outcome.starts_with("exit: 2"), "{outcome}");
    assert!(
        outcome.contains("several identities") && outcome.contains("pass --signer EMAIL"),
        "{outcome}"
    );
    as_user(&f)
        .args([
            "attest",
            "-y",
            "--human",
            "**",
            "--signer",
            "ALICE@work.example",
            "--key",
        ])
        .arg(&key)
        .assert()
        .success();
    let (code, doc) = verify(&f, &format!("{base}..HEAD"));
    assert_eq!(code, 0, "{doc:#}");
    // git's user, when the key is trusted for it, needs no choice.
    let f2 = setup(&["alice@personal.example"]).0;
    as_user(&f2)
        .args(["attest", "-y", "--human", "**", "--key"])
        .arg(key_of(&f2))
        .assert()
        .success();
}

fn key_of(f: &Fixture) -> std::path::PathBuf {
    f.tmp.path().join("keys/alice")
}

#[test]
fn a_key_in_no_keyring_signs_with_a_warning_on_how_to_trust_it() {
    let f = Fixture::new();
    let key = f.keygen("new");
    f.write("a.c", lines("a", 2));
    f.commit_all("First\n\nSigned-off-by: Alice <alice@personal.example>");
    f.write("a.c", lines("a", 3));
    f.commit_all("Second\n\nSigned-off-by: Alice <alice@personal.example>");
    let out = attest(&f, &key);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("no keyring trusts the key SHA256:")
            && stderr.contains("there is none at")
            && stderr.contains("aiprov keyring add alice@personal.example"),
        "{stderr}"
    );
    assert_ne!(notes(&f), "");
}

#[test]
fn a_revoked_key_does_not_sign() {
    let (f, key, _) = setup(&[]);
    f.aiprov()
        .args(["keyring", "revoke"])
        .arg(key.with_extension("pub"))
        .assert()
        .success();
    f.git(&["add", "-A"]);
    f.git(&["commit", "-q", "-m", "Revoke"]);
    f.write("src/lib.c", lines("code", 6));
    f.commit_all("More\n\nSigned-off-by: Alice <alice@work.example>");
    let outcome = f.outcome(
        as_user(&f)
            .args(["attest", "-y", "--human", "**", "--key"])
            .arg(&key),
    );
    assert!(
        outcome.starts_with("exit: 2") && outcome.contains("is revoked"),
        "{outcome}"
    );
}

#[test]
fn an_approval_is_signed_as_the_maintainer_the_keyring_names() {
    let f = Fixture::new();
    let alice = f.keygen("alice");
    let bob = f.keygen("bob");
    f.init_trusting("alice@example.org", &alice);
    f.aiprov()
        .args(["keyring", "add", "bob@maintainers.example"])
        .arg(bob.with_extension("pub"))
        .assert()
        .success();
    f.write(
        "MAINTAINERS",
        "LIB\nM: Bob <bob@maintainers.example>\nF: src/\n",
    );
    let base = f.commit_all("Trust; MAINTAINERS\n\nSigned-off-by: Alice <alice@example.org>");
    f.write("src/lib.c", lines("ai", 60));
    f.commit_all("Add lib\n\nAI-used-for: code\nSigned-off-by: Alice <alice@example.org>");
    f.aiprov()
        .args(["attest", "-y", "--ai", "src/**=code", "--key"])
        .arg(&alice)
        .env("GIT_COMMITTER_EMAIL", "alice@example.org")
        .assert()
        .success();
    let (code, _) = verify(&f, &format!("{base}..HEAD"));
    assert_eq!(code, 1, "60 AI lines need a maintainer's approval");
    // Bob's git identity is his personal address; the keyring names his maintainer address.
    let out = f
        .aiprov()
        .args(["approve", "--key"])
        .arg(&bob)
        .env("GIT_COMMITTER_EMAIL", "bob@home.example")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("as bob@maintainers.example"));
    let (code, doc) = verify(&f, &format!("{base}..HEAD"));
    assert_eq!(code, 0, "{doc:#}");
}

#[test]
fn a_release_summary_is_signed_as_the_release_manager_the_keyring_names() {
    let f = Fixture::new();
    let rita = f.keygen("rita");
    f.init_trusting("rita@release.example", &rita);
    f.commit_all("Trust the release manager\n\nSigned-off-by: Alice Author <alice@example.org>");
    f.git(&["tag", "v1.0"]);
    f.write("a.c", lines("a", 3));
    f.commit_all("Change\n\nSigned-off-by: Alice Author <alice@example.org>");
    f.git(&["tag", "v1.1"]);
    let archive = f.tmp.path().join("release.intoto.jsonl");
    let rm = |cmd: &mut assert_cmd::Command| {
        cmd.env("GIT_COMMITTER_EMAIL", "rita@home.example")
            .args(["archive", "v1.0..v1.1", "--key"])
            .arg(&rita)
            .arg("-o")
            .arg(&archive)
            .output()
            .expect("archive")
    };
    let out = rm(&mut f.aiprov());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("signed by rita@release.example"),
        "{stdout}"
    );
    let verified = f
        .aiprov()
        .args(["verify", "--archive"])
        .arg(&archive)
        .output()
        .expect("verify --archive");
    let report = String::from_utf8_lossy(&verified.stdout);
    assert!(
        verified.status.success() && report.contains("archive verified"),
        "{report}{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    // A key the release base does not trust for the identity asked for is refused.
    let refused = f
        .aiprov()
        .args([
            "archive",
            "v1.0..v1.1",
            "--signer",
            "mallory@release.example",
            "--key",
        ])
        .arg(&rita)
        .arg("-o")
        .arg(f.tmp.path().join("refused.jsonl"))
        .output()
        .expect("archive");
    assert_eq!(refused.status.code(), Some(2));
    assert!(!f.tmp.path().join("refused.jsonl").exists());
}
