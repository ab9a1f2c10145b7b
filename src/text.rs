//! Text as aiprov shows it and paths as it names them: [`printable`] spells control characters
//! as escapes (for terminals and one-line findings), [`count`] says how many; [`path_name`] names a path's bytes
//! one-to-one with git's C-quoting, which [`path_bytes`] and [`unquote_bytes`] undo; a
//! [`Location`] is a place in a file, shown with its line and a caret. The bottom
//! of the ladder (`ARCHITECTURE.md`, "Layers"): it uses no other module.

/// `n` with its noun, singular or plural: `1 file`, `2 files`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A place in a text file (a policy, a keyring): 1-based line and column, the line's text and
/// the width marked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    pub column: usize,
    pub text: String,
    pub width: usize,
}

impl Location {
    /// The line with the place marked, compiler style, on lines of their own:
    ///
    /// ```text
    ///   |
    /// 3 | categories = ["code", "documentation"]
    ///   |              ^^^^^^^^^^^^^^^^^^^^^^^^^
    /// ```
    pub fn excerpt(&self) -> String {
        let number = self.line.to_string();
        let pad = " ".repeat(number.len());
        let lead: String = self
            .text
            .chars()
            .take(self.column - 1)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        format!(
            "{pad} |\n{number} | {}\n{pad} | {lead}{}",
            printable(&self.text),
            "^".repeat(self.width.max(1))
        )
    }
}

/// The location of a byte range of `text` (its start, and its width on that line).
pub fn locate(text: &str, span: std::ops::Range<usize>) -> Location {
    let start = span.start.min(text.len());
    let start = (0..=start)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line_text = text[line_start..line_end].trim_end_matches('\r');
    let column = text[line_start..start].chars().count() + 1;
    let end = span.end.clamp(start, line_end);
    let width = text.get(start..end).map_or(1, |s| s.chars().count());
    Location {
        line: text[..start].matches('\n').count() + 1,
        column,
        text: line_text.to_string(),
        width,
    }
}

/// Text from a commit, a mail or an attestation as a terminal may show it: control characters
/// (newlines, escape sequences, C1 controls) spelled as escapes, so that a file name or a title
/// can neither forge a line of the report nor drive the terminal.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
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
        Some(_) => std::borrow::Cow::Owned(unquote_bytes(name.as_bytes())),
        None => std::borrow::Cow::Borrowed(name.as_bytes()),
    }
}

/// The bytes of a path that git may have C-quoted; unquoted paths are returned as they are.
pub fn unquote_bytes(p: &[u8]) -> Vec<u8> {
    let Some(inner) = p
        .strip_prefix(b"\"")
        .and_then(|r| r.strip_suffix(b"\""))
        .filter(|_| p.len() >= 2)
    else {
        return p.to_vec();
    };
    let mut out = Vec::with_capacity(inner.len());
    let mut bytes = inner.iter().copied().peekable();
    while let Some(b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        let Some(c) = bytes.next() else {
            out.push(b);
            break;
        };
        out.push(match c {
            b'a' => 7,
            b'b' => 8,
            b't' => b'\t',
            b'n' => b'\n',
            b'v' => 11,
            b'f' => 12,
            b'r' => b'\r',
            b'0'..=b'7' => {
                // Three octal digits: a byte of a non-ASCII path (core.quotePath).
                let mut value = u32::from(c - b'0');
                for _ in 0..2 {
                    if let Some(d) = bytes.next_if(|d| (b'0'..=b'7').contains(d)) {
                        value = value * 8 + u32::from(d - b'0');
                    }
                }
                value as u8
            }
            other => other,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_spelled_out() {
        assert_eq!(printable("plain café"), "plain café");
        assert_eq!(printable("a\nPASS b"), "a\\nPASS b");
        assert_eq!(printable("\u{1b}[2Jx\u{9b}"), "\\u{1b}[2Jx\\u{9b}");
    }

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
