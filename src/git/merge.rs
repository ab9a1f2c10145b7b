//! A merge's own changes are measured from the clean automatic merge of its parents (what `git
//! merge-tree --write-tree` makes of them), so that what a merge adds while being concluded (an
//! "evil merge", a conflict resolution) is verified like any commit's change.

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use git2::{Commit, Oid, Repository};

use super::merge_batch::{Batch, Pending, Trees};
use super::tree_diff::{changed_entries, Side};
use super::{git_command, read, CommitId, GitError, Repo, Result};

/// What every handle on a repository shares about merges: the trees their own changes are
/// measured from, and the scratch object directory `git merge-tree` writes them into (the
/// repository may be read-only).
#[derive(Default)]
pub(super) struct Merges {
    pub(super) trees: std::sync::Arc<Trees>,
    scratch: OnceLock<tempfile::TempDir>,
}

impl Repo {
    /// The tree a merge commit's own changes are measured from: its own tree when it is the
    /// clean merge of its parents (proven in process, see [`in_process_clean`]), else the tree
    /// `git merge-tree --write-tree` makes of its two parents (conflict markers included, so a
    /// resolution is a change). An octopus merge that is not trivially clean is measured from
    /// its first parent: all it brings is its own. A merge handed to the background git
    /// ([`Repo::prepare_merges`]) waits for its answer.
    pub(super) fn automatic_merge_tree(&self, commit: &Commit<'_>) -> Result<Oid> {
        let tree = match self.merges.trees.get(commit.id()) {
            Some(tree) => tree,
            None => {
                let tree = match self.merge_tree_in_process(commit)? {
                    Decided::Tree(tree) => tree,
                    Decided::Git(pending) => self.merge_tree(&pending)?,
                };
                self.merges.trees.insert(commit.id(), tree);
                tree
            }
        };
        let objects = self.merges.trees.objects_of(commit.id()).or_else(|| {
            let scratch = self.merges.scratch.get()?;
            Some(scratch.path().join(ALONE))
        });
        if let Some(dir) = objects {
            self.attach_objects(&dir)?;
        }
        Ok(tree)
    }

    /// Says that the merge `commit` has been verified: what was kept to verify it can go.
    pub fn merge_verified(&self, commit: CommitId) {
        self.merges.trees.verified(commit.to_git2());
    }

    /// Works out the trees of many merges ahead of verifying them, in process on `jobs`
    /// threads; what cannot be decided there goes to one `git merge-tree --stdin` in the
    /// background, which goes on after this returns (see `merge_batch.rs`). Returns how many
    /// merges were left to git. A merge that fails here is left to
    /// [`Repo::automatic_merge_tree`], which says why.
    pub fn prepare_merges(&self, commits: &[CommitId], jobs: usize) -> Result<usize> {
        let merges: Vec<Oid> = commits
            .iter()
            .map(|id| id.to_git2())
            .filter(|&id| self.has_parents_to_merge(id))
            .filter(|&id| !self.merges.trees.has(id))
            .collect();
        if merges.is_empty() {
            return Ok(0);
        }
        // Without git, each merge left open is made alone later, and says why it fails.
        let command = self.merge_tree_command()?;
        let batch = Batch::start(self.merges.trees.clone(), command, self.scratch()?).ok();
        let batch = Mutex::new(batch);
        // The threads take the merges in the range's order, so that git is asked (and answers)
        // in about the order the merges are verified.
        let taken = AtomicUsize::new(0);
        let repos = (0..jobs.clamp(1, merges.len()))
            .map(|_| self.reopen())
            .collect::<Result<Vec<_>>>()?;
        let left = std::thread::scope(|scope| {
            let threads: Vec<_> = repos
                .into_iter()
                .map(|repo| {
                    let (batch, taken, merges) = (&batch, &taken, &merges);
                    scope.spawn(move || {
                        let next = || merges.get(taken.fetch_add(1, Ordering::Relaxed)).copied();
                        repo.prepare_part(std::iter::from_fn(next), batch)
                    })
                })
                .collect();
            threads.into_iter().map(|t| t.join().unwrap_or(0)).sum()
        });
        Ok(left)
    }

