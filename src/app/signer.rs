//! Loading the signing key and choosing the identity it signs for, shared by `attest`,
//! `approve` and `archive`.

use std::path::Path;

use super::trust::Source;
use super::Error;
use crate::git::{CommitId, Repo};
use crate::keyring::{PrincipalList, Trust};
use crate::output::Output;
use crate::signing::{self, KeySource, PublicKey, SignError, Signer};
use crate::trailers::Identity;

/// The signing time: now, or `AIPROV_NOW` (an RFC 3339 time) for reproducible tests.
pub fn now() -> Result<jiff::Timestamp, Error> {
    match std::env::var("AIPROV_NOW") {
        Ok(t) => t
            .parse()
            .map_err(|e| Error::msg(format!("invalid AIPROV_NOW '{t}': {e}"))),
        Err(_) => Ok(jiff::Timestamp::now()),
    }
}

/// The signer: `--key`, else git's `user.signingKey` (SSH), else the default aiprov key. An
/// encrypted key is opened with `AIPROV_KEY_PASSPHRASE`, through ssh-agent when it holds it, or
/// with a passphrase asked on a terminal.
pub fn load_signer(repo: &Repo, key: Option<&Path>, ui: &Output) -> Result<Box<dyn Signer>, Error> {
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
    open_signer(source, ui)
}

/// Opens a key: with `AIPROV_KEY_PASSPHRASE` when encrypted, through ssh-agent when it holds
/// it, or with a passphrase asked on a terminal.
pub fn open_signer(source: KeySource, ui: &Output) -> Result<Box<dyn Signer>, Error> {
    let passphrase = std::env::var("AIPROV_KEY_PASSPHRASE").ok();
    match source.signer(passphrase.as_deref()) {
        Err(SignError::Encrypted { path }) => {
            let asked = ui
                .ask_secret(&format!("Passphrase for {}:", path.display()))
                .map_err(|e| Error::msg(format!("cannot read the passphrase: {e}")))?;
            match asked {
                Some(passphrase) => Ok(source.signer(Some(&passphrase))?),
                None => Err(Error::from(SignError::Encrypted { path: path.clone() }).hint(format!(
                    "set AIPROV_KEY_PASSPHRASE, or add the key to ssh-agent (`ssh-add {}`); on a terminal aiprov asks for it",
                    path.display()
                ))),
            }
        }
        other => Ok(other?),
    }
}

