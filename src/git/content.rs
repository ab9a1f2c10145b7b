//! Contents outside any repository: the id git gives a blob, the lines git's diff changes.

use git2::Oid;

use crate::change::FileChange;

use super::{diff, read, Result};

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
