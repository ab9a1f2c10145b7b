//! Parsing git's diff format (`git diff`, `git log -p`, `git format-patch`) into file changes
//! with their file-change digests, so that a patch mail is checked exactly like a commit.

use thiserror::Error;

use crate::change::{FileChange, Status};
use crate::digest::{DigestBuilder, Header};
use crate::text::{path_name, unquote_bytes};

#[derive(Debug, Error, PartialEq, Eq)]
pub enum PatchError {
    #[error("line {line}: {message}")]
    Malformed { line: usize, message: String },
}

#[derive(Default)]
struct Section {
    old_path: Option<String>,
    new_path: Option<String>,
    header_path: Option<(String, String)>,
    added: bool,
    deleted: bool,
    renamed: bool,
    copied: bool,
    old_mode: Option<u32>,
    new_mode: Option<u32>,
    index: Option<(String, String, Option<u32>)>,
    binary: bool,
    /// (sign, line) pairs; sign b'@' marks a block boundary.
    lines: Vec<(u8, Vec<u8>)>,
}

/// The file sections of a diff by path, each with the range of its lines (headers and hunks),
/// found in one pass: looking up every file of a diff of thousands of files costs one parse.
pub struct DiffSections<'a> {
    lines: Vec<&'a [u8]>,
    by_path: std::collections::HashMap<String, (Section, std::ops::Range<usize>)>,
}

impl<'a> DiffSections<'a> {
    /// Indexes `diff` up to its first malformed section (the first section of a path counts).
    pub fn new(diff: &'a [u8]) -> DiffSections<'a> {
        let lines: Vec<&[u8]> = diff.split_inclusive(|&b| b == b'\n').collect();
        let mut by_path = std::collections::HashMap::new();
        let mut i = 0;
        while i < lines.len() {
            let Some(rest) = lines[i].strip_prefix(b"diff --git ") else {
                i += 1;
                continue;
            };
            let mut s = Section {
                header_path: header_paths(trim_eol(rest)),
                ..Section::default()
            };
            let start = i + 1;
            match parse_section(&lines, start, &mut s) {
                Ok(next) => i = next,
                Err(_) => break,
            }
            if let Some(path) = path_of(&s) {
                by_path.entry(path).or_insert((s, start..i));
            }
        }
        DiffSections { lines, by_path }
    }

    fn section(&self, path: &str) -> Option<(&Section, std::ops::Range<usize>)> {
        self.by_path.get(path).map(|(s, r)| (s, r.clone()))
    }
}

/// The whole content of one side of a file that the diff adds (`new`) or deletes (not `new`):
/// all its lines are in the diff. `None` for other sections and binary files.
pub fn whole_side(text: &[u8], path: &str, new: bool) -> Option<Vec<u8>> {
    DiffSections::new(text).whole_side(path, new)
}

/// The new content of `path` once the diff's hunks are applied to `old` (see
/// [`DiffSections::apply`]).
pub fn apply(diff: &[u8], path: &str, old: &[u8]) -> Option<Vec<u8>> {
    DiffSections::new(diff).apply(path, old)
}

impl DiffSections<'_> {
    /// [`whole_side`] of an indexed diff.
    pub fn whole_side(&self, path: &str, new: bool) -> Option<Vec<u8>> {
        let (s, _) = self.section(path)?;
        let whole = if new { s.added } else { s.deleted };
        if !whole || s.binary {
            return None;
        }
        let sign = if new { b'+' } else { b'-' };
        Some(
            s.lines
                .iter()
                .filter(|(g, _)| *g == sign)
                .flat_map(|(_, l)| l.clone())
                .collect(),
        )
    }

