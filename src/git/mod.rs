//! The only module that touches git2: revisions, history, diffs, files at a revision, notes, config.

mod diff;
mod merge;
mod merge_base;
pub mod notes;
mod tree_diff;

pub use tree_diff::MAX_TREE_DEPTH;

pub use git2::Oid;

use std::path::{Path, PathBuf};

use git2::{Repository, Sort};
use thiserror::Error;

use crate::change::{Change, FileChange};
use crate::trailers::Identity;

#[derive(Debug, Error)]
pub enum GitError {
    #[error("not a git repository: {}", path.display())]
    NotARepository {
        path: PathBuf,
        #[source]
        source: git2::Error,
    },
    #[error("unknown revision '{rev}'")]
    UnknownRevision {
        rev: String,
        #[source]
        source: git2::Error,
    },
    #[error("'{rev}' is not a commit")]
    NotACommit { rev: String },
    #[error("reading {what}")]
    Read {
        what: String,
        #[source]
        source: git2::Error,
    },
    #[error("writing {what}")]
    Write {
        what: String,
        #[source]
        source: git2::Error,
    },
    #[error("commit {commit} is not HEAD")]
    NotHead { commit: String },
    #[error("commit {commit} is at the boundary of this shallow clone: its parent is not here (fetch more history: git fetch --deepen=N or --unshallow)")]
    Shallow { commit: String },
    #[error("{} has grafts, which would make git and libgit2 read different histories; aiprov ignores replaced history: remove the file, or convert it with `git replace --convert-graft-file`", path.display())]
    Grafts { path: PathBuf },
    #[error("computing {what}: {reason}")]
    Merge { what: String, reason: String },
    #[error("{what} is {size} bytes, over the limit of {max}")]
    TooLarge {
        what: String,
        size: usize,
        max: usize,
    },
    #[error("the notes ref {notes_ref} is locked ({lock} exists): another git or aiprov is writing it, or one was killed while writing (remove the lock if none is running)")]
    NotesLocked { notes_ref: String, lock: PathBuf },
    #[error("the notes ref {notes_ref} kept moving; gave up after {attempts} attempts")]
    NotesContention { notes_ref: String, attempts: u32 },
}

type Result<T> = std::result::Result<T, GitError>;

/// The largest trust file (keyring, `allowed_signers`, Sigstore trusted root, policy,
/// `MAINTAINERS`) aiprov reads: twenty times Linux's `MAINTAINERS`.
pub const MAX_TRUST_FILE_BYTES: usize = 16 << 20;

fn read(what: impl Into<String>) -> impl FnOnce(git2::Error) -> GitError {
    let what = what.into();
    move |source| GitError::Read { what, source }
}

/// The path of a tree entry that aiprov names `name` ([`crate::change::path_name`]), for git2.
fn fs_path(name: &str) -> PathBuf {
    use std::os::unix::ffi::OsStrExt as _;
    PathBuf::from(std::ffi::OsStr::from_bytes(&crate::change::path_bytes(
        name,
    )))
}

/// The 1-based numbers of the lines git's diff removes from `old` and adds in `new`.
pub fn changed_line_numbers(old: &[u8], new: &[u8]) -> Result<(Vec<usize>, Vec<usize>)> {
    diff::changed_line_numbers(old, new).map_err(read("a diff"))
}

/// The id git gives `data` as a blob, lowercase hex.
pub fn blob_id(data: &[u8]) -> String {
    Oid::hash_object(git2::ObjectType::Blob, data).map_or_else(|_| String::new(), |o| o.to_string())
}

/// For a patch mail: the file change (with its digest) of an attested rename or copy that git paired differently in the
/// mail (as a deletion and an addition), computed from the whole sides the mail carries. `None`
/// when the mail does not hold both sides.
pub fn split_pair_change(
    files: &[FileChange],
    diff: &crate::patch::DiffSections<'_>,
    entry: &crate::model::FileEntry,
) -> Option<FileChange> {
    use crate::change::Status;
    let old_path = entry.old_path.as_deref()?;
    if !matches!(entry.status, Status::Renamed | Status::Copied) {
        return None;
    }
    let new = diff.whole_side(&entry.path, true)?;
    let old = match entry.status {
        Status::Renamed => diff.whole_side(old_path, false)?,
        _ => return None,
    };
    let mode = |m: &Option<String>| {
        m.as_deref()
            .and_then(|m| u32::from_str_radix(m, 8).ok())
            .unwrap_or(0)
    };
    let mut file = FileChange {
        path: entry.path.clone(),
        old_path: Some(old_path.to_string()),
        status: entry.status,
        old_mode: mode(&entry.old_mode),
        new_mode: mode(&entry.new_mode),
        old_blob: None,
        new_blob: None,
        binary: false,
        digest: None,
        added_lines: 0,
        removed_lines: 0,
    };
    // The mail's own file changes must be exactly that deletion and that addition.
    let deleted = files
        .iter()
        .any(|f| f.status == Status::Deleted && f.path == old_path);
    let added = files
        .iter()
        .any(|f| f.status == Status::Added && f.path == entry.path);
    if !(deleted && added) {
        return None;
    }
    diff::digest_of_buffers(&mut file, &old, &new).ok()?;
    Some(file)
}

