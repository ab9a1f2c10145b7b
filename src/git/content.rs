//! Contents outside any repository: the id git gives a blob, the lines git's diff changes, a
//! file change's digest from its two sides.

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

/// Computes the digest of a file change from the contents of its two sides (a mail's, which
/// carries no objects), with git's diff; sets its added and removed line counts too.
pub fn digest_of_buffers(file: &mut FileChange, old: &[u8], new: &[u8]) -> Result<()> {
    diff::digest_of_buffers(file, old, new).map_err(read(format!("a diff of {}", file.path)))
}
