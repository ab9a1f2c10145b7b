//! A merge's own changes are measured from the clean automatic merge of its parents (what `git
//! merge-tree --write-tree` makes of them), so that what a merge adds while being concluded (an
//! "evil merge", a conflict resolution) is verified like any commit's change.

use std::collections::HashMap;

use git2::{Commit, Oid, Repository};

use super::tree_diff::{changed_entries, Side};
use super::{git_command, read, GitError, Repo, Result};

impl Repo {
    /// The tree a merge commit's own changes are measured from: its own tree when it is the
    /// trivially clean merge of its parents, else the tree `git merge-tree --write-tree` makes of
    /// its two parents (conflict markers included, so a resolution is a change). An octopus merge
    /// that is not trivially clean is measured from its first parent: all it brings is its own.
    pub(super) fn automatic_merge_tree(&self, commit: &Commit<'_>) -> Result<Oid> {
        let what = || format!("merge {}", commit.id());
        let parents: Vec<Oid> = commit.parent_ids().collect();
        let clean = match parents.as_slice() {
            [ours, theirs] => match self.merge_bases(*ours, *theirs)?.as_slice() {
                [] => Ok(false),
                bases => in_process_clean(&self.inner, commit, bases),
            },
            _ => octopus_trivially_clean(&self.inner, commit),
        };
        if clean.map_err(read(what()))? {
            return Ok(commit.tree_id());
        }
        match parents.as_slice() {
            [ours, theirs] => self.merge_tree(*ours, *theirs),
            _ => Ok(commit.parent(0).map_err(read(what()))?.tree_id()),
        }
    }

    /// `git merge-tree --write-tree OURS THEIRS`, writing its objects into a scratch object
    /// directory of this handle's (the repository may be read-only), which libgit2 then reads too.
    fn merge_tree(&self, ours: Oid, theirs: Oid) -> Result<Oid> {
        let what = || format!("the automatic merge of {ours} and {theirs}");
        let scratch = self.scratch_objects()?;
        let objects = self.inner.commondir().join("objects");
        let out = git_command()
            .arg("--git-dir")
            .arg(self.inner.path())
            .env("GIT_OBJECT_DIRECTORY", scratch)
            .env("GIT_ALTERNATE_OBJECT_DIRECTORIES", &objects)
            .args(["merge-tree", "--write-tree", "--no-messages"])
            .arg(ours.to_string())
            .arg(theirs.to_string())
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

    /// The scratch object directory, made and added to libgit2's object database on first use.
    fn scratch_objects(&self) -> Result<&std::path::Path> {
        if let Some(dir) = self.scratch.get() {
            return Ok(dir.path());
        }
        let dir = tempfile::Builder::new()
            .prefix("aiprov-objects-")
            .tempdir()
            .map_err(|e| GitError::Merge {
                what: "a scratch object directory".into(),
                reason: e.to_string(),
            })?;
        self.inner
            .odb()
            .and_then(|odb| odb.add_disk_alternate(&dir.path().to_string_lossy()))
            .map_err(read("the scratch object directory"))?;
        Ok(self.scratch.get_or_init(|| dir).path())
    }
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
        let mut in_bases = base_trees.iter().map(|t| entry(t, path));
        let base = in_bases.next().flatten();
        if in_bases.any(|b| b != base) {
            return Ok(false);
        }
        let (ours, theirs) = (entry(&ours_tree, path), entry(&theirs_tree, path));
        let merged = entry(&merge_tree, path);
        let clean = if theirs == base || ours == theirs {
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
