//! Issue 17, point 3: rebase and amend keep one attestation per signer. With git's default
//! `notes.rewriteMode=concatenate`, `git rebase -i` with a re-attest at an `edit` stop brings the
//! old envelope back beside the new one when the rebase finishes; `aiprov init` sets
//! `notes.rewriteMode=ignore`, `attest` replaces the signer's stale lines, and `verify` names each
//! signer once. Real `git rebase -i` (GIT_SEQUENCE_EDITOR) and `git commit --amend`.

use crate::common;

use common::{git_cmd, lines, Fixture};

const SOB: &str = "Signed-off-by: Alice Author <alice@example.org>";

/// A repository set up by `aiprov init`, a base and two attested commits; alice's key.
fn attested_pair() -> (Fixture, std::path::PathBuf) {
    let f = Fixture::new();
    let key = f.keygen("alice");
    f.init_trusting("alice@example.org", &key);
    f.write("a.c", lines("a", 10));
    f.write("b.c", lines("b", 10));
    f.commit_all(&format!("Base\n\n{SOB}"));
    f.write(
        "a.c",
        lines("a", 10).replace("a line 3\n", "a line three\n"),
    );
    f.commit_all(&format!("a: line three\n\nAI-used-for: code\n{SOB}"));
    attest(&f, &key, "2026-01-02T00:00:00Z");
    f.write("b.c", lines("b", 10).replace("b line 5\n", "b line five\n"));
    f.commit_all(&format!("b: line five\n\n{SOB}"));
    attest(&f, &key, "2026-01-02T00:00:00Z");
    (f, key)
}

fn attest(f: &Fixture, key: &std::path::Path, now: &str) {
    f.aiprov()
        .args(["attest", "-q", "--key"])
        .arg(key)
        .env("AIPROV_NOW", now)
        .assert()
        .success();
}

/// The envelope lines of `rev`'s note.
fn note_lines(f: &Fixture, rev: &str) -> Vec<String> {
    f.git(&["notes", "--ref=aiprov", "show", rev])
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// `git rebase -i HEAD~2` stopping to edit the first commit, which is amended (a changed line)
/// and re-attested at the stop; then the rebase goes on to the end.
fn rebase_edit_amend_reattest(f: &Fixture, key: &std::path::Path) {
    let run = |args: &[&str]| {
        let out = git_cmd(&f.repo)
            .args(args)
            .env("GIT_SEQUENCE_EDITOR", "sed -i 1s/^pick/edit/")
            .env("GIT_EDITOR", "true")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["rebase", "-q", "-i", "HEAD~2"]);
    f.write(
        "a.c",
        lines("a", 10).replace("a line 3\n", "a line THREE\n"),
    );
    run(&["commit", "-q", "-a", "--amend", "--no-edit"]);
    attest(f, key, "2026-01-03T00:00:00Z");
    run(&["rebase", "--continue"]);
}

#[test]
fn rebase_i_with_a_reattest_keeps_one_attestation_per_signer() {
    let (f, key) = attested_pair();
    assert_eq!(f.git(&["config", "notes.rewriteMode"]).trim(), "ignore");
    rebase_edit_amend_reattest(&f, &key);
    // The edited commit keeps only its new attestation; the other one was carried over.
    let edited = note_lines(&f, "HEAD~1");
    assert_eq!(edited.len(), 1, "{edited:#?}");
    assert_eq!(note_lines(&f, "HEAD").len(), 1);
    let out = f.outcome(
        f.aiprov()
            .args(["verify", "--color", "never", "HEAD~2..HEAD"]),
    );
    insta::assert_snapshot!(out, @"
    exit: 0
    --- stdout
    PASS [id] a: line three (attested by alice@example.org)
    PASS [id] b: line five (attested by alice@example.org)
    verified: 2 passed, 0 failed
    --- stderr
    ");
}

/// The same rebase with git's default rewrite mode (a repository set up before `init` set it)
/// concatenates the stale envelope back; `verify` still names alice once, and the next attest
/// drops the stale line.
#[test]
fn a_concatenated_stale_line_is_named_once_and_replaced_by_the_next_attest() {
    let (f, key) = attested_pair();
    f.git(&["config", "notes.rewriteMode", "concatenate"]);
    rebase_edit_amend_reattest(&f, &key);
    assert_eq!(note_lines(&f, "HEAD~1").len(), 2, "git concatenated");
    let out = f.outcome(
        f.aiprov()
            .args(["verify", "--color", "never", "HEAD~2..HEAD"]),
    );
    insta::assert_snapshot!(out, @"
    exit: 0
    --- stdout
    PASS [id] a: line three (attested by alice@example.org)
    PASS [id] b: line five (attested by alice@example.org)
    verified: 2 passed, 0 failed
    --- stderr
    ");
    let json = f
        .aiprov()
        .args(["verify", "--format", "json", "HEAD~1"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let atts = doc["changes"][0]["attestations"].as_array().unwrap();
    assert_eq!(atts.len(), 1, "{doc:#}");
    assert_eq!(atts[0]["createdAt"], "2026-01-03T00:00:00Z", "the newest");
    // Attesting again as alice replaces both of her lines with one.
    f.git(&["checkout", "-q", "HEAD~1"]);
    attest(&f, &key, "2026-01-04T00:00:00Z");
    assert_eq!(note_lines(&f, "HEAD").len(), 1);
}

#[test]
fn commit_amend_then_reattest_keeps_one_attestation() {
    let (f, key) = attested_pair();
    f.write("b.c", lines("b", 10).replace("b line 5\n", "b line FIVE\n"));
    let out = git_cmd(&f.repo)
        .args(["commit", "-q", "-a", "--amend", "--no-edit"])
        .output()
        .unwrap();
    assert!(out.status.success());
    // The note followed the amend (notes.rewrite.amend), stale now.
    assert_eq!(note_lines(&f, "HEAD").len(), 1);
    let code = f.aiprov().args(["verify", "HEAD"]).output().unwrap().status;
    assert_eq!(code.code(), Some(1), "the carried attestation is stale");
    attest(&f, &key, "2026-01-03T00:00:00Z");
    assert_eq!(note_lines(&f, "HEAD").len(), 1);
    f.aiprov().args(["verify", "HEAD"]).assert().success();
}