/// Whom a signature speaks for, chosen so that it verifies: `--signer EMAIL` when given, else
/// git's user when the keyring of `source`, or else at `trusted`, trusts the key for it, else the one
/// identity the keyring names for the key. Refused when that keyring would not trust the key for
/// the identity (revoked, out of its validity, another identity, or several to choose from); a
/// key in no keyring yet signs for `--signer` or git's user, with a warning on how to add it.
pub fn identity(
    repo: &Repo,
    ui: &Output,
    key: &PublicKey,
    source: Source<'_>,
    trusted: Option<CommitId>,
    chosen: Option<&str>,
) -> Result<Identity, Error> {
    let user = repo.user();
    let name = |email: &str| Identity {
        // The key holder is git's user, under another address.
        name: user.as_ref().map(|u| u.name.clone()).unwrap_or_default(),
        email: email.to_string(),
    };
    let fallback = || {
        chosen.map(name).or_else(|| user.clone()).ok_or_else(|| {
            Error::msg("no signer identity: git's user.email is not set")
                .hint("pass --signer EMAIL, or git config user.email you@example.org")
        })
    };
    let signed_at = now()?;
    let (keyring, at) = match (source.keyring, source.trust_ref) {
        (Some(dir), _) => (
            Some(super::trust::load_dir(dir)?),
            format!("the keyring in {}", dir.display()),
        ),
        (None, rev) => {
            let rev = match rev {
                Some(rev) => Some(repo.commit_id(rev)?),
                None => trusted,
            };
            match rev {
                Some(rev) => match super::trust::load_rev(repo, rev)? {
                    Some(keyring) => (
                        Some(keyring),
                        format!("the keyring at {}", &rev.to_string()[..12]),
                    ),
                    None => (None, format!("there is none at {}", &rev.to_string()[..12])),
                },
                None => (None, "a root commit has no trusted revision".into()),
            }
        }
    };
    let fingerprint = key.fingerprint();
    let add_hint = |email: &str| {
        format!(
            "aiprov keyring add {email} KEY.pub, and commit .aiprov/keyring.toml, so that what it signs verifies"
        )
    };
    let principals = match keyring.as_ref().map(|k| k.trust(key, signed_at)) {
        None | Some(Trust::Unknown) => {
            let identity = fallback()?;
            let missing = match &keyring {
                Some(_) => format!("{at} does not list the key {fingerprint}"),
                None => format!("no keyring trusts the key {fingerprint} ({at})"),
            };
            ui.warn(format!(
                "{missing}; signing as {}, which will not verify until the key is trusted for it (hint: {})",
                identity.email,
                add_hint(&identity.email)
            ));
            return Ok(identity);
        }
        Some(Trust::Revoked { reason }) => {
            let why = reason.map(|r| format!(": {r}")).unwrap_or_default();
            return Err(Error::msg(format!(
                "the key {fingerprint} is revoked in {at}{why}; a signature with it would not verify"
            ))
            .hint("sign with another key (--key FILE)"));
        }
        Some(Trust::OutsideValidity { window }) => {
            return Err(Error::msg(format!(
                "the key {fingerprint} is not valid now in {at} ({window}); a signature with it would not verify"
            ))
            .hint("sign with a key valid now (--key FILE), or extend its validity in the keyring"));
        }
        Some(Trust::Trusted { principals }) => principals,
    };
    let trusted_for = |email: &str| principals.iter().any(|p| p.matches(email));
    let listed: Vec<String> = listed_identities(&principals)
        .into_iter()
        .filter(|l| trusted_for(l))
        .collect();
    if let Some(email) = chosen {
        if trusted_for(email) {
            return Ok(name(email));
        }
        return Err(Error::msg(format!(
            "{at} does not trust the key {fingerprint} for {email}; a signature as {email} would not verify"
        ))
        .hint(trusted_hint(&principals, &add_hint(email))));
    }
    if let Some(user) = user.as_ref().filter(|u| trusted_for(&u.email)) {
        return Ok(user.clone());
    }
    match listed.as_slice() {
        [only] => {
            if let Some(user) = &user {
                ui.status(format!(
                    "signing as {only}, whom {at} trusts the key for (git's user.email is {})",
                    user.email
                ));
            }
            Ok(name(only))
        }
        _ => {
            let shown = user
                .as_ref()
                .map_or("git's user.email is not set".into(), |u| {
                    format!("git's user.email is {}", u.email)
                });
            Err(Error::msg(format!(
                "{at} trusts the key {fingerprint} for several identities, and {shown}: which one signs?"
            ))
            .hint(trusted_hint(&principals, "pass --signer EMAIL")))
        }
    }
}

/// The identities a key's principal lists name outright (no wildcard, not negated), in order.
fn listed_identities(principals: &[PrincipalList]) -> Vec<String> {
    let mut listed: Vec<String> = Vec::new();
    let patterns = principals.iter().flat_map(|p| p.patterns.split(','));
    for pattern in patterns.filter(|p| !p.starts_with('!') && !p.contains(['*', '?'])) {
        if !listed.iter().any(|l| l.eq_ignore_ascii_case(pattern)) {
            listed.push(pattern.to_string());
        }
    }
    listed
}

fn trusted_hint(principals: &[PrincipalList], then: &str) -> String {
    let lists: Vec<String> = principals.iter().map(|p| p.to_string()).collect();
    format!("the key is trusted for {}; {then}", lists.join(", "))
}

/// [`identity`] for commits each verified against its parent's keyring: worked out once per
/// distinct keyring file among the parents, and the same for all, or refused.
pub fn identity_for_commits(
    repo: &Repo,
    ui: &Output,
    key: &PublicKey,
    parents: impl IntoIterator<Item = Option<CommitId>>,
    chosen: Option<&str>,
) -> Result<Identity, Error> {
    let mut seen: Vec<Option<Vec<u8>>> = Vec::new();
    let mut found: Option<Identity> = None;
    for parent in parents {
        let keyring = match parent {
            Some(rev) => repo.file_at(rev, crate::keyring::KEYRING_PATH)?,
            None => None,
        };
        if seen.contains(&keyring) {
            continue;
        }
        seen.push(keyring);
        let this = identity(repo, ui, key, Source::default(), parent, chosen)?;
        match &found {
            Some(first) if !first.email.eq_ignore_ascii_case(&this.email) => {
                return Err(Error::msg(format!(
                    "the keyrings these commits are verified with trust the key for {} and for {}",
                    first.email, this.email
                ))
                .hint("attest them in parts, or choose with --signer EMAIL"));
            }
            Some(_) => {}
            None => found = Some(this),
        }
    }
    found.ok_or_else(|| Error::msg("no commit to sign for"))
}
