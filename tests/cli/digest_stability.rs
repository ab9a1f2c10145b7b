//! The file-change digest survives rebase, cherry-pick and `git am -3` onto a base where other
//! lines of the same file changed, and changes when any added or removed byte changes.

use crate::common;

use common::{lines, Fixture};

const SOB: &str = "Signed-off-by: Alice Author <alice@example.org>";

/// main: base (keyring + file), then upstream edits far from the topic's lines.
/// topic: one attested commit editing lines 10-12 of the same file.
fn diverged() -> (Fixture, String, String) {
    let f = Fixture::new();
    let key = f.keygen("alice");
    f.init_trusting("alice@example.org", &key);
    f.write("hw/dev.c", lines("dev", 60));
    let base = f.commit_all(&format!("Base\n\n{SOB}"));
    f.git(&["checkout", "-q", "-b", "topic"]);
    let topic = lines("dev", 60)
        .replace("dev line 10\n", "dev line ten\n")
        .replace("dev line 11\n", "")
        .replace("dev line 12\n", "dev line 12\nnew line after 12\n");
    f.write("hw/dev.c", topic);
    f.commit_all(&format!("Fix the device\n\nAI-used-for: code\n{SOB}"));
    f.aiprov()
        .args(["attest", "--key"])
        .arg(&key)
        .assert()
        .success();
    f.git(&["checkout", "-q", "main"]);
    let upstream = lines("dev", 60)
        .replace("dev line 2\n", "dev line two (upstream)\n")
        .replace("dev line 50\n", "dev line fifty (upstream)\n");
    f.write("hw/dev.c", upstream);
    f.commit_all(&format!("Upstream change\n\n{SOB}"));
    (f, base, key.to_string_lossy().into_owned())
}

fn verify_tip(f: &Fixture, base: &str) -> (i32, String) {
    let out = f
        .aiprov()
        .args(["verify", "--trust-ref", base, "HEAD"])
        .output()
        .expect("run aiprov");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn rebase_keeps_the_attestation_valid() {
    let (f, base, _) = diverged();
    f.git(&["checkout", "-q", "topic"]);
    let before = f.git(&["rev-parse", "HEAD"]);
    f.git(&["rebase", "-q", "main"]);
    assert_ne!(
        before,
        f.git(&["rev-parse", "HEAD"]),
        "the rebase rewrote the commit"
    );
    // `aiprov init` set notes.rewriteRef, so the note followed the commit.
    let (code, out) = verify_tip(&f, &base);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn cherry_pick_keeps_the_attestation_valid() {
    let (f, base, _) = diverged();
    f.git(&["cherry-pick", "topic"]);
    f.git(&["notes", "--ref=aiprov", "copy", "topic", "HEAD"]);
    let (code, out) = verify_tip(&f, &base);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn git_am_3_onto_a_moved_base_keeps_the_attestation_valid() {
    let (f, base, _) = diverged();
    let patch = f.git(&["format-patch", "-1", "--stdout", "topic"]);
    // Make the base move so far that the patch only applies with a three-way merge.
    let moved = lines("dev", 60)
        .replace("dev line 2\n", "dev line two (upstream)\n")
        .replace("dev line 7\n", "dev line seven (upstream)\n")
        .replace("dev line 50\n", "dev line fifty (upstream)\n");
    f.write("hw/dev.c", moved);
    f.commit_all(&format!("Upstream touches the context\n\n{SOB}"));
    let plain = common::git_stdin(&f.repo, &["am", "-q"], patch.as_bytes());
    assert!(
        !plain.status.success(),
        "the patch must need -3 in this fixture"
    );
    f.git(&["am", "--abort"]);
    let three = common::git_stdin(&f.repo, &["am", "-q", "-3"], patch.as_bytes());
    assert!(
        three.status.success(),
        "{}",
        String::from_utf8_lossy(&three.stderr)
    );
    f.git(&["notes", "--ref=aiprov", "copy", "topic", "HEAD"]);
    let (code, out) = verify_tip(&f, &base);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn any_changed_added_or_removed_byte_is_reported() {
    let (f, base, _) = diverged();
    f.git(&["checkout", "-q", "topic"]);
    let attested = lines("dev", 60)
        .replace("dev line 10\n", "dev line ten\n")
        .replace("dev line 11\n", "")
        .replace("dev line 12\n", "dev line 12\nnew line after 12\n");
    let variants = [
        attested.replace("dev line ten\n", "dev line teN\n"),
        attested.replace("new line after 12\n", "new line after 12 \n"),
        // A removed line that differs: line 11 stays, line 13 goes instead.
        attested
            .replace("dev line 13\n", "")
            .replace("dev line ten\n", "dev line ten\ndev line 11\n"),
        // One more added line.
        attested.replace("new line after 12\n", "new line after 12\nand one more\n"),
    ];
    let mut transcript = String::new();
    for (i, variant) in variants.iter().enumerate() {
        f.write("hw/dev.c", variant);
        f.git(&["commit", "-q", "-a", "--amend", "--no-edit"]);
        let out = f
            .aiprov()
            .args(["verify", "--trust-ref", &base, "HEAD"])
            .output()
            .expect("run aiprov");
        transcript.push_str(&format!("## variant {}\n{}\n", i + 1, f.render(&out)));
    }
    insta::assert_snapshot!(transcript, @"
        ## variant 1
        exit: 1
        --- stdout
        FAIL [id] Fix the device (attested by alice@example.org)
            error [coverage.digest-mismatch] hw/dev.c: the changed lines differ from those alice@example.org attested
        verification failed: 0 passed, 1 failed
        --- stderr

        ## variant 2
        exit: 1
        --- stdout
        FAIL [id] Fix the device (attested by alice@example.org)
            error [coverage.digest-mismatch] hw/dev.c: the changed lines differ from those alice@example.org attested
        verification failed: 0 passed, 1 failed
        --- stderr

        ## variant 3
        exit: 1
        --- stdout
        FAIL [id] Fix the device (attested by alice@example.org)
            error [coverage.digest-mismatch] hw/dev.c: the changed lines differ from those alice@example.org attested
        verification failed: 0 passed, 1 failed
        --- stderr

        ## variant 4
        exit: 1
        --- stdout
        FAIL [id] Fix the device (attested by alice@example.org)
            error [coverage.digest-mismatch] hw/dev.c: the changed lines differ from those alice@example.org attested
        verification failed: 0 passed, 1 failed
        --- stderr
        ");
}
