//! The small-fix limit over a series (issue 16): QEMU's newest draft says that splitting a
//! submission is no way under the limit, so AI-written code is counted across a mail series or
//! a range's topic; its May 2026 v2 (`qemu-2026-05`) counts each change alone.

use std::path::{Path, PathBuf};

use crate::common;

use common::{lines, Fixture};

const SOB: &str = "Signed-off-by: Alice Author <alice@example.org>";

/// A repository trusting alice, with `policy` and a 100-line code file; returns its base.
fn repo(policy: Option<&str>) -> (Fixture, PathBuf, String) {
    let f = Fixture::new();
    let key = f.keygen("alice");
    f.init_trusting("alice@example.org", &key);
    if let Some(p) = policy {
        f.write(".aiprov/policy.toml", p);
    }
    f.write("hw/net/dev.c", lines("int dev", 100));
    let base = f.commit_all(&format!("Base\n\n{SOB}"));
    (f, key, base)
}

/// An AI-written fix of lines `from..to` (1-based) of hw/net/dev.c, committed and attested.
fn fix(f: &Fixture, key: &Path, from: usize, to: usize) {
    let text = std::fs::read_to_string(f.path("hw/net/dev.c")).unwrap();
    let fixed: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| match (from..to).contains(&(i + 1)) {
            true => format!("{l} fixed\n"),
            false => format!("{l}\n"),
        })
        .collect();
    f.write("hw/net/dev.c", fixed);
    f.commit_all(&format!(
        "hw/net: fix lines {from} to {to}\n\nAI-used-for: code\n{SOB}"
    ));
    f.aiprov()
        .args(["attest", "--key"])
        .arg(key)
        .assert()
        .success();
}

/// `verify ARGS --format json`: the exit code and, per change, its title and the codes (with
/// the file) of its findings.
fn verify(f: &Fixture, args: &[&str]) -> (i32, Vec<(String, Vec<String>)>, serde_json::Value) {
    let out = f
        .aiprov()
        .args(["verify", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let changes = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let codes = c["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| match f["file"].as_str() {
                    Some(file) => format!("{} {file}", f["code"].as_str().unwrap()),
                    None => f["code"].as_str().unwrap().to_string(),
                })
                .collect();
            (c["title"].as_str().unwrap().to_string(), codes)
        })
        .collect();
    (out.status.code().unwrap(), changes, doc)
}

fn over() -> Vec<String> {
    vec![
        "policy.fix-too-large".to_string(),
        "policy.approval-missing hw/net/dev.c".to_string(),
    ]
}

#[test]
fn a_fix_split_in_three_parts_is_over_the_limit_of_the_whole() {
    let (f, key, base) = repo(None);
    for part in 0..3 {
        fix(&f, &key, 1 + 10 * part, 11 + 10 * part);
    }
    let (code, changes, doc) = verify(&f, &[&format!("{base}..HEAD")]);
    assert_eq!(code, 1);
    let codes: Vec<Vec<String>> = changes.iter().map(|c| c.1.clone()).collect();
    assert_eq!(codes, vec![over(), over(), over()]);
    insta::assert_snapshot!(
        doc["changes"][1]["findings"][0]["message"].as_str().unwrap(),
        @"30 changed lines of AI-written code across 3 changes of this series (10 in this one), over the small-fix limit of 10 (tests not counted; splitting a change does not get it under the limit)"
    );
    // Each part alone is within the limit.
    for part in 0..3 {
        let (code, _, _) = verify(&f, &[&format!("HEAD~{part}")]);
        assert_eq!(code, 0, "HEAD~{part} alone");
    }
    // The May 2026 v2 counts each change alone, within its 20 lines.
    let (f, key, base) = repo(Some("version = 1\nprofile = \"qemu-2026-05\"\n"));
    for part in 0..3 {
        fix(&f, &key, 1 + 10 * part, 11 + 10 * part);
    }
    let (code, changes, _) = verify(&f, &[&format!("{base}..HEAD")]);
    assert_eq!((code, changes.iter().all(|c| c.1.is_empty())), (0, true));
    // And any profile can be told to count the series.
    let (f, key, base) = repo(Some(
        "version = 1\nprofile = \"qemu-2026-05\"\n[ai]\nseries-limit = true\n",
    ));
    for part in 0..3 {
        fix(&f, &key, 1 + 10 * part, 11 + 10 * part);
    }
    let (code, _, _) = verify(&f, &[&format!("{base}..HEAD")]);
    assert_eq!(code, 1);
}

