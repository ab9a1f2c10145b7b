//! A change (one commit or one patch mail) and its file changes, independent of where it came from.

use serde::{Deserialize, Serialize};

use crate::trailers::Identity;

/// A change's paths are named by [`path_name`] (`git/` names them from here).
pub use crate::text::{path_bytes, path_name};

/// How one entry of a change's diff touches its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Added,
    Modified,
    Deleted,
    Renamed,
    Copied,
    /// The entry changed kind: regular file, symlink or submodule.
    Typechange,
}

impl Status {
    /// One-letter code as in `git diff --name-status`.
    pub fn letter(self) -> char {
        match self {
            Status::Added => 'A',
            Status::Modified => 'M',
            Status::Deleted => 'D',
            Status::Renamed => 'R',
            Status::Copied => 'C',
            Status::Typechange => 'T',
        }
    }
}

/// One file change: the unit that an attestation's subject entries cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// The path after the change (the old path for a deletion).
    pub path: String,
    /// The path before a rename or copy.
    pub old_path: Option<String>,
    pub status: Status,
    /// Git modes in octal (`100644`, `100755`, `120000`, `160000`); 0 where that side does not exist.
    pub old_mode: u32,
    pub new_mode: u32,
    /// Blob (or submodule commit) ids, where that side exists.
    pub old_blob: Option<String>,
    pub new_blob: Option<String>,
    pub binary: bool,
    /// The file-change digest (see [`crate::digest`]), lowercase hex. `None` until computed.
    pub digest: Option<String>,
    /// Lines added and removed, when the digest was computed from a text diff.
    pub added_lines: u32,
    pub removed_lines: u32,
}

impl FileChange {
    /// The name this file change is known by in attestations: the new path, or the old one for a deletion.
    pub fn name(&self) -> &str {
        &self.path
    }
}

/// The longest commit message aiprov reads (a commit's, or the one a patch mail makes): ten
/// times the longest in the histories of git, Linux and QEMU; 10,000 trailers fit.
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;

/// One change: a commit or a patch mail, with the facts verification needs.
#[derive(Debug, Clone)]
pub struct Change {
    /// Commit id, or the mail's Message-ID.
    pub id: String,
    /// The full commit message as git would store it.
    pub message: String,
    pub author: Identity,
    /// The first parent commit id, when known.
    pub parent: Option<String>,
    /// Number of parents (2 or more: a merge, whose change is measured from the automatic merge
    /// of its parents).
    pub parent_count: usize,
    pub files: Vec<FileChange>,
    /// Whether the files' blob ids name real objects (a commit's), so that ids equal to the
    /// attested ones prove the same change. A mail's ids are the mail's own claim: its digests
    /// are always compared.
    pub ids_are_objects: bool,
}

impl Change {
    /// The subject line: the first paragraph of the message joined into one line, as git shows it.
    pub fn title(&self) -> String {
        self.message
            .lines()
            .take_while(|l| !l.trim().is_empty())
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" ")
    }
}
