//! Rewriting the message of the commit HEAD points at.

use crate::trailers::Identity;

use super::{read, CommitId, GitError, Repo, Result};

impl Repo {
    /// Rewrites the message of `id`, which must be the commit HEAD points at; returns the new id.
    pub fn amend_message(&self, id: CommitId, message: &str) -> Result<CommitId> {
        let head = self.commit_id("HEAD")?;
        if head != id {
            return Err(GitError::NotHead {
                commit: id.to_string(),
            });
        }
        let commit = self
            .inner
            .find_commit(id.to_git2())
            .map_err(read(format!("commit {id}")))?;
        let user = self.user().unwrap_or(Identity {
            name: String::new(),
            email: String::new(),
        });
        let committer =
            git2::Signature::now(&user.name, &user.email).map_err(|source| GitError::Write {
                what: "committer identity".into(),
                source: source.into(),
            })?;
        commit
            .amend(
                Some("HEAD"),
                None,
                Some(&committer),
                None,
                Some(message),
                None,
            )
            .map(CommitId::from_git2)
            .map_err(|source| GitError::Write {
                what: format!("amended commit of {id}"),
                source: source.into(),
            })
    }
}
