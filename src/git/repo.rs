//! Opening a repository for aiprov: the libgit2 options it is read with, grafts refused, the
//! shallow boundary read; handles for other threads.

use std::path::Path;

use git2::Repository;

use super::merge;
use super::range::shallow_commits;
use super::{CommitId, GitError, Result};

/// Keeps libgit2's memory bounded whatever the range: by default it may map 8 GiB of pack
/// windows and keep 256 MiB of parsed commits and trees in its object cache, both of which show
/// as resident memory growing with the history read.
fn bound_memory() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: set once, before any repository is opened by this process; libgit2 reads these
        // limits when it maps pack windows.
        unsafe {
            let _ = git2::opts::set_mwindow_size(16 << 20);
            let _ = git2::opts::set_mwindow_mapped_limit(32 << 20);
            libgit2_sys::git_libgit2_opts(
                libgit2_sys::GIT_OPT_SET_CACHE_MAX_SIZE as std::ffi::c_int,
                OBJECT_CACHE_BYTES,
            );
        }
    });
}

/// The most libgit2 keeps in its object cache, all repository handles together. The objects a
/// commit's verification reads again (its trees, its parents' trees) are read within moments, so
/// a small cache keeps nearly all of the benefit.
const OBJECT_CACHE_BYTES: isize = 8 << 20;

/// A repository opened for aiprov.
pub struct Repo {
    pub(super) inner: Repository,
    /// The commits at the boundary of a shallow clone (`.git/shallow`): their parents are not
    /// in this repository, so their changes cannot be told.
    pub(super) shallow: std::collections::HashSet<CommitId>,
    /// The automatic merges of merge commits, shared by every handle (see `merge.rs`).
    pub(super) merges: std::sync::Arc<merge::Merges>,
    /// The directories of objects `git merge-tree` wrote that this handle reads (see
    /// `merge.rs`).
    pub(super) scratch_attached: std::cell::RefCell<std::collections::HashSet<std::path::PathBuf>>,
    /// The commit-graph, read on the first merge base asked for (see `merge_base.rs`).
    pub(super) graph: std::cell::OnceCell<Option<gix_commitgraph::Graph>>,
}

/// Refuses a repository with grafts (`info/grafts`, deprecated since git 2.18): libgit2 follows
/// them and cannot be told not to, while git is told to ignore them.
fn refuse_grafts(inner: &Repository) -> Result<()> {
    let path = inner.commondir().join("info/grafts");
    let text = std::fs::read(&path).unwrap_or_default();
    let grafted = text
        .split(|&b| b == b'\n')
        .any(|l| !l.trim_ascii().is_empty() && !l.starts_with(b"#"));
    if grafted {
        return Err(GitError::Grafts { path });
    }
    Ok(())
}

impl Repo {
    /// Opens the repository that contains `path`, as git does (searching parent directories).
    pub fn discover(path: &Path) -> Result<Repo> {
        // libgit2 re-hashes every object it reads (with SHA-1 collision detection), which costs
        // about 40% of verifying a range. git itself does not on ordinary reads (fsck does), and
        // whoever can write this object database can change what it says anyway.
        git2::opts::strict_hash_verification(false);
        bound_memory();
        let inner = Repository::discover(path).map_err(|source| GitError::NotARepository {
            path: path.to_path_buf(),
            source: source.into(),
        })?;
        refuse_grafts(&inner)?;
        let shallow = shallow_commits(inner.path());
        Ok(Repo {
            inner,
            shallow,
            merges: Default::default(),
            scratch_attached: Default::default(),
            graph: Default::default(),
        })
    }

    /// Another handle on the same repository (a handle is not shared between threads).
    pub fn reopen(&self) -> Result<Repo> {
        let inner =
            Repository::open(self.inner.path()).map_err(|source| GitError::NotARepository {
                path: self.inner.path().to_path_buf(),
                source: source.into(),
            })?;
        let shallow = shallow_commits(inner.path());
        Ok(Repo {
            inner,
            shallow,
            merges: self.merges.clone(),
            scratch_attached: Default::default(),
            graph: Default::default(),
        })
    }

    /// How many replace refs (`refs/replace/*`) the repository has: aiprov reads the objects
    /// themselves, while git commands run without `--no-replace-objects` show the replacements.
    pub fn replace_refs(&self) -> usize {
        self.inner
            .references_glob("refs/replace/*")
            .map(|refs| refs.count())
            .unwrap_or(0)
    }

    /// The names of the repository's remotes (`git remote`).
    pub fn remote_names(&self) -> Vec<String> {
        self.inner
            .remotes()
            .map(|names| names.iter().flatten().map(str::to_string).collect())
            .unwrap_or_default()
    }

    /// The work tree, if the repository has one.
    pub fn workdir(&self) -> Option<&Path> {
        self.inner.workdir()
    }

    /// The git directory.
    pub fn git_dir(&self) -> &Path {
        self.inner.path()
    }

    /// The git directory all work trees share (`git rev-parse --git-common-dir`).
    pub fn common_dir(&self) -> &Path {
        self.inner.commondir()
    }

    pub(super) fn raw(&self) -> &Repository {
        &self.inner
    }
}
