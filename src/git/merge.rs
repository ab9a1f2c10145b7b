//! A merge's own changes are measured from the clean automatic merge of its parents (what `git
//! merge-tree --write-tree` makes of them), so that what a merge adds while being concluded (an
//! "evil merge", a conflict resolution) is verified like any commit's change.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use git2::{Commit, Oid, Repository};

use super::tree_diff::{changed_entries, Side};
use super::{git_command, read, CommitId, GitError, Repo, Result};

/// What every handle on a repository shares about merges: the trees their own changes are
/// measured from, and the scratch object directory `git merge-tree` writes them into (the
/// repository may be read-only).
#[derive(Default)]
pub(super) struct Merges {
    trees: Mutex<HashMap<Oid, Oid>>,
    scratch: OnceLock<tempfile::TempDir>,
}

/// A merge left to git: the commit and its two parents.
type Pending = (Oid, Oid, Oid);

impl Repo {
    /// The tree a merge commit's own changes are measured from: its own tree when it is the
    /// clean merge of its parents (proven in process, see [`in_process_clean`]), else the tree
    /// `git merge-tree --write-tree` makes of its two parents (conflict markers included, so a
    /// resolution is a change). An octopus merge that is not trivially clean is measured from
    /// its first parent: all it brings is its own.
    pub(super) fn automatic_merge_tree(&self, commit: &Commit<'_>) -> Result<Oid> {
        let tree = match self.known_merge_tree(commit.id()) {
            Some(tree) => tree,
            None => {
                let tree = match self.merge_tree_in_process(commit)? {
                    Some(tree) => tree,
                    None => self.merge_tree(&pending(commit)?)?,
                };
                self.remember_merge_tree(commit.id(), tree);
                tree
            }
        };
        self.attach_scratch()?;
        Ok(tree)
    }

    /// Works out the trees of many merges ahead of verifying them, on `jobs` threads: what
    /// cannot be decided in process goes to one `git merge-tree --stdin` per thread (a process
    /// per merge costs more than most merges). Returns how many merges were left to git. A
    /// merge that fails here is left to [`Repo::automatic_merge_tree`], which says why.
    pub fn prepare_merges(&self, commits: &[CommitId], jobs: usize) -> Result<usize> {
        let merges: Vec<Oid> = commits
            .iter()
            .map(|id| id.to_git2())
            .filter(|&id| {
                self.inner
                    .find_commit(id)
                    .is_ok_and(|c| c.parent_count() > 1)
            })
            .filter(|&id| self.known_merge_tree(id).is_none())
            .collect();
        if merges.is_empty() {
            return Ok(0);
        }
        let chunk = merges.len().div_ceil(jobs.max(1));
        let parts = merges
            .chunks(chunk)
            .map(|part| Ok((self.reopen()?, part)))
            .collect::<Result<Vec<_>>>()?;
        let left = std::thread::scope(|scope| {
            let threads: Vec<_> = parts
                .into_iter()
                .map(|(repo, part)| scope.spawn(move || repo.prepare_part(part)))
                .collect();
            threads.into_iter().map(|t| t.join().unwrap_or(0)).sum()
        });
        Ok(left)
    }

    fn prepare_part(&self, merges: &[Oid]) -> usize {
        let mut left = Vec::new();
        for &id in merges {
            let Ok(commit) = self.inner.find_commit(id) else {
                continue;
            };
            match (self.merge_tree_in_process(&commit), pending(&commit)) {
                (Ok(Some(tree)), _) => self.remember_merge_tree(id, tree),
                (Ok(None), Ok(p)) => left.push(p),
                _ => {}
            }
        }
        // A batch that fails leaves its merges to be made one by one, each with its own error.
        if let Ok(trees) = self.merge_trees(&left) {
            for ((id, ..), tree) in left.iter().zip(trees) {
                self.remember_merge_tree(*id, tree);
            }
        }
        left.len()
    }

    /// The tree a merge is measured from when it can be decided in process: its own tree when
    /// it is provably the clean merge of its parents, an octopus merge's first parent's when
    /// it is not trivially clean; `None` when only `git merge-tree` can tell.
    fn merge_tree_in_process(&self, commit: &Commit<'_>) -> Result<Option<Oid>> {
        let what = || format!("merge {}", commit.id());
        if let [ours, theirs] = commit.parent_ids().collect::<Vec<_>>().as_slice() {
            let clean = match self.merge_bases(*ours, *theirs)?.as_slice() {
                [] => false,
                bases => in_process_clean(&self.inner, commit, bases).map_err(read(what()))?,
            };
            return Ok(clean.then(|| commit.tree_id()));
        }
        if octopus_trivially_clean(&self.inner, commit).map_err(read(what()))? {
            return Ok(Some(commit.tree_id()));
        }
        Ok(Some(commit.parent(0).map_err(read(what()))?.tree_id()))
    }

    fn known_merge_tree(&self, merge: Oid) -> Option<Oid> {
        self.merges.trees.lock().ok()?.get(&merge).copied()
    }

    fn remember_merge_tree(&self, merge: Oid, tree: Oid) {
        if let Ok(mut trees) = self.merges.trees.lock() {
            trees.insert(merge, tree);
        }
    }

