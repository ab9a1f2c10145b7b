//! `aiprov verify-bundle`: one Sigstore bundle over one artifact, offline, speaking the
//! sigstore-conformance client protocol (`--bundle`, `--certificate-identity`,
//! `--certificate-oidc-issuer`, `--trusted-root`, `--key`, then the artifact file or
//! `sha256:HEX`).

use std::path::PathBuf;

use super::Context;
use crate::app::Error;
use crate::sigstore::{self, Artifact, Signer};

/// Verify a Sigstore bundle over an artifact, offline (the sigstore-conformance protocol)
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The bundle (`.sigstore.json`)
    #[arg(long, value_name = "FILE")]
    bundle: PathBuf,
    /// The identity the certificate must name (email or URI)
    #[arg(long, value_name = "IDENTITY", required_unless_present = "key")]
    certificate_identity: Option<String>,
    /// The OIDC issuer the certificate must name
    #[arg(long, value_name = "URL", required_unless_present = "key")]
    certificate_oidc_issuer: Option<String>,
    /// A `trusted_root.json` [default: Sigstore's public-good root, built in]
    #[arg(long, value_name = "FILE")]
    trusted_root: Option<PathBuf>,
    /// Verify with this PEM public key instead of a certificate
    #[arg(long, value_name = "FILE", conflicts_with_all = ["certificate_identity", "certificate_oidc_issuer"])]
    key: Option<PathBuf>,
    /// The signed artifact, or its digest as `sha256:HEX`
    #[arg(value_name = "FILE|sha256:HEX")]
    artifact: String,
}

fn read(path: &std::path::Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| Error::msg(format!("cannot read {}: {e}", path.display())))
}

pub fn run(ctx: &Context, args: Args) -> Result<i32, Error> {
    let bundle = sigstore::parse_bundle(&read(&args.bundle)?)
        .map_err(|e| Error::msg(format!("{}: {e}", args.bundle.display())))?;
    let root_json = args.trusted_root.as_deref().map(read).transpose()?;
    let root = sigstore::trusted_root(root_json.as_deref()).map_err(|e| {
        Error::msg(format!(
            "{}: {e}",
            args.trusted_root
                .as_deref()
                .unwrap_or("built-in root".as_ref())
                .display()
        ))
    })?;
    let bytes;
    let artifact = match args.artifact.strip_prefix("sha256:") {
        Some(hex) => {
            let digest = hex::decode(hex)
                .ok()
                .and_then(|d| <[u8; 32]>::try_from(d).ok())
                .ok_or_else(|| Error::msg(format!("invalid SHA-256 digest '{hex}'")))?;
            Artifact::Sha256(digest)
        }
        None => {
            bytes = read(args.artifact.as_ref())?;
            Artifact::Bytes(&bytes)
        }
    };
    let pem;
    let signer = match (
        &args.key,
        &args.certificate_identity,
        &args.certificate_oidc_issuer,
    ) {
        (Some(key), _, _) => {
            pem = String::from_utf8_lossy(&read(key)?).into_owned();
            Signer::Key(&pem)
        }
        (None, Some(identity), Some(issuer)) => Signer::Identity { identity, issuer },
        _ => unreachable!("clap requires an identity and an issuer, or a key"),
    };
    match sigstore::verify(&bundle, artifact, signer, &root) {
        Ok(v) => {
            let who = v.identity.as_deref().unwrap_or("the given key");
            let when = v
                .signed_at
                .map(|t| format!(", signed {t}"))
                .unwrap_or_default();
            ctx.out.status(format!(
                "OK: {} verified for {who}{when}",
                args.bundle.display()
            ));
            Ok(0)
        }
        Err(e) => {
            ctx.out
                .warn(format!("FAIL: {}: {e}", args.bundle.display()));
            Ok(1)
        }
    }
}
