//! Loading the keyring and the policy from the trusted revision or a `--keyring` directory, once
//! per revision.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use crate::git::CommitId;

use super::{Error, WithHint};
use crate::git::{Mailmap, Repo};
use crate::keyring::{Keyring, KeyringError, AIPROV_DIR, KEYRING_PATH};
use crate::mail::patatt::PatattKeyring;
use crate::output::Output;
use crate::policy::maintainers::{Dialect, Maintainers};
use crate::policy::{Policy, POLICY_PATH};
use crate::verify::Trusted;

/// Tells whether a path names a directory of the tree MAINTAINERS is read for.
type IsDir<'a> = dyn Fn(&str) -> bool + 'a;

/// Where trust is read from: a `--trust-ref` revision, or a `--keyring` directory; with
/// neither, each change's own trusted revision (its range base or parent).
#[derive(Debug, Clone, Copy, Default)]
pub struct Source<'a> {
    pub trust_ref: Option<&'a str>,
    pub keyring: Option<&'a Path>,
}

/// What a trusted revision (or the `--keyring` directory) holds, each part read when first asked.
#[derive(Default)]
struct Loaded {
    keyring: Option<Keyring>,
    policy: Option<Policy>,
    maintainers: Option<Option<Maintainers>>,
    mailmap: Option<Option<Mailmap>>,
    patatt: Option<PatattKeyring>,
}

/// Keyrings, policies, MAINTAINERS and patatt keys, read once per trusted revision, or once
/// from the `--keyring` directory (which then stands for every revision).
pub struct Trust<'r> {
    repo: Option<&'r Repo>,
    out: &'r Output,
    dir: Option<PathBuf>,
    loaded: HashMap<Option<CommitId>, Loaded>,
}

