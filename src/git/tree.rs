//! Files at a revision: the trust files (keyring, policy, MAINTAINERS) read from a tree, and
//! blobs by id.

use std::path::PathBuf;

use git2::Oid;

use super::{read, CommitId, GitError, Repo, Result};

/// The largest trust file (keyring, `allowed_signers`, Sigstore trusted root, policy,
/// `MAINTAINERS`) aiprov reads: twenty times Linux's `MAINTAINERS`.
pub const MAX_TRUST_FILE_BYTES: usize = 16 << 20;

/// The path of a tree entry that aiprov names `name` ([`crate::change::path_name`]), for git2.
pub(super) fn fs_path(name: &str) -> PathBuf {
    use std::os::unix::ffi::OsStrExt as _;
    PathBuf::from(std::ffi::OsStr::from_bytes(&crate::change::path_bytes(
        name,
    )))
}

impl Repo {
    /// A file's content at a revision, `None` if the path does not exist there. Files over
    /// [`MAX_TRUST_FILE_BYTES`] are refused before they are read: this reads the keyring, the
    /// policy and MAINTAINERS.
    pub fn file_at(&self, rev: CommitId, path: &str) -> Result<Option<Vec<u8>>> {
        let what = || format!("{path} at {rev}");
        let commit = self
            .inner
            .find_commit(rev.to_git2())
            .map_err(read(what()))?;
        let tree = commit.tree().map_err(read(what()))?;
        let entry = match tree.get_path(&fs_path(path)) {
            Ok(entry) => entry,
            Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
            Err(e) => return Err(read(what())(e)),
        };
        if entry.kind() == Some(git2::ObjectType::Blob) {
            let (size, _) = self
                .inner
                .odb()
                .and_then(|odb| odb.read_header(entry.id()))
                .map_err(read(what()))?;
            if size > MAX_TRUST_FILE_BYTES {
                return Err(GitError::TooLarge {
                    what: what(),
                    size,
                    max: MAX_TRUST_FILE_BYTES,
                });
            }
        }
        let obj = entry.to_object(&self.inner).map_err(read(what()))?;
        Ok(obj.as_blob().map(|b| b.content().to_vec()))
    }

    /// Whether `path` is a directory at a revision (false when it cannot be read).
    pub fn is_dir_at(&self, rev: CommitId, path: &str) -> bool {
        let tree = self.inner.find_commit(rev.to_git2()).and_then(|c| c.tree());
        tree.and_then(|t| t.get_path(&fs_path(path)))
            .is_ok_and(|e| e.kind() == Some(git2::ObjectType::Tree))
    }

    /// Every blob under directory `dir` at a revision, with its path relative to `dir`
    /// (empty when `dir` does not exist there).
    pub fn files_under(&self, rev: CommitId, dir: &str) -> Result<Vec<(String, Vec<u8>)>> {
        let what = || format!("{dir} at {rev}");
        let tree = self
            .inner
            .find_commit(rev.to_git2())
            .and_then(|c| c.tree())
            .map_err(read(what()))?;
        let sub = match tree.get_path(&fs_path(dir)) {
            Ok(e) if e.kind() == Some(git2::ObjectType::Tree) => {
                self.inner.find_tree(e.id()).map_err(read(what()))?
            }
            _ => return Ok(Vec::new()),
        };
        let mut out = Vec::new();
        let mut failed = None;
        let mut too_large = None;
        sub.walk(git2::TreeWalkMode::PreOrder, |root, entry| {
            if entry.kind() == Some(git2::ObjectType::Blob) {
                let name = format!("{root}{}", entry.name().unwrap_or_default());
                let size = self
                    .inner
                    .odb()
                    .and_then(|odb| odb.read_header(entry.id()))
                    .map(|(size, _)| size);
                if size.as_ref().is_ok_and(|&s| s > MAX_TRUST_FILE_BYTES) {
                    too_large = Some((name, size.unwrap_or_default()));
                    return git2::TreeWalkResult::Abort;
                }
                match self.inner.find_blob(entry.id()) {
                    Ok(b) => out.push((name, b.content().to_vec())),
                    Err(e) => {
                        failed = Some(e);
                        return git2::TreeWalkResult::Abort;
                    }
                }
            }
            git2::TreeWalkResult::Ok
        })
        .or_else(|e| {
            if too_large.is_some() || failed.is_some() {
                Ok(())
            } else {
                Err(e)
            }
        })
        .map_err(read(what()))?;
        if let Some((name, size)) = too_large {
            return Err(GitError::TooLarge {
                what: format!("{dir}/{name} at {rev}"),
                size,
                max: MAX_TRUST_FILE_BYTES,
            });
        }
        match failed {
            Some(e) => Err(read(what())(e)),
            None => Ok(out),
        }
    }

    /// The content of a blob, `None` when it is not a blob (a submodule commit, say).
    pub fn blob(&self, id: &str) -> Option<Vec<u8>> {
        let oid = Oid::from_str(id).ok()?;
        self.inner.find_blob(oid).ok().map(|b| b.content().to_vec())
    }

    /// A blob by a unique abbreviation of its id, as a patch's `index` line gives it.
    pub fn blob_by_prefix(&self, prefix: &str) -> Option<Vec<u8>> {
        let object = self
            .inner
            .find_object_by_prefix(prefix, Some(git2::ObjectType::Blob))
            .ok()?;
        object.as_blob().map(|b| b.content().to_vec())
    }
}
