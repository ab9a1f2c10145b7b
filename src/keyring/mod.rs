//! Trusted identities and keys, read from `.aiprov/keyring.toml` at the trusted revision (or a
//! directory given with `--keyring`), optionally backed by a git `allowed_signers` file.

mod allowed_signers;
pub mod file;

pub use file::{append_revoked, append_signer, KeyringFile, RevokedEntry, SignerEntry};

use jiff::Timestamp;
use thiserror::Error;

use crate::signing::PublicKey;

/// Where the keyring lives, relative to the repository root.
pub const KEYRING_PATH: &str = ".aiprov/keyring.toml";
/// The directory of aiprov's trust files in a repository.
pub const AIPROV_DIR: &str = ".aiprov";

#[derive(Debug, Error)]
pub enum KeyringError {
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
    /// A mistake at a known place of the file: shown with the line and a caret.
    #[error("{origin}:{}:{}: {message}", at.line, at.column)]
    At {
        origin: String,
        message: String,
        at: crate::text::Location,
    },
    #[error("{origin} names {path}, which does not exist there")]
    MissingFile { origin: String, path: String },
    #[error("reading {origin}")]
    Read {
        origin: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl KeyringError {
    /// The line in error with the place marked, when the place is known.
    pub fn excerpt(&self) -> Option<String> {
        match self {
            KeyringError::At { at, .. } => Some(at.excerpt()),
            _ => None,
        }
    }
}

/// One trusted key and the identities it may sign for.
#[derive(Debug, Clone)]
pub struct TrustedKey {
    /// Identities (emails), or `allowed_signers` principal patterns such as `*@example.org`.
    pub principals: Vec<String>,
    /// Whether the patterns match case-sensitively: `allowed_signers` lines do, as in
    /// `ssh-keygen -Y verify`; keyring.toml identities are email addresses, matched ignoring case.
    pub case_sensitive: bool,
    pub key: PublicKey,
    pub valid_after: Option<Timestamp>,
    pub valid_before: Option<Timestamp>,
    /// Where this entry came from, for messages.
    pub origin: String,
}

/// A revoked key.
#[derive(Debug, Clone)]
pub struct Revocation {
    pub key: PublicKey,
    pub reason: Option<String>,
}

/// The verdict of the keyring on a key used at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// The key is trusted for these principal patterns at that time.
    Trusted {
        principals: Vec<PrincipalList>,
    },
    Unknown,
    Revoked {
        reason: Option<String>,
    },
    /// The key is known, but not for that time.
    OutsideValidity {
        window: String,
    },
}

/// A keyless signer: the identity and OIDC issuer its Sigstore certificates must name.
#[derive(Debug, Clone)]
pub struct SigstoreIdentity {
    /// The certificate's subject (email or URI).
    pub identity: String,
    pub issuer: String,
    /// The attestation signer it may sign for.
    pub signs_for: String,
    /// `trusted_root.json`, relative to the keyring's directory; `None`: the public-good root.
    pub trusted_root: Option<String>,
    pub origin: String,
}

/// The trusted keys and revocations of one trusted revision.
#[derive(Debug, Clone, Default)]
pub struct Keyring {
    pub keys: Vec<TrustedKey>,
    pub revoked: Vec<Revocation>,
    pub sigstore: Vec<SigstoreIdentity>,
    /// The trusted roots the Sigstore identities name, by path, as read with the keyring.
    pub trusted_roots: std::collections::BTreeMap<String, Vec<u8>>,
}

impl Keyring {
    /// Loads a keyring: `read(path)` gives the content of a file relative to the keyring's
    /// directory (`.aiprov/` of the trusted revision, or the `--keyring` directory), `None` if absent.
    /// `Ok(None)` when there is no `keyring.toml` at all.
    pub fn load(
        origin: &str,
        read: impl Fn(&str) -> Result<Option<Vec<u8>>, KeyringError>,
    ) -> Result<Option<Keyring>, KeyringError> {
        let keyring_origin = format!("{origin}/keyring.toml");
        let Some(text) = read("keyring.toml")? else {
            return Ok(None);
        };
        let file = KeyringFile::parse(&text, &keyring_origin)?;
        let mut keyring = file.to_keyring(&keyring_origin)?;
        if let Some(path) = &file.allowed_signers {
            let signers_origin = format!("{origin}/{path}");
            let content = read(path)?.ok_or_else(|| KeyringError::MissingFile {
                origin: keyring_origin.clone(),
                path: path.clone(),
            })?;
            keyring
                .keys
                .extend(allowed_signers::parse(&content, &signers_origin)?);
        }
        let roots: Vec<String> = keyring
            .sigstore
            .iter()
            .filter_map(|s| s.trusted_root.clone())
            .collect();
        for path in roots {
            let content = read(&path)?.ok_or_else(|| KeyringError::MissingFile {
                origin: keyring_origin.clone(),
                path: path.clone(),
            })?;
            keyring.trusted_roots.insert(path, content);
        }
        Ok(Some(keyring))
    }

