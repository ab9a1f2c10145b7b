//! The kernel's `Assisted-by:` dialect as its own `scripts/checkpatch.pl` checks it (issue 16):
//! aiprov calls a value malformed exactly when checkpatch warns `BAD_SIGN_OFF` ("Assisted-by
//! expects 'AGENT_NAME:MODEL_VERSION [TOOL1] [TOOL2]' format") on it. checkpatch.pl comes from
//! Debian's linux-source-6.12 (fetched and checked by `scripts/fetch-checkpatch`, or taken from
//! `AIPROV_CHECKPATCH`); the values are real ones from git's and the kernel's history.

use std::path::PathBuf;
use std::process::Command;

use aiprov::trailers::{AssistedBy, ASSISTED_BY_FORM};

use crate::common;

use common::{lines, Fixture};

/// `Assisted-by:` values as they were written, with where.
const REAL: &[(&str, &str)] = &[
    // git/git (`git log --format='%(trailers:key=Assisted-by)'`).
    ("Opus 4.7", "git b4b9a8cdbd21"),
    ("GPT-5.6 Sol", "git 65cda10d5bbb"),
    ("Claude Opus 4.6", "git 211ba0c0c8e4"),
    ("Claude Opus 4.7", "git 764255357846"),
    ("Claude Sonnet 4.5", "git d7971544fe17"),
    (
        "Waldek Maleska <weakcamel@users.github.com>",
        "git df5218b4c30b",
    ),
    ("Junio C Hamano <gitster@pobox.com>", "git 09b7e2204a8e"),
    // Linux patches on lore.kernel.org, and coding-assistants.rst's own example.
    (
        "Claude:claude-sonnet-4-6",
        "lore, drm/i915 and tracepoint patches",
    ),
    ("Claude:claude-opus-4.6", "lore, drm/xe patch"),
    ("Claude:claude-opus-4-8", "lore, ALSA and mt76 patches"),
    ("GitHub Copilot:claude-opus-4.6", "lore, amdgpu patch"),
    (
        "GitHub Copilot:Claude Sonnet 4.6 linux-kernel-oops-x86.",
        "lore, amdgpu oops fix",
    ),
    (
        "Claude:claude-3-opus coccinelle sparse",
        "Documentation/process/coding-assistants.rst",
    ),
    // The issue's examples of trailers in the wild.
    ("GitHub Copilot (Claude Sonnet 4.5)", "issue 16"),
];

/// Edge cases of `^\S+:\S+`.
const EDGES: &[&str] = &[
    "a::",
    ":a:b",
    "::",
    ":model",
    "Cursor:",
    "Cursor: claude-4",
    "Cursor :claude-4",
    "Cursor:claude-4\t[sparse]",
    "Cursor:claude-4 (agent mode)",
    "Claude Code:claude-opus-4",
    "[Claude]:[opus] []",
    "Клод:опус-4",
    "claude:opus,sparse",
];

