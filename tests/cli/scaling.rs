//! No quadratic blow-up: changes far larger than real ones (20,000 files, 10,000 trailers, a tree
//! 50 directories deep, an mbox of 1,000 patches) attest and verify within the normal test run.
//! The assertions are on outcomes, not on time: a quadratic step makes these tests take minutes
//! (20,000² comparisons of paths), which the suite's time shows.

use crate::common;

use common::{git_stdin, Fixture};

const SOB: &str = "Signed-off-by: Alice Author <alice@example.org>";

/// Runs `git fast-import` with `stream` in the fixture's repository.
fn fast_import(f: &Fixture, stream: &[u8]) {
    let out = git_stdin(&f.repo, &["fast-import", "--quiet"], stream);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One commit on `main` (after `from`, a mark) setting `files` (path, content), as fast-import
/// stream text.
fn commit(mark: usize, from: Option<usize>, message: &str, files: &[(String, String)]) -> String {
    let mut s = format!(
        "commit refs/heads/main\nmark :{mark}\ncommitter Alice Author <alice@example.org> 1767268800 +0000\ndata {}\n{message}\n",
        message.len()
    );
    if let Some(from) = from {
        s.push_str(&format!("from :{from}\n"));
    }
    for (path, content) in files {
        s.push_str(&format!(
            "M 644 inline {path}\ndata {}\n{content}\n",
            content.len()
        ));
    }
    s
}

/// A repository trusting alice, its keyring committed; returns alice's key.
fn trusted_repo() -> (Fixture, std::path::PathBuf) {
    let f = Fixture::new();
    let key = f.keygen("alice");
    f.init_trusting("alice@example.org", &key);
    f.write("README", "readme\n");
    f.commit_all(&format!("Initial import\n\n{SOB}"));
    (f, key)
}

fn attest_and_verify(f: &Fixture, key: &std::path::Path) {
    f.aiprov()
        .args(["attest", "-q", "--yes", "--key"])
        .arg(key)
        .assert()
        .success();
    let out = f
        .aiprov()
        .args(["verify", "--format", "json", "HEAD"])
        .output()
        .expect("run aiprov");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    assert_eq!(
        (out.status.code(), report["verdict"].as_str()),
        (Some(0), Some("pass")),
        "{report}"
    );
}

#[test]
fn a_commit_of_20000_files_attests_and_verifies() {
    let (f, key) = trusted_repo();
    let head = f.git(&["rev-parse", "HEAD"]).trim().to_string();
    let files: Vec<(String, String)> = (0..20_000)
        .map(|i| (format!("d{}/f{i}.txt", i % 100), format!("file {i}")))
        .collect();
    let message = format!("Add many files\n\n{SOB}");
    let stream = format!(
        "reset refs/heads/main\nfrom {head}\n\n{}",
        commit(1, None, &message, &files)
    );
    // fast-import moves main, which HEAD names; the work tree is not needed.
    fast_import(&f, stream.as_bytes());
    attest_and_verify(&f, &key);
    // And a change of one line in each of them.
    let changed: Vec<(String, String)> = files
        .iter()
        .map(|(p, c)| (p.clone(), format!("{c} changed")))
        .collect();
    let stream = commit(2, None, &format!("Change them\n\n{SOB}"), &changed);
    let stream = format!(
        "reset refs/heads/main\nfrom {}\n\n{stream}",
        f.git(&["rev-parse", "HEAD"]).trim()
    );
    // fast-import moves main, which HEAD names; the work tree is not needed.
    fast_import(&f, stream.as_bytes());
    attest_and_verify(&f, &key);
}

#[test]
fn a_message_of_10000_trailers_attests_and_verifies() {
    let (f, key) = trusted_repo();
    let mut message = String::from("Fix a thing\n\nThe body.\n\n");
    for i in 0..10_000 {
        message.push_str(&format!("Reviewed-by: Reviewer {i} <r{i}@example.org>\n"));
    }
    message.push_str(SOB);
    f.write("a.txt", "a\n");
    let msg = f.tmp.path().join("message");
    std::fs::write(&msg, &message).expect("write message");
    f.git(&["add", "-A"]);
    f.git(&["commit", "-q", "-F", msg.to_str().expect("path")]);
    attest_and_verify(&f, &key);
    // The sign-off moved out of the trailer block: reported.
    std::fs::write(
        &msg,
        message.replace(SOB, &format!("{SOB}\n\nNot a trailer.")),
    )
    .expect("write");
    f.git(&["commit", "-q", "--amend", "-F", msg.to_str().expect("path")]);
    let out = f
        .aiprov()
        .args(["verify", "--format", "json", "HEAD"])
        .output()
        .expect("run aiprov");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    let codes: Vec<&str> = report["changes"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().expect("code"))
        .collect();
    assert_eq!(
        (out.status.code(), codes),
        (
            Some(1),
            vec!["signature.signer-not-signed-off", "dco.missing"]
        )
    );
}

#[test]
fn a_tree_50_directories_deep_attests_and_verifies() {
    let (f, key) = trusted_repo();
    let deep: String = (0..50).map(|i| format!("d{i}/")).collect();
    f.write(&format!("{deep}leaf.c"), "int x;\n");
    f.write(&format!("{deep}other.c"), "int y;\n");
    f.commit_all(&format!("Deep\n\n{SOB}"));
    attest_and_verify(&f, &key);
    f.write(&format!("{deep}leaf.c"), "int x = 1;\n");
    f.commit_all(&format!("Deeper\n\n{SOB}"));
    attest_and_verify(&f, &key);
}

#[test]
fn an_mbox_of_1000_patches_is_verified() {
    let (f, _) = trusted_repo();
    let head = f.git(&["rev-parse", "HEAD"]).trim().to_string();
    let mut stream = format!("reset refs/heads/main\nfrom {head}\n\n");
    for i in 1..=1000 {
        let from = (i > 1).then(|| i - 1);
        let files = [(format!("f{}.txt", i % 10), format!("version {i}"))];
        stream.push_str(&commit(i, from, &format!("Patch {i}\n\n{SOB}"), &files));
    }
    fast_import(&f, stream.as_bytes());
    let mbox = common::git_bytes(
        &f.repo,
        &["format-patch", "--stdout", &format!("{head}..main")],
    );
    let path = f.tmp.path().join("series.mbox");
    std::fs::write(&path, mbox).expect("write mbox");
    let out = f
        .aiprov()
        .args(["verify", "--format", "json", "--mbox"])
        .arg(&path)
        .output()
        .expect("run aiprov");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    let changes = report["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 1000);
    // None is attested: each patch reports exactly that.
    for c in changes {
        let codes: Vec<&str> = c["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| f["code"].as_str().expect("code"))
            .collect();
        assert_eq!(codes, ["signature.missing"], "{c}");
    }
    assert_eq!(out.status.code(), Some(1));
}

/// Two commits each adding a file `depth` directories deep, as one fast-import stream.
fn deep_commits(f: &Fixture, depth: usize) {
    let head = f.git(&["rev-parse", "HEAD"]).trim().to_string();
    let deep: String = "d/".repeat(depth);
    let mut stream = format!("reset refs/heads/main\nfrom {head}\n\n");
    for i in 1..=2 {
        let files = [(format!("{deep}leaf{i}"), format!("v{i}"))];
        let from = (i > 1).then_some(i - 1);
        stream.push_str(&commit(i, from, &format!("Deep {i}\n\n{SOB}"), &files));
    }
    fast_import(f, stream.as_bytes());
}

#[test]
fn trees_as_deep_as_git_allows_verify_on_worker_threads_and_deeper_ones_are_refused() {
    let (f, key) = trusted_repo();
    let base = f.git(&["rev-parse", "HEAD"]).trim().to_string();
    deep_commits(&f, aiprov::git::MAX_TREE_DEPTH);
    for rev in ["HEAD~1", "HEAD"] {
        f.aiprov()
            .args(["attest", "-q", "--yes", "--key"])
            .arg(&key)
            .arg(rev)
            .assert()
            .success();
    }
    f.aiprov()
        .args(["verify", "-q", "--jobs", "2", &format!("{base}..HEAD")])
        .assert()
        .code(0);
    // git fast-import makes a tree of 20,000 levels; aiprov refuses it instead of overflowing.
    let (g, key) = trusted_repo();
    deep_commits(&g, 20_000);
    let mut transcript = String::new();
    for args in [
        vec![
            "attest",
            "-q",
            "--yes",
            "--key",
            key.to_str().expect("path"),
        ],
        vec!["verify", "HEAD"],
    ] {
        let out = g.aiprov().args(&args).output().expect("run aiprov");
        let max = aiprov::git::MAX_TREE_DEPTH.to_string();
        let outcome = common::snapshot::render_naming(&out, &[g.tmp.path()], &[(&max, "limit")]);
        transcript.push_str(&format!("$ aiprov {}\n{outcome}\n", args[0]));
    }
    insta::assert_snapshot!(transcript, @"
        $ aiprov attest
        exit: 2
        --- stdout
        --- stderr
        error: reading commit [id]
        caused by: the tree is deeper than [limit] levels (at d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/...)

        $ aiprov verify
        exit: 2
        --- stdout
        --- stderr
        error: reading commit [id]
        caused by: the tree is deeper than [limit] levels (at d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/...)
        ");
}

#[test]
fn a_mail_of_5000_ai_written_files_is_verified() {
    let (f, key) = trusted_repo();
    let head = f.git(&["rev-parse", "HEAD"]).trim().to_string();
    let old: Vec<(String, String)> = (0..5_000)
        .map(|i| (format!("src/f{i}.c"), "int a;".to_string()))
        .collect();
    let new: Vec<(String, String)> = old
        .iter()
        .map(|(p, _)| (p.clone(), "int b;".to_string()))
        .collect();
    let mut stream = format!("reset refs/heads/main\nfrom {head}\n\n");
    stream.push_str(&commit(1, None, &format!("Add\n\n{SOB}"), &old));
    stream.push_str(&commit(
        2,
        Some(1),
        &format!("Change\n\nAI-used-for: code\n{SOB}"),
        &new,
    ));
    fast_import(&f, stream.as_bytes());
    f.aiprov()
        .args(["attest", "-q", "--yes", "--ai", "**=code", "--key"])
        .arg(&key)
        .assert()
        .success();
    let mbox = common::git_bytes(
        &f.repo,
        &["format-patch", "-1", "--notes=aiprov", "--stdout"],
    );
    let path = f.tmp.path().join("big.patch");
    std::fs::write(&path, mbox).expect("write mbox");
    // Every file's lines are classified (AI-written code counts against the small-fix limit),
    // each from the mail's diff, indexed once.
    let out = f
        .aiprov()
        .args(["verify", "--format", "json", "--mbox"])
        .arg(&path)
        .output()
        .expect("run aiprov");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    let findings = report["changes"][0]["findings"]
        .as_array()
        .expect("findings");
    let too_large: Vec<&str> = findings
        .iter()
        .filter(|f| f["code"] == "policy.fix-too-large")
        .map(|f| f["message"].as_str().expect("message"))
        .collect();
    assert_eq!(
        too_large,
        ["5000 changed lines of AI-written code, over the small-fix limit of 10 (tests not counted)"]
    );
    let approvals = findings
        .iter()
        .filter(|f| f["code"] == "policy.approval-missing")
        .count();
    assert_eq!((findings.len(), approvals), (5_001, 5_000));
}
