//! Where a release comes from, as the supply-chain formats name it: the repository's URL, what
//! judged its changes, the refs naming the release commit, and when it was verified. The
//! summary's records do not hold these; the command finds them in the repository and its flags.

use std::path::PathBuf;

use crate::model::Release;

/// What a VSA or a BOM says of a release beside its records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The repository's URL, without credentials (`https://host/repo.git`,
    /// `ssh://git@host/repo.git`, `file:///srv/repo.git`).
    pub repository: Option<String>,
    /// What the changes were judged by, where known.
    pub policy: Option<Policy>,
    /// Full refs naming the release commit (`refs/tags/v1.1`), where the repository says.
    pub release_refs: Vec<String>,
    /// When the release was verified, RFC 3339 UTC.
    pub time_verified: String,
}

/// The keyring, policy and MAINTAINERS the changes were verified with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Policy {
    /// Those of a trusted revision (the range base, or `--trust-ref`).
    Revision(String),
    /// Those of a `--keyring` directory.
    Directory(PathBuf),
}

/// The name the release commit was given: the right side of the release range, as
/// `release::resolve` reads it.
pub fn release_name(release: &Release) -> String {
    match release.range.split_once("..") {
        Some((_, tip)) if !tip.is_empty() => tip.to_string(),
        _ => "HEAD".to_string(),
    }
}

/// The release's version (its range's tip, as named) and the project's name (the repository's,
/// else the version), as the BOMs name them.
pub fn release_names(release: &Release, origin: &Origin) -> (String, String) {
    let version = release_name(release);
    let name = origin
        .repository
        .as_deref()
        .and_then(repository_name)
        .unwrap_or(&version)
        .to_string();
    (version, name)
}

/// A remote's URL as a URL that can be published: git's scp-like `user@host:path` becomes
/// `ssh://user@host/path`, an absolute path `file:///path`, and an http(s) URL loses any
/// `user:token@` it carries. `None` for a relative path, which names nothing elsewhere.
pub fn repository_url(remote: &str) -> Option<String> {
    let remote = remote.trim();
    if let Some((scheme, rest)) = remote.split_once("://") {
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let host = match authority.rsplit_once('@') {
            None => authority.to_string(),
            Some((userinfo, host)) => {
                // A token or password is never published; an ssh user name (`git@`) is part of
                // the address.
                let user = userinfo.split(':').next().unwrap_or_default();
                if scheme.starts_with("http") || user.is_empty() {
                    host.to_string()
                } else {
                    format!("{user}@{host}")
                }
            }
        };
        return Some(format!("{scheme}://{host}/{path}"));
    }
    if remote.starts_with('/') {
        return Some(format!("file://{remote}"));
    }
    // scp-like syntax: a colon before any slash.
    match remote.split_once(':') {
        Some((host, path)) if !host.contains('/') && !host.is_empty() => {
            Some(format!("ssh://{host}/{}", path.trim_start_matches('/')))
        }
        _ => None,
    }
}

/// The repository's name, the last part of its URL without `.git` (`qemu`).
pub fn repository_name(url: &str) -> Option<&str> {
    let name = url.trim_end_matches('/').rsplit('/').next()?;
    let name = name.strip_suffix(".git").unwrap_or(name);
    (!name.is_empty() && !name.contains(':')).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_urls_are_published_without_credentials() {
        let url = |r| repository_url(r);
        assert_eq!(
            url("https://user:ghp_token@github.com/org/repo.git").as_deref(),
            Some("https://github.com/org/repo.git")
        );
        assert_eq!(
            url("https://gitlab.com/qemu-project/qemu").as_deref(),
            Some("https://gitlab.com/qemu-project/qemu")
        );
        assert_eq!(
            url("git@github.com:org/repo.git").as_deref(),
            Some("ssh://git@github.com/org/repo.git")
        );
        assert_eq!(
            url("ssh://git:secret@host:2222/repo").as_deref(),
            Some("ssh://git@host:2222/repo")
        );
        assert_eq!(
            url("/srv/git/repo.git").as_deref(),
            Some("file:///srv/git/repo.git")
        );
        assert_eq!(url("../repo"), None);
        assert_eq!(repository_name("https://host/qemu.git/"), Some("qemu"));
        assert_eq!(repository_name("file:///srv/linux"), Some("linux"));
    }
}