    /// The new content of `path` once the diff's hunks are applied to `old`, the exact pre-image
    /// the diff was made from. `None` when the diff has no text section for `path` or a hunk does
    /// not fit `old` line for line.
    pub fn apply(&self, path: &str, old: &[u8]) -> Option<Vec<u8>> {
        let lines = &self.lines;
        let (s, range) = self.section(path)?;
        if s.binary {
            return None;
        }
        let old_lines: Vec<&[u8]> = old.split_inclusive(|&b| b == b'\n').collect();
        let (mut out, mut pos) = (Vec::with_capacity(old.len()), 0);
        let mut last = b' ';
        let hunks = lines[range].iter().skip_while(|l| !l.starts_with(b"@@ -"));
        for line in hunks {
            if let Some(header) = line.strip_prefix(b"@@ -") {
                // `-a,b`: the hunk starts at line a, or after line a when b is 0.
                let range = text(header);
                let range = range.split(' ').next()?;
                let (at, count) = range.split_once(',').unwrap_or((range, "1"));
                let at: usize = at.parse().ok()?;
                let target = if count == "0" { at } else { at.checked_sub(1)? };
                out.extend(old_lines.get(pos..target)?.concat());
                pos = target;
                continue;
            }
            let (sign, body) = match line.first() {
                Some(b'\n' | b'\r') => (b' ', &line[..]),
                Some(&c) => (c, &line[1..]),
                None => continue,
            };
            match sign {
                b' ' | b'-' => {
                    let old_line = old_lines.get(pos)?;
                    if trim_eol(old_line) != trim_eol(body) {
                        return None;
                    }
                    if sign == b' ' {
                        out.extend_from_slice(old_line);
                    }
                    pos += 1;
                }
                b'+' => out.extend_from_slice(body),
                // "\ No newline at end of file" after an added line: that line has no newline.
                b'\\' if last == b'+' && out.last() == Some(&b'\n') => {
                    out.pop();
                }
                b'\\' => {}
                _ => break,
            }
            last = sign;
        }
        out.extend(old_lines.get(pos..)?.concat());
        Some(out)
    }
}

/// Parses every file section of a diff. Text outside `diff --git` sections is ignored.
pub fn parse(text: &[u8]) -> Result<Vec<FileChange>, PatchError> {
    let lines: Vec<&[u8]> = text.split_inclusive(|&b| b == b'\n').collect();
    let mut sections: Vec<Section> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some(rest) = line.strip_prefix(b"diff --git ") {
            let mut s = Section {
                header_path: header_paths(trim_eol(rest)),
                ..Section::default()
            };
            let start = i;
            i = parse_section(&lines, i + 1, &mut s)?;
            check_names(start, &s)?;
            sections.push(s);
        } else {
            i += 1;
        }
    }
    Ok(merge_typechanges(sections)
        .into_iter()
        .map(finish)
        .collect())
}

/// Like `git apply`, a file section must name its file: by `diff --git a/P b/P`, by `---`/`+++`
/// lines, or by rename and copy lines (the old name too for those). An empty name counts as none.
fn check_names(line: usize, s: &Section) -> Result<(), PatchError> {
    let header = s.header_path.as_ref();
    let old = s.old_path.as_deref().or(header.map(|h| h.0.as_str()));
    let new = s.new_path.as_deref().or(header.map(|h| h.1.as_str()));
    let moved = s.renamed || s.copied;
    let deleted = s.deleted && !moved && !s.added;
    let missing = |name: Option<&str>| name.is_none_or(str::is_empty);
    if (deleted && missing(old)) || (!deleted && missing(new)) || (moved && missing(old)) {
        return Err(err(line, "diff header lacks file name information"));
    }
    Ok(())
}

