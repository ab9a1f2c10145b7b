//! `aiprov keyring add|revoke|list`: edit the keyring in the work tree (commit it like any change).

use std::path::{Path, PathBuf};

use std::io::Write;

use super::Context;
use crate::app::Error;
use crate::git::Repo;
use crate::keyring::{
    append_revoked, append_signer, parse_date, Keyring, KeyringError, KeyringFile, AIPROV_DIR,
    KEYRING_PATH,
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
    match cmd {
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
            if file.signer.iter().any(|s| {
                s.identity.eq_ignore_ascii_case(&email)
                    && PublicKey::from_openssh(&s.key).is_ok_and(|k| k == key)
            }) {
                ctx.out
                    .status(format!("{email} already has key {}", key.keyid()));
                return Ok(0);
            }
            let text = append_signer(
                &text,
                &email,
                &key,
                valid_after.as_deref(),
                valid_before.as_deref(),
            );
            write_keyring(&path, &text)?;
            ctx.out.status(format!(
                "added {email} with key {} to {KEYRING_PATH}; commit {AIPROV_DIR}/ to trust it",
                key.keyid()
            ));
        }
        Command::Revoke {
            pubkey_file,
            reason,
        } => {
            let key = read_public_key(&pubkey_file)?;
            let text = read_keyring_text(&path)?;
            let file = KeyringFile::parse(text.as_bytes(), KEYRING_PATH)?;
            if file
                .revoked
                .iter()
                .any(|r| PublicKey::from_openssh(&r.key).is_ok_and(|k| k == key))
            {
                ctx.out
                    .status(format!("key {} is already revoked", key.keyid()));
                return Ok(0);
            }
            write_keyring(&path, &append_revoked(&text, &key, reason.as_deref()))?;
            ctx.out.status(format!(
                "revoked key {}; commit {AIPROV_DIR}/ to make it take effect",
                key.keyid()
            ));
        }
        Command::List => list(ctx, &path)?,
    }
    Ok(0)
}

fn list(ctx: &Context, path: &Path) -> Result<(), Error> {
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
    if ctx.out.json() {
        let keys: Vec<_> = keyring
            .keys
            .iter()
            .map(|k| {
                serde_json::json!({
                    "identities": k.principals,
                    "keyid": k.key.keyid(),
                    "key": k.key.to_openssh(),
                    "validAfter": k.valid_after.map(|t| t.to_string()),
                    "validBefore": k.valid_before.map(|t| t.to_string()),
                    "revoked": revoked(&k.key),
                    "source": k.origin,
                })
            })
            .collect();
        let revocations: Vec<_> = keyring
            .revoked
            .iter()
            .map(|r| serde_json::json!({"keyid": r.key.keyid(), "key": r.key.to_openssh(), "reason": r.reason}))
            .collect();
        return ctx
            .out
            .print_json(&serde_json::json!({"keys": keys, "revoked": revocations}))
            .map_err(Error::from);
    }
    let mut out = ctx.out.stdout();
    for k in &keyring.keys {
        let mut notes = Vec::new();
        if let Some(t) = k.valid_after {
            notes.push(format!("valid after {t}"));
        }
        if let Some(t) = k.valid_before {
            notes.push(format!("valid before {t}"));
        }
        if revoked(&k.key) {
            notes.push("REVOKED".into());
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join(", "))
        };
        writeln!(
            out,
            "{} {} {}{notes}",
            k.principals.join(","),
            k.key.keyid(),
            k.key.to_openssh()
        )?;
    }
    for r in &keyring.revoked {
        let why = r
            .reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        writeln!(out, "revoked {} {}{why}", r.key.keyid(), r.key.to_openssh())?;
    }
    Ok(())
}
