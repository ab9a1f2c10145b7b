//! aiprov's own Sigstore bundles, end to end. The live Sigstore services cannot be reached from
//! here, so this test runs a TEST-ONLY Sigstore instance of its own: a certificate authority
//! (Fulcio's part), a certificate-transparency log key (signed certificate timestamps) and a
//! transparency log key (Rekor: signed entry timestamps and checkpoints). It issues short-lived
//! certificates embedding an SCT, signs aiprov attestations as DSSE, logs them as `dsse` v0.0.1
//! entries with an inclusion proof, writes v0.3 bundles into notes, and verifies them through
//! `aiprov verify` against a keyring naming the instance's `trusted_root.json`. The instance also
//! serves Fulcio's and Rekor's HTTP APIs on loopback, so `aiprov attest --sigstore` runs through
//! `sigstore-sign`'s real clients (in a build with the `keyless` feature, as `scripts/test` makes).
#![cfg_attr(not(feature = "keyless"), allow(dead_code))]

use crate::common;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use common::{lines, Fixture};
use p256::ecdsa::{signature::Signer as _, DerSignature, SigningKey};
use p256::pkcs8::{DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use serde_json::json;
use sha2::{Digest, Sha256};

const ISSUER: &str = "https://accounts.example.org";
/// Fulcio's OIDC issuer extension (DER UTF8String).
const ISSUER_OID: &[u64] = &[1, 3, 6, 1, 4, 1, 57264, 1, 8];
/// RFC 6962's embedded SCT list.
const SCT_OID: &[u64] = &[1, 3, 6, 1, 4, 1, 11129, 2, 4, 2];

fn key() -> SigningKey {
    SigningKey::random(&mut rand_core::OsRng)
}

fn spki(key: &SigningKey) -> Vec<u8> {
    key.verifying_key().to_public_key_der().unwrap().into_vec()
}

fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

fn sign(key: &SigningKey, data: &[u8]) -> Vec<u8> {
    let sig: DerSignature = key.sign(data);
    sig.as_bytes().to_vec()
}

fn rcgen_key(key: &SigningKey) -> KeyPair {
    KeyPair::from_pem(&key.to_pkcs8_pem(LineEnding::LF).unwrap()).unwrap()
}

/// A DER TLV with a short or long length.
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match content.len() {
        n if n < 0x80 => out.push(n as u8),
        n if n < 0x100 => out.extend([0x81, n as u8]),
        n => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(content);
    out
}

/// A test-only Sigstore instance.
struct Instance {
    ca_key: SigningKey,
    ca_params: CertificateParams,
    ca_der: Vec<u8>,
    ct_key: SigningKey,
    log_key: SigningKey,
}

impl Instance {
    fn new() -> Instance {
        let ca_key = key();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "aiprov TEST-ONLY CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca_params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        ca_params.not_after = rcgen::date_time_ymd(2040, 1, 1);
        let ca_der = ca_params
            .self_signed(&rcgen_key(&ca_key))
            .unwrap()
            .der()
            .to_vec();
        Instance {
            ca_key,
            ca_params,
            ca_der,
            ct_key: key(),
            log_key: key(),
        }
    }

    /// The instance's `trusted_root.json`.
    fn trusted_root(&self) -> String {
        let start = json!({ "start": "2020-01-01T00:00:00Z" });
        let log = |key: &SigningKey, url: &str| {
            json!({
                "baseUrl": url,
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": B64.encode(spki(key)),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": start,
                },
                "logId": { "keyId": B64.encode(sha256(&spki(key))) },
            })
        };
        json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [log(&self.log_key, "https://rekor.aiprov.test")],
            "certificateAuthorities": [{
                "subject": { "organization": "aiprov test", "commonName": "aiprov TEST-ONLY CA" },
                "uri": "https://fulcio.aiprov.test",
                "certChain": { "certificates": [{ "rawBytes": B64.encode(&self.ca_der) }] },
                "validFor": start,
            }],
            "ctlogs": [log(&self.ct_key, "https://ctfe.aiprov.test")],
            "timestampAuthorities": [],
        })
        .to_string()
    }

    /// A certificate for `identity` (an email or a URI) from `issuer`, valid for ten minutes
    /// around `at`, with an SCT from the instance's CT log.
    fn certificate(
        &self,
        leaf_spki: &[u8],
        identity: &str,
        issuer: &str,
        at: jiff::Timestamp,
    ) -> Vec<u8> {
        let ca = Issuer::from_params(&self.ca_params, rcgen_key(&self.ca_key));
        let params = |sct: Vec<u8>| {
            let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
            p.subject_alt_names = vec![if identity.contains("://") {
                SanType::URI(identity.try_into().unwrap())
            } else {
                SanType::Rfc822Name(identity.try_into().unwrap())
            }];
            p.distinguished_name = rcgen::DistinguishedName::new();
            p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            p.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
            p.serial_number = Some(SerialNumber::from_slice(&[0x42, 0x17]));
            let secs =
                |d: i64| time::OffsetDateTime::from_unix_timestamp(at.as_second() + d).unwrap();
            p.not_before = secs(-300);
            p.not_after = secs(300);
            p.custom_extensions = vec![
                CustomExtension::from_oid_content(ISSUER_OID, der(0x0c, issuer.as_bytes())),
                CustomExtension::from_oid_content(SCT_OID, der(0x04, &sct)),
            ];
            p
        };
        let leaf_key = LeafKey(
            p256::PublicKey::from_public_key_der(leaf_spki)
                .unwrap()
                .to_sec1_bytes()
                .to_vec(),
        );
        // The SCT signs the certificate as it is without its SCT extension (the precertificate).
        let draft = params(vec![0, 0]).signed_by(&leaf_key, &ca).unwrap();
        let precert_tbs = tbs_without_sct(draft.der());
        let ms = (at.as_millisecond()) as u64;
        let mut signed = vec![0u8, 0]; // v1, certificate_timestamp
        signed.extend(ms.to_be_bytes());
        signed.extend([0, 1]); // precert_entry
        signed.extend(sha256(&spki(&self.ca_key)));
        signed.extend(&(precert_tbs.len() as u32).to_be_bytes()[1..]);
        signed.extend(&precert_tbs);
        signed.extend([0, 0]); // no extensions
        let sig = sign(&self.ct_key, &signed);
        let mut sct = vec![0u8];
        sct.extend(sha256(&spki(&self.ct_key)));
        sct.extend(ms.to_be_bytes());
        sct.extend([0, 0, 4, 3]); // no extensions; sha256, ecdsa
        sct.extend((sig.len() as u16).to_be_bytes());
        sct.extend(sig);
        let mut list = ((sct.len() + 2) as u16).to_be_bytes().to_vec();
        list.extend((sct.len() as u16).to_be_bytes());
        list.extend(sct);
        params(list)
            .signed_by(&leaf_key, &ca)
            .unwrap()
            .der()
            .to_vec()
    }

    /// The log entry of a DSSE envelope (`envelope`, its JSON) signed with `sig` by `cert` (DER),
    /// integrated at `at` into a log of one entry: the Rekor v1 API's answer for it.
    fn log_entry(
        &self,
        envelope: &str,
        payload: &[u8],
        sig: &[u8],
        cert: &[u8],
        at: jiff::Timestamp,
    ) -> serde_json::Value {
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            B64.encode(cert)
        );
        let body = json!({
            "apiVersion": "0.0.1",
            "kind": "dsse",
            "spec": {
                "envelopeHash": { "algorithm": "sha256", "value": hex::encode(sha256(envelope.as_bytes())) },
                "payloadHash": { "algorithm": "sha256", "value": hex::encode(sha256(payload)) },
                "signatures": [{ "signature": B64.encode(sig), "verifier": B64.encode(pem) }],
            },
        })
        .to_string();
        let log_id = sha256(&spki(&self.log_key));
        let set = json!({
            "body": B64.encode(&body),
            "integratedTime": at.as_second(),
            "logID": hex::encode(log_id),
            "logIndex": 0,
        })
        .to_string();
        // A log of one entry: the root is the leaf hash.
        let root = sha256(&[&[0u8][..], body.as_bytes()].concat());
        let note = format!("rekor.aiprov.test - 1\n1\n{}\n", B64.encode(root));
        let note_sig = [&log_id[..4], &sign(&self.log_key, note.as_bytes())[..]].concat();
        json!({
            "body": B64.encode(&body),
            "integratedTime": at.as_second(),
            "logID": hex::encode(log_id),
            "logIndex": 0,
            "verification": {
                "inclusionProof": {
                    "checkpoint": format!("{note}\n\u{2014} rekor.aiprov.test {}\n", B64.encode(note_sig)),
                    "hashes": [],
                    "logIndex": 0,
                    "rootHash": hex::encode(root),
                    "treeSize": 1,
                },
                "signedEntryTimestamp": B64.encode(sign(&self.log_key, set.as_bytes())),
            },
        })
    }

    /// A v0.3 bundle of `payload` (an in-toto statement) signed by `identity` at `at` and logged.
    fn bundle(&self, payload: &[u8], identity: &str, issuer: &str, at: jiff::Timestamp) -> String {
        let leaf = key();
        let cert = self.certificate(&spki(&leaf), identity, issuer, at);
        let payload_type = "application/vnd.in-toto+json";
        let pae = [
            format!(
                "DSSEv1 {} {payload_type} {} ",
                payload_type.len(),
                payload.len()
            )
            .as_bytes(),
            payload,
        ]
        .concat();
        let sig = sign(&leaf, &pae);
        let envelope = json!({
            "payload": B64.encode(payload),
            "payloadType": payload_type,
            "signatures": [{ "sig": B64.encode(&sig) }],
        });
        let entry = self.log_entry(&envelope.to_string(), payload, &sig, &cert, at);
        let proof = &entry["verification"]["inclusionProof"];
        json!({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {
                "certificate": { "rawBytes": B64.encode(&cert) },
                "tlogEntries": [{
                    "logIndex": "0",
                    "logId": { "keyId": B64.encode(sha256(&spki(&self.log_key))) },
                    "kindVersion": { "kind": "dsse", "version": "0.0.1" },
                    "integratedTime": at.as_second().to_string(),
                    "inclusionPromise": { "signedEntryTimestamp": entry["verification"]["signedEntryTimestamp"] },
                    "inclusionProof": {
                        "logIndex": "0",
                        "rootHash": B64.encode(hex::decode(proof["rootHash"].as_str().unwrap()).unwrap()),
                        "treeSize": "1",
                        "hashes": [],
                        "checkpoint": { "envelope": proof["checkpoint"] },
                    },
                    "canonicalizedBody": entry["body"],
                }],
            },
            "dsseEnvelope": envelope,
        })
        .to_string()
    }

    /// Serves the instance's Fulcio (`/api/v2/signingCert`) and Rekor v1 (`/api/v1/log/entries`)
    /// HTTP APIs on a loopback port, for `requests` requests; returns the base URL.
    fn serve(self: std::sync::Arc<Self>, requests: usize) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for stream in listener.incoming().take(requests) {
                let mut stream = stream.unwrap();
                let (path, body) = read_request(&mut stream);
                let request: serde_json::Value = serde_json::from_slice(&body).unwrap();
                let answer = match path.as_str() {
                    "/api/v2/signingCert" => self.fulcio(&request),
                    "/api/v1/log/entries" => self.rekor(&request),
                    other => panic!("unexpected request for {other}"),
                };
                let answer = answer.to_string();
                let head = format!(
                    "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    answer.len()
                );
                std::io::Write::write_all(
                    &mut stream,
                    [head.as_bytes(), answer.as_bytes()].concat().as_slice(),
                )
                .unwrap();
            }
        });
        url
    }

    /// Fulcio: a certificate for the request's key, naming the token's email and issuer (the
    /// test instance trusts the token as it is).
    fn fulcio(&self, request: &serde_json::Value) -> serde_json::Value {
        let token = request["credentials"]["oidcIdentityToken"]
            .as_str()
            .unwrap();
        let claims = token.split('.').nth(1).unwrap();
        let claims: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(claims)
                .unwrap(),
        )
        .unwrap();
        let pem = request["publicKeyRequest"]["publicKey"]["content"]
            .as_str()
            .unwrap();
        let key = p256::PublicKey::from_public_key_pem(pem).unwrap();
        let cert = self.certificate(
            &key.to_public_key_der().unwrap().into_vec(),
            claims["email"].as_str().unwrap(),
            claims["iss"].as_str().unwrap(),
            jiff::Timestamp::now() - jiff::SignedDuration::from_secs(60),
        );
        let pem = |der: &[u8]| {
            format!(
                "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
                B64.encode(der)
            )
        };
        json!({ "signedCertificateEmbeddedSct": { "chain": { "certificates": [pem(&cert), pem(&self.ca_der)] } } })
    }

    /// Rekor: logs a proposed `dsse` entry.
    fn rekor(&self, request: &serde_json::Value) -> serde_json::Value {
        let proposed = &request["spec"]["proposedContent"];
        let envelope = proposed["envelope"].as_str().unwrap();
        let parsed: serde_json::Value = serde_json::from_str(envelope).unwrap();
        let payload = B64.decode(parsed["payload"].as_str().unwrap()).unwrap();
        let sig = B64
            .decode(parsed["signatures"][0]["sig"].as_str().unwrap())
            .unwrap();
        let verifier = B64
            .decode(proposed["verifiers"][0].as_str().unwrap())
            .unwrap();
        let cert: String = String::from_utf8(verifier)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let cert = B64.decode(cert).unwrap();
        let entry = self.log_entry(
            envelope,
            &payload,
            &sig,
            &cert,
            jiff::Timestamp::now() - jiff::SignedDuration::from_secs(30),
        );
        json!({ "24296fb24b8ad77a0000000000000000000000000000000000000000000000000000000000000000": entry })
    }
}

