//! A tree-to-tree diff that descends only into subtrees whose ids differ, so the cost of a commit
//! follows the size of its change rather than the size of the repository. Rename detection is
//! left to libgit2 (used only when a commit both adds and deletes files).

use std::collections::BTreeMap;

use git2::{Oid, Repository, Tree};

use crate::change::{FileChange, Status};

const TREE_MODE: u32 = 0o040000;
const TYPE_MASK: u32 = 0o170000;

type Side = Option<(Oid, u32)>;

/// The file changes between two trees (`None`: the empty tree), sorted by path, without renames.
pub(crate) fn changed_files(
    repo: &Repository,
    old: Option<&Tree<'_>>,
    new: Option<&Tree<'_>>,
) -> Result<Vec<FileChange>, git2::Error> {
    let mut out = Vec::new();
    walk(repo, old, new, "", &mut out)?;
    out.sort_by(|a: &(String, Side, Side), b| a.0.as_bytes().cmp(b.0.as_bytes()));
    Ok(out
        .into_iter()
        .map(|(path, old, new)| file_change(path, old, new))
        .collect())
}

fn entries(tree: Option<&Tree<'_>>) -> Vec<(Vec<u8>, Oid, u32)> {
    tree.map(|t| {
        t.iter()
            .map(|e| (e.name_bytes().to_vec(), e.id(), e.filemode() as u32))
            .collect()
    })
    .unwrap_or_default()
}

fn walk(
    repo: &Repository,
    old: Option<&Tree<'_>>,
    new: Option<&Tree<'_>>,
    prefix: &str,
    out: &mut Vec<(String, Side, Side)>,
) -> Result<(), git2::Error> {
    let mut names: BTreeMap<Vec<u8>, (Side, Side)> = BTreeMap::new();
    for (name, id, mode) in entries(old) {
        names.entry(name).or_default().0 = Some((id, mode));
    }
    for (name, id, mode) in entries(new) {
        names.entry(name).or_default().1 = Some((id, mode));
    }
    for (name, (o, n)) in names {
        if o == n {
            continue;
        }
        let path = format!("{prefix}{}", String::from_utf8_lossy(&name));
        let is_tree = |s: &Side| s.is_some_and(|(_, m)| m == TREE_MODE);
        let subtree = |s: &Side| -> Result<Option<Tree<'_>>, git2::Error> {
            match s {
                Some((id, m)) if *m == TREE_MODE => Ok(Some(repo.find_tree(*id)?)),
                _ => Ok(None),
            }
        };
        let (old_tree, new_tree) = (subtree(&o)?, subtree(&n)?);
        if is_tree(&o) || is_tree(&n) {
            walk(
                repo,
                old_tree.as_ref(),
                new_tree.as_ref(),
                &format!("{path}/"),
                out,
            )?;
        }
        // The non-tree sides at this path: a file that a directory replaced, or the other way.
        let (o_file, n_file) = (o.filter(|_| !is_tree(&o)), n.filter(|_| !is_tree(&n)));
        if o_file.is_some() || n_file.is_some() {
            out.push((path, o_file, n_file));
        }
    }
    Ok(())
}

fn file_change(path: String, old: Side, new: Side) -> FileChange {
    let status = match (old, new) {
        (None, _) => Status::Added,
        (_, None) => Status::Deleted,
        (Some((_, om)), Some((_, nm))) if om & TYPE_MASK != nm & TYPE_MASK => Status::Typechange,
        _ => Status::Modified,
    };
    FileChange {
        path,
        old_path: None,
        status,
        old_mode: old.map_or(0, |(_, m)| m),
        new_mode: new.map_or(0, |(_, m)| m),
        old_blob: old.map(|(id, _)| id.to_string()),
        new_blob: new.map(|(id, _)| id.to_string()),
        binary: false,
        digest: None,
        added_lines: 0,
        removed_lines: 0,
    }
}
