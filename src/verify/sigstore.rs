//! Sigstore bundles in notes and mails: verified offline against the trusted roots the keyring's
//! `[[sigstore]]` identities name, then matched against those identities.

use crate::dsse::INTOTO_PAYLOAD_TYPE;
use crate::finding::{Code, Finding};
use crate::keyring::{Keyring, SigstoreIdentity};
use crate::model::Subject;
use crate::sigstore::{self, Artifact, Signer};

/// The certificate of a verified bundle, as the keyring knows it.
pub(super) struct Certified {
    /// The identity the certificate names.
    pub identity: String,
    /// The signers the keyring lets that identity sign for.
    pub principals: Vec<String>,
}

/// The in-toto payload of a Sigstore bundle line and the keyring identity that signed it.
pub(super) fn check_bundle(
    line: &[u8],
    keyring: &Keyring,
) -> Result<(Vec<u8>, Certified), Finding> {
    let invalid = |m: String| Finding::new(Code::SignatureInvalid, m);
    let bundle = sigstore::parse_bundle(line).map_err(|e| invalid(e.to_string()))?;
    let (payload_type, payload) = sigstore::dsse_payload(&bundle)
        .ok_or_else(|| invalid("the Sigstore bundle holds no DSSE envelope".into()))?;
    if payload_type != INTOTO_PAYLOAD_TYPE {
        return Err(invalid(format!(
            "unexpected payload type '{payload_type}' (expected {INTOTO_PAYLOAD_TYPE})"
        )));
    }
    // The bundle binds the statement to its subjects; any subject digest names it (coverage
    // then checks every subject against the change).
    #[derive(serde::Deserialize)]
    struct Subjects {
        #[serde(default)]
        subject: Vec<Subject>,
    }
    let subjects: Subjects = serde_json::from_slice(&payload)
        .map_err(|e| invalid(format!("payload is not an in-toto statement: {e}")))?;
    let subject = subjects
        .subject
        .iter()
        .find_map(|s| s.digest.get("sha256"))
        .and_then(|h| hex::decode(h).ok())
        .and_then(|d| <[u8; 32]>::try_from(d).ok())
        .ok_or_else(|| invalid("the statement has no SHA-256 subject".into()))?;
    if keyring.sigstore.is_empty() {
        return Err(Finding::new(
            Code::SignatureUntrusted,
            "signed with Sigstore, but the keyring names no Sigstore identity",
        ));
    }
    // Each trusted root the keyring names, the built-in public-good one for entries naming none.
    let mut roots: Vec<Option<&String>> = keyring
        .sigstore
        .iter()
        .map(|s| s.trusted_root.as_ref())
        .collect();
    roots.sort();
    roots.dedup();
    let mut failure = None;
    for root_path in roots {
        let json = root_path.and_then(|p| keyring.trusted_roots.get(p));
        let root = sigstore::trusted_root(json.map(Vec::as_slice)).map_err(|e| {
            Finding::new(
                Code::SignatureUntrusted,
                format!(
                    "{}: {e}",
                    root_path.map_or("built-in trusted root", String::as_str)
                ),
            )
        })?;
        match sigstore::verify(
            &bundle,
            Artifact::Sha256(subject),
            Signer::AnyIdentity,
            &root,
        ) {
            Ok(v) => {
                let identity = v.identity.unwrap_or_default();
                let issuer = v.issuer.unwrap_or_default();
                let principals: Vec<String> = keyring
                    .sigstore
                    .iter()
                    .filter(|s| {
                        s.trusted_root.as_ref() == root_path && names(s, &identity, &issuer)
                    })
                    .map(|s| s.signs_for.clone())
                    .collect();
                if principals.is_empty() {
                    return Err(Finding::new(
                        Code::SignatureUntrusted,
                        format!(
                            "Sigstore certificate of {identity} (issuer {issuer}) is not a Sigstore identity of the keyring"
                        ),
                    ));
                }
                return Ok((
                    payload,
                    Certified {
                        identity,
                        principals,
                    },
                ));
            }
            Err(e) => failure = Some(e),
        }
    }
    Err(invalid(format!(
        "Sigstore bundle does not verify: {}",
        failure.map(|e| e.to_string()).unwrap_or_default()
    )))
}

/// Whether a keyring identity is the one a certificate names (emails ignore case).
fn names(entry: &SigstoreIdentity, identity: &str, issuer: &str) -> bool {
    let same = if entry.identity.contains('@') && !entry.identity.contains("://") {
        entry.identity.eq_ignore_ascii_case(identity)
    } else {
        entry.identity == identity
    };
    same && entry.issuer == issuer
}