/// Keeps libgit2's memory bounded whatever the range: by default it may map 8 GiB of pack
/// windows, which shows as resident memory growing with the history read.
fn bound_memory() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: set once, before any repository is opened by this process; libgit2 reads these
        // limits when it maps pack windows.
        unsafe {
            let _ = git2::opts::set_mwindow_size(16 << 20);
            let _ = git2::opts::set_mwindow_mapped_limit(48 << 20);
        }
    });
}

/// `user.email` from the user's and the system's git config, outside any repository.
pub fn default_user_email() -> Option<String> {
    git2::Config::open_default()
        .ok()?
        .get_string("user.email")
        .ok()
        .filter(|s| !s.is_empty())
}

/// One commit to verify, with the revision its trust is read from.
#[derive(Debug, Clone)]
pub struct Target {
    pub commit: Oid,
    /// The trusted revision: the range base, or the first parent of a single commit.
    pub trusted: Option<Oid>,
}

/// A repository opened for aiprov.
pub struct Repo {
    inner: Repository,
    /// The commits at the boundary of a shallow clone (`.git/shallow`): their parents are not
    /// in this repository, so their changes cannot be told.
    shallow: std::collections::HashSet<Oid>,
    /// The automatic merges of merge commits, shared by every handle (see `merge.rs`).
    merges: std::sync::Arc<merge::Merges>,
    /// Whether this handle reads the objects `git merge-tree` wrote (see `merge.rs`).
    scratch_attached: std::cell::OnceCell<()>,
    /// The commit-graph, read on the first merge base asked for (see `merge_base.rs`).
    graph: std::cell::OnceCell<Option<gix_commitgraph::Graph>>,
}

/// A `git` command that reads the same history as libgit2 does here: replace refs
/// (`refs/replace/`, which `git clone --mirror` copies) and the grafts file are ignored. libgit2
/// knows no replace refs, so a `git rev-list` that followed one would list commits whose diffs
/// libgit2 reads from other parents. Every git process aiprov runs is made here.
pub fn git_command() -> std::process::Command {
    let mut c = std::process::Command::new("git");
    c.env("GIT_NO_REPLACE_OBJECTS", "1")
        .env("GIT_GRAFT_FILE", "/nonexistent/aiprov-ignores-grafts");
    c
}

