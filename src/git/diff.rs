//! File changes of a commit against its first parent, as git's default diff shows them
//! (Myers with the indent heuristic, rename detection), with their file-change digests.

use git2::{Delta, Diff, DiffFindOptions, DiffOptions, Oid, Repository, Tree};

use crate::change::{FileChange, Status};
use crate::digest::{DigestBuilder, Header};

/// Git's default rename limit for `git diff`, `git log` and `git format-patch`.
const RENAME_LIMIT: usize = 1000;

/// The tree diff between `old` (None: the empty tree) and `new`, renames detected, without content.
pub(crate) fn tree_diff<'r>(
    repo: &'r Repository,
    old: Option<&Tree<'_>>,
    new: &Tree<'_>,
) -> Result<Diff<'r>, git2::Error> {
    let mut opts = DiffOptions::new();
    opts.indent_heuristic(true)
        .context_lines(0)
        .interhunk_lines(0)
        .ignore_submodules(false)
        .include_typechange(true);
    let mut diff = repo.diff_tree_to_tree(old, Some(new), Some(&mut opts))?;
    let mut find = DiffFindOptions::new();
    find.renames(true).rename_limit(RENAME_LIMIT);
    diff.find_similar(Some(&mut find))?;
    Ok(diff)
}

fn status_of(delta: Delta) -> Option<Status> {
    Some(match delta {
        Delta::Added => Status::Added,
        Delta::Deleted => Status::Deleted,
        Delta::Modified => Status::Modified,
        Delta::Renamed => Status::Renamed,
        Delta::Copied => Status::Copied,
        Delta::Typechange => Status::Typechange,
        _ => return None,
    })
}

fn path_of(file: &git2::DiffFile<'_>) -> String {
    file.path_bytes()
        .map(crate::change::path_name)
        .unwrap_or_default()
}

fn oid_of(file: &git2::DiffFile<'_>) -> Option<String> {
    (!file.id().is_zero()).then(|| file.id().to_string())
}

/// The file changes of `diff`, without digests (cheap: no blob content is read).
pub(crate) fn file_changes(diff: &Diff<'_>) -> Vec<FileChange> {
    diff.deltas()
        .filter_map(|delta| {
            let status = status_of(delta.status())?;
            let old = delta.old_file();
            let new = delta.new_file();
            let (path, old_path) = match status {
                Status::Deleted => (path_of(&old), None),
                Status::Renamed | Status::Copied => (path_of(&new), Some(path_of(&old))),
                _ => (path_of(&new), None),
            };
            Some(FileChange {
                path,
                old_path,
                status,
                old_mode: if status == Status::Added {
                    0
                } else {
                    u32::from(old.mode())
                },
                new_mode: if status == Status::Deleted {
                    0
                } else {
                    u32::from(new.mode())
                },
                old_blob: oid_of(&old),
                new_blob: oid_of(&new),
                binary: false,
                digest: None,
                added_lines: 0,
                removed_lines: 0,
            })
        })
        .collect()
}

/// Git's rule for binary content: a NUL byte among the first 8000 bytes.
pub(super) fn looks_binary(content: &[u8]) -> bool {
    content.iter().take(8000).any(|&b| b == 0)
}

const GITLINK_MODE: u32 = 0o160000;

/// Computes the digest of the file change at `index` of `diff` (`file` is `file_changes(diff)[index]`).
pub(crate) fn compute_digest(
    repo: &Repository,
    diff: &Diff<'_>,
    index: usize,
    file: &mut FileChange,
) -> Result<(), git2::Error> {
    digest_with(repo, file, || git2::Patch::from_diff(diff, index))
}

/// Computes the digest of a file change given by its blobs alone (any pairing of old and new).
/// A side that is a blob is diffed as the blob (libgit2 knows its id; from a buffer it would hash
/// it again, which was 40% of the time of a release's line counts).
pub(crate) fn compute_pair_digest(
    repo: &Repository,
    file: &mut FileChange,
) -> Result<(), git2::Error> {
    let old_path = super::fs_path(file.old_path.as_deref().unwrap_or(&file.path));
    let new_path = super::fs_path(&file.path);
    let blob = |id: Option<&str>| -> Result<Option<git2::Blob<'_>>, git2::Error> {
        id.map(|id| repo.find_blob(Oid::from_str(id)?)).transpose()
    };
    // Type changes and submodules are digested from their sides by `digest_with` itself.
    let (old, new) = if is_whole(file) {
        (None, None)
    } else {
        (
            blob(file.old_blob.as_deref())?,
            blob(file.new_blob.as_deref())?,
        )
    };
    digest_with(repo, file, || {
        let mut opts = DiffOptions::new();
        opts.indent_heuristic(true)
            .context_lines(0)
            .interhunk_lines(0);
        let (old_path, new_path, opts) = (Some(&*old_path), Some(&*new_path), Some(&mut opts));
        match (&old, &new) {
            (Some(old), Some(new)) => git2::Patch::from_blobs(old, old_path, new, new_path, opts),
            (Some(old), None) => {
                git2::Patch::from_blob_and_buffer(old, old_path, &[], new_path, opts)
            }
            (None, new) => git2::Patch::from_buffers(
                &[],
                old_path,
                new.as_ref().map_or(&[][..], |b| b.content()),
                new_path,
                opts,
            ),
        }
        .map(Some)
    })
}

