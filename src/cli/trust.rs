//! Loading the keyring and the policy from the trusted revision or a `--keyring` directory, once
//! per revision.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use crate::git::CommitId;

use super::error::{CliError, WithHint};
use crate::git::Repo;
use crate::keyring::{Keyring, KeyringError, AIPROV_DIR, KEYRING_PATH};
use crate::mail::patatt::PatattKeyring;
use crate::output::Output;
use crate::policy::maintainers::Maintainers;
use crate::policy::{Policy, POLICY_PATH};
use crate::verify::Trusted;

/// Tells whether a path names a directory of the tree MAINTAINERS is read for.
type IsDir<'a> = dyn Fn(&str) -> bool + 'a;

/// Keyrings and policies by trusted revision, or the ones from `--keyring`.
pub struct Trust<'r> {
    repo: Option<&'r Repo>,
    out: &'r Output,
    dir: Option<Keyring>,
    dir_policy: Option<Policy>,
    by_rev: HashMap<Option<CommitId>, Keyring>,
    policies: HashMap<Option<CommitId>, Policy>,
    dir_path: Option<PathBuf>,
    patatt: HashMap<Option<CommitId>, PatattKeyring>,
    maintainers: HashMap<Option<CommitId>, Option<Maintainers>>,
}

impl<'r> Trust<'r> {
    pub fn new(
        repo: Option<&'r Repo>,
        out: &'r Output,
        keyring_dir: Option<&Path>,
    ) -> Result<Trust<'r>, CliError> {
        let dir = keyring_dir.map(load_dir).transpose()?;
        let dir_policy = keyring_dir.map(load_dir_policy).transpose()?;
        Ok(Trust {
            repo,
            out,
            dir,
            dir_policy,
            by_rev: HashMap::new(),
            policies: HashMap::new(),
            dir_path: keyring_dir.map(Path::to_path_buf),
            patatt: HashMap::new(),
            maintainers: HashMap::new(),
        })
    }

    /// The keyring to verify a commit with, read from `trusted` unless `--keyring` was given.
    /// Without a keyring there (or without a trusted revision: a root commit) nothing is trusted;
    /// that is said once on stderr, and each attestation is reported as untrusted.
    pub fn keyring(
        &mut self,
        commit: CommitId,
        trusted: Option<CommitId>,
    ) -> Result<&Keyring, CliError> {
        let what = format!("the root commit {}", commit.short());
        self.keyring_for(&what, trusted)
    }

    /// The keyring and the policy for `what` (a commit or a mail), read from `trusted`.
    pub fn trusted_for(
        &mut self,
        what: &str,
        trusted: Option<CommitId>,
    ) -> Result<Trusted<'_>, CliError> {
        self.load(what, trusted)?;
        Ok(self.get(trusted))
    }

    /// Loads the keyring and the policy of `trusted` (for `what`, a commit or a mail).
    pub fn load(&mut self, what: &str, trusted: Option<CommitId>) -> Result<(), CliError> {
        self.keyring_for(what, trusted)?;
        if self.dir_policy.is_none() && !self.policies.contains_key(&trusted) {
            let policy = match (self.repo, trusted) {
                (Some(repo), Some(rev)) => load_rev_policy(repo, rev)?,
                _ => Policy::default(),
            };
            self.policies.insert(trusted, policy);
        }
        if !self.maintainers.contains_key(&trusted) {
            // Who may approve AI use: MAINTAINERS at the repository root (or in --keyring DIR).
            // Like get_maintainer.pl, an F: pattern naming a directory of the tree covers it.
            let (text, is_dir): (_, Box<IsDir<'_>>) = match (&self.dir_path, self.repo, trusted) {
                (Some(dir), repo, _) => (
                    match read_bounded(&dir.join("MAINTAINERS")) {
                        Ok(bytes) => Some(bytes),
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                        Err(e) => {
                            return Err(CliError::msg(format!(
                                "cannot read {}: {e}",
                                dir.join("MAINTAINERS").display()
                            )))
                        }
                    },
                    Box::new(move |p: &str| {
                        repo.and_then(|r| r.workdir())
                            .is_some_and(|w| w.join(p).is_dir())
                    }),
                ),
                (None, Some(repo), Some(rev)) => (
                    repo.file_at(rev, "MAINTAINERS")?,
                    Box::new(move |p: &str| repo.is_dir_at(rev, p)),
                ),
                _ => (None, Box::new(|_: &str| false)),
            };
            let parsed = text
                .map(|t| Maintainers::parse_in_tree(&String::from_utf8_lossy(&t), &is_dir))
                .transpose()?;
            self.maintainers.insert(trusted, parsed);
        }
        Ok(())
    }

    /// The keyring and the policy of `trusted`, which [`Trust::load`] loaded.
    pub fn get(&self, trusted: Option<CommitId>) -> Trusted<'_> {
        let keyring = self
            .dir
            .as_ref()
            .or(self.by_rev.get(&trusted))
            .expect("loaded before");
        let policy = self
            .dir_policy
            .as_ref()
            .or(self.policies.get(&trusted))
            .expect("loaded before");
        let maintainers = self
            .maintainers
            .get(&trusted)
            .and_then(Option::as_ref)
            .map(|m| m as &dyn crate::verify::MaintainerLookup);
        Trusted {
            keyring,
            policy,
            maintainers,
        }
    }

    /// The patatt keyring: `.keys/` at the trusted revision (patatt's default place in a
    /// repository), or `patatt/` in the `--keyring` directory; empty when there is none.
    pub fn patatt(&mut self, trusted: Option<CommitId>) -> Result<&PatattKeyring, CliError> {
        if !self.patatt.contains_key(&trusted) {
            let files = match (&self.dir_path, self.repo, trusted) {
                (Some(dir), _, _) => {
                    let dir = dir.join("patatt");
                    if dir.is_dir() {
                        PatattKeyring::from_dir(&dir)?
                    } else {
                        PatattKeyring::default()
                    }
                }
                (None, Some(repo), Some(rev)) => {
                    PatattKeyring::from_files(repo.files_under(rev, ".keys")?)?
                }
                _ => PatattKeyring::default(),
            };
            self.patatt.insert(trusted, files);
        }
        Ok(&self.patatt[&trusted])
    }

    /// The keyring for `what` (a commit or a mail, for the warning), read from `trusted`.
    pub fn keyring_for(
        &mut self,
        what: &str,
        trusted: Option<CommitId>,
    ) -> Result<&Keyring, CliError> {
        if let Some(k) = &self.dir {
            return Ok(k);
        }
        if !self.by_rev.contains_key(&trusted) {
            let loaded = match trusted {
                Some(rev) => match self.repo {
                    Some(repo) => load_rev(repo, rev)?,
                    None => None,
                },
                None => None,
            };
            let keyring = loaded.unwrap_or_else(|| {
                let where_ = match trusted {
                    Some(rev) => format!("the trusted revision {}", rev.short()),
                    None => format!("a trusted revision for {what}"),
                };
                self.out.warn(format!(
                    "there is no {KEYRING_PATH} at {where_}: no attestation can be trusted \
                     (hint: `aiprov init` and commit .aiprov/, or pass --trust-ref or --keyring)"
                ));
                Keyring::default()
            });
            self.by_rev.insert(trusted, keyring);
        }
        Ok(&self.by_rev[&trusted])
    }
}

