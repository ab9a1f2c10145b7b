//! Trust as the keyring's own formats mean it (issue 13, classes 5 and 7): git's
//! `allowed_signers` read exactly as `ssh-keygen -Y verify` reads it, compared cell by cell with
//! the real ssh-keygen; and attestations dated in the future are not trusted.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::{lines, Fixture};
use serde_json::Value;

const SOB: &str = "Signed-off-by: Alice Author <alice@example.org>";

/// A key made by ssh-keygen, with a message signed by it in git's and aiprov's namespaces.
struct SshKey {
    private: std::path::PathBuf,
    public: String,
    message: std::path::PathBuf,
}

fn ssh_key(dir: &Path) -> SshKey {
    let private = dir.join("id_ed25519");
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "test", "-f"])
        .arg(&private)
        .output()
        .expect("ssh-keygen is installed (scripts/test installs openssh-client)");
    assert!(out.status.success());
    let message = dir.join("message");
    std::fs::write(&message, "signed\n").expect("write message");
    for namespace in ["git", "aiprov"] {
        let sig = Command::new("ssh-keygen")
            .args(["-Y", "sign", "-n", namespace, "-f"])
            .arg(&private)
            .arg(&message)
            .output()
            .expect("ssh-keygen -Y sign");
        assert!(
            sig.status.success(),
            "{}",
            String::from_utf8_lossy(&sig.stderr)
        );
        std::fs::rename(
            message.with_extension("sig"),
            dir.join(format!("{namespace}.sig")),
        )
        .expect("keep the signature");
    }
    let public = std::fs::read_to_string(private.with_extension("pub")).expect("public key");
    let public = public
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    SshKey {
        private,
        public,
        message,
    }
}

/// Whether `ssh-keygen -Y verify` accepts the key for `identity` at `time` in either namespace.
fn ssh_keygen_accepts(key: &SshKey, allowed: &Path, identity: &str, time: &str) -> bool {
    let dir = key.message.parent().expect("dir");
    ["git", "aiprov"].iter().any(|namespace| {
        Command::new("ssh-keygen")
            .args(["-Y", "verify", "-n", namespace, "-I", identity, "-f"])
            .arg(allowed)
            .arg("-s")
            .arg(dir.join(format!("{namespace}.sig")))
            .arg(format!("-Overify-time={time}"))
            .stdin(std::fs::File::open(&key.message).expect("message"))
            .output()
            .expect("ssh-keygen -Y verify")
            .status
            .success()
    })
}

fn verify_codes(f: &Fixture, keyring: &Path, rev: &str) -> (i32, Vec<String>) {
    let out = f
        .aiprov()
        .args(["verify", "--format", "json", "--keyring"])
        .arg(keyring)
        .arg(rev)
        .output()
        .expect("verify");
    let codes = serde_json::from_slice::<Value>(&out.stdout)
        .ok()
        .and_then(|doc| {
            Some(
                doc["changes"][0]["findings"]
                    .as_array()?
                    .iter()
                    .filter_map(|f| f["code"].as_str().map(str::to_string))
                    .collect(),
            )
        })
        .unwrap_or_default();
    (out.status.code().unwrap_or(-1), codes)
}