fn err(line: usize, message: impl Into<String>) -> PatchError {
    PatchError::Malformed {
        line: line + 1,
        message: message.into(),
    }
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn parse_mode(line: usize, bytes: &[u8]) -> Result<u32, PatchError> {
    let s = text(bytes);
    u32::from_str_radix(s.trim(), 8).map_err(|_| err(line, format!("invalid mode '{s}'")))
}

/// Parses the extended headers and hunks of one file section; returns the next line index.
fn parse_section(lines: &[&[u8]], mut i: usize, s: &mut Section) -> Result<usize, PatchError> {
    // Extended header lines.
    while i < lines.len() {
        let l = trim_eol(lines[i]);
        if let Some(m) = l.strip_prefix(b"old mode ") {
            s.old_mode = Some(parse_mode(i, m)?);
        } else if let Some(m) = l.strip_prefix(b"new mode ") {
            s.new_mode = Some(parse_mode(i, m)?);
        } else if let Some(m) = l.strip_prefix(b"deleted file mode ") {
            s.deleted = true;
            s.old_mode = Some(parse_mode(i, m)?);
        } else if let Some(m) = l.strip_prefix(b"new file mode ") {
            s.added = true;
            s.new_mode = Some(parse_mode(i, m)?);
        } else if let Some(p) = l.strip_prefix(b"rename from ") {
            s.renamed = true;
            s.old_path = Some(unquote(p));
        } else if let Some(p) = l.strip_prefix(b"rename to ") {
            s.renamed = true;
            s.new_path = Some(unquote(p));
        } else if let Some(p) = l.strip_prefix(b"copy from ") {
            s.copied = true;
            s.old_path = Some(unquote(p));
        } else if let Some(p) = l.strip_prefix(b"copy to ") {
            s.copied = true;
            s.new_path = Some(unquote(p));
        } else if l.starts_with(b"similarity index ") || l.starts_with(b"dissimilarity index ") {
        } else if let Some(rest) = l.strip_prefix(b"index ") {
            s.index = Some(parse_index(i, rest)?);
        } else if l.starts_with(b"Binary files ") {
            s.binary = true;
        } else if l == b"GIT binary patch" {
            s.binary = true;
            i += 1;
            // Skip the base85 data: literal/delta blocks up to the next section.
            while i < lines.len()
                && !lines[i].starts_with(b"diff --git ")
                && !is_signature(lines[i])
            {
                i += 1;
            }
            return Ok(i);
        } else if let Some(p) = l.strip_prefix(b"--- ") {
            if p != b"/dev/null" {
                s.old_path.get_or_insert(unquote_side(p, b"a/"));
            }
        } else if let Some(p) = l.strip_prefix(b"+++ ") {
            if p != b"/dev/null" {
                s.new_path.get_or_insert(unquote_side(p, b"b/"));
            }
        } else {
            break;
        }
        i += 1;
    }
    // Hunks.
    while i < lines.len() && lines[i].starts_with(b"@@ ") {
        let (mut old_left, mut new_left) = hunk_counts(i, trim_eol(lines[i]))?;
        s.lines.push((b'@', Vec::new()));
        i += 1;
        while old_left > 0 || new_left > 0 {
            let Some(line) = lines.get(i) else {
                return Err(err(i, "patch ends inside a hunk"));
            };
            match line.first() {
                Some(b' ') | Some(b'\n') | Some(b'\r') if old_left > 0 && new_left > 0 => {
                    old_left -= 1;
                    new_left -= 1;
                    s.lines.push((b'@', Vec::new()));
                }
                Some(b'-') if old_left > 0 => {
                    old_left -= 1;
                    s.lines.push((b'-', line[1..].to_vec()));
                }
                Some(b'+') if new_left > 0 => {
                    new_left -= 1;
                    s.lines.push((b'+', line[1..].to_vec()));
                }
                Some(b'\\') => strip_last_newline(s),
                _ => return Err(err(i, "hunk is shorter than its header says")),
            }
            i += 1;
        }
        if lines.get(i).is_some_and(|l| l.starts_with(b"\\")) {
            strip_last_newline(s);
            i += 1;
        }
    }
    Ok(i)
}

/// `\ No newline at end of file`: the line before it has no line end.
fn strip_last_newline(s: &mut Section) {
    if let Some((_, line)) = s.lines.last_mut() {
        if line.ends_with(b"\n") {
            line.pop();
        }
    }
}

fn is_signature(line: &[u8]) -> bool {
    trim_eol(line) == b"-- "
}

fn hunk_counts(i: usize, line: &[u8]) -> Result<(u32, u32), PatchError> {
    let bad = || err(i, format!("invalid hunk header '{}'", text(line)));
    let l = text(line);
    let inner = l
        .strip_prefix("@@ -")
        .and_then(|r| r.split_once(" @@"))
        .map(|(a, _)| a)
        .ok_or_else(bad)?;
    let (old, new) = inner.split_once(" +").ok_or_else(bad)?;
    let count = |range: &str| -> Result<u32, PatchError> {
        match range.split_once(',') {
            Some((_, n)) => n.parse().map_err(|_| bad()),
            None => range.parse::<u32>().map(|_| 1).map_err(|_| bad()),
        }
    };
    Ok((count(old)?, count(new)?))
}

fn parse_index(i: usize, rest: &[u8]) -> Result<(String, String, Option<u32>), PatchError> {
    let s = text(rest);
    let mut parts = s.split_whitespace();
    let ids = parts.next().unwrap_or_default();
    let (old, new) = ids
        .split_once("..")
        .ok_or_else(|| err(i, format!("invalid index line 'index {s}'")))?;
    let mode = parts
        .next()
        .map(|m| parse_mode(i, m.as_bytes()))
        .transpose()?;
    Ok((old.to_string(), new.to_string(), mode))
}

/// The two paths of `diff --git a/X b/Y`, when they can be told apart.
fn header_paths(rest: &[u8]) -> Option<(String, String)> {
    if rest.first() == Some(&b'"') {
        let (a, tail) = split_quoted(rest)?;
        let tail = tail.strip_prefix(b" ")?;
        return Some((unquote_side(a, b"a/"), unquote_side(tail, b"b/")));
    }
    // Unquoted: "a/P b/P" with the same P on both sides (the case without rename lines).
    let n = rest.len().checked_sub(5)? / 2;
    let (a, b) = (rest.get(2..2 + n)?, rest.get(5 + n..)?);
    (a == b && rest.starts_with(b"a/")).then(|| (path_name(a), path_name(b)))
}

/// The first C-quoted path of `s` (quotes included) and what follows it.
fn split_quoted(s: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut i = 1;
    while i < s.len() {
        match s[i] {
            b'\\' => i += 2,
            b'"' => return Some((&s[..=i], &s[i + 1..])),
            _ => i += 1,
        }
    }
    None
}

/// Undoes git's C-style path quoting (`"a/t\303\244st\tx"`), giving the path's name
/// ([`crate::text::path_name`]); unquoted paths are named as they are.
pub fn unquote(p: &[u8]) -> String {
    path_name(&unquote_bytes(trim_eol(p)))
}

/// A path as `--- a/P` or `+++ b/P` shows it, without its `a/` or `b/` prefix, named. An
/// unquoted name ends at a TAB: git writes `--- a/name with space\t`, and quotes a name that
/// holds a TAB itself.
fn unquote_side(p: &[u8], prefix: &[u8]) -> String {
    let p = trim_eol(p);
    let p = match p.first() {
        Some(b'"') => p,
        _ => p.split(|&b| b == b'\t').next().unwrap_or(p),
    };
    let bytes = unquote_bytes(p);
    path_name(bytes.strip_prefix(prefix).unwrap_or(&bytes))
}

/// Git shows a type change as a deletion and an addition of the same path; join them.
fn merge_typechanges(sections: Vec<Section>) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::with_capacity(sections.len());
    for s in sections {
        if let Some(prev) = out.last_mut() {
            let same = path_of(prev) == path_of(&s);
            if same && prev.deleted && s.added {
                prev.deleted = false;
                prev.added = false;
                prev.new_mode = s.new_mode;
                prev.new_path = s.new_path.or(s.header_path.as_ref().map(|h| h.1.clone()));
                prev.binary |= s.binary;
                let new_id = s.index.as_ref().map(|x| x.1.clone());
                if let (Some(idx), Some(new_id)) = (prev.index.as_mut(), new_id) {
                    idx.1 = new_id;
                }
                prev.lines.push((b'@', Vec::new()));
                prev.lines.extend(s.lines);
                continue;
            }
        }
        out.push(s);
    }
    out
}