impl<'r> Trust<'r> {
    /// Trust from `keyring_dir`, or else from the revisions of `repo`; a `--keyring` directory's
    /// keyring and policy are read (and refused) at once.
    pub fn new(
        repo: Option<&'r Repo>,
        out: &'r Output,
        keyring_dir: Option<&Path>,
    ) -> Result<Trust<'r>, Error> {
        let mut loaded = HashMap::new();
        if let Some(dir) = keyring_dir {
            let entry = Loaded {
                keyring: Some(load_dir(dir)?),
                policy: Some(load_dir_policy(dir)?),
                ..Loaded::default()
            };
            loaded.insert(None, entry);
        }
        Ok(Trust {
            repo,
            out,
            dir: keyring_dir.map(Path::to_path_buf),
            loaded,
        })
    }

    /// The entry of `trusted`: the directory's for every revision when there is one.
    fn entry(&mut self, trusted: Option<CommitId>) -> &mut Loaded {
        let key = if self.dir.is_some() { None } else { trusted };
        self.loaded.entry(key).or_default()
    }

    /// The keyring to verify a commit with, read from `trusted` unless `--keyring` was given.
    /// Without a keyring there (or without a trusted revision: a root commit) nothing is trusted;
    /// that is said once on stderr, and each attestation is reported as untrusted.
    pub fn keyring(
        &mut self,
        commit: CommitId,
        trusted: Option<CommitId>,
    ) -> Result<&Keyring, Error> {
        let what = format!("the root commit {}", &commit.to_string()[..12]);
        self.keyring_for(&what, trusted)
    }

    /// The keyring and the policy for `what` (a commit or a mail), read from `trusted`.
    pub fn trusted_for(
        &mut self,
        what: &str,
        trusted: Option<CommitId>,
    ) -> Result<Trusted<'_>, Error> {
        self.load(what, trusted)?;
        Ok(self.get(trusted))
    }

    /// Loads the keyring, the policy and MAINTAINERS of `trusted` (for `what`, a commit or a
    /// mail).
    pub fn load(&mut self, what: &str, trusted: Option<CommitId>) -> Result<(), Error> {
        self.keyring_for(what, trusted)?;
        let (repo, dir) = (self.repo, self.dir.clone());
        if self.entry(trusted).policy.is_none() {
            let policy = match (repo, trusted) {
                (Some(repo), Some(rev)) => load_rev_policy(repo, rev)?,
                _ => Policy::default(),
            };
            self.entry(trusted).policy = Some(policy);
        }
        if self.entry(trusted).maintainers.is_none() {
            let dialect = self
                .entry(trusted)
                .policy
                .as_ref()
                .and_then(|p| p.maintainers);
            let maintainers = load_maintainers(repo, dir.as_deref(), trusted, dialect)?;
            if let Some(m) = &maintainers {
                warn_maintainers(self.out, m, dir.as_deref(), trusted);
            }
            self.entry(trusted).maintainers = Some(maintainers);
        }
        if self.entry(trusted).mailmap.is_none() {
            let mailmap = load_mailmap(repo, dir.as_deref(), trusted)?;
            self.entry(trusted).mailmap = Some(mailmap);
        }
        Ok(())
    }

    /// The keyring and the policy of `trusted`, which [`Trust::load`] loaded.
    pub fn get(&self, trusted: Option<CommitId>) -> Trusted<'_> {
        let key = if self.dir.is_some() { None } else { trusted };
        let loaded = self.loaded.get(&key).expect("loaded before");
        Trusted {
            keyring: loaded.keyring.as_ref().expect("loaded before"),
            policy: loaded.policy.as_ref().expect("loaded before"),
            maintainers: loaded
                .maintainers
                .as_ref()
                .expect("loaded before")
                .as_ref()
                .map(|m| m as &dyn crate::policy::maintainers::MaintainerLookup),
            mailmap: loaded.mailmap.as_ref().expect("loaded before").as_ref(),
        }
    }

    /// The patatt keyring: `.keys/` at the trusted revision (patatt's default place in a
    /// repository), or `patatt/` in the `--keyring` directory; empty when there is none.
    pub fn patatt(&mut self, trusted: Option<CommitId>) -> Result<&PatattKeyring, Error> {
        let (repo, dir) = (self.repo, self.dir.clone());
        if self.entry(trusted).patatt.is_none() {
            let keys = match (dir, repo, trusted) {
                (Some(dir), _, _) if dir.join("patatt").is_dir() => {
                    PatattKeyring::from_dir(&dir.join("patatt"))?
                }
                (None, Some(repo), Some(rev)) => {
                    PatattKeyring::from_files(repo.files_under(rev, ".keys")?)?
                }
                _ => PatattKeyring::default(),
            };
            self.entry(trusted).patatt = Some(keys);
        }
        Ok(self.entry(trusted).patatt.as_ref().expect("just loaded"))
    }

    /// The keyring for `what` (a commit or a mail, for the warning), read from `trusted`.
    pub fn keyring_for(
        &mut self,
        what: &str,
        trusted: Option<CommitId>,
    ) -> Result<&Keyring, Error> {
        if self.entry(trusted).keyring.is_none() {
            let loaded = match (self.repo, trusted) {
                (Some(repo), Some(rev)) => load_rev(repo, rev)?,
                _ => None,
            };
            let keyring = loaded.unwrap_or_else(|| {
                let where_ = match trusted {
                    Some(rev) => format!("the trusted revision {}", &rev.to_string()[..12]),
                    None => format!("a trusted revision for {what}"),
                };
                self.out.warn(format!(
                    "there is no {KEYRING_PATH} at {where_}: no attestation can be trusted \
                     (hint: `aiprov init` and commit .aiprov/, or pass --trust-ref or --keyring)"
                ));
                Keyring::default()
            });
            self.entry(trusted).keyring = Some(keyring);
        }
        Ok(self.entry(trusted).keyring.as_ref().expect("just loaded"))
    }
}

