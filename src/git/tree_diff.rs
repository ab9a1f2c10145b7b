//! A tree-to-tree diff that descends only into subtrees whose ids differ, so the cost of a commit
//! follows the size of its change rather than the size of the repository. Rename detection is
//! left to libgit2 (used only when a commit both adds and deletes files).

use git2::{Oid, Repository, Tree};

use crate::change::{FileChange, Status};

/// The deepest tree the diff descends into, as git's `core.maxTreeDepth` bounds it (git itself
/// refuses deeper trees; fast-import makes them).
pub const MAX_TREE_DEPTH: usize = 2048;

const TREE_MODE: u32 = 0o040000;
const TYPE_MASK: u32 = 0o170000;

pub(crate) type Side = Option<(Oid, u32)>;
pub(crate) type Entry = (Vec<u8>, Side, Side);

/// A pair of subtrees still to compare: old, new, their path with a trailing `/`, their depth.
type Level<'r> = (Option<Tree<'r>>, Option<Tree<'r>>, Vec<u8>, usize);

/// The file changes between two trees (`None`: the empty tree), sorted by path, without renames.
/// Subtrees are compared from a work list, not by recursion: the stack does not grow with depth.
pub(crate) fn changed_files<'r>(
    repo: &'r Repository,
    old: Option<&Tree<'r>>,
    new: Option<&Tree<'r>>,
) -> Result<Vec<FileChange>, git2::Error> {
    Ok(changed_entries(repo, old, new)?
        .into_iter()
        .map(|(path, old, new)| file_change(crate::change::path_name(&path), old, new))
        .collect())
}

/// The paths of non-tree entries that differ between two trees, sorted, with their (id, mode)
/// on each side (`None` where absent).
pub(crate) fn changed_entries<'r>(
    repo: &'r Repository,
    old: Option<&Tree<'r>>,
    new: Option<&Tree<'r>>,
) -> Result<Vec<Entry>, git2::Error> {
    let mut out = Vec::new();
    let mut pending: Vec<Level<'r>> = vec![(old.cloned(), new.cloned(), Vec::new(), 0)];
    while let Some((o, n, prefix, depth)) = pending.pop() {
        walk(
            repo,
            o.as_ref(),
            n.as_ref(),
            &prefix,
            depth,
            &mut out,
            &mut pending,
        )?;
    }
    out.sort_by(|a: &Entry, b| a.0.cmp(&b.0));
    Ok(out)
}

/// git's order of tree entries: by name, a subtree compared as if its name ended in `/`.
fn git_order(a: &[u8], a_tree: bool, b: &[u8], b_tree: bool) -> std::cmp::Ordering {
    let key = |name: &[u8], tree: bool, i: usize| -> Option<u8> {
        match name.get(i) {
            Some(&c) => Some(c),
            None if tree && i == name.len() => Some(b'/'),
            None => None,
        }
    };
    let mut i = 0;
    loop {
        match (key(a, a_tree, i), key(b, b_tree, i)) {
            (None, None) => return std::cmp::Ordering::Equal,
            (x, y) if x != y => return x.cmp(&y),
            _ => i += 1,
        }
    }
}

/// Compares one level of two trees: file changes go to `out`, differing subtrees to `pending`.
fn walk<'r>(
    repo: &'r Repository,
    old: Option<&Tree<'r>>,
    new: Option<&Tree<'r>>,
    prefix: &[u8],
    depth: usize,
    out: &mut Vec<Entry>,
    pending: &mut Vec<Level<'r>>,
) -> Result<(), git2::Error> {
    if depth > MAX_TREE_DEPTH {
        let start: String = crate::change::path_name(prefix).chars().take(40).collect();
        return Err(git2::Error::from_str(&format!(
            "the tree is deeper than {MAX_TREE_DEPTH} levels (at {start}...)"
        )));
    }
    let side = |e: &git2::TreeEntry<'_>| Some((e.id(), e.filemode() as u32));
    let is_tree = |e: &git2::TreeEntry<'_>| e.filemode() as u32 == TREE_MODE;
    let mut olds = old.into_iter().flat_map(|t| t.iter()).peekable();
    let mut news = new.into_iter().flat_map(|t| t.iter()).peekable();
    loop {
        // The next name in git order, from either side or both (entries of the same name pair up
        // even when one side is a tree and the other is not).
        let (o, n) = match (olds.peek(), news.peek()) {
            (None, None) => break,
            (Some(_), None) => (olds.next(), None),
            (None, Some(_)) => (None, news.next()),
            (Some(a), Some(b)) if a.name_bytes() == b.name_bytes() => (olds.next(), news.next()),
            (Some(a), Some(b)) => {
                match git_order(a.name_bytes(), is_tree(a), b.name_bytes(), is_tree(b)) {
                    std::cmp::Ordering::Greater => (None, news.next()),
                    _ => (olds.next(), None),
                }
            }
        };
        let (os, ns) = (o.as_ref().and_then(side), n.as_ref().and_then(side));
        if os == ns {
            continue;
        }
        let name = o
            .as_ref()
            .or(n.as_ref())
            .map(|e| e.name_bytes().to_vec())
            .unwrap_or_default();
        let path = [prefix, &name].concat();
        let o_tree = o.as_ref().filter(|e| is_tree(e));
        let n_tree = n.as_ref().filter(|e| is_tree(e));
        if o_tree.is_some() || n_tree.is_some() {
            let ot = o_tree.map(|e| repo.find_tree(e.id())).transpose()?;
            let nt = n_tree.map(|e| repo.find_tree(e.id())).transpose()?;
            pending.push((ot, nt, [&path[..], b"/"].concat(), depth + 1));
        }
        // The non-tree sides at this path: a file that a directory replaced, or the other way.
        let o_file = o.as_ref().filter(|e| !is_tree(e)).and_then(side);
        let n_file = n.as_ref().filter(|e| !is_tree(e)).and_then(side);
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