/// Runs `command` with `input` on its standard input and collects its standard output and error.
/// The input is written from another thread: git answers while it reads, and a pipe full both
/// ways would stop both.
pub fn output_with_input(
    command: &mut std::process::Command,
    input: &[u8],
) -> std::io::Result<std::process::Output> {
    use std::process::Stdio;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    std::thread::scope(|scope| {
        scope.spawn(move || std::io::Write::write_all(&mut stdin, input));
        child.wait_with_output()
    })
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

/// The commits listed in a shallow clone's `shallow` file (none when it is not shallow).
fn shallow_commits(git_dir: &Path) -> std::collections::HashSet<Oid> {
    std::fs::read_to_string(git_dir.join("shallow"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| Oid::from_str(l.trim()).ok())
        .collect()
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
            source,
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
                source,
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

    /// The work tree, if the repository has one.
    pub fn workdir(&self) -> Option<&Path> {
        self.inner.workdir()
    }

    /// The git directory.
    pub fn git_dir(&self) -> &Path {
        self.inner.path()
    }

    /// Resolves a revision to a commit id.
    pub fn commit_id(&self, rev: &str) -> Result<Oid> {
        let obj = self
            .inner
            .revparse_single(rev)
            .map_err(|source| GitError::UnknownRevision {
                rev: rev.to_string(),
                source,
            })?;
        let commit = obj.peel_to_commit().map_err(|_| GitError::NotACommit {
            rev: rev.to_string(),
        })?;
        Ok(commit.id())
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
                    walk.push(tip).map_err(read(format!("history of {tip}")))?;
                    walk.hide(base)
                        .map_err(read(format!("history of {base}")))?;
                    walk.collect::<std::result::Result<_, _>>()
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
    fn rev_list(&self, base: Oid, tip: Oid) -> Option<Vec<Oid>> {
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
            .map(|l| Oid::from_str(l).ok())
            .collect()
    }

    /// The commits from `base` (excluded) to `tip`, oldest first, following first parents.
    pub fn first_parent_commits(&self, base: Oid, tip: &str) -> Result<Vec<Oid>> {
        let tip = self.commit_id(tip)?;
        let mut walk = self.inner.revwalk().map_err(read("history"))?;
        walk.simplify_first_parent().map_err(read("history"))?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)
            .map_err(read("history"))?;
        walk.push(tip).map_err(read(format!("history of {tip}")))?;
        walk.hide(base)
            .map_err(read(format!("history of {base}")))?;
        walk.map(|id| id.map_err(read("history"))).collect()
    }

    /// Refuses a commit at the boundary of a shallow clone, whose parent is missing: libgit2
    /// would take it for a root commit and its change for the whole tree.
    fn not_shallow(&self, id: Oid) -> Result<()> {
        if self.shallow.contains(&id) {
            return Err(GitError::Shallow {
                commit: id.to_string(),
            });
        }
        Ok(())
    }

    fn first_parent(&self, id: Oid) -> Result<Option<Oid>> {
        self.not_shallow(id)?;
        let commit = self
            .inner
            .find_commit(id)
            .map_err(read(format!("commit {id}")))?;
        Ok(commit.parent_ids().next())
    }

    /// A file's content at a revision, `None` if the path does not exist there. Files over
    /// [`MAX_TRUST_FILE_BYTES`] are refused before they are read: this reads the keyring, the
    /// policy and MAINTAINERS.
    pub fn file_at(&self, rev: Oid, path: &str) -> Result<Option<Vec<u8>>> {
        let what = || format!("{path} at {rev}");
        let commit = self.inner.find_commit(rev).map_err(read(what()))?;
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
    pub fn is_dir_at(&self, rev: Oid, path: &str) -> bool {
        let tree = self.inner.find_commit(rev).and_then(|c| c.tree());
        tree.and_then(|t| t.get_path(&fs_path(path)))
            .is_ok_and(|e| e.kind() == Some(git2::ObjectType::Tree))
    }

    /// A commit, its tree and the tree its change is measured from: its first parent's (none
    /// for a root commit), or for a merge the automatic merge of its parents.
    fn commit_trees(
        &self,
        id: Oid,
    ) -> Result<(git2::Commit<'_>, git2::Tree<'_>, Option<git2::Tree<'_>>)> {
        self.not_shallow(id)?;
        let what = || format!("commit {id}");
        let commit = self.inner.find_commit(id).map_err(read(what()))?;
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

    /// Every blob under directory `dir` at a revision, with its path relative to `dir`
    /// (empty when `dir` does not exist there).
    pub fn files_under(&self, rev: Oid, dir: &str) -> Result<Vec<(String, Vec<u8>)>> {
        let what = || format!("{dir} at {rev}");
        let tree = self
            .inner
            .find_commit(rev)
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

    /// The change a commit makes against its first parent. Digests are computed for the file
    /// changes that `want_digest` selects; the others are left without (blob ids suffice for them).
    pub fn change(&self, id: Oid, want_digest: impl Fn(&FileChange) -> bool) -> Result<Change> {
        self.change_with(id, true, want_digest)
    }

    /// Like [`Repo::change`], without rename detection when `renames` is false: renamed files
    /// show as a deletion and an addition. Verification needs no pairing (the attested one is
    /// checked against the commit), and rename detection is the slowest part of a diff.
    pub fn change_with(
        &self,
        id: Oid,
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

    /// The committer time of a commit, in seconds since the epoch.
    pub fn commit_time(&self, id: Oid) -> Result<i64> {
        let commit = self
            .inner
            .find_commit(id)
            .map_err(read(format!("commit {id}")))?;
        let seconds = commit.committer().when().seconds();
        Ok(seconds)
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
            source,
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
                    source,
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

    pub(crate) fn raw(&self) -> &Repository {
        &self.inner
    }
}

impl Repo {
    /// Rewrites the message of `id`, which must be the commit HEAD points at; returns the new id.
    pub fn amend_message(&self, id: Oid, message: &str) -> Result<Oid> {
        let head = self.commit_id("HEAD")?;
        if head != id {
            return Err(GitError::NotHead {
                commit: id.to_string(),
            });
        }
        let commit = self
            .inner
            .find_commit(id)
            .map_err(read(format!("commit {id}")))?;
        let user = self.user().unwrap_or(Identity {
            name: String::new(),
            email: String::new(),
        });
        let committer =
            git2::Signature::now(&user.name, &user.email).map_err(|source| GitError::Write {
                what: "committer identity".into(),
                source,
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
            .map_err(|source| GitError::Write {
                what: format!("amended commit of {id}"),
                source,
            })
    }
}

impl Repo {
    /// The file change a commit makes for a given pairing of paths (for instance an attested
    /// rename where git's rename detection paired the files differently), with its digest.
    /// `None` unless the commit really makes that change: the old path exists in the first
    /// parent and the new one in the commit, and each side is absent where the status says.
    pub fn pair_change(
        &self,
        id: Oid,
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
