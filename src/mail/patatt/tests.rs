//! Unit tests of patatt verification; compiled only for tests (declared under
//! `#[cfg(test)]` in `patatt.rs`).

use super::*;

use ed25519_dalek::{Signer as _, SigningKey};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn header(b: &str) -> String {
    format!("v=1; a=ed25519-sha256; t=1700000000; l=10; i=alice@example.org; s=work; h=from:subject; bh=AAAA; b={b}")
}

fn good_b() -> String {
    B64.encode([7u8; 96])
}

#[test]
fn parses_a_folded_header() {
    let b = good_b();
    let folded = format!(
        " v=1; a=ed25519-sha256; t=1700000000;\r\n l=10; i=alice@example.org; s=work;\r\n h=from:subject:message-id; bh=AAAA; b={}\r\n {}\r\n",
        &b[..60],
        &b[60..]
    );
    let sig = DevSignature::parse(folded.as_bytes()).expect("parses");
    assert_eq!(sig.algorithm, "ed25519-sha256");
    assert_eq!(sig.identity.as_deref(), Some("alice@example.org"));
    assert_eq!(sig.selector, "work");
    assert_eq!(sig.time, "1700000000");
    assert_eq!(sig.length, Some(10));
    assert_eq!(
        sig.headers,
        vec![
            b"from".to_vec(),
            b"subject".to_vec(),
            b"message-id".to_vec()
        ]
    );
    assert_eq!(sig.body_hash, b"AAAA");
    assert_eq!(sig.signature, [7u8; 64]);
    assert_eq!(sig.digest, [7u8; 32]);
    assert!(sig.signed_prefix.ends_with(b"bh=AAAA; b="));
    assert!(sig
        .signed_prefix
        .starts_with(b"v=1; a=ed25519-sha256; t=1700000000; l=10;"));
}

#[test]
fn selector_defaults_and_identity_is_optional() {
    let v = format!(
        "v=1; a=ed25519-sha256; t=1; h=from:subject; bh=x; b={}",
        good_b()
    );
    let sig = DevSignature::parse(v.as_bytes()).expect("parses");
    assert_eq!(sig.selector, "default");
    assert_eq!(sig.identity, None);
    assert_eq!(sig.length, None);
}

#[test]
fn missing_fields_are_named() {
    let b = good_b();
    for (field, value) in [
        ("a", format!("v=1; t=1; h=from:subject; bh=x; b={b}")),
        ("h", format!("v=1; a=ed25519-sha256; t=1; bh=x; b={b}")),
        ("bh", format!("v=1; a=ed25519-sha256; t=1; h=from; b={b}")),
        ("b", "v=1; a=ed25519-sha256; t=1; h=from; bh=x".to_string()),
        (
            "b",
            "v=1; a=ed25519-sha256; t=1; h=from; bh=x; b=".to_string(),
        ),
        ("t", format!("v=1; a=ed25519-sha256; h=from; bh=x; b={b}")),
    ] {
        match DevSignature::parse(value.as_bytes()) {
            Err(e @ PatattError::MissingField(f)) => {
                assert_eq!(f, field, "{value}");
                assert_eq!(
                    e.to_string(),
                    format!("signature header has no {field}= field")
                );
            }
            other => panic!("{value}: {other:?}"),
        }
    }
}

#[test]
fn bad_base64_and_wrong_lengths_are_errors() {
    let e = DevSignature::parse(header("not*base64!").as_bytes()).unwrap_err();
    assert!(matches!(e, PatattError::SignatureBase64), "{e}");
    assert_eq!(e.to_string(), "b= is not valid base64");
    for len in [0usize, 64, 95, 97, 200] {
        let v = header(&B64.encode(vec![1u8; len]));
        match DevSignature::parse(v.as_bytes()) {
            Err(PatattError::SignatureLength(n)) if n == len => {}
            Err(PatattError::MissingField("b")) if len == 0 => {}
            other => panic!("{len}: {other:?}"),
        }
    }
    let e = DevSignature::parse(header(&B64.encode([1u8; 64])).as_bytes()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "b= holds 64 bytes; an ed25519 signature and its digest are 96"
    );
}

#[test]
fn other_algorithms_and_garbage_do_not_parse() {
    let v = format!(
        "a=openpgp-sha256; t=1; h=from:subject; bh=x; b={}",
        good_b()
    );
    assert!(matches!(
        DevSignature::parse(v.as_bytes()),
        Err(PatattError::NotEd25519(a)) if a == "openpgp-sha256"
    ));
    let many = vec!["x"; MAX_SIGNED_HEADERS + 1].join(":");
    let v = format!("a=ed25519-sha256; t=1; h={many}; bh=x; b={}", good_b());
    assert!(matches!(
        DevSignature::parse(v.as_bytes()),
        Err(PatattError::TooManyHeaders)
    ));
    for junk in [&b""[..], b";;;", b"=", b"b=", b"\xff\xfe=\x00", b"a=\xff"] {
        assert!(DevSignature::parse(junk).is_err());
    }
}

const MAIL: &str = "From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001\n\
From: Alice Author <alice@example.org>\n\
Date: Thu, 1 Jan 2026 12:00:00 +0000\n\
Subject: [PATCH 1/2] Add a\n\
\x20folded subject\n\
Message-ID: <1@example.org>\n\
\n\
Body line.\n\
\n\
Signed-off-by: Alice Author <alice@example.org>\n\
---\n\
 a | 1 +\n\
\n\
diff --git a/a b/a\n\
--- a/a\n\
+++ b/a\n\
@@ -0,0 +1 @@\n\
+a\n\
-- \n\
2.47.3\n\
\n";

