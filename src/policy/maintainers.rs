//! The `MAINTAINERS` file of QEMU, Linux and Xen: sections with `M:` maintainers, `R:` reviewers,
//! `L:` lists, `S:` status, `F:`/`X:` file patterns, `N:` file-name regexes and `K:` content
//! keywords; and who maintains a path, by the rules of the project's own
//! `scripts/get_maintainer.pl -f PATH` (each project's copy differs a little: [`Dialect`]).
//!
//! Those rules, as the scripts apply them:
//! - a line `C: value` is an entry (QEMU: any one character `C`; Linux and Xen: a capital
//!   letter); any other non-blank line starts a section and names it (Linux: except a line whose
//!   first non-blank character is `#`, a comment); blank lines are ignored, so entries after one
//!   still belong to the section above;
//! - an `F:`/`X:` pattern is a regular expression once `.` is made literal, `*` becomes `.*` and
//!   `?` becomes `.` (Xen first turns brace alternation, `{a,b}`, into `(a|b)`); a pattern that
//!   names a directory of the tree gets a trailing `/`;
//! - a pattern ending in `/` matches every path it is a prefix of; any other pattern matches
//!   from the start of the path and only at its own depth (the same number of `/`);
//! - `N:` is an extended regular expression matched anywhere in the path (QEMU's script does not
//!   read `N:`);
//! - a section an `X:` pattern matches is out, whatever else matches;
//! - matching sections are listed most specific first: by the depth of their last matching
//!   pattern, `N:` counting as depth 0;
//! - Xen: the catch-all `THE REST` (status `Supported`) is dropped when a more specific section
//!   with a maintainer covers the path;
//! - a person already listed is not listed again (QEMU, Linux: by name or by address; Xen: the
//!   same name and address).
//!
//! A pattern that is not a regular expression aiprov can compile (Perl reads an unescaped `{`
//! as itself, say) matches no path, and [`Maintainers::warnings`] names its line; the scripts
//! match such patterns against no real path either.
//!
//! `K:` keywords match file contents, not paths; they are kept but do not make anyone a
//! maintainer of a path (as with `get_maintainer.pl --no-keywords`).

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// Who maintains which files (the project's `MAINTAINERS`, read from the trusted revision).
pub trait MaintainerLookup: Sync {
    /// Whether `email` is listed as a maintainer (`M:`) of `path`.
    fn is_maintainer(&self, path: &str, email: &str) -> bool;
    /// The maintainers of `path` as `get_maintainer.pl -f PATH` lists them (`Name <email>`),
    /// most specific section first: who could approve AI use in it.
    fn maintainers_of(&self, path: &str) -> Vec<String>;
}

/// Whose `scripts/get_maintainer.pl` reads the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    Qemu,
    Linux,
    Xen,
}

impl Dialect {
    /// The dialect of a MAINTAINERS file: Xen's has the `V: xen-maintainers-N` entry its script
    /// requires, Linux's a `THE REST` section (QEMU's has neither).
    pub fn detect(text: &str) -> Dialect {
        if text
            .lines()
            .any(|l| l.starts_with("V:") && l.contains("xen-maintainers-"))
        {
            Dialect::Xen
        } else if text.lines().any(|l| l.trim_end() == THE_REST) {
            Dialect::Linux
        } else {
            Dialect::Qemu
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Qemu => "qemu",
            Dialect::Linux => "linux",
            Dialect::Xen => "xen",
        }
    }
}

const THE_REST: &str = "THE REST";

/// A line aiprov could not read as the project's script does; it matches no path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaintainersWarning {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for MaintainersWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// `Name <email>` of an `M:` or `R:` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub email: String,
}

/// A file pattern (`F:` or `X:`) as get_maintainer.pl turns it into a regular expression.
#[derive(Debug, Clone)]
struct FilePattern {
    regex: Regex,
    /// The converted pattern ends in `/`: it matches everything below.
    directory: bool,
    /// The number of `/` in the converted pattern.
    slashes: usize,
    /// How specific a match is: `/`s, plus one for a non-directory pattern, -1 for a leading `*`.
    depth: i64,
}

/// Xen's brace expansion, not nested: `{a,b,c}` becomes `(a|b|c)`, one comma at a time, with
/// the script's own two substitutions (a brace after a backslash, or first, stays as it is).
fn expand_braces(pattern: &str) -> String {
    static MANY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"([^\\])\{(|[^},]*[^,\\]),((|[^},]*[^,\\]),(|[^}]*[^\\]))\}").expect("valid")
    });
    static LAST: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"([^\\])\{(|[^},]*[^,\\]),(|[^}]*[^\\])\}").expect("valid"));
    let mut value = pattern.to_string();
    while MANY.is_match(&value) {
        value = MANY.replace_all(&value, "$1{$2|$3}").into_owned();
    }
    LAST.replace_all(&value, "$1($2|$3)").into_owned()
}

