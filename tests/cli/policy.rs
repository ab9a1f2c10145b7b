//! Policy tests in the cargo-deny style: an inline policy, a fixture repository, a snapshot of
//! the findings.

use crate::common;

use common::{lines, Fixture};

const SOB: &str = "Signed-off-by: Alice Author <alice@example.org>";

/// A repository whose base commit holds the keyring (alice) and `policy` as .aiprov/policy.toml.
fn repo(policy: Option<&str>) -> (Fixture, std::path::PathBuf, String) {
    let f = Fixture::new();
    let key = f.keygen("alice");
    f.init_trusting("alice@example.org", &key);
    if let Some(p) = policy {
        f.write(".aiprov/policy.toml", p);
    }
    f.write("hw/net/dev.c", lines("int dev", 100));
    f.write("tests/unit/test-dev.c", lines("test", 10));
    f.write("docs/devel/dev.rst", "Device\n======\n");
    let base = f.commit_all(&format!("Base\n\n{SOB}"));
    (f, key, base)
}

/// Commits the files, attests with `attest_args`, and returns "code file: message" lines of the
/// findings of `verify BASE..HEAD` (and the exit code).
fn findings(
    f: &Fixture,
    key: &std::path::Path,
    base: &str,
    message: &str,
    attest_args: &[&str],
) -> (i32, Vec<String>) {
    f.commit_all(message);
    f.aiprov()
        .args(["attest", "--key"])
        .arg(key)
        .args(attest_args)
        .assert()
        .success();
    let out = f
        .aiprov()
        .args(["verify", "--format", "json", &format!("{base}..HEAD")])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["findings"].as_array().unwrap().clone())
        .map(|f| {
            format!(
                "{} {} {}: {}",
                f["severity"].as_str().unwrap(),
                f["code"].as_str().unwrap(),
                f["file"].as_str().unwrap_or("-"),
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    (out.status.code().unwrap(), list)
}

fn edit_dev(f: &Fixture, changed: usize) {
    let mut text = String::new();
    for i in 1..=100 {
        if i <= changed {
            text.push_str(&format!("int dev line {i} fixed\n"));
        } else {
            text.push_str(&format!("int dev line {i}\n"));
        }
    }
    f.write("hw/net/dev.c", text);
}

#[test]
fn ai_tests_and_docs_where_they_belong_pass() {
    let (f, key, base) = repo(None);
    f.write("tests/unit/test-dev.c", lines("test", 30));
    f.write(
        "docs/devel/dev.rst",
        format!("Device\n======\n\n{}", lines("Prose", 40)),
    );
    let (code, list) = findings(
        &f,
        &key,
        &base,
        &format!("Tests and docs\n\nAI-used-for: tests, docs\n{SOB}"),
        &[],
    );
    assert_eq!((code, list), (0, vec![]));
}

#[test]
fn a_small_ai_fix_passes_and_a_large_one_needs_approval() {
    let (f, key, base) = repo(None);
    edit_dev(&f, 8);
    let (code, list) = findings(
        &f,
        &key,
        &base,
        &format!("hw/net: fix\n\nAI-used-for: code\n{SOB}"),
        &[],
    );
    assert_eq!((code, list), (0, vec![]));
    let (f, key, base) = repo(None);
    edit_dev(&f, 60);
    let (code, list) = findings(
        &f,
        &key,
        &base,
        &format!("hw/net: rewrite\n\nAI-used-for: code\n{SOB}"),
        &[],
    );
    assert_eq!(code, 1);
    insta::assert_json_snapshot!(list);
}

#[test]
fn the_limit_and_exceptions_come_from_the_policy_file() {
    let (f, key, base) = repo(Some("version = 1\n[ai]\nsmall-fix-limit = 80\n"));
    edit_dev(&f, 60);
    let (code, list) = findings(
        &f,
        &key,
        &base,
        &format!("hw/net: rewrite\n\nAI-used-for: code\n{SOB}"),
        &[],
    );
    assert_eq!((code, list), (0, vec![]));
    let (f, key, base) = repo(None);
    edit_dev(&f, 60);
    let (code, list) = findings(
        &f,
        &key,
        &base,
        &format!("hw/net: rename\n\nAI-used-for: code (mechanical rename)\n{SOB}"),
        &[],
    );
    assert_eq!((code, list), (0, vec![]));
}

#[test]
fn ai_tests_outside_the_test_paths_are_not_allowed_and_severities_are_configurable() {
    let (f, key, base) = repo(None);
    edit_dev(&f, 3);
    let (code, list) = findings(
        &f,
        &key,
        &base,
        &format!("Tests in hw\n\nAI-used-for: tests\n{SOB}"),
        &["--ai", "hw/**=tests"],
    );
    assert_eq!(code, 1);
    insta::assert_json_snapshot!(list);
    let (f, key, base) = repo(Some(
        "version = 1\n[severity]\n\"policy.category-not-allowed\" = \"warning\"\n\"policy.approval-missing\" = \"off\"\n",
    ));
    edit_dev(&f, 3);
    let (code, list) = findings(
        &f,
        &key,
        &base,
        &format!("Tests in hw\n\nAI-used-for: tests\n{SOB}"),
        &["--ai", "hw/**=tests"],
    );
    assert_eq!(code, 0);
    insta::assert_json_snapshot!("severities_lowered", list);
}

#[test]
fn the_kernel_profile_reads_assisted_by() {
    let kernel = "version = 1\nprofile = \"kernel\"\n";
    let (f, key, base) = repo(Some(kernel));
    edit_dev(&f, 60);
    let (code, list) = findings(
        &f,
        &key,
        &base,
        &format!("net: fix\n\nAssisted-by: Claude:claude-opus-4 coccinelle\n{SOB}"),
        &[
            "--ai",
            "**=code",
            "--tool",
            "Claude@claude-opus-4",
            "--tool",
            "coccinelle",
        ],
    );
    assert_eq!(
        (code, list),
        (0, vec![]),
        "a matching Assisted-by passes, and the kernel has no size limit"
    );
    let (f, key, base) = repo(Some(kernel));
    edit_dev(&f, 2);
    let (code, list) = findings(
        &f,
        &key,
        &base,
        &format!("net: fix\n\nAssisted-by: Claude:claude-opus-4\nAI-used-for: code\n{SOB}"),
        &["--ai", "**=code", "--tool", "Copilot@gpt-5"],
    );
    assert_eq!(code, 1);
    insta::assert_json_snapshot!(list);
}

#[test]
fn ai_comments_in_code_count_as_docs_but_code_does_not() {
    let (f, key, base) = repo(None);
    let text = lines("int dev", 100).replace(
        "int dev line 10\n",
        "int dev line 10\n/*\n * The device resets on write of 1.\n * Its registers read as 0 afterwards.\n */\n",
    );
    f.write("hw/net/dev.c", text);
    let (code, list) = findings(
        &f,
        &key,
        &base,
        &format!("hw/net: document reset\n\nAI-used-for: docs\n{SOB}"),
        &[],
    );
    assert_eq!((code, list), (0, vec![]));
    let (f, key, base) = repo(None);
    let text = lines("int dev", 100).replace(
        "int dev line 10\n",
        "int dev line 10 /* now with a comment */ + 1;\n",
    );
    f.write("hw/net/dev.c", text);
    let (code, list) = findings(
        &f,
        &key,
        &base,
        &format!("hw/net: tweak\n\nAI-used-for: docs\n{SOB}"),
        &[],
    );
    assert_eq!(code, 1);
    assert!(list[0].contains("policy.category-not-allowed"), "{list:?}");
}

#[test]
fn mailed_ai_comments_count_as_docs_when_the_base_is_at_hand() {
    let (f, key, base) = repo(None);
    // The maintainer has the base, not the series.
    let m = Fixture::new();
    m.git(&["fetch", "-q", f.repo.to_str().unwrap(), "main"]);
    m.git(&["reset", "-q", "--hard", "FETCH_HEAD"]);
    let commit = |old: &str, new: &str, title: &str| {
        let text = std::fs::read_to_string(f.path("hw/net/dev.c")).unwrap();
        f.write("hw/net/dev.c", text.replace(old, new));
        f.commit_all(&format!("hw/net: {title}\n\nAI-used-for: docs\n{SOB}"));
        f.aiprov()
            .args(["attest", "--key"])
            .arg(&key)
            .assert()
            .success();
    };
    commit(
        "int dev line 10\n",
        "int dev line 10\n/* Resets on write. */\n",
        "comment reset",
    );
    // Patch 2 starts from a blob only patch 1 makes.
    commit(
        "int dev line 20\n",
        "int dev line 20\n// Reads as 0.\n",
        "comment read",
    );
    commit("int dev line 30\n", "int dev line 30 + 1;\n", "tweak");
    let mbox = f.git(&[
        "format-patch",
        "--stdout",
        "--notes=aiprov",
        &format!("{base}..HEAD"),
    ]);
    std::fs::write(m.path("series.mbox"), mbox).unwrap();
    let out = m
        .aiprov()
        .args(["verify", "--format", "json", "--mbox", "series.mbox"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<Vec<&str>> = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            c["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["code"].as_str().unwrap())
                .collect()
        })
        .collect();
    assert_eq!(
        codes,
        vec![
            vec![],
            vec![],
            vec!["policy.category-not-allowed", "policy.approval-missing"]
        ],
        "{doc:#}"
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_large_ai_fix_passes_after_a_maintainers_approval_and_only_then() {
    let (f, key, base) = repo(None);
    let bob = f.keygen("bob");
    let carol = f.keygen("carol");
    f.aiprov()
        .args(["keyring", "add", "bob@example.org"])
        .arg(bob.with_extension("pub"))
        .assert()
        .success();
    f.aiprov()
        .args(["keyring", "add", "carol@example.org"])
        .arg(carol.with_extension("pub"))
        .assert()
        .success();
    f.write(
        "MAINTAINERS",
        "Descriptions of section entries and preferred order\n\tM: Mail patches to: FullName <address@domain>\n\n\
         Network devices\nM:\tBob Maintainer <bob@example.org>\nS:\tMaintained\nF:\thw/net/\n\n\
         Tests\nM:\tCarol Tester <carol@example.org>\nF:\ttests/\n",
    );
    let base = {
        let _ = base;
        f.commit_all(&format!("Trust bob and carol; MAINTAINERS\n\n{SOB}"))
    };
    edit_dev(&f, 60);
    let (code, list) = findings(
        &f,
        &key,
        &base,
        &format!("hw/net: rewrite\n\nAI-used-for: code\n{SOB}"),
        &[],
    );
    assert_eq!(code, 1);
    assert_eq!(list.len(), 2, "{list:#?}");
    // carol is in the keyring but does not maintain hw/net/: her approval does not count.
    let approve = |key: &std::path::Path, email: &str| {
        f.aiprov()
            .args(["approve", "--key"])
            .arg(key)
            .env("GIT_COMMITTER_EMAIL", email)
            .assert()
            .success();
    };
    approve(&carol, "carol@example.org");
    let out = f
        .aiprov()
        .args(["verify", "--format", "json", &format!("{base}..HEAD")])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // bob maintains hw/net/: with his approval the change passes.
    approve(&bob, "bob@example.org");
    let out = f
        .aiprov()
        .args(["verify", "--format", "json", &format!("{base}..HEAD")])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // The approval is mailed with the attestations, in the same note.
    let mbox = f.git(&["format-patch", "--stdout", "--notes=aiprov", "-1"]);
    let mbox_path = f.tmp.path().join("approved.mbox");
    std::fs::write(&mbox_path, mbox).unwrap();
    let out = f
        .aiprov()
        .args(["verify", "--mbox"])
        .arg(&mbox_path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // An approval bound to other lines does not carry over to an edited change.
    let note = f.git(&["notes", "--ref=aiprov", "show", "HEAD"]);
    edit_dev(&f, 61);
    f.git(&["commit", "-q", "-a", "--amend", "--no-edit"]);
    f.git(&["notes", "--ref=aiprov", "add", "-f", "-m", &note, "HEAD"]);
    f.aiprov()
        .args(["attest", "--key"])
        .arg(&key)
        .assert()
        .success();
    let out = f
        .aiprov()
        .args(["verify", "--format", "json", &format!("{base}..HEAD")])
        .output()
        .unwrap();
    insta::assert_snapshot!("approval_missing_report", f.render(&out));
}

#[test]
fn analysis_and_research_are_one_category_where_the_profile_has_both() {
    let v2 = "version = 1\nprofile = \"qemu-2026-05\"\n";
    let only_analysis =
        "version = 1\n[ai]\ncategories = [\"code\", \"tests\", \"docs\", \"analysis\"]\n";
    let neither = "version = 1\n[ai]\ncategories = [\"code\", \"tests\", \"docs\"]\n";
    let mut seen = Vec::new();
    for (policy, name) in [
        (None, "analysis"),
        (None, "Research"),
        (Some(v2), "research"),
        (Some(v2), "analysis"),
        (Some(only_analysis), "research"),
        (Some(neither), "analysis"),
    ] {
        let (f, key, base) = repo(policy);
        f.write("hw/net/dev.c", lines("int dev", 101));
        let (code, list) = findings(
            &f,
            &key,
            &base,
            &format!("hw/net: one more line\n\nAI-used-for: {name}\n{SOB}"),
            &[],
        );
        seen.push(format!(
            "{} {name}: {code} {list:?}",
            policy.map_or("qemu", |p| p.lines().nth(1).unwrap_or(p))
        ));
    }
    insta::assert_snapshot!(seen.join("\n"), @r#"
    qemu analysis: 0 []
    qemu Research: 0 []
    profile = "qemu-2026-05" research: 0 []
    profile = "qemu-2026-05" analysis: 1 ["error trailer.malformed -: AI-used-for: analysis: the policy (profile qemu-2026-05) calls this category 'research', not 'analysis'"]
    [ai] research: 1 ["error trailer.malformed -: AI-used-for: research: the policy (profile qemu) calls this category 'analysis', not 'research'"]
    [ai] analysis: 1 ["error policy.category-not-allowed -: AI-used-for: analysis: the policy (profile qemu) does not allow AI use for 'analysis'"]
    "#);
}

#[test]
fn the_newest_qemu_draft_allows_about_ten_lines_and_the_may_v2_twenty() {
    for (policy, changed, expected) in [
        (None, 10, 0),
        (None, 11, 1),
        (Some("version = 1\nprofile = \"qemu-2026-05\"\n"), 20, 0),
        (Some("version = 1\nprofile = \"qemu-2026-05\"\n"), 21, 1),
    ] {
        let (f, key, base) = repo(policy);
        edit_dev(&f, changed);
        let (code, _) = findings(
            &f,
            &key,
            &base,
            &format!("hw/net: fix\n\nAI-used-for: code\n{SOB}"),
            &[],
        );
        assert_eq!(code, expected, "{policy:?} with {changed} lines");
    }
}
