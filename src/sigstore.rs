//! Sigstore bundles (v0.3): keyless attestations, verified offline with `sigstore-verify` against
//! a pinned `trusted_root.json` (Sigstore's public-good root is built in): certificate chain to
//! a Fulcio CA of the root, signed certificate timestamp, transparency-log inclusion proof and
//! signed entry timestamp or checkpoint, the signature itself, and the identity the certificate
//! names. The signing time is the log's (or a timestamp authority's), so a certificate that has
//! expired since is expected. Signing (`sign_statement`, the `keyless` feature) uses
//! `sigstore-sign`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use jiff::Timestamp;
use sha2::{Digest, Sha256};
use sigstore_verify::trust_root::{TrustedRoot, SIGSTORE_PRODUCTION_TRUSTED_ROOT};
use sigstore_verify::types::{Bundle, DerPublicKey, Sha256Hash, SignatureContent};
use sigstore_verify::{PublicKeyVerificationPolicy, VerificationPolicy, Verifier};
use thiserror::Error;

/// Every Sigstore bundle's media type starts so.
const MEDIA_TYPE_PREFIX: &str = "application/vnd.dev.sigstore.bundle";

#[derive(Debug, Error)]
pub enum SigstoreError {
    #[error("not a valid Sigstore bundle: {0}")]
    Bundle(String),
    #[error("not a valid trusted root: {0}")]
    TrustedRoot(String),
    #[error("not a valid public key: {0}")]
    Key(String),
    #[error("{0}")]
    Verify(#[from] sigstore_verify::Error),
    #[error("Sigstore signing failed: {0}")]
    Sign(String),
}

/// Whether a note line (or file) is a Sigstore bundle rather than a bare DSSE envelope.
pub fn is_bundle(json: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Probe {
        media_type: Option<String>,
    }
    serde_json::from_slice::<Probe>(json)
        .ok()
        .and_then(|p| p.media_type)
        .is_some_and(|m| m.starts_with(MEDIA_TYPE_PREFIX))
}

/// A trusted root from `trusted_root.json`, or Sigstore's public-good root when `None`. Each
/// distinct root is parsed once per process: every Sigstore envelope of a range is checked
/// against the same few.
pub fn trusted_root(json: Option<&[u8]>) -> Result<Arc<TrustedRoot>, SigstoreError> {
    static PARSED: OnceLock<Mutex<HashMap<Vec<u8>, Arc<TrustedRoot>>>> = OnceLock::new();
    let text = match json {
        Some(bytes) => std::str::from_utf8(bytes)
            .map_err(|_| SigstoreError::TrustedRoot("not UTF-8 text".into()))?,
        None => SIGSTORE_PRODUCTION_TRUSTED_ROOT,
    };
    let key = Sha256::digest(text.as_bytes()).to_vec();
    let parsed = PARSED.get_or_init(Default::default);
    if let Some(root) = parsed.lock().ok().and_then(|p| p.get(&key).cloned()) {
        return Ok(root);
    }
    let root = Arc::new(
        TrustedRoot::from_json(text).map_err(|e| SigstoreError::TrustedRoot(e.to_string()))?,
    );
    if let Ok(mut p) = parsed.lock() {
        p.insert(key, root.clone());
    }
    Ok(root)
}

/// What a bundle is checked against besides the trusted root.
pub enum Signer<'a> {
    /// A Fulcio certificate naming exactly this identity (SAN) and OIDC issuer.
    Identity { identity: &'a str, issuer: &'a str },
    /// A Fulcio certificate naming any identity: the caller matches the result's identity.
    AnyIdentity,
    /// A managed key (PEM `PUBLIC KEY`) instead of a certificate.
    Key(&'a str),
}

/// What the signed content is: its bytes, or its SHA-256 (for a DSSE bundle, one of the in-toto
/// statement's subjects).
pub enum Artifact<'a> {
    Bytes(&'a [u8]),
    Sha256([u8; 32]),
}

/// A verified bundle.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The certificate's subject (email or URI) and OIDC issuer; `None` with a managed key.
    pub identity: Option<String>,
    pub issuer: Option<String>,
    /// When it was signed, as the log or a timestamp authority vouches.
    pub signed_at: Option<Timestamp>,
    /// The DSSE payload type and payload, for a DSSE bundle.
    pub payload: Option<(String, Vec<u8>)>,
}

