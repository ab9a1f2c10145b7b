//! Bad input to the command itself: exit code 2 and a clear one-line error, never a panic. Each
//! outcome is a snapshot (`Fixture::outcome`): the exit code, stdout and the whole of stderr.

use crate::common;

use common::Fixture;

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
    let outcome = f.outcome(
        f.aiprov()
            .arg("-C")
            .arg(&outside)
            .arg("verify")
            .env("GIT_CEILING_DIRECTORIES", f.tmp.path()),
    );
    insta::assert_snapshot!(outcome, @"
        exit: 2
        --- stdout
        --- stderr
        error: not a git repository: [TMP]/plain
        caused by: could not find repository at '[TMP]/plain'
        ");
}

#[test]
fn an_unknown_revision() {
    let f = repo_with_commit();
    insta::assert_snapshot!(f.outcome(f.aiprov().args(["verify", "no-such-branch"])), @"
        exit: 2
        --- stdout
        --- stderr
        error: unknown revision 'no-such-branch'
        caused by: revspec 'no-such-branch' not found
        ");
    insta::assert_snapshot!(f.outcome(f.aiprov().args(["verify", "HEAD..nope"])), @"
        exit: 2
        --- stdout
        --- stderr
        error: unknown revision 'nope'
        caused by: revspec 'nope' not found
        ");
    insta::assert_snapshot!(f.outcome(f.aiprov().args(["attest", "deadbeef"])), @"
        exit: 2
        --- stdout
        --- stderr
        error: unknown revision 'deadbeef'
        caused by: revspec 'deadbeef' not found
        ");
}

#[test]
fn an_unreadable_or_malformed_key_file() {
    let f = repo_with_commit();
    insta::assert_snapshot!(f.outcome(f.aiprov().args(["attest", "--key", "/nonexistent/key"])), @"
        exit: 2
        --- stdout
        --- stderr
        error: cannot read key file /nonexistent/key
        caused by: No such file or directory (os error 2)
        ");
    f.write("../bad-key", "this is not a key\n");
    let outcome = f.outcome(
        f.aiprov()
            .args(["attest", "--key"])
            .arg(f.tmp.path().join("bad-key")),
    );
    insta::assert_snapshot!(outcome, @"
        exit: 2
        --- stdout
        --- stderr
        error: not an OpenSSH public key: Base64 encoding error: invalid Base64 encoding
        ");
    f.write(
        "../bad-private",
        "-----BEGIN OPENSSH PRIVATE KEY-----\ngarbage\n-----END OPENSSH PRIVATE KEY-----\n",
    );
    let outcome = f.outcome(
        f.aiprov()
            .args(["attest", "--key"])
            .arg(f.tmp.path().join("bad-private")),
    );
    insta::assert_snapshot!(outcome, @"
        exit: 2
        --- stdout
        --- stderr
        error: [TMP]/bad-private is not an OpenSSH private key
        caused by: PEM Base64 error: invalid Base64 encoding
        ");
    let outcome = f.outcome(
        f.aiprov()
            .args(["keyring", "add", "alice@example.org"])
            .arg(f.tmp.path().join("bad-key")),
    );
    insta::assert_snapshot!(outcome, @"
        exit: 2
        --- stdout
        --- stderr
        error: [TMP]/bad-key is not a usable public key
        caused by: not an OpenSSH public key: Base64 encoding error: invalid Base64 encoding
        ");
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
    insta::assert_snapshot!(f.outcome(f.aiprov().args(["attest", "--key"]).arg(&key)), @"
        exit: 2
        --- stdout
        --- stderr
        error: [TMP]/enc is encrypted and no passphrase was given
        hint: set AIPROV_KEY_PASSPHRASE, or add the key to ssh-agent (`ssh-add [TMP]/enc`); on a terminal aiprov asks for it
        ");
    let outcome = f.outcome(
        f.aiprov()
            .args(["attest", "--key"])
            .arg(&key)
            .env("AIPROV_KEY_PASSPHRASE", "wrong"),
    );
    insta::assert_snapshot!(outcome, @"
        exit: 2
        --- stdout
        --- stderr
        error: wrong passphrase for [TMP]/enc
        ");
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
    insta::assert_snapshot!(f.outcome(f.aiprov().args(["verify", "HEAD"])), @r#"
        exit: 2
        --- stdout
        --- stderr
        error: .aiprov at [id]/keyring.toml:4:7: signer 1 (a@b): not an OpenSSH public key: Base64 encoding error: invalid Base64 length
          |
        4 | key = "ssh-ed25519 AAAA"
          |       ^^^^^^^^^^^^^^^^^^
        hint: the keyring is read from the trusted revision [id]; fix it there, or pass --trust-ref or --keyring
        "#);
    f.write(".aiprov/keyring.toml", "version = 1\nsigner = 3\n");
    f.commit_all("worse keyring\n\nSigned-off-by: Alice Author <alice@example.org>");
    f.write("a.txt", "c\n");
    f.commit_all("change\n\nSigned-off-by: Alice Author <alice@example.org>");
    insta::assert_snapshot!(f.outcome(f.aiprov().args(["verify", "HEAD"])), @"
        exit: 2
        --- stdout
        --- stderr
        error: .aiprov at [id]/keyring.toml:2:10: invalid type: integer `3`, expected a sequence
          |
        2 | signer = 3
          |          ^
        hint: the keyring is read from the trusted revision [id]; fix it there, or pass --trust-ref or --keyring
        ");
    insta::assert_snapshot!(f.outcome(f.aiprov().args(["keyring", "list"])), @"
        exit: 2
        --- stdout
        --- stderr
        error: .aiprov/keyring.toml:2:10: invalid type: integer `3`, expected a sequence
          |
        2 | signer = 3
          |          ^
        ");
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
    for (rev, name, code) in [
        ("HEAD", "head", "signature.untrusted"),
        ("HEAD~1", "parent", "signature.missing"),
    ] {
        let out = f
            .aiprov()
            .args(["verify", "--format", "json", rev])
            .output()
            .unwrap();
        insta::assert_snapshot!(format!("without_a_keyring_{name}"), f.render(&out));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["changes"][0]["findings"][0]["code"], code, "{rev}");
    }
    // An explicit keyring directory that does not exist is an error of the command.
    let outcome = f.outcome(
        f.aiprov()
            .args(["verify", "--keyring", "/nonexistent", "HEAD"]),
    );
    insta::assert_snapshot!(outcome, @"
        exit: 2
        --- stdout
        --- stderr
        error: keyring directory /nonexistent does not exist
        ");
}

#[test]
fn errors_are_json_with_format_json() {
    let f = repo_with_commit();
    let out = f
        .aiprov()
        .args(["--format", "json", "verify", "nope"])
        .output()
        .unwrap();
    insta::assert_snapshot!(f.render(&out), @r#"
        exit: 2
        --- stdout
        {
          "error": {
            "causes": [
              "revspec 'nope' not found"
            ],
            "hint": null,
            "message": "unknown revision 'nope'"
          }
        }
        --- stderr
        "#);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON error");
    assert_eq!(doc["error"]["message"], "unknown revision 'nope'");
}

#[test]
fn usage_errors_exit_2() {
    let f = repo_with_commit();
    insta::assert_snapshot!(f.outcome(f.aiprov().args(["verify", "--no-such-flag"])), @"
        exit: 2
        --- stdout
        --- stderr
        error: unexpected argument '--no-such-flag' found

          tip: to pass '--no-such-flag' as a value, use '-- --no-such-flag'

        Usage: aiprov verify [OPTIONS] [REV|RANGE]...

        For more information, try '--help'.
        ");
    insta::assert_snapshot!(f.outcome(f.aiprov().args(["attest", "--ai", "nonsense"])), @"
        exit: 2
        --- stdout
        --- stderr
        error: invalid --ai rule 'nonsense': expected GLOB=CATEGORY[, CATEGORY...][ (explanation)]
        ");
    insta::assert_snapshot!(f.outcome(f.aiprov().args(["attest", "--ai", "*=magic"])), @r#"
        exit: 2
        --- stdout
        --- stderr
        error: invalid --ai rule '*=magic': 'magic' is not a category (the categories are code, tests and docs; research is declared with --research)
        "#);
    let outcome = f.outcome(f.aiprov().args([
        "keyring",
        "add",
        "alice@example.org",
        "x.pub",
        "--valid-after",
        "tomorrow",
    ]));
    insta::assert_snapshot!(outcome, @"
        exit: 2
        --- stdout
        --- stderr
        error: invalid date 'tomorrow' (expected YYYY-MM-DD or an RFC 3339 time such as 2026-01-31T12:00:00Z)
        ");
}
