//! Coverage: every file change is attested, nothing else is, and each one's changed lines are
//! the attested ones.

use std::collections::{HashMap, HashSet};

use crate::change::{Change, FileChange, Status};
use crate::finding::{Code, Finding};
use crate::model::{mode_string, FileEntry};

/// Whether a file change is, by its ids alone, the attested one (the fast path: no digest needed).
pub fn same_ids(file: &FileChange, entry: &FileEntry) -> bool {
    entry.status == file.status
        && entry.old_path == file.old_path
        && entry.old_mode == mode_string(file.old_mode)
        && entry.new_mode == mode_string(file.new_mode)
        && entry.old_blob.is_some() == file.old_blob.is_some()
        && entry.new_blob.is_some() == file.new_blob.is_some()
        && entry
            .old_blob
            .as_deref()
            .zip(file.old_blob.as_deref())
            .is_none_or(|(a, b)| a == b)
        && entry
            .new_blob
            .as_deref()
            .zip(file.new_blob.as_deref())
            .is_none_or(|(a, b)| a == b)
}

/// What pairs a file change with its attested entry: path, status, old path.
pub type EntryKey<'a> = (&'a str, Status, Option<&'a str>);

/// File changes by [`EntryKey`] (the first of equal keys, as a linear search would find).
pub fn index(files: &[FileChange]) -> HashMap<EntryKey<'_>, &FileChange> {
    let mut map = HashMap::with_capacity(files.len());
    for f in files {
        map.entry((f.path.as_str(), f.status, f.old_path.as_deref()))
            .or_insert(f);
    }
    map
}

/// Attested entries by [`EntryKey`] (the first of equal keys).
pub fn entry_index(entries: &[FileEntry]) -> HashMap<EntryKey<'_>, &FileEntry> {
    let mut map = HashMap::with_capacity(entries.len());
    for e in entries {
        map.entry((e.path.as_str(), e.status, e.old_path.as_deref()))
            .or_insert(e);
    }
    map
}

/// Whether verifying `file` against the entries of a predicate (indexed by [`entry_index`])
/// needs its digest computed.
pub fn needs_digest(file: &FileChange, entries: &HashMap<EntryKey<'_>, &FileEntry>) -> bool {
    entries
        .get(&(file.path.as_str(), file.status, file.old_path.as_deref()))
        .is_some_and(|e| !same_ids(file, e))
}

/// Paths a file change touches: both sides of a rename, the new side of a copy, else its path.
fn touched(status: Status, path: &str, old_path: Option<&str>) -> Vec<String> {
    match (status, old_path) {
        (Status::Renamed, Some(old)) => vec![old.to_string(), path.to_string()],
        _ => vec![path.to_string()],
    }
}

/// Checks that the attested entries describe exactly the change's file changes.
///
/// An entry matches a file change with the same status and paths directly (equal blob ids, or
/// equal digests). Git's rename detection may pair files differently from the signer's (another
/// git version, a similarity just at the threshold), so an entry without a direct match is
/// checked as the signer paired it: `pair(entry)` computes the digest of the change between those
/// paths in the verified change (`None` if it does not make that change), and the file changes
/// whose paths the matching entries touch are covered.
pub fn check(
    change: &Change,
    entries: &[FileEntry],
    signer: &str,
    pair: &dyn Fn(&FileEntry) -> Option<FileChange>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut covered: HashSet<String> = HashSet::new();
    // Indexes, so that a change of many files costs in proportion to its size.
    let by_key = index(&change.files);
    let direct = |e: &FileEntry| {
        by_key
            .get(&(e.path.as_str(), e.status, e.old_path.as_deref()))
            .copied()
    };
    let touched_by_change: HashSet<String> = change
        .files
        .iter()
        .flat_map(|f| touched(f.status, &f.path, f.old_path.as_deref()))
        .collect();
    for entry in entries {
        if let Some(file) = direct(entry) {
            covered.extend(touched(file.status, &file.path, file.old_path.as_deref()));
            let proven = change.ids_are_objects && same_ids(file, entry);
            if !proven && file.digest.as_deref() != Some(entry.digest.as_str()) {
                findings.push(mismatch(&entry.path, signer));
            }
            continue;
        }
        let paths = touched(entry.status, &entry.path, entry.old_path.as_deref());
        let touches_change = paths.iter().any(|p| touched_by_change.contains(p));
        if rename_by_ids(change, entry)
            || pair(entry).and_then(|f| f.digest).as_deref() == Some(entry.digest.as_str())
        {
            covered.extend(paths);
        } else if touches_change {
            covered.extend(paths);
            findings.push(mismatch(&entry.path, signer));
        } else {
            findings.push(
                Finding::new(
                    Code::FileExtra,
                    format!(
                        "{} is attested but the change does not touch it",
                        entry.path
                    ),
                )
                .in_file(&entry.path),
            );
        }
    }
    for file in &change.files {
        let paths = touched(file.status, &file.path, file.old_path.as_deref());
        if !paths.iter().all(|p| covered.contains(p)) {
            findings.push(
                Finding::new(
                    Code::FileMissing,
                    format!(
                        "{} ({}) is not covered by the attestation",
                        file.path,
                        status(file)
                    ),
                )
                .in_file(&file.path),
            );
        }
    }
    findings
}

/// An attested rename that the change shows as a deletion and an addition with the same blob ids
/// and modes: the same content change, no digest needed.
fn rename_by_ids(change: &Change, entry: &FileEntry) -> bool {
    let Some(old_path) = entry
        .old_path
        .as_deref()
        .filter(|_| entry.status == Status::Renamed)
    else {
        return false;
    };
    if !change.ids_are_objects {
        return false;
    }
    let deleted = change.files.iter().any(|f| {
        f.status == Status::Deleted
            && f.path == old_path
            && f.old_blob.is_some()
            && f.old_blob == entry.old_blob
            && mode_string(f.old_mode) == entry.old_mode
    });
    let added = change.files.iter().any(|f| {
        f.status == Status::Added
            && f.path == entry.path
            && f.new_blob.is_some()
            && f.new_blob == entry.new_blob
            && mode_string(f.new_mode) == entry.new_mode
    });
    deleted && added
}

fn mismatch(path: &str, signer: &str) -> Finding {
    Finding::new(
        Code::DigestMismatch,
        format!("{path}: the changed lines differ from those {signer} attested"),
    )
    .in_file(path)
}

fn status(file: &FileChange) -> String {
    match &file.old_path {
        Some(old) => format!("{:?} from {old}", file.status).to_lowercase(),
        None => format!("{:?}", file.status).to_lowercase(),
    }
}
