//! The keyring file `.aiprov/keyring.toml`: its format, parsing, and appending entries in place
//! (appending keeps every comment and entry a person wrote).

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::{parse_date, Keyring, KeyringError, Revocation, SigstoreIdentity, TrustedKey};
use crate::signing::PublicKey;
use crate::text::{locate, Location};

/// The only format version this build reads and writes.
pub const VERSION: u32 = 1;

/// The keyring file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct KeyringFile {
    pub version: u32,
    /// A git `allowed_signers` file whose keys are trusted too, relative to the keyring's directory.
    pub allowed_signers: Option<String>,
    #[serde(default)]
    pub signer: Vec<SignerEntry>,
    #[serde(default)]
    pub revoked: Vec<RevokedEntry>,
    #[serde(default)]
    pub sigstore: Vec<SigstoreEntry>,
    /// Where each entry's values are in the file (`signer`, 1, `key`), for mistakes found
    /// after parsing.
    #[serde(skip)]
    places: HashMap<(String, usize, String), Location>,
}

/// `[[sigstore]]`: a keyless identity, as a Fulcio certificate names it, and the trust root its
/// bundles are checked against.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SigstoreEntry {
    /// The certificate's subject: an email, or a URI such as a CI workflow's.
    pub identity: String,
    /// The OIDC issuer the certificate names (`https://github.com/login/oauth`, ...).
    pub issuer: String,
    /// The attestation signer (email) this identity may sign for; default: `identity`.
    pub signs_for: Option<String>,
    /// A `trusted_root.json` relative to the keyring's directory; default: Sigstore's
    /// public-good root, built in.
    pub trusted_root: Option<String>,
}

/// `[[signer]]`: an identity and its key.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SignerEntry {
    pub identity: String,
    pub key: String,
    pub valid_after: Option<String>,
    pub valid_before: Option<String>,
}

/// `[[revoked]]`: a key that is never trusted again.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RevokedEntry {
    pub key: String,
    pub reason: Option<String>,
}

impl KeyringFile {
    pub fn parse(text: &[u8], origin: &str) -> Result<KeyringFile, KeyringError> {
        let invalid = |message: String| KeyringError::Invalid {
            origin: origin.to_string(),
            message,
        };
        let text = std::str::from_utf8(text).map_err(|_| invalid("not UTF-8 text".into()))?;
        let at = |span: std::ops::Range<usize>, message: String| KeyringError::At {
            origin: origin.to_string(),
            message,
            at: locate(text, span),
        };
        let mut file: KeyringFile = toml::from_str(text).map_err(|e| {
            let message = e.message().trim().replace('\n', " ");
            match e.span() {
                Some(span) => at(span, message),
                None => invalid(message),
            }
        })?;
        if file.version != VERSION {
            let message = format!(
                "unsupported keyring version {} (this aiprov reads version {VERSION})",
                file.version
            );
            return Err(match version_span(text) {
                Some(span) => at(span, message),
                None => invalid(message),
            });
        }
        let paths = file.allowed_signers.iter().map(|p| ("allowed-signers", p));
        let roots = file
            .sigstore
            .iter()
            .filter_map(|s| Some(("trusted-root", s.trusted_root.as_ref()?)));
        for (key, path) in paths.chain(roots) {
            if path.is_empty() || path.starts_with('/') {
                return Err(invalid(format!(
                    "{key} must be a path relative to the keyring's directory, not '{path}'"
                )));
            }
        }
        file.places = places(text);
        Ok(file)
    }

