//! Trailer parsing that mirrors git's `trailer.c` (git 2.47) with the default
//! configuration: separator `:`, comment character `#`, no configured tokens.
//!
//! Everything here works on byte offsets; every offset the algorithm cuts at
//! is next to an ASCII byte, so slicing the `&str` never splits a character.

use std::borrow::Cow;
use std::ops::Range;

use serde::{Deserialize, Serialize};

/// One `key: value` trailer, as `git interpret-trailers --parse` prints it:
/// key trimmed, value trimmed and unfolded onto one line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Trailer {
    /// The token before the separator, e.g. `Signed-off-by`.
    pub key: String,
    /// The value after the separator, continuation lines joined by spaces.
    pub value: String,
}

impl Trailer {
    /// Whether the key equals `key` ignoring ASCII case, as git compares tokens.
    pub fn is(&self, key: &str) -> bool {
        self.key.eq_ignore_ascii_case(key)
    }
}

/// One logical line of the trailer block: a line plus the continuation lines
/// git folds into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockEntry {
    /// Byte range in the message, including the final line terminator.
    pub range: Range<usize>,
    /// The parsed trailer, `None` for comments and other non-trailer lines.
    pub trailer: Option<Trailer>,
}

/// The trailer block of a message, located the way git locates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailerBlock {
    /// Byte offset where the block starts. Equals `end` when there is no block.
    pub start: usize,
    /// Byte offset where the log message ends (before a `---` divider, trailing
    /// comments, blank lines and anything below a scissors line).
    pub end: usize,
    /// Whether the line before `start` is blank.
    pub blank_line_before: bool,
    /// The logical lines of the block, in order.
    pub entries: Vec<BlockEntry>,
}

impl TrailerBlock {
    /// Whether git found a trailer block at all.
    pub fn exists(&self) -> bool {
        self.start < self.end
    }

    /// The trailers of the block, in order.
    pub fn trailers(&self) -> impl Iterator<Item = &Trailer> {
        self.entries.iter().filter_map(|e| e.trailer.as_ref())
    }
}

/// Trailers of a whole commit message (subject included), as
/// `git interpret-trailers --parse` lists them.
pub fn parse(message: &str) -> Vec<Trailer> {
    trailer_block(message)
        .entries
        .into_iter()
        .filter_map(|e| e.trailer)
        .collect()
}

/// Locates and parses the trailer block exactly as
/// `git interpret-trailers --parse` does on `message` as its input.
pub fn trailer_block(message: &str) -> TrailerBlock {
    let input = interpret_trailers_input(message);
    let mut block = analyze(&input, false);
    // Only the newline git appends can lie past the end of `message`.
    let clamp = |x: usize| x.min(message.len());
    block.start = clamp(block.start);
    block.end = clamp(block.end);
    for entry in &mut block.entries {
        entry.range = clamp(entry.range.start)..clamp(entry.range.end);
    }
    block
}

/// The text `interpret-trailers` works on: it completes the last line with a
/// newline, then every C string function stops at the first NUL.
fn interpret_trailers_input(message: &str) -> Cow<'_, str> {
    if let Some(nul) = message.find('\0') {
        return Cow::Borrowed(&message[..nul]);
    }
    if message.is_empty() || message.ends_with('\n') {
        Cow::Borrowed(message)
    } else {
        Cow::Owned(format!("{message}\n"))
    }
}

/// `git log --format=%(trailers:only,unfold)` flavour, used to check the
/// parser against whole histories: the message starts after leading blank
/// lines, is not completed with a newline and the `---` divider is ignored.
#[cfg(test)]
pub(crate) fn parse_as_pretty_format(message: &str) -> Vec<Trailer> {
    let message = message.split('\0').next().unwrap_or_default();
    let mut start = 0;
    while start < message.len() {
        let line_end = next_line(message.as_bytes(), start);
        if !message[start..line_end].bytes().all(is_space) {
            break;
        }
        start = line_end;
    }
    analyze(&message[start..], true)
        .entries
        .into_iter()
        .filter_map(|e| e.trailer)
        .collect()
}

const COMMENT: u8 = b'#';
const SCISSORS: &str = "\n# ------------------------ >8 ------------------------\n";
const GIT_GENERATED_PREFIXES: [&str; 2] = ["Signed-off-by: ", "(cherry picked from commit "];