/// `.aiprov/<path>` inside the repository; `..` may reach the rest of the repository, no further.
fn repo_path(path: &str) -> Result<String, KeyringError> {
    let mut parts: Vec<&str> = vec![AIPROV_DIR];
    for c in Path::new(path).components() {
        match c {
            Component::Normal(p) => parts.push(p.to_str().unwrap_or_default()),
            Component::CurDir => {}
            Component::ParentDir if !parts.is_empty() => {
                parts.pop();
            }
            _ => {
                return Err(KeyringError::Invalid {
                    origin: format!("{AIPROV_DIR}/keyring.toml"),
                    message: format!("path '{path}' leaves the repository"),
                })
            }
        }
    }
    Ok(parts.join("/"))
}

fn load_rev(repo: &Repo, rev: CommitId) -> Result<Option<Keyring>, CliError> {
    let origin = format!("{AIPROV_DIR} at {}", rev.short());
    Keyring::load(&origin, |path| {
        let path = repo_path(path)?;
        repo.file_at(rev, &path).map_err(|e| KeyringError::Read {
            origin: path.clone(),
            source: Box::new(e),
        })
    })
    .map_err(CliError::from)
    .hint(format!(
        "the keyring is read from the trusted revision {rev}; fix it there, or pass --trust-ref or --keyring"
    ))
}

/// The policy at a revision: `.aiprov/policy.toml`, or the default profile without one.
pub(super) fn load_rev_policy(repo: &Repo, rev: CommitId) -> Result<Policy, CliError> {
    match repo.file_at(rev, POLICY_PATH)? {
        Some(text) => Ok(Policy::parse(
            &text,
            &format!("{POLICY_PATH} at {}", rev.short()),
        )?),
        None => Ok(Policy::default()),
    }
}

/// A trust file of a `--keyring` directory, refused over the limit of trust files.
fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    crate::limits::read_file_bounded(path, crate::git::MAX_TRUST_FILE_BYTES, "a trust file")
}

/// The policy of a `--keyring` directory: its `policy.toml`, or the default profile.
fn load_dir_policy(dir: &Path) -> Result<Policy, CliError> {
    let path = dir.join("policy.toml");
    match read_bounded(&path) {
        Ok(text) => Ok(Policy::parse(&text, &path.display().to_string())?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Policy::default()),
        Err(e) => Err(CliError::msg(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

fn load_dir(dir: &Path) -> Result<Keyring, CliError> {
    if !dir.is_dir() {
        return Err(CliError::msg(format!(
            "keyring directory {} does not exist",
            dir.display()
        )));
    }
    let keyring = Keyring::load(&dir.display().to_string(), |path| {
        let full: PathBuf = dir.join(path);
        match read_bounded(&full) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(KeyringError::Read {
                origin: full.display().to_string(),
                source: Box::new(e),
            }),
        }
    })?;
    keyring.ok_or_else(|| {
        CliError::msg(format!("{} has no keyring.toml", dir.display()))
            .hint("point --keyring at a directory laid out like .aiprov/")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyring_paths_stay_in_the_repository() {
        assert_eq!(repo_path("keyring.toml").unwrap(), ".aiprov/keyring.toml");
        assert_eq!(repo_path("../.gitsigners").unwrap(), ".gitsigners");
        assert!(repo_path("../../etc/passwd").is_err());
        assert!(repo_path("/etc/passwd").is_err());
    }
}
