//! Bounded inputs: each input aiprov reads has a documented limit (`docs/security.md`), and input
//! over it gives a clear error (exit 2) or a finding, never an unbounded allocation or a panic.

use crate::common;

use common::{git_stdin, lines, snapshot, Fixture};

const SOB: &str = "Signed-off-by: Alice Author <alice@example.org>";

/// A repository trusting alice, with an attested commit on top of the base; returns the key.
fn attested() -> (Fixture, std::path::PathBuf) {
    let f = Fixture::new();
    let key = f.keygen("alice");
    f.init_trusting("alice@example.org", &key);
    f.write("a.c", lines("a", 3));
    f.commit_all(&format!("Initial import\n\n{SOB}"));
    f.write("a.c", lines("a", 4));
    f.commit_all(&format!("Change\n\n{SOB}"));
    f.aiprov()
        .args(["attest", "-q", "--yes", "--key"])
        .arg(&key)
        .assert()
        .success();
    (f, key)
}

/// `aiprov ARGS` rendered for a snapshot, with the limit `max` shown as `[limit]` and `max + 1`
/// as `[limit + 1]`, so the snapshot shows that the message names the limit in force.
fn run(f: &Fixture, args: &[&str], max: usize) -> String {
    let out = f.aiprov().args(args).output().expect("run aiprov");
    let over = (max + 1).to_string();
    let max = max.to_string();
    snapshot::render_naming(
        &out,
        &[f.tmp.path()],
        &[(&over, "limit + 1"), (&max, "limit")],
    )
}

