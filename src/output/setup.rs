//! The results of setting up: `init`, `keygen`, `keyring add|revoke|list`, for people or as
//! JSON (`schema/init.schema.json`, `keygen.schema.json`, `keyring-edit.schema.json`,
//! `keyring-list.schema.json`).

use std::io::Write;

use serde::Serialize;

use super::{Output, Results};

/// What `aiprov init` did.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Initialized {
    pub schema_version: u32,
    /// The keyring file, relative to the work tree, and whether init created it (it leaves an
    /// existing one as it is).
    pub keyring: KeyringFileState,
    pub notes_ref: String,
    /// The git configuration set, in order.
    pub config: Vec<Setting>,
    /// The hooks installed.
    pub hooks: Vec<Hook>,
    /// The directory of aiprov's trust files, for the next steps.
    #[serde(skip)]
    pub trust_dir: String,
}

#[derive(Debug, Serialize)]
pub struct KeyringFileState {
    pub path: String,
    pub created: bool,
}

/// One git configuration value set.
#[derive(Debug, Serialize)]
pub struct Setting {
    pub key: String,
    pub value: String,
}

/// A hook written.
#[derive(Debug, Serialize)]
pub struct Hook {
    pub name: String,
    pub path: String,
    /// What it does.
    pub purpose: String,
}

impl Results for Initialized {
    fn human(&self, out: &Output) -> std::io::Result<()> {
        let path = &self.keyring.path;
        if self.keyring.created {
            out.status(format!("created {path}"));
        } else {
            out.status(format!("{path} already exists; left as it is"));
        }
        for hook in &self.hooks {
            out.status(format!(
                "installed the {} hook: {}",
                hook.name, hook.purpose
            ));
        }
        // The settings that name the notes ref, and how rewriting treats it.
        let mut keys: Vec<&str> = Vec::new();
        for s in &self.config {
            let about_ref = s.value == self.notes_ref
                || s.key == "notes.rewriteMode"
                || s.value.starts_with(&format!("+{}:", self.notes_ref));
            if about_ref && !keys.contains(&s.key.as_str()) {
                keys.push(&s.key);
            }
        }
        let keys = match keys.split_last() {
            Some((last, [])) => last.to_string(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => String::new(),
        };
        out.status(format!(
            "configured {} for {}\n\
             next: `aiprov keygen`, then `aiprov keyring add $(git config user.email) <key>.pub` and commit {}/",
            keys,
            self.notes_ref,
            self.trust_dir
        ));
        Ok(())
    }
}

/// The key pair `aiprov keygen` wrote.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyPair {
    pub schema_version: u32,
    pub private_key: String,
    pub public_key: String,
    pub keyid: String,
    /// The public key in OpenSSH form, as the `.pub` file holds it.
    pub openssh: String,
    pub comment: String,
    /// Whether the private key is encrypted with a passphrase.
    pub encrypted: bool,
}

impl Results for KeyPair {
    fn human(&self, out: &Output) -> std::io::Result<()> {
        writeln!(out.stdout(), "{}", self.openssh)?;
        out.status(format!(
            "wrote {} and {} (keyid {})",
            self.private_key, self.public_key, self.keyid
        ));
        Ok(())
    }
}

/// What `aiprov keyring add` or `revoke` did to the keyring file.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyringEdit {
    pub schema_version: u32,
    pub action: KeyringAction,
    /// The keyring file, relative to the work tree.
    pub file: String,
    /// Whether the file changed: false when it already said so.
    pub changed: bool,
    /// The identity trusted (`add`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    pub keyid: String,
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_after: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_before: Option<String>,
    /// Why the key is revoked (`revoke`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip)]
    pub trust_dir: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyringAction {
    Add,
    Revoke,
}

impl Results for KeyringEdit {
    fn human(&self, out: &Output) -> std::io::Result<()> {
        let (keyid, dir) = (&self.keyid, &self.trust_dir);
        let identity = self.identity.as_deref().unwrap_or_default();
        out.status(match (self.action, self.changed) {
            (KeyringAction::Add, false) => format!("{identity} already has key {keyid}"),
            (KeyringAction::Add, true) => format!(
                "added {identity} with key {keyid} to {}; commit {dir}/ to trust it",
                self.file
            ),
            (KeyringAction::Revoke, false) => format!("key {keyid} is already revoked"),
            (KeyringAction::Revoke, true) => {
                format!("revoked key {keyid}; commit {dir}/ to make it take effect")
            }
        });
        Ok(())
    }
}

/// The keys a keyring trusts and the revocations it holds (`aiprov keyring list`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyringListing {
    pub schema_version: u32,
    pub keys: Vec<ListedKey>,
    pub revoked: Vec<ListedRevocation>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListedKey {
    pub identities: Vec<String>,
    pub keyid: String,
    pub key: String,
    pub valid_after: Option<String>,
    pub valid_before: Option<String>,
    pub revoked: bool,
    /// The file that trusts it (the keyring, or an `allowed_signers` file it names).
    pub source: String,
}

#[derive(Debug, Serialize)]
pub struct ListedRevocation {
    pub keyid: String,
    pub key: String,
    pub reason: Option<String>,
}

impl Results for KeyringListing {
    fn human(&self, out: &Output) -> std::io::Result<()> {
        let mut stdout = out.stdout();
        for k in &self.keys {
            let mut notes = Vec::new();
            if let Some(t) = &k.valid_after {
                notes.push(format!("valid after {t}"));
            }
            if let Some(t) = &k.valid_before {
                notes.push(format!("valid before {t}"));
            }
            if k.revoked {
                notes.push("REVOKED".into());
            }
            let notes = if notes.is_empty() {
                String::new()
            } else {
                format!(" ({})", notes.join(", "))
            };
            writeln!(
                stdout,
                "{} {} {}{notes}",
                k.identities.join(","),
                k.keyid,
                k.key
            )?;
        }
        for r in &self.revoked {
            let why = r
                .reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            writeln!(stdout, "revoked {} {}{why}", r.keyid, r.key)?;
        }
        Ok(())
    }
}
