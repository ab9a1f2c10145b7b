//! `aiprov verify-bundle` on every case of the sigstore-conformance bundle-verify suite, copied
//! into `tests/data/sigstore/` (a case whose name ends in `_fail` must be rejected), plus the
//! digest form of the artifact, the built-in public-good root, and wrong identities.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sigstore")
}

/// The case's own file, or the suite's default.
fn file_or(case: &Path, name: &str, default: PathBuf) -> PathBuf {
    let own = case.join(name);
    if own.exists() {
        own
    } else {
        default
    }
}

fn text_or(case: &Path, name: &str, default: &str) -> String {
    std::fs::read_to_string(case.join(name))
        .map_or_else(|_| default.to_string(), |s| s.trim().to_string())
}

/// `aiprov verify-bundle` on a case, as the conformance harness runs it; the exit code.
fn verify(case: &Path, artifact: &str, identity: &str, issuer: &str, root: Option<&Path>) -> i32 {
    let mut cmd = assert_cmd::Command::cargo_bin("aiprov").unwrap();
    cmd.arg("verify-bundle")
        .arg("--bundle")
        .arg(case.join("bundle.sigstore.json"));
    if case.join("key.pub").exists() {
        cmd.arg("--key").arg(case.join("key.pub"));
    } else {
        cmd.args([
            "--certificate-identity",
            identity,
            "--certificate-oidc-issuer",
            issuer,
        ]);
    }
    if let Some(root) = root {
        cmd.arg("--trusted-root").arg(root);
    }
    let out = cmd.arg(artifact).output().unwrap();
    let code = out.status.code().unwrap();
    assert!(
        code == 0 || code == 1,
        "{}: exit {code}: {}",
        case.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    code
}

fn cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(vectors())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("bundle.sigstore.json").exists())
        .collect();
    cases.sort();
    cases
}

#[test]
fn every_conformance_case_passes_or_fails_as_its_name_says() {
    let cases = cases();
    assert!(
        cases.len() >= 8,
        "the shared vectors are missing: {}",
        vectors().display()
    );
    let mut wrong = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_str().unwrap();
        let artifact = file_or(case, "artifact", vectors().join("a.txt"));
        let root = file_or(
            case,
            "trusted_root.json",
            vectors().join("trusted_root.json"),
        );
        let code = verify(
            case,
            artifact.to_str().unwrap(),
            &text_or(case, "identity", IDENTITY),
            &text_or(case, "issuer", ISSUER),
            Some(&root),
        );
        let expected = if name.ends_with("_fail") { 1 } else { 0 };
        if code != expected {
            wrong.push(format!("{name}: exit {code}, expected {expected}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn digests_the_built_in_root_and_identities() {
    let case = vectors().join("happy-path-v0.3");
    let a = vectors().join("a.txt");
    let digest = format!(
        "sha256:{}",
        hex::encode(Sha256::digest(std::fs::read(&a).unwrap()))
    );
    let a = a.to_str().unwrap();
    // The public-good root is built in and is the suite's root.
    assert_eq!(verify(&case, a, IDENTITY, ISSUER, None), 0);
    assert_eq!(verify(&case, &digest, IDENTITY, ISSUER, None), 0);
    let other = format!(
        "sha256:{}",
        hex::encode(Sha256::digest(b"another artifact"))
    );
    assert_eq!(
        verify(&case, &other, IDENTITY, ISSUER, None),
        1,
        "another artifact"
    );
    assert_eq!(
        verify(
            &case,
            a,
            "https://github.com/someone/else/.github/workflows/x.yml@refs/heads/main",
            ISSUER,
            None
        ),
        1,
        "another identity"
    );
    assert_eq!(
        verify(&case, a, IDENTITY, "https://accounts.google.com", None),
        1,
        "another issuer"
    );
    let dsse = vectors().join("happy-path-intoto-in-dsse-v3");
    assert_eq!(verify(&dsse, a, "someone@example.org", ISSUER, None), 1);
}
