//! A declaration never says less than the contributor's trailer (issue 13, class 9): `attest`
//! refuses to sign what a malformed or broader trailer contradicts, `--fix-trailer` only adds,
//! corrects towards the attestation or moves, and `verify` reports the trailers a signed "no AI
//! use" contradicts. Each case is a real repository driven through the binary.

use crate::common;

use common::{lines, Fixture};
use serde_json::Value;

const SOB: &str = "Signed-off-by: Alice Author <alice@example.org>";

struct Repo {
    f: Fixture,
    key: std::path::PathBuf,
    base: String,
}

/// A repository trusting alice's key, with `policy` (if any) committed in `.aiprov/`.
fn repo(policy: Option<&str>) -> Repo {
    let f = Fixture::new();
    let key = f.keygen("alice");
    f.init_trusting("alice@example.org", &key);
    if let Some(policy) = policy {
        f.write(".aiprov/policy.toml", policy);
    }
    f.write("hw/dev.c", lines("dev", 10));
    f.write("tests/test-dev.c", lines("test", 5));
    let base = f.commit_all(&format!("Base\n\n{SOB}"));
    Repo { f, key, base }
}

impl Repo {
    /// A commit changing code and tests with `trailer` above the sign-off.
    fn commit(&self, trailer: &str) -> String {
        self.f.write("hw/dev.c", lines("dev", 14));
        self.f.write("tests/test-dev.c", lines("test", 8));
        self.f.commit_all(&format!("Change\n\n{trailer}\n{SOB}"))
    }

    fn attest(&self, args: &[&str]) -> std::process::Output {
        self.f
            .aiprov()
            .args(["attest", "-y", "--key"])
            .arg(&self.key)
            .args(args)
            .output()
            .expect("run aiprov attest")
    }

    fn note(&self) -> Option<String> {
        let out = self
            .f
            .git_cmd_fails(&["notes", "--ref=aiprov", "show", "HEAD"]);
        (!out).then(|| self.f.git(&["notes", "--ref=aiprov", "show", "HEAD"]))
    }

    fn message(&self) -> String {
        self.f.git(&["log", "-1", "--format=%B"])
    }