/// git's own `isspace`: only space, tab, newline and carriage return.
pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Trims git whitespace from both ends.
pub(crate) fn git_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_ascii() && is_space(c as u8))
}

/// Offset just past the end of the line starting at `pos`.
fn next_line(buf: &[u8], pos: usize) -> usize {
    match buf[pos..].iter().position(|&b| b == b'\n') {
        Some(i) => pos + i + 1,
        None => buf.len(),
    }
}

/// Start of the last line of `buf[..len]` (a final newline belongs to it).
fn last_line(buf: &[u8], len: usize) -> Option<usize> {
    match len {
        0 => None,
        1 => Some(0),
        _ => Some(
            buf[..len - 1]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1),
        ),
    }
}

fn is_blank_line(buf: &[u8], pos: usize) -> bool {
    buf[pos..]
        .iter()
        .take_while(|&&b| b != b'\n')
        .all(|&b| is_space(b))
}

/// Position of the separator if the line is `<token><optional blanks>:`,
/// where the token is ASCII alphanumerics and dashes (`Some(0)` when the line
/// starts with the separator).
fn find_separator(line: &[u8]) -> Option<usize> {
    let mut whitespace_found = false;
    for (i, &c) in line.iter().enumerate() {
        if c == b':' {
            return Some(i);
        }
        if !whitespace_found && (c.is_ascii_alphanumeric() || c == b'-') {
            continue;
        }
        if i != 0 && (c == b' ' || c == b'\t') {
            whitespace_found = true;
            continue;
        }
        break;
    }
    None
}

/// Whether the line holds a trailer (a separator after a non-empty token).
fn has_separator(line: &[u8]) -> bool {
    find_separator(line).is_some_and(|p| p >= 1)
}

/// Where a scissors line cuts the message, if before `len`.
fn locate_scissors(buf: &[u8], len: usize) -> usize {
    let pattern = SCISSORS.as_bytes();
    if buf.starts_with(&pattern[1..]) {
        return 0;
    }
    match buf.windows(pattern.len()).position(|w| w == pattern) {
        Some(p) if p + 1 < len => p + 1,
        _ => len,
    }
}

/// Number of ignorable bytes at the end of `buf[..len]`: the trailing run of
/// comment lines, empty lines and old-style `Conflicts:` blocks, and
/// everything below a scissors line.
fn ignored_tail_bytes(buf: &[u8], len: usize) -> usize {
    let cutoff = locate_scissors(buf, len);
    // git uses 0 as "no run yet", so a run starting on the first line only
    // counts from its second line; this is reproduced on purpose.
    let mut run_start = 0;
    let mut in_conflicts = false;
    let mut bol = 0;
    while bol < cutoff {
        let next = next_line(&buf[..len], bol);
        if buf[bol..cutoff].starts_with(&[COMMENT]) || buf[bol] == b'\n' {
            if run_start == 0 {
                run_start = bol;
            }
        } else if buf[bol..].starts_with(b"Conflicts:\n") {
            in_conflicts = true;
            if run_start == 0 {
                run_start = bol;
            }
        } else if in_conflicts && buf[bol] == b'\t' {
            // a path inside the conflicts block
        } else if run_start != 0 {
            run_start = 0;
            in_conflicts = false;
        }
        bol = next;
    }
    if run_start != 0 {
        len - run_start
    } else {
        len - cutoff
    }
}

/// End of the log message proper: before a `---` divider line (unless
/// `no_divider`), then without the ignorable tail.
fn end_of_log_message(buf: &[u8], no_divider: bool) -> usize {
    let end = if no_divider {
        buf.len()
    } else {
        divider_start(buf)
    };
    end - ignored_tail_bytes(buf, end)
}

/// Where git stops reading the log message at the latest: the first `---` divider line, or a
/// scissors line before it, else `buf.len()`.
pub(super) fn log_message_cut(buf: &[u8]) -> usize {
    let divider = divider_start(buf);
    locate_scissors(buf, divider)
}

/// Start of the first `---` divider line (`---` and a space or line end), or `buf.len()`.
fn divider_start(buf: &[u8]) -> usize {
    let mut s = 0;
    while s < buf.len() {
        if buf[s..].starts_with(b"---") && buf.get(s + 3).copied().is_some_and(is_space) {
            return s;
        }
        s = next_line(buf, s);
    }
    buf.len()
}

