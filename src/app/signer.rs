//! Loading the signing key and the signer's identity, shared by `attest` and `approve`.

use std::path::Path;

use super::Error;
use crate::git::Repo;
use crate::signing::{self, KeySource, Signer};

/// The signing time: now, or `AIPROV_NOW` (an RFC 3339 time) for reproducible tests.
pub fn now() -> Result<jiff::Timestamp, Error> {
    match std::env::var("AIPROV_NOW") {
        Ok(t) => t
            .parse()
            .map_err(|e| Error::msg(format!("invalid AIPROV_NOW '{t}': {e}"))),
        Err(_) => Ok(jiff::Timestamp::now()),
    }
}

/// The signer: `--key`, else git's `user.signingKey` (SSH), else the default aiprov key.
pub fn load_signer(repo: &Repo, key: Option<&Path>) -> Result<Box<dyn Signer>, Error> {
    let source = if let Some(path) = key {
        KeySource::from_path(path)?
    } else if let Some(value) = repo
        .config_string("user.signingKey")
        .filter(|_| repo.config_string("gpg.format").as_deref() == Some("ssh"))
    {
        let dir = repo.workdir().unwrap_or(repo.git_dir()).to_path_buf();
        signing::resolve_git_signing_key(&value, &dir)?
    } else {
        match signing::default_key_path() {
            Some(p) if p.exists() => KeySource::from_path(&p)?,
            other => {
                let shown = other.map(|p| p.display().to_string()).unwrap_or_default();
                return Err(Error::msg(format!(
                    "no signing key (looked for --key, git's user.signingKey, {shown})"
                ))
                .hint("create one with `aiprov keygen`, or pass --key FILE"));
            }
        }
    };
    let passphrase = std::env::var("AIPROV_KEY_PASSPHRASE").ok();
    Ok(source.signer(passphrase.as_deref())?)
}