    /// `git merge-tree --write-tree OURS THEIRS` for one merge.
    fn merge_tree(&self, (merge, ours, theirs): &Pending) -> Result<Oid> {
        let what = || format!("the automatic merge of {ours} and {theirs} (merge {merge})");
        let out = self
            .merge_tree_command()?
            .args(["--no-messages", &ours.to_string(), &theirs.to_string()])
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

    /// `git merge-tree --stdin` for many merges, in their order. Each result is `status NUL
    /// tree NUL`, the conflicted paths each followed by NUL, then NUL.
    fn merge_trees(&self, merges: &[Pending]) -> Result<Vec<Oid>> {
        if merges.is_empty() {
            return Ok(Vec::new());
        }
        let failed = |reason: String| GitError::Merge {
            what: format!("the automatic merges of {} merge commits", merges.len()),
            reason,
        };
        let input: String = merges
            .iter()
            .map(|(_, o, t)| format!("{o} {t}\n"))
            .collect();
        let mut command = self.merge_tree_command()?;
        command.args(["--stdin", "--no-messages", "--name-only"]);
        let out = super::output_with_input(&mut command, input.as_bytes())
            .map_err(|e| failed(format!("cannot run git: {e}")))?;
        if !out.status.success() {
            return Err(failed(
                String::from_utf8_lossy(&out.stderr).trim().to_string(),
            ));
        }
        let mut fields = out.stdout.split(|&b| b == 0);
        let mut trees = Vec::with_capacity(merges.len());
        for _ in merges {
            let (Some(b"0" | b"1"), Some(tree)) = (fields.next(), fields.next()) else {
                return Err(failed("unexpected output of git merge-tree".into()));
            };
            let tree = std::str::from_utf8(tree)
                .ok()
                .and_then(|t| Oid::from_str(t).ok());
            trees.push(tree.ok_or_else(|| failed("unexpected output of git merge-tree".into()))?);
            // The conflicted paths, up to an empty field.
            while fields.next().is_some_and(|f| !f.is_empty()) {}
        }
        Ok(trees)
    }

    /// `git merge-tree --write-tree` writing its objects into the shared scratch directory, with
    /// its pack windows and delta cache bounded as libgit2's are here (`bound_memory`): a batch
    /// of merges otherwise maps ever more of the packs.
    fn merge_tree_command(&self) -> Result<std::process::Command> {
        let scratch = self.scratch()?;
        let mut c = git_command();
        c.args([
            "-c",
            "core.packedGitWindowSize=1m",
            "-c",
            "core.packedGitLimit=32m",
        ])
        .args(["-c", "core.deltaBaseCacheLimit=4m"])
        .arg("--git-dir")
        .arg(self.inner.path())
        .env("GIT_OBJECT_DIRECTORY", scratch)
        .env(
            "GIT_ALTERNATE_OBJECT_DIRECTORIES",
            self.inner.commondir().join("objects"),
        )
        .args(["merge-tree", "--write-tree"]);
        Ok(c)
    }

    /// The scratch object directory, made on first use.
    fn scratch(&self) -> Result<&std::path::Path> {
        if let Some(dir) = self.merges.scratch.get() {
            return Ok(dir.path());
        }
        let dir = tempfile::Builder::new()
            .prefix("aiprov-objects-")
            .tempdir()
            .map_err(|e| GitError::Merge {
                what: "a scratch object directory".into(),
                reason: e.to_string(),
            })?;
        // Another handle may have made one meanwhile: this one is then dropped.
        Ok(self.merges.scratch.get_or_init(|| dir).path())
    }

    /// Adds the scratch object directory, once there is one, to this handle's object database.
    fn attach_scratch(&self) -> Result<()> {
        let Some(dir) = self.merges.scratch.get() else {
            return Ok(());
        };
        if self.scratch_attached.get().is_some() {
            return Ok(());
        }
        self.inner
            .odb()
            .and_then(|odb| odb.add_disk_alternate(&dir.path().to_string_lossy()))
            .map_err(read("the scratch object directory"))?;
        let _ = self.scratch_attached.set(());
        Ok(())
    }
}

/// A two-parent merge as `git merge-tree` is given it.
fn pending(commit: &Commit<'_>) -> Result<Pending> {
    let what = || format!("merge {}", commit.id());
    Ok((
        commit.id(),
        commit.parent_id(0).map_err(read(what()))?,
        commit.parent_id(1).map_err(read(what()))?,
    ))
}

/// Whether a merge's tree is provably the clean three-way merge of its two parents, in process,
/// path by path. Only paths theirs changed since a merge base (or the merge changed against
/// ours) can differ from ours in the automatic merge; for each, the merge must hold what a
/// three-way merge makes of base, ours and theirs: the side that changed, or libgit2's clean
/// merge of the file's contents. With several merge bases (git merges them into a virtual
/// base), every such path must be the same in all of them. Anything else (a conflict, a type
/// change, a merge that differs) is left to `git merge-tree`, the authority. Soundness does not
/// rest on libgit2 merging as git does: each line of a clean three-way merge comes from the base
/// or a parent, whose changes are verified in their own commits.
fn in_process_clean(
    repo: &Repository,
    merge: &Commit<'_>,
    bases: &[Oid],
) -> std::result::Result<bool, git2::Error> {
    let (ours, theirs) = (merge.parent(0)?, merge.parent(1)?);
    let base_trees = bases
        .iter()
        .map(|b| repo.find_commit(*b)?.tree())
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let (ours_tree, theirs_tree, merge_tree) = (ours.tree()?, theirs.tree()?, merge.tree()?);
    let entry = |tree: &git2::Tree<'_>, path: &[u8]| -> Side {
        tree.get_path(std::path::Path::new(&crate::change::path_name(path)))
            .ok()
            .map(|e| (e.id(), e.filemode() as u32))
    };
    let mut paths: Vec<Vec<u8>> = changed_entries(repo, Some(&ours_tree), Some(&merge_tree))?
        .into_iter()
        .map(|(path, ..)| path)
        .collect();
    for base_tree in &base_trees {
        let by_theirs = changed_entries(repo, Some(base_tree), Some(&theirs_tree))?;
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

/// libgit2's three-way merge of one regular file changed on both sides, as the blob and mode it
/// would write; `None` when it conflicts or is not a merge of regular files' contents.
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