#[test]
fn allowed_signers_lines_trust_what_ssh_keygen_trusts() {
    let f = Fixture::new();
    let key = ssh_key(f.tmp.path());
    let k = &key.public;
    let lines_under_test = [
        format!("alice@x.org {k}"),
        format!("*@x.org,!mallory@x.org {k}"),
        format!("!mallory@x.org,*@x.org {k}"),
        format!("mallory@x.org,!mallory@x.org {k}"),
        format!("\"alice@x.org,bob@x.org\" {k}"),
        format!("Alice@x.org {k}"),
        format!("a?ice@x.org {k}"),
        format!("* {k}"),
        format!("*@x.org namespaces=\"git\" {k}"),
        format!("*@x.org namespaces=\"file\" {k}"),
        format!("*@x.org namespaces=\"file,aiprov\" {k}"),
        format!("*@x.org namespaces=\"!git,!aiprov,*\" {k}"),
        format!("*@x.org valid-after=\"20240101Z\" {k}"),
        format!("*@x.org valid-before=\"20240101Z\" {k}"),
        format!("*@x.org VALID-AFTER=\"20230101Z\",Valid-Before=\"20250101Z\" {k}"),
        format!("*@x.org valid-after=\"202401010000Z\" {k}"),
        format!("*@x.org cert-authority {k}"),
        format!("bob@x.org {k}"),
    ];
    let identities = [
        "alice@x.org",
        "Alice@x.org",
        "mallory@x.org",
        "bob@x.org",
        "alice@x.org.evil",
    ];
    let times = [
        ("2023-06-01T00:00:00Z", "20230601000000Z"),
        ("2024-01-01T00:00:00Z", "20240101000000Z"),
        ("2024-06-01T00:00:00Z", "20240601000000Z"),
    ];
    f.write("hw/dev.c", lines("dev", 3));
    let commit = f.commit_all(&format!("Change\n\n{SOB}"));
    let keyring = f.tmp.path().join("keyring");
    std::fs::create_dir_all(&keyring).expect("keyring dir");
    std::fs::write(
        keyring.join("keyring.toml"),
        "version = 1\nallowed-signers = \"allowed_signers\"\n",
    )
    .expect("keyring.toml");
    let allowed = keyring.join("allowed_signers");
    let mut cells = 0;
    let mut trusted_cells = 0;
    for identity in identities {
        for (rfc3339, ssh_time) in times {
            let envelope = f
                .aiprov()
                .args(["attest", "-y", "--stdout", "--human", "**", "--key"])
                .arg(&key.private)
                .arg(&commit)
                .env("GIT_COMMITTER_EMAIL", identity)
                .env("AIPROV_NOW", rfc3339)
                .output()
                .expect("attest");
            assert!(
                envelope.status.success(),
                "{}",
                String::from_utf8_lossy(&envelope.stderr)
            );
            let note = String::from_utf8(envelope.stdout).expect("UTF-8 envelope");
            f.git(&[
                "notes",
                "--ref=aiprov",
                "add",
                "-f",
                "-m",
                note.trim(),
                &commit,
            ]);
            for line in &lines_under_test {
                std::fs::write(&allowed, format!("# a comment\n\n{line}\n")).expect("write");
                let expected = ssh_keygen_accepts(&key, &allowed, identity, ssh_time);
                let (code, codes) = verify_codes(&f, &keyring, &commit);
                let trusted = code != 2
                    && !codes
                        .iter()
                        .any(|c| c == "signature.untrusted" || c == "signature.invalid");
                assert_eq!(
                    trusted, expected,
                    "line {line:?}, identity {identity}, time {rfc3339}: aiprov {code} {codes:?}"
                );
                cells += 1;
                trusted_cells += usize::from(trusted);
            }
        }
    }
    assert_eq!(cells, 18 * 5 * 3);
    // The matrix holds both outcomes in plenty, so agreement is not vacuous.
    assert!(
        trusted_cells > 40 && trusted_cells < cells - 40,
        "{trusted_cells} of {cells}"
    );
}

#[test]
fn a_negated_principal_cannot_sign() {
    let f = Fixture::new();
    let key = ssh_key(f.tmp.path());
    f.aiprov().arg("init").assert().success();
    f.write(
        ".gitsigners",
        format!("*@example.org,!mallory@example.org {}\n", key.public),
    );
    f.write(
        ".aiprov/keyring.toml",
        "version = 1\nallowed-signers = \"../.gitsigners\"\n",
    );
    let base = f.commit_all(&format!("Trust\n\n{SOB}"));
    f.write("hw/dev.c", lines("dev", 3));
    f.commit_all("Change\n\nSigned-off-by: Mallory <mallory@example.org>");
    // aiprov attest refuses to sign as mallory with this key, as verify would refuse it ...
    f.aiprov()
        .args(["attest", "-y", "--human", "**", "--key"])
        .arg(&key.private)
        .env("GIT_COMMITTER_EMAIL", "mallory@example.org")
        .assert()
        .code(2);
    // ... and verify refuses such a signature made without aiprov.
    common::attest_unchecked(&f, &key.private, "mallory@example.org", &["--human", "**"]);
    let out = f
        .aiprov()
        .args(["verify", "--format", "json", &format!("{base}..HEAD")])
        .output()
        .expect("verify");
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let findings = doc["changes"][0]["findings"].to_string();
    assert!(findings.contains("signature.untrusted"), "{findings}");
}

#[test]
fn an_attestation_dated_in_the_future_is_untrusted() {
    let f = Fixture::new();
    let key = f.keygen("alice");
    f.init_trusting("alice@example.org", &key);
    let base = f.commit_all(&format!("Trust\n\n{SOB}"));
    f.write("hw/dev.c", lines("dev", 3));
    f.commit_all(&format!("Change\n\n{SOB}"));
    let now = jiff::Timestamp::now();
    for (ahead_secs, trusted) in [
        (-3600, true),
        (120, true),
        (3600, false),
        (86_400 * 365 * 70, false),
    ] {
        let at = now + jiff::SignedDuration::from_secs(ahead_secs);
        f.aiprov()
            .args(["attest", "-y", "--human", "**", "--key"])
            .arg(&key)
            .env("AIPROV_NOW", at.to_string())
            .assert()
            .success();
        let (code, codes) = verify_codes_in_repo(&f, &format!("{base}..HEAD"));
        if trusted {
            assert_eq!((code, codes), (0, vec![]), "{ahead_secs} s ahead");
        } else {
            assert_eq!(
                (code, codes),
                (1, vec!["signature.untrusted".to_string()]),
                "{ahead_secs} s ahead"
            );
        }
    }
}

