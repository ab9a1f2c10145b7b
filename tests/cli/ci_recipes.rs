//! The pull-request recipe of docs/ci.md, run for real: a contributor pushes a branch and its notes
//! to a fork, CI clones the upstream repository at the pull request's head and runs
//! docs/ci/verify-pr.sh, which fetches the notes from the fork.

use crate::common;

use std::path::Path;

use common::{git, lines, Fixture};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/ci/verify-pr.sh");

fn run_ci(f: &Fixture, clone: &Path, fork: &Path) -> std::process::Output {
    let bin_dir = assert_cmd::cargo::cargo_bin("aiprov")
        .parent()
        .unwrap()
        .to_path_buf();
    let mut c = std::process::Command::new("sh");
    common::hermetic(&mut c, &f.repo);
    c.arg(SCRIPT)
        .args(["main", fork.to_str().unwrap()])
        .current_dir(clone)
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin_dir.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .output()
        .expect("run verify-pr.sh")
}

#[test]
fn the_pull_request_recipe_verifies_and_reports() {
    // Upstream, with a keyring trusting alice.
    let f = Fixture::new();
    let key = f.keygen("alice");
    f.init_trusting("alice@example.org", &key);
    f.write("a.c", lines("a", 5));
    f.commit_all("Base\n\nSigned-off-by: Alice Author <alice@example.org>");
    let tmp = f.tmp.path();
    let upstream = tmp.join("upstream.git");
    let fork = tmp.join("fork.git");
    git(
        tmp,
        &[
            "clone",
            "-q",
            "--bare",
            f.repo.to_str().unwrap(),
            upstream.to_str().unwrap(),
        ],
    );
    git(
        tmp,
        &[
            "clone",
            "-q",
            "--bare",
            upstream.to_str().unwrap(),
            fork.to_str().unwrap(),
        ],
    );

    // The contributor works on a topic, attests, pushes branch and notes to the fork.
    f.git(&["checkout", "-q", "-b", "topic"]);
    f.write("a.c", lines("a", 6));
    f.commit_all("Topic\n\nAI-used-for: code\nSigned-off-by: Alice Author <alice@example.org>");
    f.aiprov()
        .args(["attest", "--key"])
        .arg(&key)
        .assert()
        .success();
    f.git(&[
        "push",
        "-q",
        fork.to_str().unwrap(),
        "topic",
        "refs/notes/aiprov",
    ]);

    // CI: a clone of upstream at the pull request's head.
    let ci = tmp.join("ci");
    git(
        tmp,
        &[
            "clone",
            "-q",
            upstream.to_str().unwrap(),
            ci.to_str().unwrap(),
        ],
    );
    git(&ci, &["fetch", "-q", fork.to_str().unwrap(), "topic"]);
    git(&ci, &["checkout", "-q", "FETCH_HEAD"]);
    let out = run_ci(&f, &ci, &fork);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ci.join("aiprov-report.json")).unwrap()).unwrap();
    assert_eq!(report["verdict"], "pass");
    assert_eq!(report["changes"].as_array().unwrap().len(), 1);

    // Without the notes pushed to the fork, the same pull request fails with a finding.
    let bare_fork = tmp.join("fork2.git");
    git(
        tmp,
        &[
            "clone",
            "-q",
            "--bare",
            upstream.to_str().unwrap(),
            bare_fork.to_str().unwrap(),
        ],
    );
    f.git(&["push", "-q", bare_fork.to_str().unwrap(), "topic"]);
    let ci2 = tmp.join("ci2");
    git(
        tmp,
        &[
            "clone",
            "-q",
            upstream.to_str().unwrap(),
            ci2.to_str().unwrap(),
        ],
    );
    git(&ci2, &["fetch", "-q", bare_fork.to_str().unwrap(), "topic"]);
    git(&ci2, &["checkout", "-q", "FETCH_HEAD"]);
    let out = run_ci(&f, &ci2, &bare_fork);
    insta::assert_snapshot!(f.render(&out), @"
        exit: 1
        --- stdout
        FAIL [id] Topic
            error [signature.missing] no attestation for this change
        verification failed: 0 passed, 1 failed
        --- stderr
        fatal: couldn't find remote ref refs/notes/aiprov
        aiprov: no refs/notes/aiprov in [TMP]/fork2.git: the commits carry no attestations
        warning: this repository has no attestation notes (refs/notes/aiprov does not exist): they travel apart from commits, and a clone has none until they are fetched (hint: `aiprov fetch origin`)
        warning: this repository has no attestation notes (refs/notes/aiprov does not exist): they travel apart from commits, and a clone has none until they are fetched (hint: `aiprov fetch origin`)
        ");

    // The docs quote the script's commands.
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/ci.md")).unwrap();
    assert!(docs.contains("docs/ci/verify-pr.sh \"${{ github.base_ref }}\""));
    assert!(docs.contains("docs/ci/verify-pr.sh \"$CI_MERGE_REQUEST_TARGET_BRANCH_NAME\""));
}
