//! A commit's change: its file changes against its first parent (or a merge's automatic
//! merge), with digests, and the change it makes for a given pairing of paths.

use crate::change::{Change, FileChange};
use crate::trailers::Identity;

use super::{diff, fs_path, read, tree_diff, CommitId, GitError, Repo, Result};

impl Repo {
    /// A commit, its tree and the tree its change is measured from: its first parent's (none
    /// for a root commit), or for a merge the automatic merge of its parents.
    fn commit_trees(
        &self,
        id: CommitId,
    ) -> Result<(git2::Commit<'_>, git2::Tree<'_>, Option<git2::Tree<'_>>)> {
        self.not_shallow(id)?;
        let what = || format!("commit {id}");
        let commit = self.inner.find_commit(id.to_git2()).map_err(read(what()))?;
        let tree = commit.tree().map_err(read(what()))?;
        // A merge's own changes are those against the automatic merge of its parents.
        let parent_tree = match commit.parents().next() {
            Some(_) if commit.parent_count() > 1 => {
                let auto = self.automatic_merge_tree(&commit)?;
                Some(self.inner.find_tree(auto).map_err(read(what()))?)
            }
            Some(p) => Some(p.tree().map_err(read(what()))?),
            None => None,
        };
        Ok((commit, tree, parent_tree))
    }

    /// The change a commit makes against its first parent. Digests are computed for the file
    /// changes that `want_digest` selects; the others are left without (blob ids suffice for them).
    pub fn change(
        &self,
        id: CommitId,
        want_digest: impl Fn(&FileChange) -> bool,
    ) -> Result<Change> {
        self.change_with(id, true, want_digest)
    }

    /// Like [`Repo::change`], without rename detection when `renames` is false: renamed files
    /// show as a deletion and an addition. Verification needs no pairing (the attested one is
    /// checked against the commit), and rename detection is the slowest part of a diff.
    pub fn change_with(
        &self,
        id: CommitId,
        renames: bool,
        want_digest: impl Fn(&FileChange) -> bool,
    ) -> Result<Change> {
        let what = || format!("commit {id}");
        let (commit, tree, parent_tree) = self.commit_trees(id)?;
        let size = commit.message_bytes().len();
        if size > crate::change::MAX_MESSAGE_BYTES {
            return Err(GitError::TooLarge {
                what: format!("the message of commit {id}"),
                size,
                max: crate::change::MAX_MESSAGE_BYTES,
            });
        }
        let mut files = tree_diff::changed_files(&self.inner, parent_tree.as_ref(), Some(&tree))
            .map_err(read(what()))?;
        let adds = files
            .iter()
            .any(|f| f.status == crate::change::Status::Added);
        let deletes = files
            .iter()
            .any(|f| f.status == crate::change::Status::Deleted);
        if renames && adds && deletes {
            // Renames are possible: git's pairing of added and deleted files, from libgit2.
            let diff =
                diff::tree_diff(&self.inner, parent_tree.as_ref(), &tree).map_err(read(what()))?;
            files = diff::file_changes(&diff);
            for (i, file) in files.iter_mut().enumerate() {
                if want_digest(file) {
                    diff::compute_digest(&self.inner, &diff, i, file)
                        .map_err(read(format!("diff of {} in {id}", file.path)))?;
                }
            }
        } else {
            for file in files.iter_mut().filter(|f| want_digest(f)) {
                diff::compute_pair_digest(&self.inner, file)
                    .map_err(read(format!("diff of {} in {id}", file.path)))?;
            }
        }
        let author = commit.author();
        Ok(Change {
            id: id.to_string(),
            message: String::from_utf8_lossy(commit.message_bytes()).into_owned(),
            author: Identity {
                name: String::from_utf8_lossy(author.name_bytes()).into_owned(),
                email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
            },
            parent: commit.parent_ids().next().map(|p| p.to_string()),
            parent_count: commit.parent_count(),
            files,
            ids_are_objects: true,
        })
    }

    /// Completes a change made by [`Repo::change_with`] without renames into what
    /// [`Repo::change`] makes with every digest: the same change when no file can be a rename
    /// (diffing only the files without a digest yet), else the change made again with git's
    /// rename pairing.
    pub fn complete_change(&self, id: CommitId, mut change: Change) -> Result<Change> {
        use crate::change::Status;
        let has = |status| change.files.iter().any(|f| f.status == status);
        if has(Status::Added) && has(Status::Deleted) {
            return self.change(id, |_| true);
        }
        for file in change.files.iter_mut().filter(|f| f.digest.is_none()) {
            diff::compute_pair_digest(&self.inner, file)
                .map_err(read(format!("diff of {} in {id}", file.path)))?;
        }
        Ok(change)
    }

    /// The file change a commit makes for a given pairing of paths (for instance an attested
    /// rename where git's rename detection paired the files differently), with its digest.
    /// `None` unless the commit really makes that change: the old path exists in the first
    /// parent and the new one in the commit, and each side is absent where the status says.
    pub fn pair_change(
        &self,
        id: CommitId,
        status: crate::change::Status,
        old_path: Option<&str>,
        new_path: &str,
    ) -> Result<Option<FileChange>> {
        use crate::change::Status;
        let (_, tree, parent_tree) = self.commit_trees(id)?;
        let entry = |tree: Option<&git2::Tree<'_>>, path: &str| {
            tree.and_then(|t| t.get_path(&fs_path(path)).ok())
                .map(|e| (e.id().to_string(), e.filemode() as u32))
        };
        let old_path = old_path.unwrap_or(new_path);
        let before_old = entry(parent_tree.as_ref(), old_path);
        let after_old = entry(Some(&tree), old_path);
        let before_new = entry(parent_tree.as_ref(), new_path);
        let after_new = entry(Some(&tree), new_path);
        let (old, new) = match status {
            Status::Added if before_new.is_none() => (None, after_new),
            Status::Deleted if after_old.is_none() => (before_old, None),
            Status::Modified | Status::Typechange => (before_old, after_new),
            Status::Renamed if after_old.is_none() && before_new.is_none() => {
                (before_old, after_new)
            }
            Status::Copied if after_old.is_some() && before_new.is_none() => {
                (before_old, after_new)
            }
            _ => return Ok(None),
        };
        let needs_old = status != Status::Added;
        let needs_new = status != Status::Deleted;
        if (needs_old && old.is_none()) || (needs_new && new.is_none()) {
            return Ok(None);
        }
        let mut file = FileChange {
            path: if status == Status::Deleted {
                old_path.to_string()
            } else {
                new_path.to_string()
            },
            old_path: matches!(status, Status::Renamed | Status::Copied)
                .then(|| old_path.to_string()),
            status,
            old_mode: old.as_ref().map_or(0, |o| o.1),
            new_mode: new.as_ref().map_or(0, |n| n.1),
            old_blob: old.map(|o| o.0),
            new_blob: new.map(|n| n.0),
            binary: false,
            digest: None,
            added_lines: 0,
            removed_lines: 0,
        };
        diff::compute_pair_digest(&self.inner, &mut file)
            .map_err(read(format!("diff of {new_path} in {id}")))?;
        Ok(Some(file))
    }
}