/// Signs `raw` the way patatt does, with this crate's own canonicalisation.
fn sign(raw: &str, key: &SigningKey, selector: &str) -> String {
    let (mail, err) = split_mail(raw.as_bytes());
    assert_eq!(err, None);
    let canon = canonicalize(&mail, raw.len()).expect("canonical");
    let bh = B64.encode(Sha256::digest(&canon.body));
    let names = vec![
        b"from".to_vec(),
        b"subject".to_vec(),
        b"message-id".to_vec(),
    ];
    let mut signed = signed_headers(&canon, &names).expect("headers");
    let value = format!(
        "v=1; a=ed25519-sha256; t=1700000000; l={}; i=alice@example.org; s={selector}; h=from:subject:message-id; bh={bh}; b=",
        canon.body.len()
    );
    signed.extend_from_slice(format!("x-developer-signature:{value}").as_bytes());
    let digest = Sha256::digest(&signed);
    let mut b = key.sign(&digest).to_bytes().to_vec();
    b.extend_from_slice(&digest);
    let b = B64.encode(b);
    let (head, body) = raw.split_once("\n\n").expect("a body");
    format!(
        "{head}\nX-Developer-Signature: {value}{}\n {}\n\n{body}",
        &b[..60],
        &b[60..]
    )
}

fn ring(key: &SigningKey, selector: &str) -> PatattKeyring {
    let public = B64.encode(key.verifying_key().to_bytes());
    PatattKeyring::from_files([(
        format!("ed25519/example.org/alice/{selector}"),
        format!("{public}\n").into_bytes(),
    )])
    .expect("keyring")
}

#[test]
fn own_signature_round_trip_and_tampering() {
    let key = SigningKey::from_bytes(&[9; 32]);
    let signed = sign(MAIL, &key, "work");
    let keyring = ring(&key, "work");
    let valid = vec![PatattVerdict::Valid {
        identity: "alice@example.org".into(),
        selector: "work".into(),
    }];
    assert_eq!(verify_mail(signed.as_bytes(), &keyring), valid);
    let crlf = signed.replace('\n', "\r\n");
    assert_eq!(verify_mail(crlf.as_bytes(), &keyring), valid);
    // Header names are case-insensitive; trailing blank lines and "[PATCH]" are not signed.
    let relaxed = signed
        .replace("X-Developer-Signature:", "x-developer-SIGNATURE:")
        .replace("[PATCH 1/2]", "[PATCH v9 1/2]")
        + "\n\n";
    assert_eq!(verify_mail(relaxed.as_bytes(), &keyring), valid);

    for (from, to) in [
        ("Body line.", "Body line!"),
        ("+a\n", "+b\n"),
        ("Add a\n folded", "Add b\n folded"),
        ("Alice Author <alice", "Mallory Author <alice"),
        ("<1@example.org>", "<2@example.org>"),
        ("t=1700000000", "t=1700000001"),
    ] {
        let tampered = signed.replacen(from, to, 1);
        assert_ne!(tampered, signed);
        let got = verify_mail(tampered.as_bytes(), &keyring);
        assert!(
            matches!(got.as_slice(), [PatattVerdict::Invalid { .. }]),
            "{from} -> {to}: {got:?}"
        );
    }
    let other = SigningKey::from_bytes(&[10; 32]);
    assert!(matches!(
        verify_mail(signed.as_bytes(), &ring(&other, "work")).as_slice(),
        [PatattVerdict::Invalid { .. }]
    ));
    assert_eq!(
        verify_mail(signed.as_bytes(), &ring(&key, "default")),
        vec![PatattVerdict::NoKey {
            identity: "alice@example.org".into(),
            selector: "work".into()
        }]
    );
}

#[test]
fn unsigned_unsupported_and_malformed_mails() {
    let keyring = PatattKeyring::default();
    assert!(verify_mail(MAIL.as_bytes(), &keyring).is_empty());
    assert!(verify_mail(b"", &keyring).is_empty());
    assert!(verify_mail(b"\n\n\n", &keyring).is_empty());
    let pgp = MAIL.replacen(
        "Message-ID",
        "X-Developer-Signature: v=1; a=openpgp-sha256; l=1; i=a@b; h=from:subject; bh=x; b=x\nMessage-ID",
        1,
    );
    assert_eq!(
        verify_mail(pgp.as_bytes(), &keyring),
        vec![PatattVerdict::Unsupported {
            algorithm: "openpgp-sha256".into()
        }]
    );
    let no_body = "X-Developer-Signature: a=ed25519-sha256; i=a@b\n";
    assert!(matches!(
        verify_mail(no_body.as_bytes(), &keyring).as_slice(),
        [PatattVerdict::Invalid { .. }]
    ));
    let no_colon = format!("Bogus header line\n{pgp}");
    assert!(matches!(
        verify_mail(no_colon.as_bytes(), &keyring).as_slice(),
        [PatattVerdict::Invalid { .. }]
    ));
    // Bytes that are not a mail at all never panic.
    for junk in [
        &b"\x00\xff:\n\n\x00"[..],
        b":\n\t\n",
        b"X-Developer-Signature:\n\n=?",
    ] {
        let _ = verify_mail(junk, &keyring);
    }
}