#[test]
fn a_series_within_the_limit_together_passes() {
    let (f, key, base) = repo(None);
    fix(&f, &key, 1, 5);
    fix(&f, &key, 20, 26);
    let (code, changes, _) = verify(&f, &[&format!("{base}..HEAD")]);
    assert_eq!((code, changes.iter().all(|c| c.1.is_empty())), (0, true));
}

#[test]
fn each_merged_topic_is_a_series_of_its_own() {
    let (f, key, base) = repo(None);
    let topic = |name: &str, parts: &[(usize, usize)]| {
        f.git(&["checkout", "-q", "-b", name, "main"]);
        for &(from, to) in parts {
            fix(&f, &key, from, to);
        }
        f.git(&["checkout", "-q", "main"]);
        f.git(&[
            "merge",
            "-q",
            "--no-ff",
            "-m",
            &format!("Merge {name}\n\n{SOB}"),
            name,
        ]);
    };
    // Two topics of 6 AI lines each: 12 in the range, but each topic within 10.
    topic("one", &[(1, 7)]);
    topic("two", &[(40, 46)]);
    let (code, changes, _) = verify(&f, &[&format!("{base}..HEAD")]);
    assert_eq!(code, 0, "{changes:?}");
    // A third topic with two parts of 6 lines is over, and only its own commits say so.
    topic("three", &[(60, 66), (70, 76)]);
    let (code, changes, _) = verify(&f, &[&format!("{base}..HEAD")]);
    assert_eq!(code, 1);
    let flagged: Vec<&str> = changes
        .iter()
        .filter(|c| !c.1.is_empty())
        .map(|c| c.0.as_str())
        .collect();
    assert_eq!(
        flagged,
        vec!["hw/net: fix lines 60 to 66", "hw/net: fix lines 70 to 76"]
    );
}

#[test]
fn a_mail_series_is_one_series() {
    let (f, key, base) = repo(None);
    let m = Fixture::new();
    m.git(&["fetch", "-q", f.repo.to_str().unwrap(), "main"]);
    m.git(&["reset", "-q", "--hard", "FETCH_HEAD"]);
    for part in 0..3 {
        fix(&f, &key, 1 + 10 * part, 11 + 10 * part);
    }
    let mbox = f.git(&[
        "format-patch",
        "--stdout",
        "--notes=aiprov",
        &format!("{base}..HEAD"),
    ]);
    std::fs::write(m.path("series.mbox"), &mbox).unwrap();
    let (code, changes, _) = verify(&m, &["--mbox", "series.mbox"]);
    assert_eq!(code, 1);
    let codes: Vec<Vec<String>> = changes.iter().map(|c| c.1.clone()).collect();
    assert_eq!(codes, vec![over(), over(), over()]);
    // One patch of it alone is within the limit.
    let one = f.git(&["format-patch", "--stdout", "--notes=aiprov", "-1", "HEAD~2"]);
    std::fs::write(m.path("one.mbox"), one).unwrap();
    let (code, _, _) = verify(&m, &["--mbox", "one.mbox"]);
    assert_eq!(code, 0);
    // `aiprov am` judges the series the same way before it applies anything.
    let head = m.git(&["rev-parse", "HEAD"]);
    let out = m.aiprov().args(["am", "series.mbox"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(m.git(&["rev-parse", "HEAD"]), head, "nothing applied");
    m.aiprov().args(["am", "one.mbox"]).assert().success();
    assert_ne!(m.git(&["rev-parse", "HEAD"]), head);
}
