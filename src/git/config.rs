//! git config: reading and setting values, and the identity git commits as.

use crate::trailers::Identity;

use super::{read, GitError, Repo, Result};

/// `user.email` from the user's and the system's git config, outside any repository.
pub fn default_user_email() -> Option<String> {
    git2::Config::open_default()
        .ok()?
        .get_string("user.email")
        .ok()
        .filter(|s| !s.is_empty())
}

impl Repo {
    /// A string from git config (all levels), if set.
    pub fn config_string(&self, key: &str) -> Option<String> {
        self.inner.config().ok()?.get_string(key).ok()
    }

    /// Sets a value in the repository's local config.
    pub fn set_config(&self, key: &str, value: &str) -> Result<()> {
        let what = || format!("config {key}");
        let cfg = self.inner.config().map_err(read(what()))?;
        let mut local = cfg
            .open_level(git2::ConfigLevel::Local)
            .map_err(read(what()))?;
        local.set_str(key, value).map_err(|source| GitError::Write {
            what: what(),
            source: source.into(),
        })
    }

    /// Adds a value to a multi-valued key in the local config unless it is already there.
    pub fn add_config_value(&self, key: &str, value: &str) -> Result<bool> {
        let what = || format!("config {key}");
        let cfg = self.inner.config().map_err(read(what()))?;
        let mut local = cfg
            .open_level(git2::ConfigLevel::Local)
            .map_err(read(what()))?;
        let mut present = false;
        if let Ok(mut entries) = local.multivar(key, None) {
            while let Some(Ok(e)) = entries.next() {
                present |= e.value() == Some(value);
            }
        }
        if !present {
            local
                .set_multivar(key, "^$", value)
                .map_err(|source| GitError::Write {
                    what: what(),
                    source: source.into(),
                })?;
        }
        Ok(!present)
    }

    /// The identity git commits (and signs off) as: `GIT_COMMITTER_NAME`/`GIT_COMMITTER_EMAIL`,
    /// else `user.name`/`user.email`, else `EMAIL` for the address, as git resolves them.
    pub fn user(&self) -> Option<Identity> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let email = env("GIT_COMMITTER_EMAIL")
            .or_else(|| self.config_string("user.email"))
            .or_else(|| env("EMAIL"))?;
        let name = env("GIT_COMMITTER_NAME")
            .or_else(|| self.config_string("user.name"))
            .unwrap_or_default();
        Some(Identity { name, email })
    }
}