impl FilePattern {
    fn new(
        pattern: &str,
        dialect: Dialect,
        is_dir: &dyn Fn(&str) -> bool,
    ) -> Result<FilePattern, regex::Error> {
        let pattern = match dialect {
            Dialect::Xen => expand_braces(pattern),
            Dialect::Qemu | Dialect::Linux => pattern.to_string(),
        };
        let mut source = pattern
            .replace('.', "\\.")
            .replace('*', ".*")
            .replace('?', ".");
        if !source.ends_with('/') && is_dir(&source) {
            source.push('/');
        }
        let directory = source.ends_with('/');
        let slashes = source.matches('/').count();
        let depth = if source.starts_with(".*") {
            -1
        } else {
            slashes as i64 + i64::from(!directory)
        };
        Ok(FilePattern {
            regex: Regex::new(&format!("^(?:{source})"))?,
            directory,
            slashes,
            depth,
        })
    }

    fn matches(&self, path: &str) -> bool {
        self.regex.is_match(path) && (self.directory || path.matches('/').count() == self.slashes)
    }
}

/// One section.
#[derive(Debug, Clone, Default)]
pub struct Section {
    pub name: String,
    pub maintainers: Vec<Person>,
    pub reviewers: Vec<Person>,
    pub lists: Vec<String>,
    pub status: Option<String>,
    /// `K:` regular expressions, matched against file contents by get_maintainer.pl.
    pub keywords: Vec<String>,
    /// `F:` and `N:` in file order (`N:` as `Err`, with depth 0).
    files: Vec<Result<FilePattern, Regex>>,
    excludes: Vec<FilePattern>,
}

impl Section {
    /// The depth of the last pattern that matches `path`, if the section covers it.
    fn match_depth(&self, path: &str) -> Option<i64> {
        if self.excludes.iter().any(|x| x.matches(path)) {
            return None;
        }
        self.files
            .iter()
            .filter_map(|f| match f {
                Ok(p) => p.matches(path).then_some(p.depth),
                Err(n) => n.is_match(path).then_some(0),
            })
            .next_back()
    }

    /// Xen's catch-all, as its script tells it: the role `supporter:THE REST`.
    fn is_the_rest(&self) -> bool {
        self.name == THE_REST
            && self
                .status
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("supported"))
    }
}

/// A parsed MAINTAINERS file.
#[derive(Debug, Clone)]
pub struct Maintainers {
    pub dialect: Dialect,
    pub sections: Vec<Section>,
    /// Lines read differently from the project's script, or not at all.
    pub warnings: Vec<MaintainersWarning>,
}

/// The `Name <email>` of an `M:` or `R:` value, as get_maintainer.pl's `parse_email` reads it.
fn person(value: &str) -> Person {
    let (name, email) = match value.split_once('<') {
        Some((name, rest)) if !name.is_empty() && rest.contains('@') => {
            (name, rest.rsplit_once('>').map_or(rest, |(e, _)| e))
        }
        _ => {
            let bare = value.trim_start().trim_start_matches('<');
            let end = bare
                .find(|c: char| c.is_whitespace() || c == '>')
                .unwrap_or(bare.len());
            ("", &bare[..end])
        }
    };
    Person {
        name: name.trim().trim_matches('"').to_string(),
        email: email.trim().to_string(),
    }
}

/// `C: value`, get_maintainer.pl's `^(.):\s*(.*)` (QEMU) or `^([A-Z]):\s*(.*)` (Linux, Xen).
fn entry(line: &str, dialect: Dialect) -> Option<(char, &str)> {
    let mut chars = line.chars();
    let key = chars.next()?;
    if dialect != Dialect::Qemu && !key.is_ascii_uppercase() {
        return None;
    }
    let value = chars.as_str().strip_prefix(':')?;
    Some((key, value.trim_start()))
}

impl Maintainers {
    /// Parses MAINTAINERS without a tree, in the dialect it shows: `F:` patterns are
    /// directories only if they end in `/`.
    pub fn parse(text: &str) -> Maintainers {
        Self::parse_in_tree(text, None, &|_| false)
    }