/// Says which lines of MAINTAINERS were read differently from the project's script (each
/// matches no file), naming the file and line.
pub(super) fn warn_maintainers(
    out: &Output,
    m: &Maintainers,
    dir: Option<&Path>,
    trusted: Option<CommitId>,
) {
    let file = match (dir, trusted) {
        (Some(dir), _) => dir.join("MAINTAINERS").display().to_string(),
        (None, Some(rev)) => format!("MAINTAINERS at {}", &rev.to_string()[..12]),
        (None, None) => "MAINTAINERS".to_string(),
    };
    for w in &m.warnings {
        out.warn(format!("{file} {w} ({} dialect)", m.dialect.as_str()));
    }
}

/// Who may approve AI use: MAINTAINERS at the trusted revision's root (or in the `--keyring`
/// directory), read in `dialect` (by default the one the file shows). Like get_maintainer.pl,
/// an F: pattern naming a directory of the tree covers it.
pub(super) fn load_maintainers(
    repo: Option<&Repo>,
    dir: Option<&Path>,
    trusted: Option<CommitId>,
    dialect: Option<Dialect>,
) -> Result<Option<Maintainers>, Error> {
    let (text, is_dir): (_, Box<IsDir<'_>>) = match (dir, repo, trusted) {
        (Some(dir), repo, _) => (
            match read_bounded(&dir.join("MAINTAINERS")) {
                Ok(bytes) => Some(bytes),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => {
                    return Err(Error::msg(format!(
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
    Ok(text.map(|t| Maintainers::parse_in_tree(&String::from_utf8_lossy(&t), dialect, &is_dir)))
}

/// Whose addresses are one person's: `.mailmap` at the trusted revision's root (or in the
/// `--keyring` directory), as git reads it from the top of the tree.
fn load_mailmap(
    repo: Option<&Repo>,
    dir: Option<&Path>,
    trusted: Option<CommitId>,
) -> Result<Option<Mailmap>, Error> {
    let text = match (dir, repo, trusted) {
        (Some(dir), ..) => match read_bounded(&dir.join(".mailmap")) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                let path = dir.join(".mailmap");
                return Err(Error::msg(format!("cannot read {}: {e}", path.display())));
            }
        },
        (None, Some(repo), Some(rev)) => repo.file_at(rev, ".mailmap")?,
        _ => None,
    };
    Ok(text.map(|t| Mailmap::parse(&t)))
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

pub(super) fn load_rev(repo: &Repo, rev: CommitId) -> Result<Option<Keyring>, Error> {
    let origin = format!("{AIPROV_DIR} at {}", &rev.to_string()[..12]);
    Keyring::load(&origin, |path| {
        let path = repo_path(path)?;
        repo.file_at(rev, &path).map_err(|e| KeyringError::Read {
            origin: path.clone(),
            source: Box::new(e),
        })
    })
    .map_err(Error::from)
    .hint(format!(
        "the keyring is read from the trusted revision {rev}; fix it there, or pass --trust-ref or --keyring"
    ))
}

/// The policy at a revision: `.aiprov/policy.toml`, or the default profile without one.
pub fn load_rev_policy(repo: &Repo, rev: CommitId) -> Result<Policy, Error> {
    match repo.file_at(rev, POLICY_PATH)? {
        Some(text) => Ok(Policy::parse(
            &text,
            &format!("{POLICY_PATH} at {}", &rev.to_string()[..12]),
        )?),
        None => Ok(Policy::default()),
    }
}

/// A trust file of a `--keyring` directory, refused over the limit of trust files.
fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    crate::limits::read_file_bounded(path, crate::git::MAX_TRUST_FILE_BYTES, "a trust file")
}

/// The policy of a `--keyring` directory: its `policy.toml`, or the default profile.
fn load_dir_policy(dir: &Path) -> Result<Policy, Error> {
    let path = dir.join("policy.toml");
    match read_bounded(&path) {
        Ok(text) => Ok(Policy::parse(&text, &path.display().to_string())?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Policy::default()),
        Err(e) => Err(Error::msg(format!("cannot read {}: {e}", path.display()))),
    }
}

pub(super) fn load_dir(dir: &Path) -> Result<Keyring, Error> {
    if !dir.is_dir() {
        return Err(Error::msg(format!(
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
        Error::msg(format!("{} has no keyring.toml", dir.display()))
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