    /// Whether `key` may sign at time `at`, and for which identities.
    pub fn trust(&self, key: &PublicKey, at: Timestamp) -> Trust {
        if let Some(r) = self.revoked.iter().find(|r| &r.key == key) {
            return Trust::Revoked {
                reason: r.reason.clone(),
            };
        }
        let mut known = None;
        let mut principals = Vec::new();
        for k in self.keys.iter().filter(|k| &k.key == key) {
            let after_ok = k.valid_after.is_none_or(|t| at >= t);
            let before_ok = k.valid_before.is_none_or(|t| at < t);
            if after_ok && before_ok {
                principals.extend(k.principals.iter().map(|p| PrincipalList {
                    patterns: p.clone(),
                    case_sensitive: k.case_sensitive,
                }));
            } else {
                known = Some(window(k));
            }
        }
        match (principals.is_empty(), known) {
            (false, _) => Trust::Trusted { principals },
            (true, Some(window)) => Trust::OutsideValidity { window },
            (true, None) => Trust::Unknown,
        }
    }

    /// The distinct keys trusted (at some time) for `identity`.
    pub fn keys_for<'a>(&'a self, identity: &'a str) -> impl Iterator<Item = &'a PublicKey> + 'a {
        let mut seen = std::collections::HashSet::new();
        self.keys
            .iter()
            .filter(move |k| {
                k.principals
                    .iter()
                    .any(|p| pattern_list_matches(p, identity, k.case_sensitive))
            })
            .map(|k| &k.key)
            .filter(move |k| seen.insert(k.to_bytes()))
    }

    /// Every distinct trusted or revoked key.
    pub fn all_keys(&self) -> impl Iterator<Item = &PublicKey> {
        let mut seen = std::collections::HashSet::new();
        self.keys
            .iter()
            .map(|k| &k.key)
            .chain(self.revoked.iter().map(|r| &r.key))
            .filter(move |k| seen.insert(k.to_bytes()))
    }
}

fn window(k: &TrustedKey) -> String {
    let show = |t: Option<Timestamp>| t.map(|t| t.to_string()).unwrap_or_else(|| "-".into());
    format!(
        "valid from {} to {}",
        show(k.valid_after),
        show(k.valid_before)
    )
}

/// A pattern-list of principals a key may sign for, as one keyring entry gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalList {
    pub patterns: String,
    pub case_sensitive: bool,
}

impl PrincipalList {
    pub fn matches(&self, identity: &str) -> bool {
        pattern_list_matches(&self.patterns, identity, self.case_sensitive)
    }
}

impl std::fmt::Display for PrincipalList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.patterns)
    }
}

/// Whether an identity matches a principal pattern-list, ignoring ASCII case (keyring.toml
/// identities and Sigstore identities are email addresses or URIs).
pub fn principal_matches(patterns: &str, identity: &str) -> bool {
    pattern_list_matches(patterns, identity, false)
}