fn path_of(s: &Section) -> Option<String> {
    s.new_path
        .clone()
        .or(s.old_path.clone())
        .or(s.header_path.as_ref().map(|h| h.1.clone()))
}

fn zero_to_none(id: &str) -> Option<String> {
    (!id.bytes().all(|b| b == b'0')).then(|| id.to_string())
}

fn finish(s: Section) -> FileChange {
    let header = s.header_path.clone().unwrap_or_default();
    let new_path = s.new_path.clone().unwrap_or_else(|| header.1.clone());
    let old_path = s.old_path.clone().unwrap_or_else(|| header.0.clone());
    let status = if s.renamed {
        Status::Renamed
    } else if s.copied {
        Status::Copied
    } else if s.added {
        Status::Added
    } else if s.deleted {
        Status::Deleted
    } else if s
        .old_mode
        .is_some_and(|m| m & 0o170000 != s.new_mode.unwrap_or(m) & 0o170000)
    {
        Status::Typechange
    } else {
        Status::Modified
    };
    let index_mode = s.index.as_ref().and_then(|x| x.2);
    let old_mode = match status {
        Status::Added => 0,
        _ => s.old_mode.or(index_mode).unwrap_or(0),
    };
    let new_mode = match status {
        Status::Deleted => 0,
        _ => s.new_mode.or(index_mode).unwrap_or(old_mode),
    };
    let path = if status == Status::Deleted {
        old_path.clone()
    } else {
        new_path
    };
    let old_path = matches!(status, Status::Renamed | Status::Copied).then_some(old_path);
    let mut file = FileChange {
        path,
        old_path,
        status,
        old_mode,
        // An unchanged mode the patch does not show is taken to be the old one.
        new_mode: if status == Status::Modified && s.new_mode.is_none() {
            old_mode
        } else {
            new_mode
        },
        old_blob: s.index.as_ref().and_then(|x| zero_to_none(&x.0)),
        new_blob: s.index.as_ref().and_then(|x| zero_to_none(&x.1)),
        binary: s.binary,
        digest: None,
        added_lines: 0,
        removed_lines: 0,
    };
    let mut b = DigestBuilder::new(&Header {
        status: file.status,
        old_path: file.old_path.as_deref().unwrap_or(&file.path),
        new_path: &file.path,
        old_mode: file.old_mode,
        new_mode: file.new_mode,
    });
    if s.binary {
        b.binary(file.old_blob.as_deref(), file.new_blob.as_deref());
    } else {
        for (sign, line) in &s.lines {
            match sign {
                b'-' => b.removed(line),
                b'+' => b.added(line),
                _ => b.end_block(),
            }
        }
    }
    file.added_lines = b.added_lines;
    file.removed_lines = b.removed_lines;
    file.digest = Some(b.finish());
    file
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_without_a_file_name_is_an_error_like_git_apply() {
        let nameless = [
            &b"diff --git a/x b/y\nindex 1111111..2222222 100644\n--- a/x\n"[..],
            b"diff --git a/x b/x\n--- a/x\n+++ b/\n@@ -1 +1 @@\n-a\n+b\n",
            b"diff --git a/x b/y\ndeleted file mode 100644\n",
            b"diff --git a/x b/x\nrename from \nrename to y\n",
        ];
        for diff in nameless {
            assert_eq!(
                parse(diff),
                Err(PatchError::Malformed {
                    line: 1,
                    message: "diff header lacks file name information".into()
                }),
                "{}",
                String::from_utf8_lossy(diff)
            );
        }
        let named = parse(b"diff --git a/x b/y\n--- a/x\n+++ b/y\n@@ -1 +1 @@\n-a\n+b\n");
        assert_eq!(named.map(|f| f[0].path.clone()), Ok("y".to_string()));
    }

    #[test]
    fn quoted_paths_unquote_like_git() {
        assert_eq!(
            unquote(b"\"a/t\\303\\244st\\tx\\\"q\\\\\""),
            "a/t\u{e4}st\tx\"q\\"
        );
        assert_eq!(unquote(b"plain/path.c\n"), "plain/path.c");
    }

    #[test]
    fn copies_mode_changes_and_no_newline_markers_parse() {
        let diff = "diff --git a/a.c b/b.c\nsimilarity index 90%\ncopy from a.c\ncopy to b.c\n\
index 1111111..2222222 100644\n--- a/a.c\n+++ b/b.c\n@@ -1,2 +1,2 @@\n x\n-y\n+z\n\\ No newline at end of file\n\
diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n";
        let files = parse(diff.as_bytes()).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].status, Status::Copied);
        assert_eq!(files[0].old_path.as_deref(), Some("a.c"));
        assert_eq!(files[0].path, "b.c");
        assert_eq!((files[0].added_lines, files[0].removed_lines), (1, 1));
        assert_eq!(files[1].status, Status::Modified);
        assert_eq!((files[1].old_mode, files[1].new_mode), (0o100644, 0o100755));
        let with_newline = parse(
            diff.replace("\\ No newline at end of file\n", "")
                .as_bytes(),
        )
        .unwrap();
        assert_ne!(files[0].digest, with_newline[0].digest);
    }

    #[test]
    fn a_truncated_hunk_is_an_error() {
        let diff =
            b"diff --git a/a b/a\nindex 1..2 100644\n--- a/a\n+++ b/a\n@@ -1,3 +1,3 @@\n x\n";
        assert!(matches!(parse(diff), Err(PatchError::Malformed { .. })));
    }
}
