//! Which lines of a source file are comments (or blank), for QEMU's rule that AI may write code
//! comments: a change to a code file that leaves its code as it was counts as `docs`. This is a
//! policy gate, so each language is lexed as its compiler reads it (line splices, string, char
//! and raw-string literals, nested comments, lifetimes, triple quotes, heredocs), and whatever
//! the lexer is not sure of is code.

/// Languages whose comments aiprov recognises. Others (Perl, JavaScript, YAML...) are not lexed:
/// every line of them is code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// C and C headers: `//`, `/* */`, backslash-newline splices.
    C,
    /// C++: C, and raw strings `R"d(...)d"`.
    Cpp,
    /// Rust: `//`, nested `/* */`, raw strings, char literals beside lifetimes.
    Rust,
    /// Python: `#`; strings with prefixes and triple quotes (docstrings are values: code).
    Python,
    /// Shell: `#` at the start of a word, quotes, heredocs.
    Shell,
    /// Meson, Kconfig, TOML: `#` outside `'`/`"` strings (triple-quoted too).
    Conf,
    /// Makefiles: `#` unless escaped, whatever quotes; recipe lines are shell.
    Make,
}

/// The language of a path, by extension or file name; `None` when aiprov does not lex it.
pub fn language_of(path: &str) -> Option<Language> {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name.starts_with("Makefile") || name.starts_with("GNUmakefile") {
        return Some(Language::Make);
    }
    if matches!(
        name,
        "meson.build" | "meson_options.txt" | "meson.options" | "Kconfig"
    ) || name.starts_with("Kconfig.")
    {
        return Some(Language::Conf);
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e)?;
    Some(match ext {
        "c" | "h" | "inc" => Language::C,
        "cc" | "cpp" | "cxx" | "hpp" | "hh" | "hxx" => Language::Cpp,
        "rs" => Language::Rust,
        "py" => Language::Python,
        "sh" | "bash" => Language::Shell,
        "toml" => Language::Conf,
        "mak" | "mk" => Language::Make,
        _ => return None,
    })
}

/// A file as lexed: which lines hold no code, and its code.
#[derive(Debug, PartialEq)]
pub struct Lexed {
    /// For each line (split at `\n`), whether it holds only comment or blank.
    pub comment_or_blank: Vec<bool>,
    /// The code, with each comment read as a space and whitespace runs outside literals as
    /// one space (leading indentation kept where it means something: Python, Make), one line
    /// per line that holds code: two versions with the same code differ only in comments.
    pub code: Vec<Vec<u8>>,
    /// False when the lexer met something it does not know for sure (an unterminated literal or
    /// comment, a nested f-string quote): then every line is code.
    pub sure: bool,
}

/// For each line of `text`, whether it holds no code: only comment or blank.
pub fn comment_or_blank_lines(language: Language, text: &[u8]) -> Vec<bool> {
    lex(language, text).comment_or_blank
}

/// Lexes `text` as `language`.
pub fn lex(language: Language, text: &[u8]) -> Lexed {
    let mut l = Lexer {
        language,
        text,
        i: 0,
        flags: Vec::new(),
        code_on_line: false,
        line: Vec::new(),
        code: Vec::new(),
        pending_space: false,
        line_start: true,
        sure: true,
        heredocs: Vec::new(),
        joined: 0,
        continued: false,
    };
    l.run();
    let lines = l.flags.len();
    if !l.sure {
        l.flags = vec![false; lines];
    }
    Lexed {
        comment_or_blank: l.flags,
        code: l.code,
        sure: l.sure,
    }
}

struct Lexer<'t> {
    language: Language,
    text: &'t [u8],
    i: usize,
    flags: Vec<bool>,
    code_on_line: bool,
    /// The code of the current line, and of the lines that ended since code last did.
    line: Vec<u8>,
    code: Vec<Vec<u8>>,
    /// Whitespace or a comment since the last code byte.
    pending_space: bool,
    /// No code byte yet on this line (leading indentation is being read).
    line_start: bool,
    sure: bool,
    /// Shell heredoc delimiters waiting for the end of the line (and whether tabs are stripped).
    heredocs: Vec<(Vec<u8>, bool)>,
    /// Python: open brackets, or a backslash at the end of the line: the next line's
    /// indentation means nothing.
    joined: usize,
    continued: bool,
}