/// OpenSSH's pattern-list (ssh_config(5) PATTERNS, as `ssh-keygen -Y verify` matches
/// `allowed_signers` principals): comma-separated patterns with `*` and `?`; the identity must
/// match at least one pattern and no negated one (`!pattern`), which refuses whatever else matches.
pub fn pattern_list_matches(patterns: &str, identity: &str, case_sensitive: bool) -> bool {
    let mut positive = false;
    for pattern in patterns.split(',') {
        let (negated, pattern) = match pattern.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, pattern),
        };
        if wildcard_matches(pattern.as_bytes(), identity.as_bytes(), case_sensitive) {
            if negated {
                return false;
            }
            positive = true;
        }
    }
    positive
}

/// One pattern with `*` and `?`. Iterative, backtracking only to the last `*`: linear in
/// practice, O(pattern x identity) at worst, and no recursion (an identity of megabytes in a
/// signed statement must not exhaust the stack).
fn wildcard_matches(p: &[u8], s: &[u8], case_sensitive: bool) -> bool {
    let same = |a: u8, b: u8| {
        if case_sensitive {
            a == b
        } else {
            a.eq_ignore_ascii_case(&b)
        }
    };
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(b'?') => {
                pi += 1;
                si += 1;
            }
            Some(&c) if same(c, s[si]) => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// Parses a date as the keyring writes it: `YYYY-MM-DD` (midnight UTC) or an RFC 3339 timestamp.
pub fn parse_date(text: &str) -> Result<Timestamp, String> {
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    if let Ok(d) = text.parse::<jiff::civil::Date>() {
        if let Ok(z) = d.to_zoned(jiff::tz::TimeZone::UTC) {
            return Ok(z.timestamp());
        }
    }
    Err(format!(
        "invalid date '{text}' (expected YYYY-MM-DD or an RFC 3339 time such as 2026-01-31T12:00:00Z)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principal_patterns_match_like_openssh() {
        assert!(principal_matches("alice@example.org", "Alice@Example.org"));
        assert!(principal_matches("*@example.org", "bob@example.org"));
        assert!(principal_matches("a@x,b@y", "b@y"));
        assert!(principal_matches("?ob@y", "bob@y"));
        assert!(!principal_matches("*@example.org", "bob@example.org.evil"));
        assert!(!principal_matches(
            "alice@example.org",
            "alice@example.org "
        ));
        assert!(principal_matches("*", ""));
        assert!(principal_matches("a*b*c", "aXbYc"));
        assert!(!principal_matches("a*b*c", "aXbY"));
        assert!(principal_matches("*@*.example.org", "x@a.b.example.org"));
        assert!(!principal_matches("?", ""));
        // Negation refuses whatever else matches; a list of only negations matches nothing.
        assert!(!principal_matches(
            "*@x.org,!mallory@x.org",
            "mallory@x.org"
        ));
        assert!(!principal_matches(
            "!mallory@x.org,*@x.org",
            "mallory@x.org"
        ));
        assert!(principal_matches("*@x.org,!mallory@x.org", "alice@x.org"));
        assert!(!principal_matches("!mallory@x.org", "alice@x.org"));
        assert!(!pattern_list_matches("alice@x.org", "Alice@x.org", true));
    }

    #[test]
    fn a_huge_identity_neither_overflows_the_stack_nor_takes_long() {
        let long = "a".repeat(4 << 20);
        assert!(!principal_matches("*@example.org", &long));
        assert!(!principal_matches("*a*a*a*a*b", &long[..100_000]));
        assert!(principal_matches("*", &long));
    }

    #[test]
    fn dates_parse_as_utc() {
        assert_eq!(
            parse_date("2026-01-31").map(|t| t.to_string()),
            Ok("2026-01-31T00:00:00Z".to_string())
        );
        assert!(parse_date("2026-01-31T12:00:00Z").is_ok());
        assert!(parse_date("31/01/2026").is_err());
    }
}
