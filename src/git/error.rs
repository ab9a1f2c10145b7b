//! The errors of reading and writing a repository.

use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum GitError {
    #[error("not a git repository: {}", path.display())]
    NotARepository {
        path: PathBuf,
        #[source]
        source: Cause,
    },
    #[error("unknown revision '{rev}'")]
    UnknownRevision {
        rev: String,
        #[source]
        source: Cause,
    },
    #[error("'{rev}' is not a commit")]
    NotACommit { rev: String },
    #[error("reading {what}")]
    Read {
        what: String,
        #[source]
        source: Cause,
    },
    #[error("writing {what}")]
    Write {
        what: String,
        #[source]
        source: Cause,
    },
    #[error("commit {commit} is not HEAD")]
    NotHead { commit: String },
    #[error("commit {commit} is at the boundary of this shallow clone: its parent is not here (fetch more history: git fetch --deepen=N or --unshallow)")]
    Shallow { commit: String },
    #[error("{} has grafts, which would make git and libgit2 read different histories; aiprov ignores replaced history: remove the file, or convert it with `git replace --convert-graft-file`", path.display())]
    Grafts { path: PathBuf },
    #[error("computing {what}: {reason}")]
    Merge { what: String, reason: String },
    /// What git failed at (its own words as the reason), or what a file git keeps could not
    /// tell.
    #[error("{what}: {reason}")]
    Git { what: String, reason: String },
    #[error("{what} is {size} bytes, over the limit of {max}")]
    TooLarge {
        what: String,
        size: usize,
        max: usize,
    },
    #[error("the notes ref {notes_ref} is locked ({lock} exists): another git or aiprov is writing it, or one was killed while writing (remove the lock if none is running)")]
    NotesLocked { notes_ref: String, lock: PathBuf },
}

/// What libgit2 said went wrong, as the cause of a [`GitError`]: its message, without naming
/// libgit2 outside this module.
#[derive(Debug)]
pub struct Cause(git2::Error);

/// libgit2's message only: its class and code (`class=Reference (4); code=NotFound (-3)`) are
/// its internals, not something a user can act on.
impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.message())
    }
}

impl std::error::Error for Cause {}

impl From<git2::Error> for Cause {
    fn from(e: git2::Error) -> Self {
        Cause(e)
    }
}

pub(super) type Result<T> = std::result::Result<T, GitError>;

pub(super) fn read(what: impl Into<String>) -> impl FnOnce(git2::Error) -> GitError {
    let what = what.into();
    move |source| GitError::Read {
        what,
        source: source.into(),
    }
}