impl Lexer<'_> {
    fn peek(&self, ahead: usize) -> Option<u8> {
        self.text.get(self.i + ahead).copied()
    }

    fn starts(&self, s: &[u8]) -> bool {
        self.text[self.i..].starts_with(s)
    }

    /// Ends the current line; `in_code` says whether the next line starts inside a literal.
    fn newline(&mut self, in_literal: bool) {
        self.flags.push(!self.code_on_line);
        self.code_on_line = in_literal;
        if in_literal {
            self.line.push(b'\n');
        } else {
            let line = std::mem::take(&mut self.line);
            if line.iter().any(|b| !b.is_ascii_whitespace()) {
                self.code.push(line);
            }
            self.line_start = true;
        }
        self.pending_space = false;
    }

    /// One byte of code (or of a literal, `literal`: taken as it is).
    fn code_byte(&mut self, c: u8, literal: bool) {
        if !literal && (c == b' ' || c == b'\t' || c == b'\r') {
            let indentation = match self.language {
                Language::Make => true,
                Language::Python => self.joined == 0 && !self.continued,
                _ => false,
            };
            if self.line_start && indentation {
                self.line.push(c);
            } else {
                self.pending_space = true;
            }
            return;
        }
        if self.pending_space && !self.line_start {
            self.line.push(b' ');
        }
        self.continued = false;
        self.pending_space = false;
        self.line_start = false;
        self.code_on_line = true;
        self.line.push(c);
    }

    /// A comment was read: it separates code like a space.
    fn comment(&mut self) {
        self.pending_space = true;
    }

    fn run(&mut self) {
        while self.i < self.text.len() {
            self.step();
        }
        if !self.text.is_empty() && !self.text.ends_with(b"\n") {
            self.newline(false);
        }
        if !self.heredocs.is_empty() {
            self.sure = false;
        }
    }

    /// Reads one token (or byte) of code, a comment or a literal.
    fn step(&mut self) {
        let c = self.text[self.i];
        if c == b'\n' {
            self.i += 1;
            self.newline(false);
            if !self.heredocs.is_empty() {
                self.heredoc_bodies();
            }
            return;
        }
        if self.splice() {
            return;
        }
        match self.language {
            Language::C | Language::Cpp | Language::Rust => self.step_c_like(c),
            Language::Python => self.step_python(c),
            Language::Shell => self.step_shell(c),
            Language::Conf => self.step_conf(c),
            Language::Make => self.step_make(c),
        }
    }

    /// A C backslash-newline outside literals: the lines are one (kept as written, as cpp does).
    fn splice(&mut self) -> bool {
        if !matches!(self.language, Language::C | Language::Cpp) || !self.starts(b"\\\n") {
            return false;
        }
        self.code_byte(b'\\', true);
        self.i += 2;
        self.newline(false);
        true
    }

    /// Skips a C splice inside a comment or literal, ending the line; whether there was one.
    fn skip_splice(&mut self, in_literal: bool) -> bool {
        if matches!(self.language, Language::C | Language::Cpp) && self.starts(b"\\\n") {
            if in_literal {
                self.line.extend_from_slice(b"\\");
            }
            self.i += 2;
            self.newline(in_literal);
            true
        } else {
            false
        }
    }

    fn step_c_like(&mut self, c: u8) {
        let rust = self.language == Language::Rust;
        if self.starts(b"//") {
            self.line_comment();
        } else if self.starts(b"/*") {
            self.block_comment(rust);
        } else if rust && self.rust_raw_string() {
        } else if c == b'"' {
            self.quoted(b'"', true);
        } else if c == b'\'' {
            if !rust || self.rust_char_literal() {
                self.quoted(b'\'', true);
            } else {
                // A lifetime or label.
                self.code_byte(c, false);
                self.i += 1;
            }
        } else if self.language == Language::Cpp && self.cpp_raw_string() {
        } else if c.is_ascii_alphanumeric() || c == b'_' {
            // A whole identifier, so that a prefix (`u8"`, `br"`) is not split from its quote
            // and `R` inside a name is not a raw string.
            let start = self.i;
            while self
                .peek(0)
                .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                self.i += 1;
            }
            for at in start..self.i {
                self.code_byte(self.text[at], false);
            }
        } else {
            self.code_byte(c, false);
            self.i += 1;
        }
    }

    /// `//` (or `#`) to the end of the line; in C a splice continues it.
    fn line_comment(&mut self) {
        self.comment();
        while self.i < self.text.len() && self.text[self.i] != b'\n' {
            if !self.skip_splice(false) {
                self.i += 1;
            }
        }
    }

    fn block_comment(&mut self, nested: bool) {
        self.comment();
        self.i += 2;
        let mut depth = 1;
        while self.i < self.text.len() {
            if self.starts(b"*/") {
                self.i += 2;
                depth -= 1;
                if depth == 0 {
                    return;
                }
            } else if nested && self.starts(b"/*") {
                self.i += 2;
                depth += 1;
            } else if self.text[self.i] == b'\n' {
                // The comment is one space: its lines join.
                self.flags.push(!self.code_on_line);
                self.i += 1;
            } else {
                self.i += 1;
            }
        }
        self.sure = false;
    }

    /// A literal from the quote at `self.i` to its closing `quote`; `escapes`: backslash escapes
    /// the next byte. A literal that does not end before the file does makes the lexer unsure.
    fn quoted(&mut self, quote: u8, escapes: bool) {
        self.code_byte(quote, true);
        self.i += 1;
        while self.i < self.text.len() {
            let c = self.text[self.i];
            if self.skip_splice(true) {
                continue;
            }
            if escapes && c == b'\\' && self.i + 1 < self.text.len() {
                self.escape_in_literal();
                continue;
            }
            self.i += 1;
            if c == b'\n' {
                // Only Rust, shell and Python's triple quotes span lines; C's string ends
                // unterminated, which the compiler refuses: not sure.
                if matches!(self.language, Language::C | Language::Cpp) {
                    self.sure = false;
                }
                self.newline(true);
                continue;
            }
            self.code_byte(c, true);
            if c == quote {
                return;
            }
        }
        self.sure = false;
    }

    /// A backslash in a literal and the byte it escapes (a newline continues the literal).
    fn escape_in_literal(&mut self) {
        self.code_byte(b'\\', true);
        let next = self.text[self.i + 1];
        self.i += 2;
        if next == b'\n' {
            self.newline(true);
        } else {
            self.code_byte(next, true);
        }
    }

    /// Rust `'x'`, `'\n'`, `'"'`, as opposed to a lifetime `'a` (no closing quote).
    fn rust_char_literal(&self) -> bool {
        match self.peek(1) {
            Some(b'\\') => true,
            Some(b'\'') | None => false,
            Some(first) => {
                // One character (UTF-8 sequence), then the closing quote.
                let width = match first {
                    0x00..=0x7f => 1,
                    0xc0..=0xdf => 2,
                    0xe0..=0xef => 3,
                    _ => 4,
                };
                self.peek(1 + width) == Some(b'\'')
            }
        }
    }

    /// Rust `r"..."`, `r#"..."#`, `br#"..."#`, `cr"..."` at `self.i`.
    fn rust_raw_string(&mut self) -> bool {
        let prefix = if self.starts(b"br") || self.starts(b"cr") {
            2
        } else if self.starts(b"r") {
            1
        } else {
            return false;
        };
        if self.i > 0 {
            let before = self.text[self.i - 1];
            if before.is_ascii_alphanumeric() || before == b'_' {
                return false;
            }
        }
        let mut hashes = 0;
        while self.peek(prefix + hashes) == Some(b'#') {
            hashes += 1;
        }
        if self.peek(prefix + hashes) != Some(b'"') {
            return false;
        }
        let mut close = vec![b'"'];
        close.extend(std::iter::repeat_n(b'#', hashes));
        self.raw_until(prefix + hashes + 1, &close);
        true
    }

    /// C++ `R"delim(...)delim"` (also `u8R`, `LR`...: the prefix was read as a word, so only
    /// a bare `R` starts here).
    fn cpp_raw_string(&mut self) -> bool {
        if !self.starts(b"R\"") {
            return false;
        }
        if self.i > 0 {
            let before = self.text[self.i - 1];
            if before.is_ascii_alphanumeric() && !matches!(before, b'u' | b'U' | b'L' | b'8')
                || before == b'_'
            {
                return false;
            }
        }
        let rest = &self.text[self.i + 2..];
        let Some(open) = rest.iter().position(|&b| b == b'(') else {
            self.sure = false;
            return false;
        };
        let delim = &rest[..open];
        if delim.len() > 16 || delim.iter().any(|b| b" \\)\t\n".contains(b)) {
            self.sure = false;
            return false;
        }
        let mut close = vec![b')'];
        close.extend_from_slice(delim);
        close.push(b'"');
        self.raw_until(2 + open + 1, &close);
        true
    }

    /// A raw literal: `open` bytes from `self.i` start it, `close` ends it; all of it is code.
    fn raw_until(&mut self, open: usize, close: &[u8]) {
        for _ in 0..open {
            let c = self.text[self.i];
            self.code_byte(c, true);
            self.i += 1;
        }
        while self.i < self.text.len() {
            if self.starts(close) {
                for &b in close {
                    self.code_byte(b, true);
                }
                self.i += close.len();
                return;
            }
            let c = self.text[self.i];
            self.i += 1;
            if c == b'\n' {
                self.newline(true);
            } else {
                self.code_byte(c, true);
            }
        }
        self.sure = false;
    }

    fn step_python(&mut self, c: u8) {
        if c == b'#' {
            self.line_comment();
            return;
        }
        if c.is_ascii_alphanumeric() || c == b'_' {
            let start = self.i;
            while self
                .peek(0)
                .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                self.i += 1;
            }
            let word = self.text[start..self.i].to_ascii_lowercase();
            for at in start..self.i {
                self.code_byte(self.text[at], false);
            }
            let prefix = matches!(
                word.as_slice(),
                b"r" | b"u" | b"b" | b"f" | b"br" | b"rb" | b"fr" | b"rf" | b"t" | b"tr" | b"rt"
            );
            if prefix && matches!(self.peek(0), Some(b'"' | b'\'')) {
                let formatted = word.contains(&b'f') || word.contains(&b't');
                self.python_string(formatted);
            }
            return;
        }
        if c == b'"' || c == b'\'' {
            self.python_string(false);
            return;
        }
        match c {
            b'(' | b'[' | b'{' => self.joined += 1,
            b')' | b']' | b'}' => self.joined = self.joined.saturating_sub(1),
            _ => {}
        }
        self.code_byte(c, false);
        self.i += 1;
        if c == b'\\' && self.peek(0) == Some(b'\n') {
            self.continued = true;
        }
    }

    /// A Python string at its quote: single or triple quoted; an f-string whose replacement
    /// fields hold quotes (nested strings) is beyond this lexer.
    fn python_string(&mut self, formatted: bool) {
        let quote = self.text[self.i];
        let triple = self.starts(&[quote; 3]);
        let close: &[u8] = if triple { &[quote; 3] } else { &[quote] };
        for _ in 0..close.len() {
            self.code_byte(quote, true);
            self.i += 1;
        }
        let mut braces = 0usize;
        while self.i < self.text.len() {
            let c = self.text[self.i];
            if formatted && braces > 0 && matches!(c, b'"' | b'\'' | b'#') {
                self.sure = false;
            }
            if self.starts(close) {
                for &b in close {
                    self.code_byte(b, true);
                }
                self.i += close.len();
                return;
            }
            if c == b'\\' && self.i + 1 < self.text.len() {
                self.escape_in_literal();
                continue;
            }
            self.i += 1;
            match c {
                b'\n' if !triple => {
                    // An unterminated single-quoted string.
                    self.sure = false;
                    self.newline(false);
                    return;
                }
                b'\n' => {
                    self.newline(true);
                    continue;
                }
                b'{' if formatted => braces += 1,
                b'}' if formatted => braces = braces.saturating_sub(1),
                _ => {}
            }
            self.code_byte(c, true);
        }
        self.sure = false;
    }

    /// Whether a `#` at `self.i` starts a shell comment: at the start of a word.
    fn shell_word_start(&self) -> bool {
        self.i == 0
            || matches!(
                self.text[self.i - 1],
                b' ' | b'\t' | b'\n' | b';' | b'(' | b'&' | b'|'
            )
    }

    fn step_shell(&mut self, c: u8) {
        match c {
            b'#' if self.shell_word_start() => self.line_comment(),
            b'\\' => self.escaped(),
            b'\'' => {
                let escapes = self.i > 0 && self.text[self.i - 1] == b'$';
                self.quoted(b'\'', escapes);
            }
            b'"' | b'`' => self.quoted(c, true),
            b'<' if self.starts(b"<<") && !self.starts(b"<<<") => self.heredoc_start(),
            _ => {
                self.code_byte(c, false);
                self.i += 1;
            }
        }
    }

    /// `<<WORD`, `<<-WORD`, `<<'WORD'`, `<<"WORD"`: the body starts on the next line.
    fn heredoc_start(&mut self) {
        for _ in 0..2 {
            self.code_byte(b'<', false);
            self.i += 1;
        }
        let strip = self.peek(0) == Some(b'-');
        if strip {
            self.code_byte(b'-', false);
            self.i += 1;
        }
        while matches!(self.peek(0), Some(b' ' | b'\t')) {
            self.i += 1;
        }
        let mut word = Vec::new();
        while let Some(c) = self.peek(0) {
            if c.is_ascii_whitespace() || b";|&<>()".contains(&c) {
                break;
            }
            self.code_byte(c, true);
            self.i += 1;
            if !matches!(c, b'\'' | b'"' | b'\\') {
                word.push(c);
            }
        }
        if word.is_empty() {
            self.sure = false;
        } else {
            self.heredocs.push((word, strip));
        }
    }

    /// The bodies of the heredocs opened on the line that just ended: data, so code.
    fn heredoc_bodies(&mut self) {
        for (word, strip) in std::mem::take(&mut self.heredocs) {
            loop {
                if self.i >= self.text.len() {
                    self.sure = false;
                    return;
                }
                let end = self.text[self.i..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(self.text.len(), |p| self.i + p);
                let line = &self.text[self.i..end];
                let line = if strip {
                    let tabs = line.iter().take_while(|&&b| b == b'\t').count();
                    &line[tabs..]
                } else {
                    line
                };
                let last = line == word.as_slice();
                for at in self.i..end {
                    self.code_byte(self.text[at], true);
                }
                self.code_on_line = true;
                self.i = (end + 1).min(self.text.len());
                self.newline(false);
                if last {
                    break;
                }
            }
        }
    }

    fn step_conf(&mut self, c: u8) {
        match c {
            b'#' => self.line_comment(),
            b'"' | b'\'' if self.starts(&[c; 3]) => self.python_string(false),
            b'"' | b'\'' => self.quoted(c, true),
            _ => {
                self.code_byte(c, false);
                self.i += 1;
            }
        }
    }

    /// A backslash outside quotes (shell, make): the escaped byte is code; an escaped newline
    /// joins the lines.
    fn escaped(&mut self) {
        self.code_byte(b'\\', false);
        self.i += 1;
        match self.peek(0) {
            Some(b'\n') => {
                self.i += 1;
                self.newline(false);
            }
            Some(next) => {
                self.code_byte(next, true);
                self.i += 1;
            }
            None => {}
        }
    }

    fn step_make(&mut self, c: u8) {
        // A recipe line (a tab at its start) is handed to the shell.
        if self.line.first() == Some(&b'\t') {
            return self.step_shell(c);
        }
        match c {
            b'#' => self.line_comment(),
            b'\\' => self.escaped(),
            _ => {
                self.code_byte(c, false);
                self.i += 1;
            }
        }
    }
}