/// A leaf's P-256 public key (SEC1 point), as rcgen takes a subject's key.
struct LeafKey(Vec<u8>);

impl rcgen::PublicKeyData for LeafKey {
    fn der_bytes(&self) -> &[u8] {
        &self.0
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ECDSA_P256_SHA256
    }
}

/// The path and body of one HTTP/1.1 request.
fn read_request(stream: &mut std::net::TcpStream) -> (String, Vec<u8>) {
    use std::io::{BufRead, Read};
    let mut reader = std::io::BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let path = line.split_whitespace().nth(1).unwrap().to_string();
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).unwrap();
        if header.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = header.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap();
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    (path, body)
}

/// The certificate's TBS without its SCT extension, DER, as the SCT signs it.
fn tbs_without_sct(cert: &[u8]) -> Vec<u8> {
    use x509_cert::der::{Decode, Encode};
    let cert = x509_cert::Certificate::from_der(cert).unwrap();
    let mut tbs = cert.tbs_certificate.clone();
    let sct_oid = x509_cert::der::oid::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");
    tbs.extensions = tbs
        .extensions
        .map(|e| e.into_iter().filter(|x| x.extn_id != sct_oid).collect());
    tbs.to_der().unwrap()
}

/// A repository trusting `identity` from [`ISSUER`] under `instance`'s root, with one commit
/// whose attestation payload is returned; the note is left to the test.
fn repo(instance: &Instance, identity: &str) -> (Fixture, Vec<u8>) {
    let f = Fixture::new();
    f.aiprov().arg("init").assert().success();
    let keyring = std::fs::read_to_string(f.path(".aiprov/keyring.toml")).unwrap();
    f.write(
        ".aiprov/keyring.toml",
        format!(
            "{keyring}\n[[sigstore]]\nidentity = \"{identity}\"\nissuer = \"{ISSUER}\"\nsigns-for = \"alice@example.org\"\ntrusted-root = \"sigstore-test-root.json\"\n"
        ),
    );
    f.write(".aiprov/sigstore-test-root.json", instance.trusted_root());
    f.write("hw/dev.c", lines("int dev", 10));
    f.commit_all("Base\n\nSigned-off-by: Alice Author <alice@example.org>");
    f.write("hw/dev.c", lines("int dev", 12));
    f.commit_all("hw: two more lines\n\nSigned-off-by: Alice Author <alice@example.org>");
    // aiprov writes the statement; the test instance signs it instead of an Ed25519 key.
    let key = f.keygen("throwaway");
    let out = f
        .aiprov()
        .args(["attest", "--stdout", "--human", "**", "-y", "--key"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let envelope: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let payload = B64.decode(envelope["payload"].as_str().unwrap()).unwrap();
    (f, payload)
}

/// `aiprov verify HEAD` with `bundle` as the note: exit code and finding codes.
fn verify(f: &Fixture, bundle: &str) -> (i32, Vec<String>) {
    f.git(&["notes", "--ref=aiprov", "add", "-f", "-m", bundle, "HEAD"]);
    let out = f
        .aiprov()
        .args(["verify", "--format", "json", "HEAD"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes = doc["changes"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}: {}",
                f["code"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    (out.status.code().unwrap(), codes)
}

fn yesterday() -> jiff::Timestamp {
    jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24)
}

#[test]
fn a_keyless_attestation_verifies_and_its_forgeries_do_not() {
    let instance = Instance::new();
    let (f, payload) = repo(&instance, "alice@example.org");
    // Signed yesterday with a ten-minute certificate, long expired: the log's time counts.
    let good = instance.bundle(&payload, "alice@example.org", ISSUER, yesterday());
    assert_eq!(verify(&f, &good), (0, vec![]));
    insta::assert_snapshot!(f.outcome(f.aiprov().args(["show", "HEAD"])), @"
        exit: 0
        --- stdout
        note line 1: attestation by Alice Author <alice@example.org> at 2026-01-02T00:00:00Z (verified)
          change:            hw: two more lines
          author:            Alice Author <alice@example.org>
          signed off by:     Alice Author <alice@example.org>
          AI-used-for:       none
          commit:            [id]
          base:              [id]
          AI used:           none
          research/analysis: no
          tools:             none
            M hw/dev.c  no AI
              digest [id], blobs [id] -> [id], modes 100644 -> 100644, 2 added lines
        --- stderr
        ");

    // The payload changed after signing.
    let mut doc: serde_json::Value = serde_json::from_str(&good).unwrap();
    let tampered = String::from_utf8(payload.clone())
        .unwrap()
        .replace("hw/dev.c", "hw/dev.h");
    doc["dsseEnvelope"]["payload"] = B64.encode(tampered).into();
    let (code, findings) = verify(&f, &doc.to_string());
    assert_eq!(code, 1);
    assert!(findings[0].starts_with("signature.invalid"), "{findings:?}");

    // Another identity, another issuer: a valid bundle, but not the keyring's signer.
    for (who, issuer) in [
        ("mallory@example.org", ISSUER),
        ("alice@example.org", "https://evil.example"),
    ] {
        let (code, findings) = verify(&f, &instance.bundle(&payload, who, issuer, yesterday()));
        assert_eq!(code, 1, "{who} {issuer}");
        assert!(
            findings[0].starts_with("signature.untrusted"),
            "{findings:?}"
        );
    }

    // The same identity under an instance the keyring does not trust.
    let other = Instance::new();
    let (code, findings) = verify(
        &f,
        &other.bundle(&payload, "alice@example.org", ISSUER, yesterday()),
    );
    assert_eq!(code, 1);
    assert!(findings[0].starts_with("signature.invalid"), "{findings:?}");

    // A log entry from before the certificate was valid.
    let mut doc: serde_json::Value = serde_json::from_str(&good).unwrap();
    doc["verificationMaterial"]["tlogEntries"][0]["integratedTime"] =
        (yesterday().as_second() - 3600).to_string().into();
    let (code, findings) = verify(&f, &doc.to_string());
    assert_eq!(code, 1);
    assert!(findings[0].starts_with("signature.invalid"), "{findings:?}");
}

#[test]
fn a_ci_workload_identity_signs_for_the_signer_the_keyring_names() {
    let instance = Instance::new();
    let workflow =
        "https://github.com/example/project/.github/workflows/attest.yml@refs/heads/main";
    let (f, payload) = repo(&instance, workflow);
    let bundle = instance.bundle(&payload, workflow, ISSUER, yesterday());
    assert_eq!(verify(&f, &bundle), (0, vec![]));
    // `aiprov verify-bundle` agrees, with the statement's subject as the artifact digest.
    std::fs::write(f.tmp.path().join("b.json"), &bundle).unwrap();
    std::fs::write(f.tmp.path().join("root.json"), instance.trusted_root()).unwrap();
    let statement: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    let digest = statement["subject"][0]["digest"]["sha256"]
        .as_str()
        .unwrap();
    f.aiprov()
        .current_dir(f.tmp.path())
        .args([
            "verify-bundle",
            "--bundle",
            "b.json",
            "--trusted-root",
            "root.json",
        ])
        .args([
            "--certificate-identity",
            workflow,
            "--certificate-oidc-issuer",
            ISSUER,
        ])
        .arg(format!("sha256:{digest}"))
        .assert()
        .success();
}

#[test]
#[cfg(feature = "keyless")]
fn keyless_signing_failures_are_clear_errors_that_store_nothing() {
    let instance = Instance::new();
    let (f, _) = repo(&instance, "alice@example.org");
    let jwt = |claims: serde_json::Value| {
        let part = |v: serde_json::Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
        };
        format!("{}.{}.c2ln", part(json!({"alg": "RS256"})), part(claims))
    };
    let token = jwt(
        json!({"iss": ISSUER, "sub": "alice", "email": "alice@example.org",
        "email_verified": true, "aud": "sigstore", "exp": 4102444800u64, "iat": 1700000000}),
    );
    let mut transcript = String::new();
    for (case, args) in [
        ("not a JWT", vec!["--identity-token", "not-a-jwt"]),
        (
            "Fulcio and Rekor unreachable",
            vec![
                "--identity-token",
                &token,
                "--fulcio-url",
                "http://127.0.0.1:9",
                "--rekor-url",
                "http://127.0.0.1:9",
            ],
        ),
    ] {
        let out = f
            .aiprov()
            .args(["attest", "--sigstore", "-y"])
            .args(&args)
            .output()
            .unwrap();
        transcript.push_str(&format!("## {case}\n{}\n", f.render(&out)));
        assert!(
            f.git_cmd_fails(&["notes", "--ref=aiprov", "show", "HEAD"]),
            "no note written"
        );
    }
    insta::assert_snapshot!(transcript, @"
        ## not a JWT
        exit: 2
        --- stdout
        --- stderr
        signing with Sigstore (public-good instance)
        error: Sigstore signing failed: Token error: invalid JWT format
        hint: pass an OIDC token with --identity-token, or sign with a key (--key)

        ## Fulcio and Rekor unreachable
        exit: 2
        --- stdout
        --- stderr
        signing with Sigstore (http://127.0.0.1:9)
        error: Sigstore signing failed: Fulcio error: HTTP error: error sending request for url (http://127.0.0.1:9/api/v2/signingCert)
        hint: pass an OIDC token with --identity-token, or sign with a key (--key)
        ");
}

#[test]
#[cfg(feature = "keyless")]
fn aiprov_attest_sigstore_signs_through_fulcio_and_rekor_and_verifies() {
    let instance = std::sync::Arc::new(Instance::new());
    let (f, _) = repo(&instance, "alice@example.org");
    let url = instance.clone().serve(2);
    let claims = json!({"iss": ISSUER, "sub": "alice", "email": "alice@example.org",
        "email_verified": true, "aud": "sigstore", "exp": 4102444800u64, "iat": 1700000000});
    let part = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let token = format!("{}.{}.c2ln", part(json!({"alg": "RS256"})), part(claims));
    f.aiprov()
        .args([
            "attest",
            "--sigstore",
            "-y",
            "--human",
            "**",
            "--identity-token",
            &token,
        ])
        .args(["--fulcio-url", &url, "--rekor-url", &url])
        .assert()
        .success();
    let note = f.git(&["notes", "--ref=aiprov", "show", "HEAD"]);
    assert!(
        note.contains("application/vnd.dev.sigstore.bundle.v0.3+json"),
        "{note}"
    );
    let out = f.aiprov().args(["verify", "HEAD"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Mailed like any attestation: the bundle is the note below `---`.
    let mbox = f.git(&["format-patch", "--stdout", "--notes=aiprov", "-1"]);
    let path = f.tmp.path().join("keyless.mbox");
    std::fs::write(&path, mbox).unwrap();
    let out = f
        .aiprov()
        .args(["verify", "--mbox"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
