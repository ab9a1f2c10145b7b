//! `aiprov policy show` (the effective policy: profile plus overrides) and `aiprov policy check`
//! (a lint whose errors point at the file, line and column).

use crate::common;

use common::Fixture;

fn fixture(policy: Option<&str>) -> Fixture {
    let f = Fixture::new();
    f.aiprov().arg("init").assert().success();
    if let Some(p) = policy {
        f.write(".aiprov/policy.toml", p);
    }
    f
}

#[test]
fn show_prints_the_profile_with_the_overrides() {
    let f = fixture(Some(
        "version = 1\nprofile = \"qemu-2026-05\"\n[ai]\nsmall-fix-limit = 25\n[severity]\n\"trailer.foreign\" = \"off\"\n",
    ));
    let shown = f.outcome(f.aiprov().args(["policy", "show"]));
    insta::assert_snapshot!(shown);
    // What show prints is a policy file that means the same.
    let text = shown
        .split("--- stdout\n")
        .nth(1)
        .and_then(|s| s.split("--- stderr").next())
        .unwrap();
    f.write("shown.toml", text);
    let again = f.outcome(f.aiprov().args(["policy", "show", "shown.toml"]));
    assert_eq!(
        again.replace("shown.toml", ".aiprov/policy.toml"),
        shown,
        "show's output reads back as the same policy"
    );
}

#[test]
fn show_without_a_policy_file_is_the_newest_qemu_profile() {
    let f = fixture(None);
    let out = f.aiprov().args(["policy", "show"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("# profile qemu: QEMU docs/devel/llm-usage.rst"),
        "{text}"
    );
    assert!(text.contains("# as it is (no policy file)"), "{text}");
    for line in [
        "small-fix-limit = 10\n",
        "series-limit = true\n",
        "human-messages = true\n",
        "categories = [\"code\", \"tests\", \"docs\", \"analysis\", \"research\"]\n",
    ] {
        assert!(text.contains(line), "{line} in {text}");
    }
    // Each profile, spelled out, is a policy file the schema accepts.
    for profile in ["qemu", "qemu-2026-05", "kernel"] {
        let out = f
            .aiprov()
            .args(["--format", "json", "policy", "show", "--profile", profile])
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        common::assert_schema_valid("policy.schema.json", &doc["policy"]);
    }
    let out = f
        .aiprov()
        .args(["--format", "json", "policy", "show", "--profile", "kernel"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["profile"]["name"], "kernel");
    assert_eq!(doc["policy"]["ai"]["trailer"], "Assisted-by");
    assert_eq!(doc["policy"]["ai"]["restrict-categories"], false);
    assert_eq!(doc["file"], serde_json::Value::Null);
}

#[test]
fn show_at_a_revision_reads_the_committed_policy() {
    let f = fixture(Some("version = 1\nprofile = \"qemu-2026-05\"\n"));
    f.commit_all("Policy");
    f.write(".aiprov/policy.toml", "version = 1\nprofile = \"kernel\"\n");
    let out = f
        .aiprov()
        .args(["--format", "json", "policy", "show", "--rev", "HEAD"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["profile"]["name"], "qemu-2026-05");
    assert_eq!(doc["file"], ".aiprov/policy.toml at HEAD");
}

#[test]
fn check_points_at_the_file_line_and_column_of_every_mistake() {
    let f = fixture(Some(
        "version = 1\nprofile = \"qemu-2025\"\n\n[ai]\ncategories = [\"code\", \"vibes\"]\n\n[severity]\n\"policy.too-big\" = \"off\"\n",
    ));
    insta::assert_snapshot!(f.outcome(f.aiprov().args(["policy", "check"])));
    // A file that is not of the policy's shape stops at its first mistake.
    f.write("other.toml", "version = 1\n[ai]\nsmall-fix = 3\n");
    insta::assert_snapshot!(f.outcome(f.aiprov().args(["policy", "check", "other.toml"])));
    let out = f
        .aiprov()
        .args(["--format", "json", "policy", "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let places: Vec<(u64, u64)> = doc["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_u64().unwrap(), e["column"].as_u64().unwrap()))
        .collect();
    assert_eq!(places, vec![(2, 11), (5, 14), (8, 20)]);
    assert_eq!(doc["valid"], false);
}

#[test]
fn check_passes_a_good_file_and_warns_when_it_names_no_profile() {
    let f = fixture(Some("version = 1\nprofile = \"kernel\"\n"));
    insta::assert_snapshot!(f.outcome(f.aiprov().args(["policy", "check"])), @r"
    exit: 0
    --- stdout
    ok: .aiprov/policy.toml (profile kernel)
    --- stderr
    ");
    f.write(
        ".aiprov/policy.toml",
        "version = 1\n[ai]\nsmall-fix-limit = 5\n",
    );
    let out = f.aiprov().args(["policy", "check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("names no profile"), "{stderr}");
}

#[test]
fn a_missing_or_broken_policy_is_an_error_not_a_panic() {
    let f = Fixture::new();
    let out = f.aiprov().args(["policy", "check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = f
        .aiprov()
        .args(["policy", "check", "no-such.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    f.write("bad.toml", [0xffu8, 0xfe, b'\n']);
    let out = f
        .aiprov()
        .args(["policy", "show", "bad.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    f.write("bad.toml", "version = 1\nprofile = \"freebsd\"\n");
    insta::assert_snapshot!(f.outcome(f.aiprov().args(["policy", "show", "bad.toml"])));
    let out = f
        .aiprov()
        .args(["policy", "show", "--profile", "freebsd"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
