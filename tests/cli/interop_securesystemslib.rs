//! aiprov's envelopes verify with securesystemslib, and a securesystemslib-signed envelope
//! verifies with `aiprov verify`. Python comes from the venv that `scripts/setup-python` makes.

use crate::common;

use std::path::PathBuf;
use std::process::Command;

use aiprov::signing::PublicKey;
use common::{lines, Fixture};
use serde_json::Value;

const SOB: &str = "Signed-off-by: Alice Author <alice@example.org>";

fn python() -> PathBuf {
    common::venv_bin("python")
}

fn script() -> &'static str {
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/interop/securesystemslib_dsse.py"
    )
}

/// A repository with a committed keyring and one change, signed off by alice.
fn repo() -> (Fixture, String) {
    let f = Fixture::new();
    f.aiprov().arg("init").assert().success();
    f.write("src/a.c", lines("int a", 10));
    let base = f.commit_all(&format!("Base\n\n{SOB}"));
    f.write("src/a.c", lines("int a", 12));
    f.commit_all(&format!("Extend a\n\nAI-used-for: code\n{SOB}"));
    (f, base)
}

#[test]
fn securesystemslib_verifies_an_aiprov_envelope() {
    let (f, _) = repo();
    let key = f.tmp.path().join("alice");
    f.aiprov()
        .args(["keygen", "-f"])
        .arg(&key)
        .assert()
        .success();
    let public =
        PublicKey::from_openssh(&std::fs::read_to_string(key.with_extension("pub")).unwrap())
            .unwrap();
    let out = f
        .aiprov()
        .args(["attest", "--stdout", "--key"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let envelope = String::from_utf8(out.stdout).unwrap();
    let file = f.tmp.path().join("envelope.json");

    std::fs::write(&file, &envelope).unwrap();
    let run = Command::new(python())
        .args([script(), "verify"])
        .arg(&file)
        .arg(hex::encode(public.to_bytes()))
        .output()
        .expect("run python");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        vec![public.keyid().as_str(), "verified"]
    );

    // A tampered payload is rejected by securesystemslib too.
    let mut env: Value = serde_json::from_str(&envelope).unwrap();
    env["payload"] = Value::String(base64_flip(env["payload"].as_str().unwrap()));
    std::fs::write(&file, env.to_string()).unwrap();
    let run = Command::new(python())
        .args([script(), "verify"])
        .arg(&file)
        .arg(hex::encode(public.to_bytes()))
        .output()
        .expect("run python");
    assert_eq!(
        run.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&run.stdout)
    );
}

/// Changes one base64 character in the middle.
fn base64_flip(s: &str) -> String {
    let mut b = s.as_bytes().to_vec();
    let i = b.len() / 2;
    b[i] = if b[i] == b'A' { b'B' } else { b'A' };
    String::from_utf8(b).unwrap()
}

#[test]
fn aiprov_verifies_a_securesystemslib_signed_attestation() {
    let (f, base) = repo();
    // The statement aiprov would sign, signed instead by securesystemslib with its own key.
    let key = f.tmp.path().join("scratch");
    f.aiprov()
        .args(["keygen", "-f"])
        .arg(&key)
        .assert()
        .success();
    let out = f
        .aiprov()
        .args(["attest", "--stdout", "--key"])
        .arg(&key)
        .output()
        .unwrap();
    let ours: Value = serde_json::from_slice(&out.stdout).expect("envelope");
    let payload = aiprov::dsse::Envelope::parse(ours.to_string().as_bytes())
        .unwrap()
        .payload;
    let payload_file = f.tmp.path().join("payload.json");
    std::fs::write(&payload_file, &payload).unwrap();
    let run = Command::new(python())
        .args([script(), "sign"])
        .arg(&payload_file)
        .output()
        .expect("run python");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let signed: Value = serde_json::from_slice(&run.stdout).expect("python output");
    let public_hex = signed["public"].as_str().unwrap();
    let public =
        PublicKey::from_bytes(&hex::decode(public_hex).unwrap().try_into().unwrap()).unwrap();
    assert_eq!(
        signed["keyid"].as_str(),
        Some(public.keyid().as_str()),
        "keyids agree"
    );

    // Trust that key in the base commit's keyring, store the envelope as the note, verify.
    let pub_file = f.tmp.path().join("ssl.pub");
    std::fs::write(&pub_file, public.to_openssh()).unwrap();
    f.git(&["checkout", "-q", &base]);
    f.aiprov()
        .args(["keyring", "add", "alice@example.org"])
        .arg(&pub_file)
        .assert()
        .success();
    let trusted = f.commit_all(&format!("Trust the securesystemslib key\n\n{SOB}"));
    f.git(&["checkout", "-q", "main"]);
    let note = signed["envelope"].to_string();
    f.git(&["notes", "--ref=aiprov", "add", "-f", "-m", &note, "HEAD"]);
    f.aiprov()
        .args(["verify", "--trust-ref", &trusted, &format!("{base}..HEAD")])
        .assert()
        .success();

    // And aiprov rejects it once tampered.
    let mut env = signed["envelope"].clone();
    env["signatures"][0]["sig"] =
        Value::String(base64_flip(env["signatures"][0]["sig"].as_str().unwrap()));
    f.git(&[
        "notes",
        "--ref=aiprov",
        "add",
        "-f",
        "-m",
        &env.to_string(),
        "HEAD",
    ]);
    let out = f
        .aiprov()
        .args([
            "verify",
            "--format",
            "json",
            "--trust-ref",
            &trusted,
            "HEAD",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["changes"][0]["findings"][0]["code"],
        "signature.invalid"
    );
}