    pub fn to_keyring(&self, origin: &str) -> Result<Keyring, KeyringError> {
        // A mistake in a value is shown at its place in the file, where that is known.
        let mistake = |table: &str, i: usize, field: &str, what: String, message: String| {
            let message = format!("{what}: {message}");
            match self.places.get(&(table.to_string(), i, field.to_string())) {
                Some(at) => KeyringError::At {
                    origin: origin.to_string(),
                    message,
                    at: at.clone(),
                },
                None => KeyringError::Invalid {
                    origin: origin.to_string(),
                    message,
                },
            }
        };
        let mut keyring = Keyring::default();
        for (i, s) in self.signer.iter().enumerate() {
            let what = format!("signer {} ({})", i + 1, s.identity);
            let invalid =
                |field: &str, message: String| mistake("signer", i, field, what.clone(), message);
            if s.identity.trim().is_empty() {
                return Err(invalid("identity", "empty identity".into()));
            }
            let key = PublicKey::from_openssh(&s.key).map_err(|e| invalid("key", e.to_string()))?;
            let date = |d: &Option<String>| d.as_deref().map(parse_date).transpose();
            let valid_after = date(&s.valid_after).map_err(|e| invalid("valid-after", e))?;
            let valid_before = date(&s.valid_before).map_err(|e| invalid("valid-before", e))?;
            keyring.keys.push(TrustedKey {
                principals: vec![s.identity.clone()],
                case_sensitive: false,
                key,
                valid_after,
                valid_before,
                origin: origin.to_string(),
            });
        }
        for (i, s) in self.sigstore.iter().enumerate() {
            let what = format!("sigstore identity {} ({})", i + 1, s.identity);
            if s.identity.trim().is_empty() || s.issuer.trim().is_empty() {
                let field = if s.identity.trim().is_empty() {
                    "identity"
                } else {
                    "issuer"
                };
                return Err(mistake(
                    "sigstore",
                    i,
                    field,
                    what,
                    "identity and issuer must not be empty".into(),
                ));
            }
            keyring.sigstore.push(SigstoreIdentity {
                identity: s.identity.clone(),
                issuer: s.issuer.clone(),
                signs_for: s.signs_for.clone().unwrap_or_else(|| s.identity.clone()),
                trusted_root: s.trusted_root.clone(),
                origin: origin.to_string(),
            });
        }
        for (i, r) in self.revoked.iter().enumerate() {
            let key = PublicKey::from_openssh(&r.key).map_err(|e| {
                mistake(
                    "revoked",
                    i,
                    "key",
                    format!("revoked key {}", i + 1),
                    e.to_string(),
                )
            })?;
            keyring.revoked.push(Revocation {
                key,
                reason: r.reason.clone(),
            });
        }
        Ok(keyring)
    }
}

/// The content of a new keyring file.
pub fn skeleton() -> String {
    format!(
        "# aiprov keyring: who may sign AI-usage attestations for this repository.\n\
         # Verification reads this file from the trusted revision (the base of the range),\n\
         # never from the change being verified. Edit with `aiprov keyring add|revoke`.\n\
         version = {VERSION}\n\
         # allowed-signers = \"../.gitsigners\"   # also trust a git allowed_signers file\n\
         #\n\
         # Keyless (Sigstore) signers: the identity and issuer their certificates name.\n\
         # [[sigstore]]\n\
         # identity = \"alice@example.org\"\n\
         # issuer = \"https://github.com/login/oauth\"\n"
    )
}

/// Where the values of the `[[signer]]`, `[[revoked]]` and `[[sigstore]]` entries are in `text`
/// (a file that parsed).
fn places(text: &str) -> HashMap<(String, usize, String), Location> {
    type Entries = Vec<BTreeMap<String, toml::Spanned<toml::Value>>>;
    #[derive(Deserialize)]
    struct Tables {
        #[serde(default)]
        signer: Entries,
        #[serde(default)]
        revoked: Entries,
        #[serde(default)]
        sigstore: Entries,
    }
    let Ok(tables) = toml::from_str::<Tables>(text) else {
        return HashMap::new();
    };
    let mut places = HashMap::new();
    for (table, entries) in [
        ("signer", tables.signer),
        ("revoked", tables.revoked),
        ("sigstore", tables.sigstore),
    ] {
        for (i, entry) in entries.into_iter().enumerate() {
            for (field, value) in entry {
                places.insert((table.to_string(), i, field), locate(text, value.span()));
            }
        }
    }
    places
}

/// Where the value of the top-level `version` key is.
fn version_span(text: &str) -> Option<std::ops::Range<usize>> {
    #[derive(Deserialize)]
    struct Version {
        version: toml::Spanned<toml::Value>,
    }
    toml::from_str::<Version>(text)
        .ok()
        .map(|v| v.version.span())
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// Appends a `[[signer]]` entry to keyring text.
pub fn append_signer(
    text: &str,
    identity: &str,
    key: &PublicKey,
    valid_after: Option<&str>,
    valid_before: Option<&str>,
) -> String {
    let mut out = text.to_string();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&format!(
        "\n[[signer]]\nidentity = {}\nkey = {}\n",
        toml_string(identity),
        toml_string(&key.to_openssh())
    ));
    if let Some(d) = valid_after {
        out.push_str(&format!("valid-after = {}\n", toml_string(d)));
    }
    if let Some(d) = valid_before {
        out.push_str(&format!("valid-before = {}\n", toml_string(d)));
    }
    out
}

/// Appends a `[[revoked]]` entry to keyring text.
pub fn append_revoked(text: &str, key: &PublicKey, reason: Option<&str>) -> String {
    let mut out = text.to_string();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&format!(
        "\n[[revoked]]\nkey = {}\n",
        toml_string(&key.to_openssh())
    ));
    if let Some(r) = reason {
        out.push_str(&format!("reason = {}\n", toml_string(r)));
    }
    out
}