    fn verify(&self) -> (i32, Vec<String>) {
        let out = self
            .f
            .aiprov()
            .args(["verify", "--format", "json"])
            .arg(format!("{}..HEAD", self.base))
            .output()
            .expect("run aiprov verify");
        let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
        let mut codes: Vec<String> = doc["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .flat_map(|c| c["findings"].as_array().expect("findings").iter())
            .map(|f| f["code"].as_str().expect("code").to_string())
            .collect();
        codes.sort();
        (out.status.code().unwrap_or(-1), codes)
    }
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Refused, the commit and notes untouched; returns the outcome (exit 2, the message naming what
/// is wrong, the hint with the trailer's grammar) for the test's snapshot, after the arguments.
fn refused(r: &Repo, args: &[&str]) -> String {
    let head = r.f.git(&["rev-parse", "HEAD"]);
    let message = r.message();
    let out = r.attest(args);
    assert_eq!(r.f.git(&["rev-parse", "HEAD"]), head, "{args:?} moved HEAD");
    assert_eq!(r.message(), message);
    assert_eq!(r.note(), None, "{args:?} wrote a note");
    format!("$ aiprov attest {args:?}\n{}\n", r.f.render(&out))
}

#[test]
fn malformed_ai_used_for_is_never_signed_as_no_ai_use() {
    let mut transcript = String::new();
    for trailer in [
        "AI-used-for: test",
        "AI-used-for: codegen (Copilot)",
        "AI-used-for: code (unbalanced",
        "AI-used-for:",
        "AI-used-for: docs\nAI-used-for: magic",
        "ai-used-for: Code, testing",
    ] {
        let r = repo(None);
        r.commit(trailer);
        transcript.push_str(&format!("## trailer {trailer:?}\n"));
        transcript.push_str(&refused(&r, &[]));
        // Explicit rules do not make the trailer readable either, with or without --human.
        transcript.push_str(&refused(&r, &["--human", "**"]));
        transcript.push_str(&refused(&r, &["--ai", "**=code"]));
        // --fix-trailer without AI use would delete the declaration: refused.
        transcript.push_str(&refused(&r, &["--fix-trailer"]));
        transcript.push_str(&refused(&r, &["--fix-trailer", "--human", "**"]));
    }
    insta::assert_snapshot!(transcript);
}

#[test]
fn fix_trailer_corrects_a_malformed_trailer_towards_the_attestation_and_says_so() {
    let r = repo(None);
    r.commit("AI-used-for: codegen (Copilot)");
    let out = r.attest(&[
        "--fix-trailer",
        "--ai",
        "hw/**=code",
        "--ai",
        "tests/**=tests",
    ]);
    insta::assert_snapshot!(r.f.render(&out), @"
        exit: 0
        --- stdout
        --- stderr
        amended [id]: replaced `AI-used-for: codegen (Copilot)` with `AI-used-for: code, tests`
        attested [id] Change (AI used for code, tests; 2 files) as alice@example.org
        ");
    assert_eq!(
        r.message(),
        format!("Change\n\nAI-used-for: code, tests\n{SOB}\n\n")
    );
    assert_eq!(r.verify().0, 0, "{:?}", r.verify().1);
}

#[test]
fn a_declaration_never_says_less_than_the_trailer() {
    // The trailer says code and tests; the rules would sign tests only, or nothing.
    let r = repo(None);
    r.commit("AI-used-for: code, tests");
    let mut transcript = String::new();
    transcript.push_str(&refused(&r, &["--ai", "tests/**=tests"]));
    transcript.push_str(&refused(&r, &["--human", "**"]));
    transcript.push_str(&refused(&r, &["--fix-trailer", "--ai", "tests/**=tests"]));
    insta::assert_snapshot!(transcript);
    // Saying more than the trailer is allowed (verify then reports the mismatch) ...
    let out = r.attest(&["--ai", "**=code, tests, docs"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (code, codes) = r.verify();
    assert_eq!(code, 1);
    assert!(codes.contains(&"trailer.mismatch".to_string()), "{codes:?}");
    // ... and so is exactly what it says, inferred from it.
    let out = r.attest(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(r.verify(), (0, vec![]));
}

#[test]
fn fix_trailer_adds_categories_keeps_the_explanation_and_moves() {
    let r = repo(None);
    r.commit("AI-used-for: code (refactoring)");
    let out = r.attest(&[
        "--fix-trailer",
        "--ai",
        "hw/**=code",
        "--ai",
        "tests/**=tests",
    ]);
    insta::assert_snapshot!(r.f.render(&out), @"
        exit: 0
        --- stdout
        --- stderr
        amended [id]: replaced `AI-used-for: code (refactoring)` with `AI-used-for: code, tests (refactoring)`
        attested [id] Change (AI used for code, tests; 2 files) as alice@example.org
        ");
    assert_eq!(r.verify(), (0, vec![]));

    // A trailer below the sign-off is moved above it, and said so.
    let r = repo(None);
    r.f.write("hw/dev.c", lines("dev", 14));
    r.f.commit_all(&format!("Change\n\n{SOB}\nAI-used-for: code"));
    let out = r.attest(&["--fix-trailer", "--ai", "**=code"]);
    insta::assert_snapshot!(r.f.render(&out), @"
        exit: 0
        --- stdout
        --- stderr
        amended [id]: moved `AI-used-for: code` above the Signed-off-by lines
        attested [id] Change (AI used for code; 1 file) as alice@example.org
        ");
    assert_eq!(
        r.message(),
        format!("Change\n\nAI-used-for: code\n{SOB}\n\n")
    );
    assert_eq!(r.verify(), (0, vec![]));
}

#[test]
fn other_conventions_trailers_are_not_signed_away() {
    let mut transcript = String::new();
    for trailer in [
        "Co-authored-by: Claude <noreply@anthropic.com>",
        "Assisted-by: Claude:claude-opus-4",
        "Generated-by: GitHub Copilot",
    ] {
        let r = repo(None);
        r.commit(trailer);
        transcript.push_str(&format!("## trailer {trailer:?}\n"));
        transcript.push_str(&refused(&r, &[]));
        transcript.push_str(&refused(&r, &["--human", "**"]));
        // An attestation of no AI use made before the trailer was added fails verification.
        r.f.git(&["commit", "--amend", "-q", "-m", &format!("Change\n\n{SOB}")]);
        assert!(r.attest(&[]).status.success());
        r.f.git(&[
            "commit",
            "--amend",
            "-q",
            "-m",
            &format!("Change\n\n{trailer}\n{SOB}"),
        ]);
        assert_eq!(
            r.verify(),
            (
                1,
                vec![
                    "trailer.foreign".to_string(),
                    "trailer.unexpected".to_string()
                ]
            ),
            "{trailer}"
        );
    }
    insta::assert_snapshot!(transcript);
}

#[test]
fn kernel_assisted_by_follows_the_project_policy() {
    let kernel = "version = 1\nprofile = \"kernel\"\n";
    let mut transcript = String::new();
    for trailer in [
        "Assisted-by: Claude Opus 4.6",
        "Assisted-by: GitHub Copilot (Claude Sonnet 4.5)",
        "Assisted-by: :model",
    ] {
        let r = repo(Some(kernel));
        r.commit(trailer);
        transcript.push_str(&format!("## trailer {trailer:?}\n"));
        transcript.push_str(&refused(&r, &["--ai", "**=code"]));
    }
    let r = repo(Some(kernel));
    let trailer = "Assisted-by: Claude:claude-opus-4 coccinelle";
    r.commit(trailer);
    transcript.push_str(&format!("## trailer {trailer:?}\n"));
    transcript.push_str(&refused(&r, &[]));
    transcript.push_str(&refused(&r, &["--fix-trailer", "--ai", "**=code"]));
    insta::assert_snapshot!(transcript);
    let out = r.attest(&[
        "--ai",
        "**=code",
        "--tool",
        "Claude@claude-opus-4",
        "--tool",
        "coccinelle",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(r.verify(), (0, vec![]));
}