fn checkpatch() -> PathBuf {
    if let Ok(path) = std::env::var("AIPROV_CHECKPATCH") {
        return PathBuf::from(path);
    }
    static FETCHED: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    FETCHED
        .get_or_init(|| {
            let script =
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/fetch-checkpatch");
            let out = Command::new(&script)
                .output()
                .expect("run scripts/fetch-checkpatch");
            assert!(
                out.status.success(),
                "scripts/fetch-checkpatch failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
        })
        .clone()
}

/// Whether checkpatch.pl warns that an `Assisted-by:` value is not in the kernel's form.
fn checkpatch_warns(script: &std::path::Path, value: &str) -> bool {
    let patch = format!(
        "From: A U Thor <author@example.org>\nSubject: [PATCH] x: y\n\nWhy.\n\n\
         Assisted-by: {value}\nSigned-off-by: A U Thor <author@example.org>\n---\n \
         a.c | 1 +\n 1 file changed, 1 insertion(+)\n\ndiff --git a/a.c b/a.c\n\
         --- a/a.c\n+++ b/a.c\n@@ -1,1 +1,2 @@\n int a;\n+int b;\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.patch");
    std::fs::write(&file, patch).unwrap();
    let out = Command::new("perl")
        .arg(script)
        .args(["--no-tree", "--types", "BAD_SIGN_OFF", "--terse"])
        .arg(&file)
        .output()
        .expect("run perl checkpatch.pl");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        matches!(out.status.code(), Some(0 | 1)) && out.stderr.is_empty(),
        "checkpatch.pl failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text.contains("Assisted-by expects 'AGENT_NAME:MODEL_VERSION [TOOL1] [TOOL2]' format")
}

#[test]
fn malformed_exactly_where_checkpatch_warns() {
    let script = checkpatch();
    let source = std::fs::read_to_string(&script).unwrap();
    assert!(
        source.contains("Assisted-by"),
        "a checkpatch.pl that knows Assisted-by"
    );
    let mut disagree = Vec::new();
    let values = REAL.iter().map(|(v, _)| *v).chain(EDGES.iter().copied());
    for value in values {
        let ours = value.parse::<AssistedBy>();
        if ours.is_err() != checkpatch_warns(&script, value) {
            disagree.push(format!("{value:?}: aiprov {ours:?}"));
        }
        if let Err(e) = ours {
            assert!(e.to_string().ends_with(ASSISTED_BY_FORM), "{e}");
        }
    }
    assert!(
        disagree.is_empty(),
        "aiprov and checkpatch.pl disagree: {disagree:#?}"
    );
    // The real trailers of git's history are all prose, not the kernel's form.
    let malformed: Vec<&str> = REAL
        .iter()
        .filter(|(_, from)| from.starts_with("git "))
        .filter(|(v, _)| v.parse::<AssistedBy>().is_ok())
        .map(|(v, _)| *v)
        .collect();
    assert_eq!(malformed, Vec::<&str>::new());
}

/// A kernel-profile repository with one unattested commit carrying `trailers`; the findings of
/// verifying it, as "severity code: message".
fn verify_kernel_commit(trailers: &str) -> (i32, Vec<String>) {
    let f = Fixture::new();
    let key = f.keygen("alice");
    f.init_trusting("alice@example.org", &key);
    f.write(".aiprov/policy.toml", "version = 1\nprofile = \"kernel\"\n");
    f.write("drivers/x.c", lines("int x", 10));
    let base = f.commit_all("Base\n\nSigned-off-by: Alice Author <alice@example.org>");
    f.write("drivers/x.c", lines("int x", 12));
    f.commit_all(&format!("x: grow\n\nWhy.\n\n{trailers}"));
    let out = f
        .aiprov()
        .args(["verify", "--format", "json", &format!("{base}..HEAD")])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = doc["changes"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}: {}",
                f["severity"].as_str().unwrap(),
                f["code"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    (out.status.code().unwrap(), findings)
}

#[test]
fn verify_reports_prose_assisted_by_with_the_expected_form() {
    let (code, findings) = verify_kernel_commit(
        "Assisted-by: GitHub Copilot (Claude Sonnet 4.5)\nSigned-off-by: Alice Author <alice@example.org>",
    );
    assert_eq!(code, 1);
    insta::assert_json_snapshot!(findings, @r#"
    [
      "error signature.missing: no attestation for this change",
      "error trailer.malformed: malformed Assisted-by trailer \"GitHub Copilot (Claude Sonnet 4.5)\": expected `AGENT_NAME:MODEL_VERSION [TOOL1] [TOOL2]` with no space in the agent name or the model version, e.g. `Assisted-by: Claude:claude-opus-4-6 coccinelle`"
    ]
    "#);
}

#[test]
fn an_agent_must_not_sign_off() {
    // As real commits have it: a person's sign-off, then the agent's.
    let (code, findings) = verify_kernel_commit(
        "Assisted-by: Claude:claude-opus-4-6\nSigned-off-by: Alice Author <alice@example.org>\nSigned-off-by: Claude <noreply@anthropic.com>",
    );
    assert_eq!(code, 1);
    assert!(
        findings.contains(&"error dco.agent-signed-off: Signed-off-by: Claude <noreply@anthropic.com> names an AI agent; only a person can certify the DCO (an agent discloses itself with a disclosure trailer instead)".to_string()),
        "{findings:#?}"
    );
    // A person named Claude signs off in git's history (7b0580583ae2): not an agent.
    let (_, findings) = verify_kernel_commit(
        "Signed-off-by: Alice Author <alice@example.org>\nSigned-off-by: Claude Dioudonnat <cdioudonnat@itnetwork.fr>",
    );
    assert_eq!(
        findings,
        vec!["error signature.missing: no attestation for this change"]
    );
}