/// Computes the digest of a file change from the contents of its two sides.
pub(crate) fn digest_of_buffers(
    file: &mut FileChange,
    old: &[u8],
    new: &[u8],
) -> Result<(), git2::Error> {
    let old_path = file.old_path.clone().unwrap_or_else(|| file.path.clone());
    let new_path = file.path.clone();
    let mut b = DigestBuilder::new(&header(file));
    let mut opts = DiffOptions::new();
    opts.indent_heuristic(true)
        .context_lines(0)
        .interhunk_lines(0);
    let patch = git2::Patch::from_buffers(
        old,
        Some(&super::fs_path(&old_path)),
        new,
        Some(&super::fs_path(&new_path)),
        Some(&mut opts),
    )?;
    walk_patch(&patch, &mut b)?;
    file.added_lines = b.added_lines;
    file.removed_lines = b.removed_lines;
    file.digest = Some(b.finish());
    Ok(())
}

/// The 1-based numbers of the lines git's diff removes from `old` and adds in `new`.
pub(crate) fn changed_line_numbers(
    old: &[u8],
    new: &[u8],
) -> Result<(Vec<usize>, Vec<usize>), git2::Error> {
    let mut opts = DiffOptions::new();
    opts.indent_heuristic(true)
        .context_lines(0)
        .interhunk_lines(0);
    let patch = git2::Patch::from_buffers(old, None, new, None, Some(&mut opts))?;
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    for h in 0..patch.num_hunks() {
        for l in 0..patch.num_lines_in_hunk(h)? {
            let line = patch.line_in_hunk(h, l)?;
            match (line.origin(), line.old_lineno(), line.new_lineno()) {
                ('-', Some(n), _) => removed.push(n as usize),
                ('+', _, Some(n)) => added.push(n as usize),
                _ => {}
            }
        }
    }
    Ok((removed, added))
}

/// Feeds a text patch's removed and added lines into a digest, block by block.
fn walk_patch(patch: &git2::Patch<'_>, b: &mut DigestBuilder) -> Result<(), git2::Error> {
    for h in 0..patch.num_hunks() {
        b.end_block();
        for l in 0..patch.num_lines_in_hunk(h)? {
            let line = patch.line_in_hunk(h, l)?;
            match line.origin() {
                '-' => b.removed(line.content()),
                '+' => b.added(line.content()),
                ' ' => b.end_block(),
                _ => {}
            }
        }
    }
    Ok(())
}

/// Whether git shows this change as a removal of the whole old side and an addition of the new.
fn is_whole(file: &FileChange) -> bool {
    file.status == Status::Typechange
        || file.old_mode == GITLINK_MODE
        || file.new_mode == GITLINK_MODE
}

fn digest_with<'a>(
    repo: &Repository,
    file: &mut FileChange,
    patch: impl FnOnce() -> Result<Option<git2::Patch<'a>>, git2::Error>,
) -> Result<(), git2::Error> {
    let mut b = DigestBuilder::new(&header(file));
    if is_whole(file) {
        // Git shows these as a deletion of the old side and an addition of the new side.
        let old = side_content(repo, file.old_blob.as_deref(), file.old_mode)?;
        let new = side_content(repo, file.new_blob.as_deref(), file.new_mode)?;
        if looks_binary(&old) || looks_binary(&new) {
            file.binary = true;
            b.binary(file.old_blob.as_deref(), file.new_blob.as_deref());
        } else {
            for line in old.split_inclusive(|&c| c == b'\n') {
                b.removed(line);
            }
            b.end_block();
            for line in new.split_inclusive(|&c| c == b'\n') {
                b.added(line);
            }
        }
    } else {
        match patch()? {
            Some(patch) if !patch.delta().flags().is_binary() => walk_patch(&patch, &mut b)?,
            _ => {
                file.binary = true;
                b.binary(file.old_blob.as_deref(), file.new_blob.as_deref());
            }
        }
    }
    file.added_lines = b.added_lines;
    file.removed_lines = b.removed_lines;
    file.digest = Some(b.finish());
    Ok(())
}

/// The content git diffs for one side of an entry: a blob, or `Subproject commit <id>` for a submodule.
fn side_content(repo: &Repository, id: Option<&str>, mode: u32) -> Result<Vec<u8>, git2::Error> {
    let Some(id) = id else { return Ok(Vec::new()) };
    if mode == GITLINK_MODE {
        return Ok(format!("Subproject commit {id}\n").into_bytes());
    }
    Ok(repo.find_blob(Oid::from_str(id)?)?.content().to_vec())
}

fn header(f: &FileChange) -> Header<'_> {
    Header {
        status: f.status,
        old_path: f.old_path.as_deref().unwrap_or(&f.path),
        new_path: &f.path,
        old_mode: f.old_mode,
        new_mode: f.new_mode,
    }
}