/// Whether two versions of a file hold the same code (they differ at most in comments and in
/// whitespace between tokens), as far as the lexer is sure.
pub fn same_code(language: Language, old: &[u8], new: &[u8]) -> bool {
    let (old, new) = (lex(language, old), lex(language, new));
    old.sure && new.sure && old.code == new.code
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
    fn c_line_splices_keep_the_lines_in_step() {
        // A string continued on the next line, then a comment continued by a splice.
        let text = "s = \"a\\\nb\";\n// c \\\nstill comment\nx();\n";
        assert_eq!(
            lines(Language::C, text),
            vec![false, false, true, true, false]
        );
    }

    #[test]
    fn rust_literals_are_not_comments_or_strings() {
        let text = "/* a /* b */ still */\nfn f<'a>(x: &'a str) {}\n/// doc\nlet q = '\"'; let c = \"/*\";\nlet r = r#\"// \"# ;\nx();\n";
        assert_eq!(
            lines(Language::Rust, text),
            vec![true, false, true, false, false, false]
        );
    }

    #[test]
    fn hash_languages() {
        assert_eq!(
            lines(
                Language::Shell,
                "# c\necho $# \"#x\"\nx=${#y}\n  # c\ncat <<EOF\n# data\nEOF\n"
            ),
            vec![true, false, false, true, false, false, false]
        );
        assert_eq!(
            lines(
                Language::Make,
                "# c\nA = \\# b\nB = \"1 # c\"\n\techo '#'\n"
            ),
            vec![true, false, false, false]
        );
        assert_eq!(
            lines(Language::Python, "x = '#'\n# c\ns = \"\"\"\n# in\n\"\"\"\n"),
            vec![false, true, false, false, false]
        );
    }

    #[test]
    fn a_change_of_a_trailing_comment_keeps_the_code() {
        assert!(same_code(
            Language::C,
            b"return x; /* a */\n",
            b"return x; /* b */\n"
        ));
        assert!(same_code(
            Language::C,
            b"a /* x\n y */ b;\n",
            b"a /* x y */ b;\n"
        ));
        assert!(!same_code(Language::C, b"return x;\n", b"return y;\n"));
        assert!(!same_code(
            Language::C,
            b"s = \"a  b\";\n",
            b"s = \"a b\";\n"
        ));
        assert!(!same_code(
            Language::Python,
            b"if x:\n    y()\n",
            b"if x:\n  y()\n"
        ));
    }

    #[test]
    fn what_the_lexer_is_unsure_of_is_code() {
        let lexed = lex(Language::C, b"/* never closed\n");
        assert!(!lexed.sure);
        assert_eq!(lexed.comment_or_blank, vec![false]);
        assert!(!lex(Language::Python, b"f\"{x[\"a\"]}\"\n").sure);
        assert!(!lex(Language::Shell, b"cat <<EOF\n# no end\n").sure);
    }

    #[test]
    fn languages_by_name() {
        assert_eq!(language_of("hw/net/e1000.c"), Some(Language::C));
        assert_eq!(language_of("include/qemu/osdep.h"), Some(Language::C));
        assert_eq!(language_of("rust/src/lib.rs"), Some(Language::Rust));
        assert_eq!(language_of("hw/meson.build"), Some(Language::Conf));
        assert_eq!(language_of("tests/Makefile.include"), Some(Language::Make));
        assert_eq!(language_of("scripts/checkpatch.pl"), None);
        assert_eq!(language_of("README"), None);
    }
}