/// A parsed bundle.
pub fn parse_bundle(json: &[u8]) -> Result<Bundle, SigstoreError> {
    let text = std::str::from_utf8(json).map_err(|_| SigstoreError::Bundle("not UTF-8".into()))?;
    Bundle::from_json(text).map_err(|e| SigstoreError::Bundle(e.to_string()))
}

/// The DSSE payload type and payload of a bundle, unverified.
pub fn dsse_payload(bundle: &Bundle) -> Option<(String, Vec<u8>)> {
    match &bundle.content {
        SignatureContent::DsseEnvelope(env) => {
            Some((env.payload_type.clone(), env.payload.as_bytes().to_vec()))
        }
        _ => None,
    }
}

/// Verifies `bundle` over `artifact` under `root`, for `signer`.
pub fn verify(
    bundle: &Bundle,
    artifact: Artifact<'_>,
    signer: Signer<'_>,
    root: &TrustedRoot,
) -> Result<Verified, SigstoreError> {
    let verifier = Verifier::new(root)?;
    let artifact: sigstore_verify::types::Artifact<'_> = match artifact {
        Artifact::Bytes(b) => b.into(),
        Artifact::Sha256(d) => Sha256Hash::new(d).into(),
    };
    let result = match signer {
        Signer::Identity { identity, issuer } => verifier.verify(
            artifact,
            bundle,
            &VerificationPolicy::new(identity.to_string(), issuer),
        )?,
        Signer::AnyIdentity => {
            verifier.verify(artifact, bundle, &VerificationPolicy::any_identity())?
        }
        Signer::Key(pem) => {
            let key = DerPublicKey::from_pem(pem).map_err(|e| SigstoreError::Key(e.to_string()))?;
            verifier.verify(artifact, bundle, &PublicKeyVerificationPolicy::new(key))?
        }
    };
    Ok(Verified {
        identity: result.identity().map(|i| i.as_str().to_string()),
        issuer: result.issuer().map(str::to_string),
        signed_at: result
            .integrated_time()
            .or_else(|| result.verified_timestamps().first().copied()),
        payload: dsse_payload(bundle),
    })
}

/// Signs an in-toto statement keylessly and returns its v0.3 bundle as one line of JSON: an
/// OIDC identity token (`token`, else one found in CI such as GitHub Actions, else the browser
/// flow), a short-lived Fulcio certificate for an ephemeral key, a Rekor entry. `services` are
/// the Fulcio and Rekor URLs of another instance; `None` is Sigstore's public-good instance.
#[cfg(feature = "keyless")]
pub fn sign_statement(
    statement: &[u8],
    token: Option<&str>,
    services: Option<(&str, &str)>,
) -> Result<String, SigstoreError> {
    use sigstore_sign::oidc::IdentityToken;
    use sigstore_sign::{SigningContext, SigningServices, SigstoreInstance};
    let fail = |e: &dyn std::fmt::Display| SigstoreError::Sign(e.to_string());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| fail(&e))?;
    runtime.block_on(async {
        let context = match services {
            Some((fulcio, rekor)) => SigningContext::new(SigningServices::new(fulcio, rekor)),
            None => {
                SigningContext::from_embedded(SigstoreInstance::PublicGood).map_err(|e| fail(&e))?
            }
        };
        let signer = match token {
            Some(t) => context.signer(IdentityToken::from_jwt(t).map_err(|e| fail(&e))?),
            None => match IdentityToken::detect_ambient()
                .await
                .map_err(|e| fail(&e))?
            {
                Some(t) => context.signer(t),
                None => context.authenticate().await.map_err(|e| fail(&e))?,
            },
        };
        let bundle = signer
            .sign_raw_statement(statement)
            .await
            .map_err(|e| fail(&e))?;
        bundle.to_json().map_err(|e| fail(&e))
    })
}
