//! A change (one commit or one patch mail) and its file changes, independent of where it came from.

use serde::{Deserialize, Serialize};

use crate::trailers::Identity;

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

/// The name aiprov gives a path (in statements, digests and findings): the path itself when it
/// is UTF-8 and does not start with `"`, else git's C-quoted form (`"a\377b"`, as `git diff`
/// shows it with `core.quotePath`). One name per path and one path per name, so two paths that
/// differ in any byte never share a name (a lossy conversion would give `a\xff` and `a\xfe` the
/// same one).
pub fn path_name(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) if !s.starts_with('"') => s.to_string(),
        _ => {
            let mut out = String::with_capacity(bytes.len() + 2);
            out.push('"');
            for &b in bytes {
                match b {
                    b'"' => out.push_str("\\\""),
                    b'\\' => out.push_str("\\\\"),
                    7 => out.push_str("\\a"),
                    8 => out.push_str("\\b"),
                    b'\t' => out.push_str("\\t"),
                    b'\n' => out.push_str("\\n"),
                    11 => out.push_str("\\v"),
                    12 => out.push_str("\\f"),
                    b'\r' => out.push_str("\\r"),
                    0x20..=0x7e => out.push(b as char),
                    _ => out.push_str(&format!("\\{b:03o}")),
                }
            }
            out.push('"');
            out
        }
    }
}

/// The path bytes of a name that [`path_name`] gave (names in other forms: their bytes).
pub fn path_bytes(name: &str) -> std::borrow::Cow<'_, [u8]> {
    match name
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .filter(|_| name.len() >= 2)
    {
        Some(_) => std::borrow::Cow::Owned(crate::patch::unquote_bytes(name.as_bytes())),
        None => std::borrow::Cow::Borrowed(name.as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_names_are_one_to_one() {
        let paths: [&[u8]; 9] = [
            b"plain/file.c",
            b"a\xffb",
            b"a\xfeb",
            "caf\u{e9}".as_bytes(),
            "cafe\u{301}".as_bytes(),
            b"\"quoted\"",
            b"tab\there",
            b"new\nline",
            b"back\\slash\"",
        ];
        let names: Vec<String> = paths.iter().map(|p| path_name(p)).collect();
        assert_eq!(names[0], "plain/file.c");
        assert_eq!(names[1], "\"a\\377b\"");
        assert_eq!(names[3], "caf\u{e9}");
        assert_eq!(names[5], "\"\\\"quoted\\\"\"");
        assert_eq!(names[6], "tab\there");
        for (p, n) in paths.iter().zip(&names) {
            assert_eq!(&path_bytes(n)[..], *p, "{n}");
        }
        let distinct: std::collections::HashSet<&String> = names.iter().collect();
        assert_eq!(distinct.len(), paths.len());
    }
}
