//! The `MAINTAINERS` file of QEMU and Linux: sections with `M:` maintainers, `R:` reviewers,
//! `L:` lists, `S:` status, `F:`/`X:` file patterns and `N:` file-name regexes; and who maintains
//! a path, with `scripts/get_maintainer.pl`'s matching rules.

use regex::Regex;
use thiserror::Error;

use crate::verify::MaintainerLookup;

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

/// One section.
#[derive(Debug, Clone, Default)]
pub struct Section {
    pub name: String,
    pub maintainers: Vec<Person>,
    pub reviewers: Vec<Person>,
    pub lists: Vec<String>,
    pub status: Option<String>,
    files: Vec<Regex>,
    excludes: Vec<Regex>,
    names: Vec<Regex>,
}

/// A parsed MAINTAINERS file.
#[derive(Debug, Clone, Default)]
pub struct Maintainers {
    pub sections: Vec<Section>,
}

/// get_maintainer.pl's pattern: `.` literal, `*` any run, `?` one character, anchored at the
/// start; a pattern ending in `/` matches everything below, otherwise only at the same depth.
fn file_pattern(pattern: &str) -> Result<(Regex, bool), regex::Error> {
    let mut re = String::from("^");
    for c in pattern.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    Ok((Regex::new(&re)?, pattern.ends_with('/')))
}

fn pattern_matches(pattern: &Regex, path: &str) -> bool {
    let Some(m) = pattern.find(path) else {
        return false;
    };
    let source = pattern.as_str();
    // A directory pattern matches everything below it; any other only at its own depth.
    source.ends_with('/')
        || m.as_str().ends_with('/')
        || path.matches('/').count() == source.matches('/').count()
}

fn person(value: &str) -> Person {
    match value.rsplit_once('<') {
        Some((name, rest)) => Person {
            name: name.trim().trim_matches('"').to_string(),
            email: rest.trim_end_matches('>').trim().to_string(),
        },
        None => Person {
            name: String::new(),
            email: value.trim().to_string(),
        },
    }
}

impl Maintainers {
    pub fn parse(text: &str) -> Result<Maintainers, MaintainersError> {
        let mut sections = Vec::new();
        let mut current: Option<Section> = None;
        for (n, line) in text.lines().enumerate() {
            let err = |message: String| MaintainersError {
                line: n + 1,
                message,
            };
            let entry = line.split_once(':').filter(|(k, v)| {
                k.len() == 1
                    && k.chars().all(|c| c.is_ascii_uppercase())
                    && (v.starts_with('\t') || v.starts_with(' '))
            });
            match (entry, current.as_mut()) {
                (Some((key, value)), Some(section)) => {
                    let value = value.trim();
                    match key {
                        "M" => section.maintainers.push(person(value)),
                        "R" => section.reviewers.push(person(value)),
                        "L" => section.lists.push(value.to_string()),
                        "S" => section.status = Some(value.to_string()),
                        "F" | "X" => {
                            let (re, _) = file_pattern(value).map_err(|e| err(e.to_string()))?;
                            if key == "F" {
                                section.files.push(re)
                            } else {
                                section.excludes.push(re)
                            }
                        }
                        "N" => section
                            .names
                            .push(Regex::new(value).map_err(|e| err(format!("N: {e}")))?),
                        _ => {}
                    }
                }
                (Some(_), None) => {} // the preamble explains the entries
                (None, _) if line.trim().is_empty() => {
                    if let Some(s) = current.take() {
                        sections.push(s);
                    }
                }
                (None, _) => {
                    if let Some(s) = current.take() {
                        sections.push(s);
                    }
                    current = Some(Section {
                        name: line.trim().to_string(),
                        ..Section::default()
                    });
                }
            }
        }
        sections.extend(current);
        Ok(Maintainers {
            sections: sections
                .into_iter()
                .filter(|s| !s.files.is_empty() || !s.names.is_empty())
                .collect(),
        })
    }

    /// Sections whose F/N patterns match `path` and whose X patterns do not.
    pub fn sections_for(&self, path: &str) -> Vec<&Section> {
        self.sections
            .iter()
            .filter(|s| {
                !s.excludes.iter().any(|x| pattern_matches(x, path))
                    && (s.files.iter().any(|f| pattern_matches(f, path))
                        || s.names.iter().any(|n| n.is_match(path)))
            })
            .collect()
    }

    /// The maintainers (`M:`) of `path`, in section order, without duplicates.
    pub fn maintainers_for(&self, path: &str) -> Vec<&Person> {
        let mut out: Vec<&Person> = Vec::new();
        for p in self
            .sections_for(path)
            .into_iter()
            .flat_map(|s| &s.maintainers)
        {
            if !out.iter().any(|o| o.email.eq_ignore_ascii_case(&p.email)) {
                out.push(p);
            }
        }
        out
    }
}

impl MaintainerLookup for Maintainers {
    fn is_maintainer(&self, path: &str, email: &str) -> bool {
        self.maintainers_for(path)
            .iter()
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
            vec!["bob@example.org", "eve@example.org"]
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
    fn a_bad_regex_names_its_line() {
        let e = Maintainers::parse("S\nM:\ta <a@b>\nN:\t(\n").unwrap_err();
        assert_eq!(e.line, 3);
    }
}
