//! Coverage: every file change is attested, nothing else is, and each one's changed lines are
//! the attested ones.

use super::finding::{Code, Finding};
use crate::change::{Change, FileChange};
use crate::model::{mode_string, AiUsage, FileEntry};

/// Whether a file change is, by its ids alone, the attested one (the fast path: no digest needed).
pub fn same_ids(file: &FileChange, entry: &FileEntry) -> bool {
    entry.status == file.status
        && entry.old_path == file.old_path
        && entry.old_mode == mode_string(file.old_mode)
        && entry.new_mode == mode_string(file.new_mode)
        && entry.old_blob.is_some() == file.old_blob.is_some()
        && entry.new_blob.is_some() == file.new_blob.is_some()
        && entry.old_blob.as_deref().zip(file.old_blob.as_deref()).is_none_or(|(a, b)| a == b)
        && entry.new_blob.as_deref().zip(file.new_blob.as_deref()).is_none_or(|(a, b)| a == b)
}

/// The attested entry for a file change, by path.
pub fn entry_for<'a>(file: &FileChange, predicate: &'a AiUsage) -> Option<&'a FileEntry> {
    predicate.files.iter().find(|e| e.path == file.path)
}

/// Whether verifying `file` against `predicate` needs its digest computed.
pub fn needs_digest(file: &FileChange, predicate: &AiUsage) -> bool {
    entry_for(file, predicate).is_some_and(|e| !same_ids(file, e))
}

pub fn check(change: &Change, predicate: &AiUsage, signer: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    for file in &change.files {
        match entry_for(file, predicate) {
            None => findings.push(
                Finding::new(
                    Code::FileMissing,
                    format!("{} ({}) is not covered by the attestation", file.path, status(file)),
                )
                .in_file(&file.path),
            ),
            Some(entry) if same_ids(file, entry) => {}
            Some(entry) => {
                if file.digest.as_deref() != Some(entry.digest.as_str()) {
                    findings.push(
                        Finding::new(
                            Code::DigestMismatch,
                            format!(
                                "{}: the changed lines differ from those {signer} attested",
                                file.path
                            ),
                        )
                        .in_file(&file.path),
                    );
                }
            }
        }
    }
    for entry in &predicate.files {
        if !change.files.iter().any(|f| f.path == entry.path) {
            findings.push(
                Finding::new(
                    Code::FileExtra,
                    format!("{} is attested but the change does not touch it", entry.path),
                )
                .in_file(&entry.path),
            );
        }
    }
    findings
}

fn status(file: &FileChange) -> String {
    match &file.old_path {
        Some(old) => format!("{:?} from {old}", file.status).to_lowercase(),
        None => format!("{:?}", file.status).to_lowercase(),
    }
}
