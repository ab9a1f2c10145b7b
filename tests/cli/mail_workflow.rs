//! The whole mail round trip on real git: a contributor attests a series, `git format-patch`
//! carries the attestations below `---`, the maintainer runs `aiprov am` on a base that moved, and
//! `aiprov verify` passes on the applied commits. A tampered patch is refused before anything is
//! applied; a maintainer's fix-up is named and then covered by the maintainer's own attestation.

use crate::common;

use std::path::Path;

use base64::Engine as _;
use common::{git, lines, Fixture};
use serde_json::Value;

const ALICE: &str = "Signed-off-by: Alice Author <alice@example.org>";

struct Flow {
    maintainer: Fixture,
    contributor: std::path::PathBuf,
    alice: std::path::PathBuf,
    bob: std::path::PathBuf,
    base: String,
}

/// Runs aiprov in `dir` as the fixture's hermetic user.
fn aiprov_in(f: &Fixture, dir: &Path) -> assert_cmd::Command {
    let mut c = f.aiprov();
    c.current_dir(dir);
    c
}

fn flow() -> Flow {
    let m = Fixture::new();
    let alice = m.keygen("alice");
    let bob = m.keygen("bob");
    m.init_trusting("alice@example.org", &alice);
    m.aiprov()
        .args(["keyring", "add", "bob@example.org"])
        .arg(bob.with_extension("pub"))
        .assert()
        .success();
    m.write("hw/dev.c", lines("dev", 60));
    m.write("tests/test-dev.c", lines("test", 10));
    m.write("docs/dev.rst", "Device\n======\n");
    let base = m.commit_all("Base\n\nSigned-off-by: Bob Maintainer <bob@example.org>");
    let contributor = m.tmp.path().join("contributor");
    git(
        m.tmp.path(),
        &[
            "clone",
            "-q",
            m.repo.to_str().unwrap(),
            contributor.to_str().unwrap(),
        ],
    );
    aiprov_in(&m, &contributor).arg("init").assert().success();
    Flow {
        maintainer: m,
        contributor,
        alice,
        bob,
        base,
    }
}

