//! Bounded inputs: each input aiprov reads has a documented limit (`docs/security.md`), and input
//! over it gives a clear error (exit 2) or a finding, never an unbounded allocation or a panic.

use crate::common;

use common::{git_stdin, lines, Fixture};

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

/// `aiprov ARGS`: exit code and stderr.
fn run(f: &Fixture, args: &[&str]) -> (i32, String, String) {
    let out = f.aiprov().args(args).output().expect("run aiprov");
    (
        out.status.code().expect("exit code"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
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
    let (code, out, _) = run(&f, &["verify", "HEAD"]);
    assert_eq!(code, 1);
    assert!(
        out.contains(&format!("over the envelope limit of {max}")),
        "{out}"
    );
}

#[test]
fn a_note_over_the_limit_is_a_finding_and_attest_refuses_it() {
    let (f, key) = attested();
    let max = aiprov::git::notes::MAX_NOTE_BYTES;
    // git notes ends the note with a newline: max + 1 bytes.
    set_note(&f, &vec![b'x'; max]);
    // verify reports it on the commit (tests/cli/adversarial_keys.rs: the rest of a range goes on).
    let (code, out, err) = run(&f, &["verify", "HEAD"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains(&format!("is {} bytes, over the limit of {max}", max + 1))
            && out.contains("the note of commit")
            && out.contains("signature.invalid"),
        "{out}"
    );
    // attest reads the note it extends: the same error, and the note is left alone.
    let (code, _, err) = run(
        &f,
        &[
            "attest",
            "-q",
            "--yes",
            "--key",
            key.to_str().expect("path"),
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.starts_with("error: ") && err.contains("over the limit"),
        "{err}"
    );
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
    let (code, out, _) = run(&f, &["verify", "HEAD"]);
    assert_eq!(code, 1);
    assert!(
        out.contains(&format!("the note holds more than {max} envelopes")),
        "{out}"
    );
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
    for (path, content) in [
        (".aiprov/policy.toml", vec![b'#'; max + 1]),
        (".aiprov/keyring.toml", vec![b'#'; max + 1]),
        ("MAINTAINERS", vec![b'#'; max + 1]),
    ] {
        let (f, _) = attested();
        commit_trust_file(&f, path, &content);
        let (code, _, err) = run(&f, &["verify", "HEAD"]);
        assert_eq!(code, 2, "{path}: {err}");
        assert!(
            err.starts_with("error: ")
                && err.contains(path)
                && err.contains(&format!("over the limit of {max}")),
            "{path}: {err}"
        );
    }
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
    let (code, _, err) = run(&f, &["verify", "HEAD"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(".gitsigners") && err.contains("over the limit"),
        "{err}"
    );
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
        let (code, _, err) = run(&f, &args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains(&format!("the message of commit {id} is"))
                && err.contains(&format!("over the limit of {max}")),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn a_mail_over_the_limit_is_an_error() {
    let (f, _) = attested();
    let max = aiprov::mail::MAX_MAIL_BYTES;
    let mut mail = b"From: A <a@example.org>\nSubject: [PATCH] x\n\n".to_vec();
    mail.resize(max + 1, b'x');
    let path = f.tmp.path().join("big.patch");
    std::fs::write(&path, &mail).expect("write mail");
    let (code, _, err) = run(&f, &["verify", "--mbox", path.to_str().expect("path")]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("mail 1 of") && err.contains(&format!("over the limit of {max}")),
        "{err}"
    );
}

#[test]
fn a_key_file_over_the_limit_is_an_error() {
    let (f, _) = attested();
    let big = f.tmp.path().join("big-key");
    std::fs::write(&big, vec![b'A'; 1 << 20]).expect("write");
    let (code, _, err) = run(
        &f,
        &[
            "attest",
            "-q",
            "--yes",
            "--key",
            big.to_str().expect("path"),
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("big-key") && err.contains("over the limit"),
        "{err}"
    );
}

#[test]
fn a_keyring_directory_file_over_the_limit_is_an_error() {
    let (f, _) = attested();
    let max = aiprov::git::MAX_TRUST_FILE_BYTES;
    let dir = f.tmp.path().join("trust");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("keyring.toml"), vec![b'#'; max + 1]).expect("write");
    let (code, _, err) = run(
        &f,
        &["verify", "--keyring", dir.to_str().expect("path"), "HEAD"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.starts_with("error: ")
            && err.contains("keyring.toml")
            && err.contains("over the limit"),
        "{err}"
    );
}
