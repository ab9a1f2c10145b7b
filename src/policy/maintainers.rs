//! The `MAINTAINERS` file of QEMU and Linux: sections with `M:` maintainers, `R:` reviewers,
//! `L:` lists, `S:` status, `F:`/`X:` file patterns, `N:` file-name regexes and `K:` content
//! keywords; and who maintains a path, by the rules of `scripts/get_maintainer.pl -f PATH`.
//!
//! Those rules, as the script applies them:
//! - a line `C: value` (any one character, a colon) is an entry; any other non-blank line starts
//!   a section and names it; blank lines are ignored, so entries after one still belong to the
//!   section above;
//! - an `F:`/`X:` pattern is a regular expression once `.` is made literal, `*` becomes `.*` and
//!   `?` becomes `.`; a pattern that names a directory of the tree gets a trailing `/`;
//! - a pattern ending in `/` matches every path it is a prefix of; any other pattern matches
//!   from the start of the path and only at its own depth (the same number of `/`);
//! - `N:` is an extended regular expression matched anywhere in the path;
//! - a section an `X:` pattern matches is out, whatever else matches;
//! - matching sections are listed most specific first: by the depth of their deepest matching
//!   pattern, `N:` counting as depth 0;
//! - a person already listed, by name or by address, is not listed again.
//!
//! `K:` keywords match file contents, not paths; they are kept but do not make anyone a
//! maintainer of a path (as with `get_maintainer.pl --no-keywords`).

use regex::Regex;
use thiserror::Error;

/// Who maintains which files (the project's `MAINTAINERS`, read from the trusted revision).
pub trait MaintainerLookup: Sync {
    /// Whether `email` is listed as a maintainer (`M:`) of `path`.
    fn is_maintainer(&self, path: &str, email: &str) -> bool;
}

#[derive(Debug, Error)]
#[error("MAINTAINERS line {line}: {message}")]
pub struct MaintainersError {
    pub line: usize,
    pub message: String,
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

impl FilePattern {
    fn new(pattern: &str, is_dir: &dyn Fn(&str) -> bool) -> Result<FilePattern, regex::Error> {
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
}

/// A parsed MAINTAINERS file.
#[derive(Debug, Clone, Default)]
pub struct Maintainers {
    pub sections: Vec<Section>,
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

/// `C: value`, get_maintainer.pl's `^(.):\s*(.*)`.
fn entry(line: &str) -> Option<(char, &str)> {
    let mut chars = line.chars();
    let key = chars.next()?;
    let value = chars.as_str().strip_prefix(':')?;
    Some((key, value.trim_start()))
}

impl Maintainers {
    /// Parses MAINTAINERS without a tree: `F:` patterns are directories only if they end in `/`.
    pub fn parse(text: &str) -> Result<Maintainers, MaintainersError> {
        Self::parse_in_tree(text, &|_| false)
    }

    /// Parses MAINTAINERS for a tree in which `is_dir(path)` tells directories, so that
    /// `F: hw/net` covers `hw/net/` like get_maintainer.pl run at the top of that tree.
    pub fn parse_in_tree(
        text: &str,
        is_dir: &dyn Fn(&str) -> bool,
    ) -> Result<Maintainers, MaintainersError> {
        let mut sections: Vec<Section> = Vec::new();
        let mut header = String::new();
        let mut in_section = false;
        for (n, line) in text.lines().enumerate() {
            let err = |message: String| MaintainersError {
                line: n + 1,
                message,
            };
            let Some((key, value)) = entry(line) else {
                if !line.trim().is_empty() {
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
            let pattern =
                |v: &str| FilePattern::new(v, is_dir).map_err(|e| err(format!("{key}: {e}")));
            match key {
                'M' => section.maintainers.push(person(value)),
                'R' => section.reviewers.push(person(value)),
                'L' => section.lists.push(value.to_string()),
                'S' => section.status = Some(value.to_string()),
                'K' => section.keywords.push(value.to_string()),
                'F' => section.files.push(Ok(pattern(value)?)),
                'X' => section.excludes.push(pattern(value)?),
                'N' => {
                    section
                        .files
                        .push(Err(Regex::new(&format!("(?x){value}"))
                            .map_err(|e| err(format!("N: {e}")))?))
                }
                _ => {}
            }
        }
        Ok(Maintainers { sections })
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

    /// The maintainers (`M:`) of `path` as get_maintainer.pl lists them: most specific
    /// section first, nobody twice (by name or by address, ignoring case).
    pub fn maintainers_for(&self, path: &str) -> Vec<&Person> {
        let mut out: Vec<&Person> = Vec::new();
        for p in self
            .sections_for(path)
            .into_iter()
            .flat_map(|s| &s.maintainers)
            .filter(|p| !p.email.is_empty())
        {
            let seen = out.iter().any(|o| {
                o.email.eq_ignore_ascii_case(&p.email)
                    || (!p.name.is_empty() && o.name.eq_ignore_ascii_case(&p.name))
            });
            if !seen {
                out.push(p);
            }
        }
        out
    }
}

impl MaintainerLookup for Maintainers {
    fn is_maintainer(&self, path: &str, email: &str) -> bool {
        self.sections_for(path)
            .iter()
            .flat_map(|s| &s.maintainers)
            .any(|p| p.email.eq_ignore_ascii_case(email))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "Descriptions of section entries:\n\tM: Maintainer\n\nNetwork devices\nM:\tBob Maintainer <bob@example.org>\nR:\tRita Reviewer <rita@example.org>\nS:\tMaintained\nF:\thw/net/\nX:\thw/net/legacy/\n\nE1000\nM:\tEve <eve@example.org>\nF:\thw/net/e1000*.c\nN:\tigb\n\nDocs\nM:\t\"Doc, Writer\" <doc@example.org>\nF:\tdocs/*.rst\n";

    #[test]
    fn paths_map_to_maintainers_like_get_maintainer() {
        let m = Maintainers::parse(TEXT).unwrap();
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
            vec!["bob@example.org", "eve@example.org"]
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
        let flat = Maintainers::parse(text).unwrap();
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
        let tree = Maintainers::parse_in_tree(text, &|p| p == "hw/net").unwrap();
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
    fn a_bad_regex_names_its_line() {
        let e = Maintainers::parse("S\nM:\ta <a@b>\nN:\t(\n").unwrap_err();
        assert_eq!(e.line, 3);
    }
}