    /// Whether the tree of a merge is still being made by the background git: verifying it now
    /// would wait.
    pub fn merge_pending(&self, commit: CommitId) -> bool {
        self.merges.trees.pending(commit.to_git2())
    }

    fn prepare_part(
        &self,
        merges: impl Iterator<Item = Oid>,
        batch: &Mutex<Option<Batch>>,
    ) -> usize {
        let mut left = 0;
        for id in merges {
            let Ok(commit) = self.inner.find_commit(id) else {
                continue;
            };
            match self.merge_tree_in_process(&commit) {
                Ok(Decided::Tree(tree)) => self.merges.trees.insert(id, tree),
                Ok(Decided::Git(pending)) => {
                    left += 1;
                    if let Some(batch) = batch.lock().ok().as_mut().and_then(|b| b.as_mut()) {
                        batch.ask(&pending);
                    }
                }
                Err(_) => {}
            }
        }
        left
    }

    /// The tree a merge is measured from when it can be decided in process: its own tree when
    /// it is provably the clean merge of its parents, an octopus merge's first parent's when
    /// it is not trivially clean; else what to ask `git merge-tree`.
    fn merge_tree_in_process(&self, commit: &Commit<'_>) -> Result<Decided> {
        let what = || format!("merge {}", commit.id());
        if let [ours, theirs] = commit.parent_ids().collect::<Vec<_>>().as_slice() {
            // Without a merge base (unrelated histories), the base is the empty tree.
            let bases = self.merge_bases(*ours, *theirs)?;
            let clean = in_process_clean(&self.inner, commit, &bases).map_err(read(what()))?;
            return Ok(if clean {
                Decided::Tree(commit.tree_id())
            } else {
                Decided::Git(Pending {
                    merge: commit.id(),
                    ours: *ours,
                    theirs: *theirs,
                    base: match bases.as_slice() {
                        [base] => Some(*base),
                        _ => None,
                    },
                })
            });
        }
        if octopus_trivially_clean(&self.inner, commit).map_err(read(what()))? {
            return Ok(Decided::Tree(commit.tree_id()));
        }
        Ok(Decided::Tree(
            commit.parent(0).map_err(read(what()))?.tree_id(),
        ))
    }

    /// `git merge-tree --write-tree OURS THEIRS` for one merge.
    fn merge_tree(&self, p: &Pending) -> Result<Oid> {
        let what = || {
            format!(
                "the automatic merge of {} and {} (merge {})",
                p.ours, p.theirs, p.merge
            )
        };
        let out = self.merge_tree_command()?(&self.alone_objects()?)
            .args(["--no-messages", &p.ours.to_string(), &p.theirs.to_string()])
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .output()
            .map_err(|e| GitError::Merge {
                what: what(),
                reason: format!("cannot run git: {e}"),
            })?;
        // Exit 1 is a merge with conflicts: its tree, with the markers, is still written.
        let tree = std::str::from_utf8(&out.stdout)
            .ok()
            .and_then(|s| s.lines().next())
            .and_then(|l| Oid::from_str(l.trim()).ok());
        match (out.status.code(), tree) {
            (Some(0 | 1), Some(tree)) => Ok(tree),
            _ => Err(GitError::Merge {
                what: what(),
                reason: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            }),
        }
    }

