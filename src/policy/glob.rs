//! Path globs as people write them for git: `*` stays within a directory, `**` crosses them, and
//! a pattern without `/` matches the file name at any depth (like `.gitignore`).

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use thiserror::Error;

#[derive(Debug, Error)]
#[error("invalid glob '{glob}'")]
pub struct PathGlobError {
    pub glob: String,
    #[source]
    source: globset::Error,
}

/// A set of path globs.
#[derive(Debug, Clone)]
pub struct PathGlob {
    set: GlobSet,
    patterns: Vec<String>,
}

/// The globs for one pattern: a pattern without `/` matches a name at any depth, a trailing `/`
/// means everything under a directory.
fn build(pattern: &str) -> Result<Vec<Glob>, PathGlobError> {
    let pattern = pattern.strip_prefix('/').unwrap_or(pattern);
    let forms = if let Some(dir) = pattern.strip_suffix('/') {
        vec![format!("{dir}/**")]
    } else if pattern.contains('/') {
        vec![pattern.to_string()]
    } else {
        vec![pattern.to_string(), format!("**/{pattern}")]
    };
    forms
        .iter()
        .map(|form| {
            GlobBuilder::new(form)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|source| PathGlobError {
                    glob: pattern.to_string(),
                    source,
                })
        })
        .collect()
}

impl PathGlob {
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<PathGlob, PathGlobError> {
        let mut b = GlobSetBuilder::new();
        for p in patterns {
            for glob in build(p.as_ref())? {
                b.add(glob);
            }
        }
        let set = b.build().map_err(|source| PathGlobError {
            glob: String::new(),
            source,
        })?;
        Ok(PathGlob {
            set,
            patterns: patterns.iter().map(|p| p.as_ref().to_string()).collect(),
        })
    }

    /// The patterns as written.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    pub fn is_match(&self, path: &str) -> bool {
        self.set.is_match(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_follow_gitignore_conventions() {
        let g = PathGlob::new(&["*.rst", "tests/**", "hw/*.c", "docs/"]).unwrap();
        assert!(PathGlob::new(&["**"]).unwrap().is_match("hw/net/a.c"));
        assert!(g.is_match("index.rst"));
        assert!(g.is_match("docs/devel/index.rst"));
        assert!(g.is_match("tests/unit/test-a.c"));
        assert!(g.is_match("hw/a.c"));
        assert!(!g.is_match("hw/net/a.c"));
        assert!(g.is_match("docs/x/y.txt"));
        assert!(!g.is_match("src/tests.c"));
    }
}