/// Start of the trailer block within `buf[..len]`, or `len` if there is none.
fn trailer_block_start(buf: &[u8], len: usize) -> usize {
    // The first paragraph is the title and never holds trailers.
    let mut s = 0;
    while s < len {
        if !buf[s..len].starts_with(&[COMMENT]) && is_blank_line(buf, s) {
            break;
        }
        s = next_line(buf, s);
    }
    let end_of_title = s;

    // Scan backwards for a blank line above a run of lines that are all
    // trailers, or that has a git-generated trailer and at least 25% trailers.
    let mut only_spaces = true;
    let mut recognized_prefix = false;
    let (mut trailer_lines, mut non_trailer_lines) = (0usize, 0usize);
    // Lines starting with whitespace: continuations if a trailer comes above
    // them, non-trailers otherwise.
    let mut possible_continuation_lines = 0usize;

    let mut line = last_line(buf, len);
    while let Some(bol) = line.filter(|&l| l >= end_of_title) {
        line = last_line(buf, bol);
        if buf[bol..len].starts_with(&[COMMENT]) {
            non_trailer_lines += possible_continuation_lines;
            possible_continuation_lines = 0;
            continue;
        }
        if is_blank_line(buf, bol) {
            if only_spaces {
                continue;
            }
            non_trailer_lines += possible_continuation_lines;
            let qualifies = (recognized_prefix && trailer_lines * 3 >= non_trailer_lines)
                || (trailer_lines > 0 && non_trailer_lines == 0);
            return if qualifies { next_line(buf, bol) } else { len };
        }
        only_spaces = false;

        let rest = &buf[bol..];
        if GIT_GENERATED_PREFIXES
            .iter()
            .any(|p| rest.starts_with(p.as_bytes()))
        {
            trailer_lines += 1;
            possible_continuation_lines = 0;
            recognized_prefix = true;
        } else if has_separator(rest) {
            trailer_lines += 1;
            possible_continuation_lines = 0;
        } else if is_space(buf[bol]) {
            possible_continuation_lines += 1;
        } else {
            non_trailer_lines += 1 + possible_continuation_lines;
            possible_continuation_lines = 0;
        }
    }
    len
}

/// Joins continuation lines with single spaces and trims the result.
fn unfold(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\n' {
            while chars
                .next_if(|&c| c.is_ascii() && is_space(c as u8))
                .is_some()
            {}
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    git_trim(&out).to_owned()
}

/// Parses one logical line of the block into a trailer.
fn parse_entry(text: &str) -> Option<Trailer> {
    if text.starts_with(COMMENT as char) {
        return None;
    }
    let sep = find_separator(text.as_bytes()).filter(|&p| p >= 1)?;
    Some(Trailer {
        key: git_trim(&text[..sep]).to_owned(),
        value: unfold(git_trim(&text[sep + 1..])),
    })
}

/// The whole of trailer.c's `trailer_info_get` plus `parse_trailers` on
/// exactly `text` (no newline completion, no NUL handling).
fn analyze(text: &str, no_divider: bool) -> TrailerBlock {
    let buf = text.as_bytes();
    let end = end_of_log_message(buf, no_divider);
    let start = trailer_block_start(buf, end);

    let mut ranges: Vec<Range<usize>> = Vec::new();
    let mut last_is_trailer = false;
    let mut pos = start;
    while pos < end {
        let line_end = next_line(&buf[..end], pos);
        match ranges.last_mut() {
            Some(last) if last_is_trailer && is_space(buf[pos]) => last.end = line_end,
            _ => {
                ranges.push(pos..line_end);
                last_is_trailer = has_separator(&buf[pos..line_end]);
            }
        }
        pos = line_end;
    }

    let entries = ranges
        .into_iter()
        .map(|range| BlockEntry {
            trailer: parse_entry(&text[range.clone()]),
            range,
        })
        .collect();
    let blank_line_before = last_line(buf, start).is_some_and(|l| is_blank_line(&buf[..start], l));
    TrailerBlock {
        start,
        end,
        blank_line_before,
        entries,
    }
}