    /// `git merge-tree --write-tree` writing its objects into the shared scratch directory,
    /// uncompressed (they are read once, then deleted), with its pack windows and delta cache
    /// bounded as libgit2's are here (`bound_memory`): a batch of merges otherwise maps ever more
    /// of the packs.
    fn merge_tree_command(
        &self,
    ) -> Result<impl Fn(&Path) -> std::process::Command + Send + 'static> {
        let git_dir = self.inner.path().to_path_buf();
        let objects = self.inner.commondir().join("objects");
        Ok(move |scratch: &Path| {
            let mut c = git_command();
            c.args([
                "-c",
                "core.packedGitWindowSize=1m",
                "-c",
                "core.packedGitLimit=32m",
            ])
            .args(["-c", "core.deltaBaseCacheLimit=4m"])
            .args(["-c", "core.looseCompression=0"])
            .arg("--git-dir")
            .arg(&git_dir)
            .env("GIT_OBJECT_DIRECTORY", scratch)
            .env("GIT_ALTERNATE_OBJECT_DIRECTORIES", &objects)
            // A merge of unrelated histories (a subproject merged in) has the empty tree as its
            // base, as `git merge --allow-unrelated-histories` made it.
            .args(["merge-tree", "--write-tree", "--allow-unrelated-histories"]);
            c
        })
    }

    /// The scratch object directory, made on first use, in memory where the system offers a
    /// place for it (`$XDG_RUNTIME_DIR`, `/dev/shm`): git writes a loose object for each tree and
    /// conflicted file of a merge, and on a disk's file system that was a third of its time.
    fn scratch(&self) -> Result<&std::path::Path> {
        if let Some(dir) = self.merges.scratch.get() {
            return Ok(dir.path());
        }
        let in_memory = std::env::var_os("XDG_RUNTIME_DIR")
            .map(std::path::PathBuf::from)
            .into_iter()
            .chain([std::path::PathBuf::from("/dev/shm")]);
        // Only this user may read it: it holds contents of the repository.
        let private = std::fs::Permissions::from_mode(0o700);
        let builder = || {
            let mut b = tempfile::Builder::new();
            b.prefix("aiprov-objects-").permissions(private.clone());
            b
        };
        let dir = in_memory
            .filter(|d| d.is_dir())
            .find_map(|d| builder().tempdir_in(d).ok())
            .map_or_else(|| builder().tempdir(), Ok)
            .map_err(|e| GitError::Merge {
                what: "a scratch object directory".into(),
                reason: e.to_string(),
            })?;
        // Another handle may have made one meanwhile: this one is then dropped.
        Ok(self.merges.scratch.get_or_init(|| dir).path())
    }

    /// Where the merges made alone write their objects (kept to the end).
    fn alone_objects(&self) -> Result<PathBuf> {
        let dir = self.scratch()?.join(ALONE);
        std::fs::create_dir_all(&dir).map_err(|e| GitError::Merge {
            what: "a scratch object directory".into(),
            reason: e.to_string(),
        })?;
        Ok(dir)
    }

    /// Adds a directory of objects `git merge-tree` wrote to this handle's object database,
    /// once.
    fn attach_objects(&self, dir: &Path) -> Result<()> {
        if self.scratch_attached.borrow().contains(dir) || !dir.is_dir() {
            return Ok(());
        }
        self.inner
            .odb()
            .and_then(|odb| odb.add_disk_alternate(&dir.to_string_lossy()))
            .map_err(read("the scratch object directory"))?;
        self.scratch_attached.borrow_mut().insert(dir.to_path_buf());
        Ok(())
    }
}

/// The scratch directory of the merges made alone, one process each.
const ALONE: &str = "alone";

/// What the in-process proof decides of a merge: the tree it is measured from, or that only
/// git can tell.
enum Decided {
    Tree(Oid),
    Git(Pending),
}

