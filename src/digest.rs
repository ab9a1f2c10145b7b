//! The file-change digest: binds an attestation entry to one file change, independent of line numbers
//! and context, so that it survives `git am`, rebase and cherry-pick when the changed lines are the same.
//!
//! The digest is SHA-256 over a length-prefixed encoding of: a version tag, the status, the old and
//! new paths, the old and new modes where they differ, then either the pre- and post-image blob ids (binary files) or
//! the change blocks of git's default diff. A block is a maximal run of removed and added lines
//! between two context lines; it is encoded as its removed lines, then its added lines, each line
//! with its exact bytes including its line end (a last line without a newline differs from one with).

use sha2::{Digest as _, Sha256};

use crate::change::Status;

const VERSION_TAG: &[u8] = b"aiprov-file-change-v1";

/// Incrementally builds one file-change digest.
pub struct DigestBuilder {
    hasher: Sha256,
    removed: Vec<Vec<u8>>,
    added: Vec<Vec<u8>>,
    pub added_lines: u32,
    pub removed_lines: u32,
}

/// The header fields every file-change digest starts with.
pub struct Header<'a> {
    pub status: Status,
    pub old_path: &'a str,
    pub new_path: &'a str,
    pub old_mode: u32,
    pub new_mode: u32,
}

impl DigestBuilder {
    pub fn new(header: &Header<'_>) -> Self {
        let mut b = DigestBuilder {
            hasher: Sha256::new(),
            removed: Vec::new(),
            added: Vec::new(),
            added_lines: 0,
            removed_lines: 0,
        };
        b.field(VERSION_TAG);
        b.field(&[header.status.letter() as u8]);
        b.field(header.old_path.as_bytes());
        b.field(header.new_path.as_bytes());
        // Modes count only where the patch shows them: when they differ (a mode change, an added
        // or a deleted file); an unchanged mode is not part of the change.
        let (old_mode, new_mode) = if header.old_mode == header.new_mode {
            (0, 0)
        } else {
            (header.old_mode, header.new_mode)
        };
        b.field(format!("{old_mode:o}").as_bytes());
        b.field(format!("{new_mode:o}").as_bytes());
        b
    }

    fn field(&mut self, bytes: &[u8]) {
        self.hasher.update((bytes.len() as u64).to_be_bytes());
        self.hasher.update(bytes);
    }

    /// A removed line, with its line end if it has one.
    pub fn removed(&mut self, line: &[u8]) {
        self.removed.push(line.to_vec());
        self.removed_lines += 1;
    }

    /// An added line, with its line end if it has one.
    pub fn added(&mut self, line: &[u8]) {
        self.added.push(line.to_vec());
        self.added_lines += 1;
    }

    /// Ends the current change block (at a context line or a hunk boundary). Harmless when empty.
    pub fn end_block(&mut self) {
        if self.removed.is_empty() && self.added.is_empty() {
            return;
        }
        self.field(b"@");
        let removed = std::mem::take(&mut self.removed);
        let added = std::mem::take(&mut self.added);
        for line in &removed {
            self.hasher.update(b"-");
            self.field(line);
        }
        for line in &added {
            self.hasher.update(b"+");
            self.field(line);
        }
    }

    /// Binary content: the digest covers the pre- and post-image blob ids instead of lines.
    pub fn binary(&mut self, old_blob: Option<&str>, new_blob: Option<&str>) {
        self.field(b"binary");
        self.field(old_blob.unwrap_or("").as_bytes());
        self.field(new_blob.unwrap_or("").as_bytes());
    }

    /// The digest as lowercase hex.
    pub fn finish(mut self) -> String {
        self.end_block();
        hex::encode(self.hasher.finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header<'static> {
        Header {
            status: Status::Modified,
            old_path: "a.c",
            new_path: "a.c",
            old_mode: 0o100644,
            new_mode: 0o100644,
        }
    }

    fn digest(blocks: &[&[(char, &str)]]) -> String {
        let mut b = DigestBuilder::new(&header());
        for block in blocks {
            for (sign, line) in *block {
                match sign {
                    '-' => b.removed(line.as_bytes()),
                    _ => b.added(line.as_bytes()),
                }
            }
            b.end_block();
        }
        b.finish()
    }

    #[test]
    fn interleaved_and_grouped_lines_of_one_block_agree() {
        let grouped = digest(&[&[('-', "a\n"), ('-', "b\n"), ('+', "c\n"), ('+', "d\n")]]);
        let interleaved = digest(&[&[('-', "a\n"), ('+', "c\n"), ('-', "b\n"), ('+', "d\n")]]);
        assert_eq!(grouped, interleaved);
    }

    #[test]
    fn block_boundaries_line_ends_and_signs_matter() {
        let one = digest(&[&[('+', "a\n"), ('+', "b\n")]]);
        let two = digest(&[&[('+', "a\n")], &[('+', "b\n")]]);
        let no_eol = digest(&[&[('+', "a\n"), ('+', "b")]]);
        let removed = digest(&[&[('-', "a\n"), ('+', "b\n")]]);
        let joined = digest(&[&[('+', "a\nb\n")]]);
        let all = [&one, &two, &no_eol, &removed, &joined];
        for (i, x) in all.iter().enumerate() {
            for y in &all[i + 1..] {
                assert_ne!(x, y);
            }
        }
    }

    #[test]
    fn header_fields_matter() {
        let base = DigestBuilder::new(&header()).finish();
        let mut h = header();
        h.new_mode = 0o100755;
        assert_ne!(base, DigestBuilder::new(&h).finish());
        let mut h = header();
        (h.old_mode, h.new_mode) = (0o100755, 0o100755);
        assert_eq!(
            base,
            DigestBuilder::new(&h).finish(),
            "an unchanged mode is not part of the change"
        );
        let mut h = header();
        h.new_path = "b.c";
        assert_ne!(base, DigestBuilder::new(&h).finish());
        let mut h = header();
        h.status = Status::Renamed;
        assert_ne!(base, DigestBuilder::new(&h).finish());
    }
}
