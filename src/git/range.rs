//! Revisions and ranges: resolving a revision, the commits `aiprov verify` is given (by `git
//! rev-list` itself, or libgit2's walk), first parents, and the boundary of a shallow clone.

use std::path::Path;

use git2::Sort;

use super::{git_command, read, CommitId, GitError, Repo, Result};

/// One commit to verify, with the revision its trust is read from.
#[derive(Debug, Clone)]
pub struct Target {
    pub commit: CommitId,
    /// The trusted revision: the range base, or the first parent of a single commit.
    pub trusted: Option<CommitId>,
}

/// The commits listed in a shallow clone's `shallow` file (none when it is not shallow).
pub(super) fn shallow_commits(git_dir: &Path) -> std::collections::HashSet<CommitId> {
    std::fs::read_to_string(git_dir.join("shallow"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

impl Repo {
    /// Resolves a revision to a commit id.
    pub fn commit_id(&self, rev: &str) -> Result<CommitId> {
        let obj = self
            .inner
            .revparse_single(rev)
            .map_err(|source| GitError::UnknownRevision {
                rev: rev.to_string(),
                source: source.into(),
            })?;
        let commit = obj.peel_to_commit().map_err(|_| GitError::NotACommit {
            rev: rev.to_string(),
        })?;
        Ok(CommitId::from_git2(commit.id()))
    }

    /// The commits named by one argument of `aiprov verify`: `REV` or `A..B` (oldest first, like
    /// `git log --reverse`), each with its trusted revision.
    pub fn targets(&self, spec: &str) -> Result<Vec<Target>> {
        if let Some((a, b)) = spec.split_once("..") {
            if b.starts_with('.') {
                return Err(GitError::NotACommit {
                    rev: spec.to_string(),
                });
            }
            let base = self.commit_id(if a.is_empty() { "HEAD" } else { a })?;
            let tip = self.commit_id(if b.is_empty() { "HEAD" } else { b })?;
            let commits = match self.rev_list(base, tip) {
                Some(commits) => commits,
                None => {
                    let mut walk = self.inner.revwalk().map_err(read("history"))?;
                    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)
                        .map_err(read("history"))?;
                    walk.push(tip.to_git2())
                        .map_err(read(format!("history of {tip}")))?;
                    walk.hide(base.to_git2())
                        .map_err(read(format!("history of {base}")))?;
                    walk.map(|id| id.map(CommitId::from_git2))
                        .collect::<std::result::Result<_, _>>()
                        .map_err(read("history"))?
                }
            };
            Ok(commits
                .into_iter()
                .map(|commit| Target {
                    commit,
                    trusted: Some(base),
                })
                .collect())
        } else {
            let commit = self.commit_id(spec)?;
            let parent = self.first_parent(commit)?;
            Ok(vec![Target {
                commit,
                trusted: parent,
            }])
        }
    }

    /// `git rev-list --topo-order --reverse ^base tip`, run by git itself: git reads the
    /// commit-graph (a walk of thousands of commits then takes milliseconds, where libgit2's
    /// walk, the fallback when git cannot run, inflates every commit). Its pack windows are
    /// bounded like ours.
    fn rev_list(&self, base: CommitId, tip: CommitId) -> Option<Vec<CommitId>> {
        let out = git_command()
            .args([
                "-c",
                "core.packedGitLimit=64m",
                "-c",
                "core.packedGitWindowSize=32m",
            ])
            .arg("--git-dir")
            .arg(self.inner.path())
            .args(["rev-list", "--topo-order", "--reverse"])
            .arg(format!("^{base}"))
            .arg(tip.to_string())
            .stderr(std::process::Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())?;
        std::str::from_utf8(&out.stdout)
            .ok()?
            .lines()
            .map(|l| l.parse().ok())
            .collect()
    }

    /// The commits from `base` (excluded) to `tip`, oldest first, following first parents.
    pub fn first_parent_commits(&self, base: CommitId, tip: &str) -> Result<Vec<CommitId>> {
        let tip = self.commit_id(tip)?;
        let mut walk = self.inner.revwalk().map_err(read("history"))?;
        walk.simplify_first_parent().map_err(read("history"))?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)
            .map_err(read("history"))?;
        walk.push(tip.to_git2())
            .map_err(read(format!("history of {tip}")))?;
        walk.hide(base.to_git2())
            .map_err(read(format!("history of {base}")))?;
        walk.map(|id| id.map(CommitId::from_git2).map_err(read("history")))
            .collect()
    }

    /// Refuses a commit at the boundary of a shallow clone, whose parent is missing: libgit2
    /// would take it for a root commit and its change for the whole tree.
    pub(super) fn not_shallow(&self, id: CommitId) -> Result<()> {
        if self.shallow.contains(&id) {
            return Err(GitError::Shallow {
                commit: id.to_string(),
            });
        }
        Ok(())
    }

    fn first_parent(&self, id: CommitId) -> Result<Option<CommitId>> {
        self.not_shallow(id)?;
        let commit = self
            .inner
            .find_commit(id.to_git2())
            .map_err(read(format!("commit {id}")))?;
        Ok(commit.parent_ids().next().map(CommitId::from_git2))
    }

    /// The parents of a commit, first parent first (from the commit-graph when it has the
    /// commit).
    pub fn parents(&self, id: CommitId) -> Result<Vec<CommitId>> {
        if let Some(parents) = self.parents_in_graph(id.to_git2()) {
            return Ok(parents.into_iter().map(CommitId::from_git2).collect());
        }
        let commit = self
            .inner
            .find_commit(id.to_git2())
            .map_err(read(format!("commit {id}")))?;
        Ok(commit.parent_ids().map(CommitId::from_git2).collect())
    }

    /// Whether a commit has more than one parent.
    pub fn is_merge(&self, id: CommitId) -> Result<bool> {
        Ok(self.parents(id)?.len() > 1)
    }

    /// The full name of the ref a short name such as `v1.1` or `main` resolves to, as git
    /// resolves it (`refs/tags/v1.1`); `None` for what is not a ref (a commit id, `HEAD~2`).
    pub fn full_ref_name(&self, name: &str) -> Option<String> {
        let reference = self.inner.resolve_reference_from_short_name(name).ok()?;
        reference
            .name()
            .filter(|n| n.starts_with("refs/"))
            .map(str::to_string)
    }

    /// The committer time of a commit, in seconds since the epoch.
    pub fn commit_time(&self, id: CommitId) -> Result<i64> {
        let commit = self
            .inner
            .find_commit(id.to_git2())
            .map_err(read(format!("commit {id}")))?;
        let seconds = commit.committer().when().seconds();
        Ok(seconds)
    }
}