impl Flow {
    fn c_write(&self, rel: &str, content: &str) {
        let p = self.contributor.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    fn c_commit(&self, message: &str) {
        git(&self.contributor, &["add", "-A"]);
        git(&self.contributor, &["commit", "-q", "-m", message]);
        aiprov_in(&self.maintainer, &self.contributor)
            .args(["attest", "--key"])
            .arg(&self.alice)
            .assert()
            .success();
    }

    /// Five attested patches and a cover letter, as one mbox; patch 2 base64, patch 3 CRLF.
    fn series(&self) -> Vec<u8> {
        let dev = |edit: &dyn Fn(String) -> String| edit(lines("dev", 60));
        self.c_write(
            "hw/dev.c",
            &dev(&|s| s.replace("dev line 10\n", "dev line ten\n")),
        );
        self.c_commit(&format!(
            "hw/dev: fix line ten\n\nAI-used-for: code\n{ALICE}"
        ));
        self.c_write("tests/test-dev.c", &(lines("test", 10) + "new test\n"));
        self.c_commit(&format!(
            "tests: cover line ten\n\nAI-used-for: tests\n{ALICE}"
        ));
        self.c_write("docs/dev.rst", "Device\n======\n\nLine ten is special.\n");
        self.c_commit(&format!(
            "docs: explain line ten\n\nAI-used-for: docs\n{ALICE}"
        ));
        self.c_write(
            "hw/dev.c",
            &dev(&|s| {
                s.replace("dev line 10\n", "dev line ten\n")
                    .replace("dev line 40\n", "dev line forty\n")
            }),
        );
        self.c_commit(&format!("hw/dev: fix line forty by hand\n\n{ALICE}"));
        self.c_write("hw/new.c", &lines("new", 5));
        self.c_commit(&format!(
            "hw/new: add a helper\n\nAI-used-for: code (boilerplate)\n{ALICE}"
        ));
        let out_dir = self.contributor.join("outgoing");
        git(
            &self.contributor,
            &[
                "format-patch",
                "-q",
                "--cover-letter",
                "-o",
                out_dir.to_str().unwrap(),
                "origin/main",
            ],
        );
        let mut files: Vec<_> = std::fs::read_dir(&out_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert_eq!(files.len(), 6);
        let mut mbox = Vec::new();
        for (i, path) in files.iter().enumerate() {
            let text = std::fs::read_to_string(path).unwrap();
            assert!(
                i == 0 || text.contains("\nNotes (aiprov):\n    {\"payloadType\""),
                "patch {i} carries its attestation"
            );
            let text = match i {
                2 => to_base64(&text),
                3 => text.replace('\n', "\r\n"),
                _ => text,
            };
            mbox.extend_from_slice(text.as_bytes());
        }
        mbox
    }

    fn verify(&self, range: &str) -> (i32, Value) {
        let out = self
            .maintainer
            .aiprov()
            .args(["verify", "--format", "json", range])
            .output()
            .unwrap();
        let doc = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
        (out.status.code().unwrap(), doc)
    }
}

/// Re-encodes a mail's body as base64 (keeping its mbox separator line and headers).
fn to_base64(mail: &str) -> String {
    let (head, body) = mail.split_once("\n\n").unwrap();
    let head: String = head
        .lines()
        .filter(|l| !l.starts_with("Content-Transfer-Encoding"))
        .map(|l| format!("{l}\n"))
        .collect();
    let encoded = base64::engine::general_purpose::STANDARD.encode(body);
    let wrapped: String = encoded
        .as_bytes()
        .chunks(76)
        .map(|c| format!("{}\n", String::from_utf8_lossy(c)))
        .collect();
    format!("{head}Content-Transfer-Encoding: base64\n\n{wrapped}")
}

/// The maintainer's branch moves: a change next to the series' lines, so `git am` needs `-3`.
fn move_base(f: &Flow) {
    let m = &f.maintainer;
    m.write(
        "hw/dev.c",
        lines("dev", 60).replace("dev line 8\n", "dev line eight (upstream)\n"),
    );
    m.commit_all(
        "hw/dev: upstream change near line ten\n\nSigned-off-by: Bob Maintainer <bob@example.org>",
    );
}

#[test]
fn a_series_goes_from_contributor_to_maintainer_and_verifies() {
    let f = flow();
    let mbox = f.series();
    move_base(&f);
    let m = &f.maintainer;
    let before = m.git(&["rev-parse", "HEAD"]).trim().to_string();
    let path = m.tmp.path().join("series.mbox");
    std::fs::write(&path, &mbox).unwrap();
    // The series verifies as mail, before it is applied.
    m.aiprov()
        .args(["verify", "--mbox"])
        .arg(&path)
        .assert()
        .success();
    m.aiprov()
        .args(["am"])
        .arg(&path)
        .args(["--", "-3", "-s"])
        .assert()
        .success();
    let applied = m.git(&["rev-list", "--count", &format!("{before}..HEAD")]);
    assert_eq!(applied.trim(), "5");
    let (code, doc) = f.verify(&format!("{before}..HEAD"));
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["changes"].as_array().unwrap().len(), 5);
    // Trust read from the original base works too (the keyring has not changed since).
    let out = m
        .aiprov()
        .args(["verify", "--trust-ref", &f.base, &format!("{before}..HEAD")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_tampered_patch_is_refused_before_anything_is_applied() {
    let f = flow();
    let mbox = String::from_utf8(f.series()).unwrap();
    let tampered = mbox.replacen("+new line 3\n", "+new line 3, altered in transit\n", 1);
    assert!(tampered != mbox, "the fixture has the line to tamper with");
    let m = &f.maintainer;
    let path = m.tmp.path().join("tampered.mbox");
    std::fs::write(&path, tampered).unwrap();
    let before = m.git(&["rev-parse", "HEAD"]);
    let out = m
        .aiprov()
        .args(["am", "--format", "json"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    common::assert_schema_valid("am.schema.json", &doc);
    assert_eq!(doc["applied"], false);
    let codes: Vec<&str> = doc["report"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| {
            c["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["code"].as_str().unwrap())
        })
        .collect();
    assert_eq!(codes, vec!["coverage.digest-mismatch"]);
    assert_eq!(m.git(&["rev-parse", "HEAD"]), before, "nothing applied");
    assert!(
        !m.repo.join(".git/rebase-apply").exists(),
        "git am never started"
    );
}

#[test]
fn a_maintainer_fix_up_is_named_then_covered_by_the_maintainers_attestation() {
    let f = flow();
    let mbox = f.series();
    let m = &f.maintainer;
    let path = m.tmp.path().join("series.mbox");
    std::fs::write(&path, &mbox).unwrap();
    let before = m.git(&["rev-parse", "HEAD"]).trim().to_string();
    m.aiprov()
        .args(["am"])
        .arg(&path)
        .args(["--", "-s"])
        .env("GIT_COMMITTER_NAME", "Bob Maintainer")
        .env("GIT_COMMITTER_EMAIL", "bob@example.org")
        .assert()
        .success();
    // The maintainer edits the last patch while applying it (its note follows the amend).
    m.write(
        "hw/new.c",
        lines("new", 5).replace("new line 3\n", "new line three\n"),
    );
    common::git_cmd(&m.repo)
        .args(["commit", "-q", "-a", "--amend", "--no-edit"])
        .env("GIT_COMMITTER_NAME", "Bob Maintainer")
        .env("GIT_COMMITTER_EMAIL", "bob@example.org")
        .status()
        .unwrap();
    let (code, doc) = f.verify(&format!("{before}..HEAD"));
    assert_eq!(code, 1);
    let last = &doc["changes"][4];
    assert_eq!(last["findings"][0]["code"], "coverage.digest-mismatch");
    assert_eq!(last["findings"][0]["file"], "hw/new.c");
    // bob signed off (git am -s) and attests the final content as himself.
    m.aiprov()
        .args(["attest", "--key"])
        .arg(&f.bob)
        .env("GIT_COMMITTER_NAME", "Bob Maintainer")
        .env("GIT_COMMITTER_EMAIL", "bob@example.org")
        .env("AIPROV_NOW", "2026-01-05T00:00:00Z")
        .assert()
        .success();
    let (code, doc) = f.verify(&format!("{before}..HEAD"));
    assert_eq!(code, 0, "{doc:#}");
    let atts = doc["changes"][4]["attestations"].as_array().unwrap();
    let by: Vec<(&str, &Value)> = atts
        .iter()
        .map(|a| (a["signer"].as_str().unwrap(), &a["aiUsedFor"]))
        .collect();
    assert!(
        by.contains(&("alice@example.org", &serde_json::json!(["code"]))),
        "the author's declaration is shown: {by:?}"
    );
    assert!(by.iter().any(|(s, _)| *s == "bob@example.org"));
}

#[test]
fn softfail_reports_the_findings_and_applies_anyway() {
    let f = flow();
    let mbox = String::from_utf8(f.series()).unwrap();
    let tampered = mbox.replacen("+new line 3\n", "+new line 3, altered in transit\n", 1);
    let m = &f.maintainer;
    let path = m.tmp.path().join("tampered.mbox");
    std::fs::write(&path, tampered).unwrap();
    let before = m.git(&["rev-parse", "HEAD"]).trim().to_string();
    // The findings still decide the exit code.
    let outcome = m.outcome(
        m.aiprov()
            .args(["am", "--softfail", "--color", "never"])
            .arg(&path),
    );
    insta::assert_snapshot!(common::snapshot::without_git_advice(&outcome), @"
        exit: 1
        --- stdout
        PASS patch 1/5 hw/dev: fix line ten (attested by alice@example.org)
        PASS patch 2/5 tests: cover line ten (attested by alice@example.org)
        PASS patch 3/5 docs: explain line ten (attested by alice@example.org)
        PASS patch 4/5 hw/dev: fix line forty by hand (attested by alice@example.org)
        FAIL patch 5/5 hw/new: add a helper (attested by alice@example.org)
            error [coverage.digest-mismatch] hw/new.c: the changed lines differ from those alice@example.org attested
        verification failed: 4 passed, 1 failed
        Applying: hw/dev: fix line ten
        Applying: tests: cover line ten
        Applying: docs: explain line ten
        Applying: hw/dev: fix line forty by hand
        Applying: hw/new: add a helper
        --- stderr
        skipping cover letter: [PATCH 0/5] *** SUBJECT HERE ***
        applied 5 patches; their attestations are notes in refs/notes/aiprov
        ");
    assert_eq!(
        m.git(&["rev-list", "--count", &format!("{before}..HEAD")])
            .trim(),
        "5"
    );
    // The tampered patch's commit carries the attestation, which still does not cover it.
    let (code, doc) = f.verify(&format!("{before}..HEAD"));
    assert_eq!(code, 1);
    assert_eq!(
        doc["changes"][4]["findings"][0]["code"],
        "coverage.digest-mismatch"
    );
}