fn set_note(f: &Fixture, note: &[u8]) {
    let out = git_stdin(
        &f.repo,
        &["notes", "--ref=aiprov", "add", "-f", "-F", "-", "HEAD"],
        note,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_envelope_line_over_the_limit_is_reported_invalid() {
    let (f, _) = attested();
    let max = aiprov::dsse::MAX_ENVELOPE_BYTES;
    let line = format!("{{\"payload\":\"{}\"}}\n", "A".repeat(max));
    set_note(&f, line.as_bytes());
    insta::assert_snapshot!(run(&f, &["verify", "HEAD"], max), @"
        exit: 1
        --- stdout
        FAIL [id] Change
            error [signature.invalid] note line 1: the line is 16777230 bytes, over the envelope limit of [limit]
        verification failed: 0 passed, 1 failed
        --- stderr
        ");
}

#[test]
fn a_note_over_the_limit_is_a_finding_and_attest_refuses_it() {
    let (f, key) = attested();
    let max = aiprov::git::notes::MAX_NOTE_BYTES;
    // git notes ends the note with a newline: max + 1 bytes.
    set_note(&f, &vec![b'x'; max]);
    // verify reports it on the commit (tests/cli/adversarial_keys.rs: the rest of a range goes on).
    insta::assert_snapshot!(run(&f, &["verify", "HEAD"], max), @"
        exit: 1
        --- stdout
        FAIL [id] Change
            error [signature.invalid] the note of commit [id] is [limit + 1] bytes, over the limit of [limit]; it is not read
        verification failed: 0 passed, 1 failed
        --- stderr
        ");
    // attest reads the note it extends: the same error, and the note is left alone.
    let key = key.to_str().expect("path");
    let attest = run(&f, &["attest", "-q", "--yes", "--key", key], max);
    insta::assert_snapshot!(attest, @"
        exit: 2
        --- stdout
        --- stderr
        error: the note of commit [id] is [limit + 1] bytes, over the limit of [limit]
        ");
}

#[test]
fn a_note_of_too_many_envelopes_is_reported() {
    let (f, _) = attested();
    let max = aiprov::verify::MAX_NOTE_ENVELOPES;
    let good = common::git_bytes(&f.repo, &["notes", "--ref=aiprov", "show", "HEAD"]);
    // The valid line comes after the bound: not read, and the note says why.
    let mut note = "x\n".repeat(max);
    note.push_str(&String::from_utf8_lossy(&good));
    set_note(&f, note.as_bytes());
    // 256 lines of the same finding, then the bound: its value is checked here, the rest is the
    // snapshot.
    let out = f
        .aiprov()
        .args(["verify", "HEAD"])
        .output()
        .expect("run aiprov");
    let outcome = f.render(&out);
    assert!(
        outcome.contains(&format!("the note holds more than {max} envelopes")),
        "{outcome}"
    );
    insta::assert_snapshot!("too_many_envelopes", outcome);
}

/// Commits `content` at `path` on top of HEAD, then an ordinary change.
fn commit_trust_file(f: &Fixture, path: &str, content: &[u8]) {
    f.write(path, content);
    f.commit_all(&format!("Trust file\n\n{SOB}"));
    f.write("a.c", lines("a", 5));
    f.commit_all(&format!("Another change\n\n{SOB}"));
}

#[test]
fn trust_files_over_the_limit_are_errors() {
    let max = aiprov::git::MAX_TRUST_FILE_BYTES;
    let mut transcript = String::new();
    for (path, content) in [
        (".aiprov/policy.toml", vec![b'#'; max + 1]),
        (".aiprov/keyring.toml", vec![b'#'; max + 1]),
        ("MAINTAINERS", vec![b'#'; max + 1]),
    ] {
        let (f, _) = attested();
        commit_trust_file(&f, path, &content);
        transcript.push_str(&format!(
            "## {path}\n{}\n",
            run(&f, &["verify", "HEAD"], max)
        ));
    }
    insta::assert_snapshot!(transcript, @"
        ## .aiprov/policy.toml
        exit: 2
        --- stdout
        --- stderr
        error: .aiprov/policy.toml at [id] is [limit + 1] bytes, over the limit of [limit]

        ## .aiprov/keyring.toml
        exit: 2
        --- stdout
        --- stderr
        error: reading .aiprov/keyring.toml
        caused by: .aiprov/keyring.toml at [id] is [limit + 1] bytes, over the limit of [limit]
        hint: the keyring is read from the trusted revision [id]; fix it there, or pass --trust-ref or --keyring

        ## MAINTAINERS
        exit: 2
        --- stdout
        --- stderr
        error: MAINTAINERS at [id] is [limit + 1] bytes, over the limit of [limit]
        ");
}

#[test]
fn an_allowed_signers_file_over_the_limit_is_an_error() {
    let max = aiprov::git::MAX_TRUST_FILE_BYTES;
    let (f, _) = attested();
    let keyring = std::fs::read_to_string(f.path(".aiprov/keyring.toml")).expect("keyring");
    let keyring = keyring.replacen(
        "version = 1",
        "version = 1\nallowed-signers = \"../.gitsigners\"",
        1,
    );
    f.write(".aiprov/keyring.toml", keyring);
    commit_trust_file(&f, ".gitsigners", &vec![b'#'; max + 1]);
    insta::assert_snapshot!(run(&f, &["verify", "HEAD"], max), @"
        exit: 2
        --- stdout
        --- stderr
        error: reading .gitsigners
        caused by: .gitsigners at [id] is [limit + 1] bytes, over the limit of [limit]
        hint: the keyring is read from the trusted revision [id]; fix it there, or pass --trust-ref or --keyring
        ");
}

#[test]
fn a_commit_message_over_the_limit_is_an_error() {
    let (f, key) = attested();
    let max = aiprov::change::MAX_MESSAGE_BYTES;
    let msg = f.tmp.path().join("message");
    std::fs::write(&msg, format!("Long\n\n{}\n{SOB}\n", "x".repeat(max))).expect("write");
    f.write("a.c", lines("a", 6));
    f.git(&["add", "-A"]);
    f.git(&["commit", "-q", "-F", msg.to_str().expect("path")]);
    let id = f.git(&["rev-parse", "HEAD"]).trim().to_string();
    let mut transcript = String::new();
    for args in [
        vec!["verify", "HEAD"],
        vec![
            "attest",
            "-q",
            "--yes",
            "--key",
            key.to_str().expect("path"),
        ],
    ] {
        let out = f.aiprov().args(&args).output().expect("run aiprov");
        let (over, max) = ((max + 1).to_string(), max.to_string());
        let names = [(&*id, "HEAD"), (&*over, "limit + 1"), (&*max, "limit")];
        let outcome = snapshot::render_naming(&out, &[f.tmp.path()], &names);
        transcript.push_str(&format!("$ aiprov {}\n{outcome}\n", args[0]));
    }
    insta::assert_snapshot!(transcript, @"
        $ aiprov verify
        exit: 2
        --- stdout
        --- stderr
        error: the message of commit [HEAD] is 1048631 bytes, over the limit of [limit]

        $ aiprov attest
        exit: 2
        --- stdout
        --- stderr
        error: the message of commit [HEAD] is 1048631 bytes, over the limit of [limit]
        ");
}

#[test]
fn a_mail_over_the_limit_is_an_error() {
    let (f, _) = attested();
    let max = aiprov::mail::MAX_MAIL_BYTES;
    let mut mail = b"From: A <a@example.org>\nSubject: [PATCH] x\n\n".to_vec();
    mail.resize(max + 1, b'x');
    let path = f.tmp.path().join("big.patch");
    std::fs::write(&path, &mail).expect("write mail");
    let path = path.to_str().expect("path");
    insta::assert_snapshot!(run(&f, &["verify", "--mbox", path], max), @"
        exit: 2
        --- stdout
        --- stderr
        error: mail 1 of [TMP]/big.patch
        caused by: mail is [limit + 1] bytes, over the limit of [limit]
        ");
}

#[test]
fn a_key_file_over_the_limit_is_an_error() {
    let (f, _) = attested();
    let big = f.tmp.path().join("big-key");
    std::fs::write(&big, vec![b'A'; 1 << 20]).expect("write");
    let big = big.to_str().expect("path");
    let max = aiprov::signing::MAX_KEY_FILE_BYTES as usize;
    insta::assert_snapshot!(run(&f, &["attest", "-q", "--yes", "--key", big], max), @"
        exit: 2
        --- stdout
        --- stderr
        error: cannot read key file [TMP]/big-key
        caused by: over the limit of [limit] bytes for a key file
        ");
}

#[test]
fn a_keyring_directory_file_over_the_limit_is_an_error() {
    let (f, _) = attested();
    let max = aiprov::git::MAX_TRUST_FILE_BYTES;
    let dir = f.tmp.path().join("trust");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("keyring.toml"), vec![b'#'; max + 1]).expect("write");
    let dir = dir.to_str().expect("path");
    insta::assert_snapshot!(run(&f, &["verify", "--keyring", dir, "HEAD"], max), @"
        exit: 2
        --- stdout
        --- stderr
        error: reading [TMP]/trust/keyring.toml
        caused by: over the limit of [limit] bytes for a trust file
        ");
}