fn verify_codes_in_repo(f: &Fixture, range: &str) -> (i32, Vec<String>) {
    let out = f
        .aiprov()
        .args(["verify", "--format", "json", range])
        .output()
        .expect("verify");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let codes = doc["changes"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().expect("code").to_string())
        .collect();
    (out.status.code().unwrap_or(-1), codes)
}

/// A DSSE envelope of a `size`-byte payload claiming alice, with `n` signatures that verify
/// under no key (their keyids name no key either).
fn hostile_envelope(size: usize, n: usize) -> String {
    use base64::Engine as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let payload = format!(
        r#"{{"_type":"https://in-toto.io/Statement/v1","predicate":{{"signer":{{"email":"alice@example.org"}},"pad":"{}"}}}}"#,
        "x".repeat(size)
    );
    let sigs: Vec<String> = (0..n)
        .map(|i| {
            let sig = [i as u8 + 1; 64];
            format!(r#"{{"keyid":"{:064x}","sig":"{}"}}"#, i + 1, b64(&sig))
        })
        .collect();
    format!(
        r#"{{"payloadType":"application/vnd.in-toto+json","payload":"{}","signatures":[{}]}}"#,
        b64(payload.as_bytes()),
        sigs.join(",")
    )
}

#[test]
fn a_hostile_note_costs_bounded_work_and_an_honest_line_still_verifies() {
    let f = Fixture::new();
    let key = f.keygen("alice");
    f.init_trusting("alice@example.org", &key);
    // More trusted keys for alice, each of which the bogus signatures could be tried against.
    for i in 0..8 {
        let other = f.keygen(&format!("other{i}"));
        f.aiprov()
            .args(["keyring", "add", "alice@example.org"])
            .arg(other.with_extension("pub"))
            .assert()
            .success();
    }
    let base = f.commit_all(&format!("Trust\n\n{SOB}"));
    f.write("hw/dev.c", lines("dev", 3));
    let commit = f.commit_all(&format!("Change\n\n{SOB}"));
    let honest = f
        .aiprov()
        .args(["attest", "-y", "--stdout", "--human", "**", "--key"])
        .arg(&key)
        .output()
        .expect("attest");
    assert!(honest.status.success());
    // Four envelopes of 11 MB with 16 bogus signatures each, then the honest line.
    let mut note: Vec<String> = (0..4).map(|_| hostile_envelope(8 << 20, 16)).collect();
    note.push(
        String::from_utf8(honest.stdout)
            .expect("UTF-8")
            .trim()
            .to_string(),
    );
    let path = f.tmp.path().join("note");
    std::fs::write(&path, note.join("\n")).expect("write note");
    f.git(&[
        "notes",
        "--ref=aiprov",
        "add",
        "-f",
        "-F",
        &path.to_string_lossy(),
        &commit,
    ]);
    let out = f
        .aiprov()
        .args(["verify", "--format", "json", &format!("{base}..HEAD")])
        .output()
        .expect("verify");
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let change = &doc["changes"][0];
    let findings = change["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 4, "{findings:#?}");
    for finding in findings {
        assert_eq!(finding["code"], "signature.invalid");
        assert!(
            finding["message"]
                .as_str()
                .expect("message")
                .contains("checks, the most aiprov makes"),
            "{finding}"
        );
    }
    // The honest attestation after them was still checked, and verified.
    assert_eq!(
        change["attestations"]
            .as_array()
            .expect("attestations")
            .len(),
        1
    );
}

#[test]
fn an_oversized_note_is_a_finding_on_its_commit_not_an_error_for_the_range() {
    let f = Fixture::new();
    let key = f.keygen("alice");
    f.init_trusting("alice@example.org", &key);
    let base = f.commit_all(&format!("Trust\n\n{SOB}"));
    f.write("hw/dev.c", lines("dev", 3));
    let big = f.commit_all(&format!("Big note\n\n{SOB}"));
    f.write("hw/dev.c", lines("dev", 4));
    f.commit_all(&format!("Fine\n\n{SOB}"));
    f.aiprov()
        .args(["attest", "-y", "--human", "**", "--key"])
        .arg(&key)
        .assert()
        .success();
    let path = f.tmp.path().join("note");
    std::fs::write(&path, vec![b'x'; (64 << 20) + 1]).expect("write note");
    f.git(&[
        "notes",
        "--ref=aiprov",
        "add",
        "-f",
        "-F",
        &path.to_string_lossy(),
        &big,
    ]);
    let out = f
        .aiprov()
        .args(["verify", "--format", "json", &format!("{base}..HEAD")])
        .output()
        .expect("verify");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let changes = doc["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[0]["findings"][0]["code"], "signature.invalid");
    assert!(changes[0]["findings"][0]["message"]
        .as_str()
        .expect("message")
        .contains("over the limit"));
    assert_eq!(changes[1]["verdict"], "pass");
}
