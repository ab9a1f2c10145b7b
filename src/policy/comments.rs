//! Which lines of a source file are comments (or blank), for QEMU's rule that AI may write code
//! comments: a change to a code file whose removed and added lines are all comments counts as
//! `docs`. Each language has a small lexer that knows its strings, so `"/*"` in a string is code.

/// Languages whose comments aiprov recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// C, C headers, C++ (and other `//` + `/* */` languages).
    C,
    /// Rust: `//`, nested `/* */`.
    Rust,
    /// Python: `#` (docstrings count as code: they are values).
    Python,
    /// Shell, Meson, Perl and other `#` languages with quotes.
    Hash,
    /// Makefiles: `#`, but not `\#`.
    Make,
}

/// The language of a path, by extension or file name; `None` when aiprov does not know it.
pub fn language_of(path: &str) -> Option<Language> {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name.starts_with("Makefile") || name.starts_with("GNUmakefile") {
        return Some(Language::Make);
    }
    if matches!(
        name,
        "meson.build" | "meson_options.txt" | "meson.options" | "Kconfig"
    ) {
        return Some(Language::Hash);
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e)?;
    Some(match ext {
        "c" | "h" | "cc" | "cpp" | "cxx" | "hpp" | "hh" | "inc" | "m" | "go" | "java" | "js"
        | "ts" => Language::C,
        "rs" => Language::Rust,
        "py" => Language::Python,
        "sh" | "bash" | "pl" | "pm" | "rb" | "yml" | "yaml" | "toml" => Language::Hash,
        "mak" | "mk" => Language::Make,
        _ => return None,
    })
}

/// For each line of `text` (split at `\n`), whether it holds no code: only comment or blank.
pub fn comment_or_blank_lines(language: Language, text: &[u8]) -> Vec<bool> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Code,
        Block(u32),
        Str(u8),
    }
    let mut out = Vec::new();
    let mut state = State::Code;
    let mut code_on_line = false;
    let mut i = 0;
    let hash = matches!(language, Language::Python | Language::Hash | Language::Make);
    while i < text.len() {
        let c = text[i];
        let next = text.get(i + 1).copied();
        if c == b'\n' {
            out.push(!code_on_line);
            code_on_line = matches!(state, State::Str(_));
            i += 1;
            continue;
        }
        match state {
            State::Code => {
                let comment_start = if hash {
                    let escaped = language == Language::Make && i > 0 && text[i - 1] == b'\\';
                    let word_start =
                        language != Language::Hash || i == 0 || text[i - 1].is_ascii_whitespace();
                    c == b'#' && !escaped && word_start
                } else {
                    c == b'/' && next == Some(b'/')
                };
                if comment_start {
                    // A line comment: skip to the end of the line.
                    while i < text.len() && text[i] != b'\n' {
                        i += 1;
                    }
                    continue;
                }
                if !hash && c == b'/' && next == Some(b'*') {
                    state = State::Block(1);
                    i += 2;
                    continue;
                }
                if c == b'"' || (c == b'\'' && language != Language::Rust) {
                    state = State::Str(c);
                    code_on_line = true;
                } else if !c.is_ascii_whitespace() {
                    code_on_line = true;
                }
                i += 1;
            }
            State::Block(depth) => {
                if c == b'*' && next == Some(b'/') {
                    state = if depth > 1 {
                        State::Block(depth - 1)
                    } else {
                        State::Code
                    };
                    i += 2;
                } else if language == Language::Rust && c == b'/' && next == Some(b'*') {
                    state = State::Block(depth + 1);
                    i += 2;
                } else {
                    i += 1;
                }
            }
            State::Str(q) => {
                code_on_line = true;
                if c == b'\\' {
                    i += 2;
                    continue;
                }
                if c == q {
                    state = State::Code;
                }
                i += 1;
            }
        }
    }
    if !text.is_empty() && !text.ends_with(b"\n") {
        out.push(!code_on_line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(language: Language, text: &str) -> Vec<bool> {
        comment_or_blank_lines(language, text.as_bytes())
    }

    #[test]
    fn c_comments_strings_and_blocks() {
        let text = "int a; /* x */\n/* start\n   middle\n end */\n\n// line\nchar *s = \"/* not */\";\n  /* a */ b();\n";
        assert_eq!(
            lines(Language::C, text),
            vec![false, true, true, true, true, true, false, false]
        );
    }

    #[test]
    fn rust_nests_block_comments_and_keeps_lifetimes() {
        let text = "/* a /* b */ still */\nfn f<'a>(x: &'a str) {}\n/// doc\n";
        assert_eq!(lines(Language::Rust, text), vec![true, false, true]);
    }

    #[test]
    fn hash_languages() {
        assert_eq!(
            lines(Language::Hash, "# c\necho $# \"#x\"\nx=${#y}\n  # c\n"),
            vec![true, false, false, true]
        );
        assert_eq!(
            lines(Language::Make, "# c\nA = \\# b\nB = 1 # c\n"),
            vec![true, false, false]
        );
        assert_eq!(lines(Language::Python, "x = '#'\n# c\n"), vec![false, true]);
    }

    #[test]
    fn languages_by_name() {
        assert_eq!(language_of("hw/net/e1000.c"), Some(Language::C));
        assert_eq!(language_of("include/qemu/osdep.h"), Some(Language::C));
        assert_eq!(language_of("rust/src/lib.rs"), Some(Language::Rust));
        assert_eq!(language_of("hw/meson.build"), Some(Language::Hash));
        assert_eq!(language_of("tests/Makefile.include"), Some(Language::Make));
        assert_eq!(language_of("README"), None);
    }
}