    /// Parses MAINTAINERS in `dialect` (by default the one the file shows) for a tree in which
    /// `is_dir(path)` tells directories, so that `F: hw/net` covers `hw/net/` like
    /// get_maintainer.pl run at the top of that tree.
    pub fn parse_in_tree(
        text: &str,
        dialect: Option<Dialect>,
        is_dir: &dyn Fn(&str) -> bool,
    ) -> Maintainers {
        let dialect = dialect.unwrap_or_else(|| Dialect::detect(text));
        let mut sections: Vec<Section> = Vec::new();
        let mut warnings = Vec::new();
        let mut header = String::new();
        let mut in_section = false;
        for (n, line) in text.lines().enumerate() {
            let Some((key, value)) = entry(line, dialect) else {
                let comment = dialect == Dialect::Linux && line.trim_start().starts_with('#');
                if !line.trim().is_empty() && !comment {
                    header = line.to_string();
                    in_section = false;
                }
                continue;
            };
            if !in_section {
                sections.push(Section {
                    name: header.trim().to_string(),
                    ..Section::default()
                });
                in_section = true;
            }
            let section = sections.last_mut().expect("pushed above");
            let mut untranslated = |e: regex::Error| {
                let reason = e.to_string();
                let reason = reason.lines().last().unwrap_or_default().trim();
                let reason = reason.strip_prefix("error: ").unwrap_or(reason);
                warnings.push(MaintainersWarning {
                    line: n + 1,
                    message: format!(
                        "{key}: '{value}' is not a pattern aiprov can read ({reason}); it matches \
                         no file"
                    ),
                });
            };
            match key {
                'M' => section.maintainers.push(person(value)),
                'R' => section.reviewers.push(person(value)),
                'L' => section.lists.push(value.to_string()),
                'S' => section.status = Some(value.to_string()),
                'K' => section.keywords.push(value.to_string()),
                'F' | 'X' => match FilePattern::new(value, dialect, is_dir) {
                    Ok(p) if key == 'F' => section.files.push(Ok(p)),
                    Ok(p) => section.excludes.push(p),
                    Err(e) => untranslated(e),
                },
                // QEMU's script does not read N:.
                'N' if dialect != Dialect::Qemu => match Regex::new(&format!("(?x){value}")) {
                    Ok(n) => section.files.push(Err(n)),
                    Err(e) => untranslated(e),
                },
                _ => {}
            }
        }
        Maintainers {
            dialect,
            sections,
            warnings,
        }
    }

    /// Sections that cover `path`, most specific first (file order among equals).
    pub fn sections_for(&self, path: &str) -> Vec<&Section> {
        let mut matched: Vec<(i64, &Section)> = self
            .sections
            .iter()
            .filter_map(|s| Some((s.match_depth(path)?, s)))
            .collect();
        matched.sort_by_key(|(depth, _)| std::cmp::Reverse(*depth));
        matched.into_iter().map(|(_, s)| s).collect()
    }

    /// The sections whose maintainers the project's script lists for `path`: Xen's drops
    /// `THE REST` when another covering section has a maintainer.
    fn listed_sections(&self, path: &str) -> Vec<&Section> {
        let mut sections = self.sections_for(path);
        let specific =
            |s: &&Section| !s.is_the_rest() && s.maintainers.iter().any(|p| !p.email.is_empty());
        if self.dialect == Dialect::Xen && sections.iter().any(specific) {
            sections.retain(|s| !s.is_the_rest());
        }
        sections
    }

    /// The maintainers (`M:`) of `path` as get_maintainer.pl lists them: most specific
    /// section first, nobody twice.
    pub fn maintainers_for(&self, path: &str) -> Vec<&Person> {
        let mut out: Vec<&Person> = Vec::new();
        for p in self
            .listed_sections(path)
            .into_iter()
            .flat_map(|s| &s.maintainers)
            .filter(|p| !p.email.is_empty())
        {
            let seen = out.iter().any(|o| match self.dialect {
                Dialect::Xen => o.email == p.email && o.name == p.name,
                Dialect::Qemu | Dialect::Linux => {
                    o.email.eq_ignore_ascii_case(&p.email)
                        || (!p.name.is_empty() && o.name.eq_ignore_ascii_case(&p.name))
                }
            });
            if !seen {
                out.push(p);
            }
        }
        out
    }

    /// Who may approve a change to `path`: every address of the maintainers the script lists
    /// for it (a person listed once under one address counts under their others too).
    pub fn approvers(&self, path: &str) -> Vec<&Person> {
        let mut out: Vec<&Person> = Vec::new();
        for p in self
            .listed_sections(path)
            .into_iter()
            .flat_map(|s| &s.maintainers)
        {
            if !p.email.is_empty() && !out.iter().any(|o| o.email.eq_ignore_ascii_case(&p.email)) {
                out.push(p);
            }
        }
        out
    }
}

