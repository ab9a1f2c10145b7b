//! `aiprov keyring add|revoke|list`: edit the keyring in the work tree (commit it like any change).

use std::path::{Path, PathBuf};

use super::Context;
use crate::app::Error;
use crate::git::Repo;
use crate::keyring::{
    append_revoked, append_signer, parse_date, Keyring, KeyringError, KeyringFile, AIPROV_DIR,
    KEYRING_PATH,
};
use crate::output::setup::{
    KeyringAction, KeyringEdit, KeyringListing, ListedKey, ListedRevocation,
};
use crate::signing::PublicKey;

/// Edit or list the trusted keys in .aiprov/keyring.toml of the work tree
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Trust a public key for an identity (email)
    Add {
        email: String,
        /// An OpenSSH Ed25519 public key file (.pub)
        pubkey_file: PathBuf,
        /// Not valid before this date (YYYY-MM-DD or RFC 3339)
        #[arg(long, value_name = "DATE")]
        valid_after: Option<String>,
        /// Not valid from this date on (YYYY-MM-DD or RFC 3339)
        #[arg(long, value_name = "DATE")]
        valid_before: Option<String>,
    },
    /// Revoke a public key: it is never trusted again, whatever else the keyring says
    Revoke {
        /// An OpenSSH Ed25519 public key file (.pub)
        pubkey_file: PathBuf,
        /// Why the key is revoked
        #[arg(long)]
        reason: Option<String>,
    },
    /// List the trusted keys and revocations
    List,
}

fn keyring_file(repo: &Repo) -> Result<PathBuf, Error> {
    let workdir = repo.workdir().ok_or_else(|| {
        Error::msg("the keyring is edited in the work tree; this repository is bare")
    })?;
    Ok(workdir.join(KEYRING_PATH))
}

fn read_public_key(path: &Path) -> Result<PublicKey, Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::msg(format!("cannot read public key {}: {e}", path.display())))?;
    PublicKey::from_openssh(text.trim()).map_err(|e| {
        Error::from(
            anyhow::Error::new(e).context(format!("{} is not a usable public key", path.display())),
        )
    })
}

fn read_keyring_text(path: &Path) -> Result<String, Error> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(crate::keyring::file::skeleton()),
        Err(e) => Err(Error::msg(format!("cannot read {}: {e}", path.display()))),
    }
}

/// Writes the keyring atomically after checking that the new text is a valid keyring.
fn write_keyring(path: &Path, text: &str) -> Result<(), Error> {
    KeyringFile::parse(text.as_bytes(), KEYRING_PATH)?.to_keyring(KEYRING_PATH)?;
    let dir = path
        .parent()
        .expect("the keyring path has a parent directory");
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::msg(format!("cannot create {}: {e}", dir.display())))?;
    let tmp = dir.join(".keyring.toml.tmp");
    std::fs::write(&tmp, text)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| Error::msg(format!("cannot write {}: {e}", path.display())))
}

pub fn run(ctx: &Context, repo: &Repo, cmd: Command) -> Result<i32, Error> {
    let path = keyring_file(repo)?;
    let edit = match cmd {
        Command::Add {
            email,
            pubkey_file,
            valid_after,
            valid_before,
        } => {
            if !email.contains('@') || email.chars().any(char::is_whitespace) {
                return Err(Error::msg(format!("'{email}' is not an email address")));
            }
            for d in [&valid_after, &valid_before].into_iter().flatten() {
                parse_date(d).map_err(Error::msg)?;
            }
            let key = read_public_key(&pubkey_file)?;
            let text = read_keyring_text(&path)?;
            let file = KeyringFile::parse(text.as_bytes(), KEYRING_PATH)?;
            let changed = !file.signer.iter().any(|s| {
                s.identity.eq_ignore_ascii_case(&email)
                    && PublicKey::from_openssh(&s.key).is_ok_and(|k| k == key)
            });
            if changed {
                let text = append_signer(
                    &text,
                    &email,
                    &key,
                    valid_after.as_deref(),
                    valid_before.as_deref(),
                );
                write_keyring(&path, &text)?;
            }
            KeyringEdit {
                action: KeyringAction::Add,
                changed,
                identity: Some(email),
                valid_after,
                valid_before,
                reason: None,
                ..edit(&key)
            }
        }
        Command::Revoke {
            pubkey_file,
            reason,
        } => {
            let key = read_public_key(&pubkey_file)?;
            let text = read_keyring_text(&path)?;
            let file = KeyringFile::parse(text.as_bytes(), KEYRING_PATH)?;
            let changed = !file
                .revoked
                .iter()
                .any(|r| PublicKey::from_openssh(&r.key).is_ok_and(|k| k == key));
            if changed {
                write_keyring(&path, &append_revoked(&text, &key, reason.as_deref()))?;
            }
            KeyringEdit {
                action: KeyringAction::Revoke,
                changed,
                reason,
                ..edit(&key)
            }
        }
        Command::List => {
            ctx.out.result(&list(&path)?)?;
            return Ok(0);
        }
    };
    ctx.out.result(&edit)?;
    Ok(0)
}

/// An edit of the keyring file about `key`, to be filled in.
fn edit(key: &PublicKey) -> KeyringEdit {
    KeyringEdit {
        schema_version: 1,
        action: KeyringAction::Add,
        file: KEYRING_PATH.into(),
        changed: false,
        identity: None,
        keyid: key.keyid(),
        key: key.to_openssh(),
        valid_after: None,
        valid_before: None,
        reason: None,
        trust_dir: AIPROV_DIR.into(),
    }
}

fn list(path: &Path) -> Result<KeyringListing, Error> {
    let dir = path
        .parent()
        .expect("the keyring path has a parent directory");
    let keyring = Keyring::load(AIPROV_DIR, |p| match std::fs::read(dir.join(p)) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(KeyringError::Read {
            origin: p.to_string(),
            source: Box::new(e),
        }),
    })?
    .ok_or_else(|| {
        Error::msg(format!("there is no {KEYRING_PATH}")).hint("create it with `aiprov init`")
    })?;
    let revoked = |k: &PublicKey| keyring.revoked.iter().any(|r| &r.key == k);
    Ok(KeyringListing {
        schema_version: 1,
        keys: keyring
            .keys
            .iter()
            .map(|k| ListedKey {
                identities: k.principals.clone(),
                keyid: k.key.keyid(),
                key: k.key.to_openssh(),
                valid_after: k.valid_after.map(|t| t.to_string()),
                valid_before: k.valid_before.map(|t| t.to_string()),
                revoked: revoked(&k.key),
                source: k.origin.clone(),
            })
            .collect(),
        revoked: keyring
            .revoked
            .iter()
            .map(|r| ListedRevocation {
                keyid: r.key.keyid(),
                key: r.key.to_openssh(),
                reason: r.reason.clone(),
            })
            .collect(),
    })
}