/// Whether a merge's tree is provably the clean three-way merge of its two parents, in process,
/// path by path. Only paths theirs changed since a merge base (or the merge changed against
/// ours) can differ from ours in the automatic merge; for each, the merge must hold what a
/// three-way merge makes of base, ours and theirs: the side that changed, or a clean merge of
/// the file's contents (`merge_file`). With several merge bases (git merges them into a virtual
/// base), every such path must be the same in all of them; with none (unrelated histories), the
/// base is the empty tree. Anything else (a conflict, a type
/// change, a merge that differs) is left to `git merge-tree`, the authority. Soundness does not
/// rest on merging contents as git does: each line of a clean three-way merge comes from the
/// base or a parent, whose changes are verified in their own commits.
fn in_process_clean<'r>(
    repo: &'r Repository,
    merge: &Commit<'r>,
    bases: &[Oid],
) -> std::result::Result<bool, git2::Error> {
    let (ours, theirs) = (merge.parent(0)?, merge.parent(1)?);
    let base_trees = bases
        .iter()
        .map(|b| repo.find_commit(*b)?.tree())
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let (ours_tree, theirs_tree, merge_tree) = (ours.tree()?, theirs.tree()?, merge.tree()?);
    let subtrees = Subtrees::new(repo);
    let entry = |tree: &git2::Tree<'r>, path: &[u8]| subtrees.entry(tree, path);
    let mut paths: Vec<Vec<u8>> = changed_entries(repo, Some(&ours_tree), Some(&merge_tree))?
        .into_iter()
        .map(|(path, ..)| path)
        .collect();
    for base_tree in base_trees
        .iter()
        .map(Some)
        .chain(bases.is_empty().then_some(None))
    {
        let by_theirs = changed_entries(repo, base_tree, Some(&theirs_tree))?;
        paths.extend(by_theirs.into_iter().map(|(path, ..)| path));
    }
    paths.sort_unstable();
    paths.dedup();
    for path in &paths {
        let (ours, theirs) = (entry(&ours_tree, path), entry(&theirs_tree, path));
        let merged = entry(&merge_tree, path);
        if ours == theirs {
            // Both sides agree: the automatic merge has it, whatever the base.
            if merged != ours {
                return Ok(false);
            }
            continue;
        }
        let mut in_bases = base_trees.iter().map(|t| entry(t, path));
        let base = in_bases.next().flatten();
        if in_bases.any(|b| b != base) {
            return Ok(false);
        }
        let clean = if theirs == base {
            merged == ours
        } else if ours == base {
            merged == theirs
        } else {
            merged.is_some() && merge_file(repo, path, base, ours, theirs)? == merged
        };
        if !clean {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Entries of trees by path, each directory's tree read once: a merge's paths are looked up in
/// up to six trees, and libgit2 keeps no tree over 4 KiB parsed (a large project's top-level
/// tree, or git's own `t/`, would be read again for every path).
struct Subtrees<'r> {
    repo: &'r Repository,
    /// By the root tree's id and the directory's path: the tree, if there is one.
    dirs: std::cell::RefCell<HashMap<(Oid, Vec<u8>), Dir<'r>>>,
}

type Dir<'r> = Option<git2::Tree<'r>>;

impl<'r> Subtrees<'r> {
    fn new(repo: &'r Repository) -> Self {
        Subtrees {
            repo,
            dirs: Default::default(),
        }
    }

    /// The entry at `path` (bytes, `/`-separated) of the tree `root`.
    fn entry(&self, root: &git2::Tree<'r>, path: &[u8]) -> Side {
        let (dir, name) = match path.iter().rposition(|&b| b == b'/') {
            Some(slash) => (&path[..slash], &path[slash + 1..]),
            None => (&path[..0], path),
        };
        let found = |tree: &git2::Tree<'_>| {
            tree.get_name_bytes(name)
                .map(|e| (e.id(), e.filemode() as u32))
        };
        if dir.is_empty() {
            return found(root);
        }
        self.dir(root, dir).as_ref().and_then(found)
    }

    /// The tree at `dir` of `root`, from its parent's.
    fn dir(&self, root: &git2::Tree<'r>, dir: &[u8]) -> Option<git2::Tree<'r>> {
        let key = (root.id(), dir.to_vec());
        if let Some(tree) = self.dirs.borrow().get(&key) {
            return tree.clone();
        }
        let (parent, name) = match dir.iter().rposition(|&b| b == b'/') {
            Some(slash) => (self.dir(root, &dir[..slash]), &dir[slash + 1..]),
            None => (Some(root.clone()), dir),
        };
        let tree = parent.and_then(|p| {
            let entry = p.get_name_bytes(name)?;
            (entry.kind() == Some(git2::ObjectType::Tree))
                .then(|| self.repo.find_tree(entry.id()).ok())
                .flatten()
        });
        self.dirs.borrow_mut().insert(key, tree.clone());
        tree
    }
}

/// The three-way merge of one regular file changed on both sides, as the blob and mode it would
/// write: `three_way::clean_merge` when the two changes are apart (most are), else libgit2's
/// merge; `None` when it conflicts or is not a merge of regular files' contents.
fn merge_file(
    repo: &Repository,
    path: &[u8],
    base: Side,
    ours: Side,
    theirs: Side,
) -> std::result::Result<Side, git2::Error> {
    const REGULAR: [u32; 2] = [0o100644, 0o100755];
    let [Some(base), Some(ours), Some(theirs)] = [base, ours, theirs] else {
        return Ok(None);
    };
    if ![base.1, ours.1, theirs.1]
        .iter()
        .all(|m| REGULAR.contains(m))
    {
        return Ok(None);
    }
    // The mode as a three-way merge of its own.
    let mode = match (base.1, ours.1, theirs.1) {
        (b, o, t) if o == b || o == t => t,
        (b, o, t) if t == b => o,
        _ => return Ok(None),
    };
    let blob = |id| repo.find_blob(id);
    let (b, o, t) = (blob(base.0)?, blob(ours.0)?, blob(theirs.0)?);
    if let Some(merged) = super::three_way::clean_merge(b.content(), o.content(), t.content()) {
        let id = Oid::hash_object(git2::ObjectType::Blob, &merged)?;
        return Ok(Some((id, mode)));
    }
    let index_entry = |(id, mode): (Oid, u32)| git2::IndexEntry {
        ctime: git2::IndexTime::new(0, 0),
        mtime: git2::IndexTime::new(0, 0),
        dev: 0,
        ino: 0,
        mode,
        uid: 0,
        gid: 0,
        file_size: 0,
        id,
        flags: 0,
        flags_extended: 0,
        path: path.to_vec(),
    };
    let result = repo.merge_file_from_index(
        &index_entry(base),
        &index_entry(ours),
        &index_entry(theirs),
        None,
    )?;
    if !result.is_automergeable() {
        return Ok(None);
    }
    let id = Oid::hash_object(git2::ObjectType::Blob, result.content())?;
    Ok(Some((id, result.mode())))
}

/// An octopus merge is clean here only in the trivial case: relative to the parents' merge base,
/// each path is changed by at most one parent (or by several in the same way), and the merge
/// takes that change or leaves the path as the base has it.
fn octopus_trivially_clean(
    repo: &Repository,
    merge: &Commit<'_>,
) -> std::result::Result<bool, git2::Error> {
    let parents: Vec<Oid> = merge.parent_ids().collect();
    let base = match repo.merge_base_many(&parents) {
        Ok(base) => base,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    let base_tree = repo.find_commit(base)?.tree()?;
    let merge_tree = merge.tree()?;
    // Per path: the distinct entries the parents changed it to.
    let mut wanted: HashMap<Vec<u8>, Vec<Side>> = HashMap::new();
    for parent in merge.parents() {
        for (path, _, new) in changed_entries(repo, Some(&base_tree), Some(&parent.tree()?))? {
            let sides = wanted.entry(path).or_default();
            if !sides.contains(&new) {
                sides.push(new);
            }
        }
    }
    let merged: HashMap<Vec<u8>, Side> =
        changed_entries(repo, Some(&base_tree), Some(&merge_tree))?
            .into_iter()
            .map(|(path, _, new)| (path, new))
            .collect();
    // Every path the merge changes must be one parent's change, and every parent's change taken.
    let merged_ok = merged
        .iter()
        .all(|(path, side)| wanted.get(path).is_some_and(|w| w.as_slice() == [*side]));
    let wanted_ok = wanted
        .iter()
        .all(|(path, sides)| sides.len() == 1 && merged.get(path) == Some(&sides[0]));
    Ok(merged_ok && wanted_ok)
}