impl MaintainerLookup for Maintainers {
    fn is_maintainer(&self, path: &str, email: &str) -> bool {
        self.approvers(path)
            .iter()
            .any(|p| p.email.eq_ignore_ascii_case(email))
    }

    fn maintainers_of(&self, path: &str) -> Vec<String> {
        self.maintainers_for(path)
            .into_iter()
            .map(|p| {
                if p.name.is_empty() {
                    p.email.clone()
                } else {
                    format!("{} <{}>", p.name, p.email)
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "Descriptions of section entries:\n\tM: Maintainer\n\nNetwork devices\nM:\tBob Maintainer <bob@example.org>\nR:\tRita Reviewer <rita@example.org>\nS:\tMaintained\nF:\thw/net/\nX:\thw/net/legacy/\n\nE1000\nM:\tEve <eve@example.org>\nF:\thw/net/e1000*.c\nN:\tigb\n\nDocs\nM:\t\"Doc, Writer\" <doc@example.org>\nF:\tdocs/*.rst\n";

    #[test]
    fn paths_map_to_maintainers_like_get_maintainer() {
        let m = Maintainers::parse(TEXT);
        let emails = |p: &str| {
            m.maintainers_for(p)
                .iter()
                .map(|x| x.email.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            emails("hw/net/e1000.c"),
            vec!["eve@example.org", "bob@example.org"],
            "the more specific section first"
        );
        assert_eq!(emails("hw/net/virtio/net.c"), vec!["bob@example.org"]);
        assert_eq!(emails("hw/net/legacy/ne2000.c"), Vec::<String>::new());
        assert_eq!(
            emails("hw/net/igb_core.c"),
            vec!["bob@example.org"],
            "QEMU's script does not read N:"
        );
        let linux = Maintainers::parse_in_tree(TEXT, Some(Dialect::Linux), &|_| false);
        let igb: Vec<&str> = linux
            .maintainers_for("hw/net/igb_core.c")
            .iter()
            .map(|p| p.email.as_str())
            .collect();
        assert_eq!(
            igb,
            vec!["bob@example.org", "eve@example.org"],
            "Linux's does"
        );
        assert_eq!(emails("docs/index.rst"), vec!["doc@example.org"]);
        assert_eq!(
            emails("docs/devel/index.rst"),
            Vec::<String>::new(),
            "a glob matches at its own depth"
        );
        assert!(m.is_maintainer("hw/net/e1000.c", "BOB@example.org"));
        assert_eq!(m.sections[2].maintainers[0].name, "Doc, Writer");
    }

    #[test]
    fn sections_run_across_blank_lines_and_directories_get_their_slash() {
        let text = "A\nM:\tAnn <ann@example.org>\n\nF:\thw/net\nF:\tinclude/*.h\n\nB\nM:\tAnn <ann@other.example>\nM:\tBen <ben@example.org>\nF:\t*\n";
        let flat = Maintainers::parse(text);
        assert_eq!(flat.sections.len(), 2);
        assert_eq!(flat.sections[0].name, "A");
        let who = |m: &Maintainers, p: &str| {
            m.maintainers_for(p)
                .iter()
                .map(|x| x.email.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(who(&flat, "hw/net/e1000.c"), Vec::<String>::new());
        assert_eq!(who(&flat, "hw/net"), vec!["ann@example.org"]);
        assert_eq!(who(&flat, "include/qemu.h"), vec!["ann@example.org"]);
        assert_eq!(
            who(&flat, "Makefile"),
            vec!["ann@other.example", "ben@example.org"]
        );
        let tree = Maintainers::parse_in_tree(text, None, &|p| p == "hw/net");
        assert_eq!(
            who(&tree, "hw/net/e1000.c"),
            vec!["ann@example.org"],
            "a pattern naming a directory covers what is below it"
        );
        assert!(tree.is_maintainer("hw/net/e1000.c", "ann@example.org"));
        assert!(!tree.is_maintainer("hw/net/e1000.c", "ben@example.org"));
        assert!(
            flat.is_maintainer("Makefile", "ann@other.example"),
            "every address of a listed maintainer counts"
        );
    }

    #[test]
    fn people_are_read_like_parse_email() {
        assert_eq!(person("\"Doe, J\" <j@x.org> (odd)").email, "j@x.org");
        assert_eq!(person("\"Doe, J\" <j@x.org>").name, "Doe, J");
        assert_eq!(person("<j@x.org>").email, "j@x.org");
        assert_eq!(person("j@x.org (J)").email, "j@x.org");
    }

    #[test]
    fn a_pattern_aiprov_cannot_read_is_a_warning_that_names_its_line() {
        let text = "THE REST\nM:\ta <a@b>\nN:\t(\nF:\tx/{a,b}.c\nF:\tx/\n";
        let m = Maintainers::parse(text);
        assert_eq!(m.dialect, Dialect::Linux);
        let lines: Vec<usize> = m.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, vec![3, 4], "{:?}", m.warnings);
        assert!(m.warnings[1]
            .to_string()
            .starts_with("line 4: F: 'x/{a,b}.c'"));
        assert!(
            m.is_maintainer("x/a.c", "a@b"),
            "the other patterns still count"
        );
        assert_eq!(
            m.sections[0].match_depth("x/{a,b}.c"),
            Some(1),
            "only as x/"
        );
        let qemu = Maintainers::parse("S\nM:\ta <a@b>\nN:\t(\n");
        assert!(qemu.warnings.is_empty(), "QEMU's script does not read N:");
    }

    const XEN: &str = "KEXEC\nM:\tAndrew <andrew@example.org>\nS:\tSupported\nF:\txen/common/{kexec,kimage}.c\nF:\tdocs/misc/kconfig{,-language}.txt\nF:\tx/{a,b,c}.h\n\nREVIEWED ONLY\nR:\tRita <rita@example.org>\nF:\ttools/r/\n\nTHE REST\nM:\tJan <jan@example.org>\nM:\tAndrew <andrew@example.org>\nS:\tSupported\nF:\t*\nF:\t*/\nV:\txen-maintainers-1\n";

    #[test]
    fn xen_expands_braces_and_drops_the_rest_for_a_more_specific_section() {
        let m = Maintainers::parse(XEN);
        assert_eq!(m.dialect, Dialect::Xen);
        assert!(m.warnings.is_empty(), "{:?}", m.warnings);
        let who = |p: &str| {
            m.maintainers_for(p)
                .iter()
                .map(|x| x.email.as_str())
                .collect::<Vec<_>>()
        };
        for path in [
            "xen/common/kexec.c",
            "xen/common/kimage.c",
            "docs/misc/kconfig.txt",
            "docs/misc/kconfig-language.txt",
            "x/a.h",
            "x/c.h",
        ] {
            assert_eq!(who(path), vec!["andrew@example.org"], "{path}");
            assert!(!m.is_maintainer(path, "jan@example.org"), "{path}");
        }
        assert_eq!(
            who("xen/common/kexecX.c"),
            vec!["jan@example.org", "andrew@example.org"]
        );
        assert_eq!(
            who("tools/r/io.c"),
            vec!["jan@example.org", "andrew@example.org"],
            "a section without maintainers does not drop THE REST"
        );
        assert_eq!(expand_braces("{a,b}.c"), "{a,b}.c", "a brace first stays");
        assert_eq!(
            expand_braces("x/\\{a,b}.c"),
            "x/\\{a,b}.c",
            "so does an escaped one"
        );
        let linux = Maintainers::parse_in_tree(XEN, Some(Dialect::Linux), &|_| false);
        assert_eq!(
            linux.warnings.len(),
            3,
            "Linux's script does not expand braces"
        );
        assert!(linux.is_maintainer("tools/r/io.c", "jan@example.org"));
        assert!(linux.is_maintainer("xen/common/kexec.c", "jan@example.org"));
    }

    #[test]
    fn linux_skips_comment_lines_and_reads_only_capital_keys() {
        let text = "ALPHA\nM:\tAl <al@example.org>\n# a comment\nF:\ta/\nx: not an entry\nF:\tb/\n\nTHE REST\nM:\tLinus <l@example.org>\nF:\t*\nF:\t*/\n";
        let m = Maintainers::parse(text);
        assert_eq!(m.dialect, Dialect::Linux);
        assert_eq!(m.sections[0].name, "ALPHA");
        assert!(m.is_maintainer("a/x.c", "al@example.org"));
        assert_eq!(m.sections[1].name, "x: not an entry");
        assert!(m.is_maintainer("b/x.c", "l@example.org"));
        assert!(!m.is_maintainer("b/x.c", "al@example.org"));
        let qemu = Maintainers::parse_in_tree(text, Some(Dialect::Qemu), &|_| false);
        assert_eq!(
            qemu.sections[1].name, "# a comment",
            "QEMU's script has no comments"
        );
        assert!(!qemu.is_maintainer("a/x.c", "al@example.org"));
    }
}
