//! Bad input to the command itself: exit code 2 and a clear one-line error, never a panic.

use crate::common;

use common::Fixture;
use predicates::prelude::*;

/// Runs aiprov and checks: exit 2, an `error:` line containing `expected`, no panic.
fn fails_cleanly(cmd: &mut assert_cmd::Command, expected: &str) {
    let out = cmd.output().expect("run aiprov");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    let first = stderr.lines().next().unwrap_or_default();
    assert!(first.starts_with("error: "), "stderr: {stderr}");
    assert!(
        stderr.contains(expected),
        "expected {expected:?} in: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
}

fn repo_with_commit() -> Fixture {
    let f = Fixture::new();
    f.write("a.txt", "a\n");
    f.commit_all("first\n\nSigned-off-by: Alice Author <alice@example.org>");
    f
}

#[test]
fn a_directory_that_is_not_a_repository() {
    let f = Fixture::new();
    let outside = f.tmp.path().join("plain");
    std::fs::create_dir_all(&outside).unwrap();
    fails_cleanly(
        f.aiprov()
            .arg("-C")
            .arg(&outside)
            .arg("verify")
            .env("GIT_CEILING_DIRECTORIES", f.tmp.path()),
        "not a git repository",
    );
}

#[test]
fn an_unknown_revision() {
    let f = repo_with_commit();
    fails_cleanly(
        f.aiprov().args(["verify", "no-such-branch"]),
        "unknown revision 'no-such-branch'",
    );
    fails_cleanly(
        f.aiprov().args(["verify", "HEAD..nope"]),
        "unknown revision 'nope'",
    );
    fails_cleanly(
        f.aiprov().args(["attest", "deadbeef"]),
        "unknown revision 'deadbeef'",
    );
}

#[test]
fn an_unreadable_or_malformed_key_file() {
    let f = repo_with_commit();
    fails_cleanly(
        f.aiprov().args(["attest", "--key", "/nonexistent/key"]),
        "cannot read key file",
    );
    f.write("../bad-key", "this is not a key\n");
    fails_cleanly(
        f.aiprov()
            .args(["attest", "--key"])
            .arg(f.tmp.path().join("bad-key")),
        "not an OpenSSH public key",
    );
    f.write(
        "../bad-private",
        "-----BEGIN OPENSSH PRIVATE KEY-----\ngarbage\n-----END OPENSSH PRIVATE KEY-----\n",
    );
    fails_cleanly(
        f.aiprov()
            .args(["attest", "--key"])
            .arg(f.tmp.path().join("bad-private")),
        "is not an OpenSSH private key",
    );
    fails_cleanly(
        f.aiprov()
            .args(["keyring", "add", "alice@example.org"])
            .arg(f.tmp.path().join("bad-key")),
        "is not a usable public key",
    );
}

#[test]
fn an_encrypted_key_without_passphrase_or_with_a_wrong_one() {
    let f = repo_with_commit();
    let key = f.tmp.path().join("enc");
    f.aiprov()
        .args(["keygen", "-N", "secret", "-f"])
        .arg(&key)
        .assert()
        .success();
    fails_cleanly(
        f.aiprov().args(["attest", "--key"]).arg(&key),
        "is encrypted",
    );
    fails_cleanly(
        f.aiprov()
            .args(["attest", "--key"])
            .arg(&key)
            .env("AIPROV_KEY_PASSPHRASE", "wrong"),
        "wrong passphrase",
    );
    f.aiprov()
        .args(["attest", "--key"])
        .arg(&key)
        .env("AIPROV_KEY_PASSPHRASE", "secret")
        .assert()
        .success();
}

#[test]
fn a_malformed_keyring() {
    let f = repo_with_commit();
    f.write(
        ".aiprov/keyring.toml",
        "version = 1\n[[signer]]\nidentity = \"a@b\"\nkey = \"ssh-ed25519 AAAA\"\n",
    );
    f.commit_all("bad keyring\n\nSigned-off-by: Alice Author <alice@example.org>");
    f.write("a.txt", "b\n");
    f.commit_all("change\n\nSigned-off-by: Alice Author <alice@example.org>");
    fails_cleanly(f.aiprov().args(["verify", "HEAD"]), "keyring.toml");
    f.write(".aiprov/keyring.toml", "version = 1\nsigner = 3\n");
    f.commit_all("worse keyring\n\nSigned-off-by: Alice Author <alice@example.org>");
    f.write("a.txt", "c\n");
    f.commit_all("change\n\nSigned-off-by: Alice Author <alice@example.org>");
    fails_cleanly(f.aiprov().args(["verify", "HEAD"]), "keyring.toml");
    fails_cleanly(f.aiprov().args(["keyring", "list"]), "keyring.toml");
}

#[test]
fn without_a_keyring_nothing_is_trusted_and_the_warning_says_why() {
    let f = repo_with_commit();
    f.write("a.txt", "b\n");
    f.commit_all("change\n\nSigned-off-by: Alice Author <alice@example.org>");
    let key = f.tmp.path().join("k");
    f.aiprov()
        .args(["keygen", "-f"])
        .arg(&key)
        .assert()
        .success();
    f.aiprov()
        .args(["attest", "--key"])
        .arg(&key)
        .assert()
        .success();
    for (rev, code) in [
        ("HEAD", "signature.untrusted"),
        ("HEAD~1", "signature.missing"),
    ] {
        let out = f
            .aiprov()
            .args(["verify", "--format", "json", rev])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("warning: there is no .aiprov/keyring.toml at"),
            "{stderr}"
        );
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["changes"][0]["findings"][0]["code"], code, "{rev}");
    }
    // An explicit keyring directory that does not exist is an error of the command.
    fails_cleanly(
        f.aiprov()
            .args(["verify", "--keyring", "/nonexistent", "HEAD"]),
        "does not exist",
    );
}

#[test]
fn errors_are_json_with_format_json() {
    let f = repo_with_commit();
    let out = f
        .aiprov()
        .args(["--format", "json", "verify", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON error");
    assert_eq!(doc["error"]["message"], "unknown revision 'nope'");
}

#[test]
fn usage_errors_exit_2() {
    let f = repo_with_commit();
    f.aiprov()
        .args(["verify", "--no-such-flag"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unexpected argument"));
    fails_cleanly(
        f.aiprov().args(["attest", "--ai", "nonsense"]),
        "invalid --ai rule",
    );
    fails_cleanly(
        f.aiprov().args(["attest", "--ai", "*=magic"]),
        "unknown category",
    );
    fails_cleanly(
        f.aiprov().args([
            "keyring",
            "add",
            "alice@example.org",
            "x.pub",
            "--valid-after",
            "tomorrow",
        ]),
        "invalid date",
    );
}
