//! Project policy: path classes (which paths are tests, which are documentation), the policy
//! file and its profiles.

pub mod comments;
mod config;
mod glob;
pub mod maintainers;
mod profiles;

pub use config::{
    EffectivePolicy, Level, Location, Policy, PolicyError, CATEGORY_NAMES, POLICY_PATH,
};
pub use glob::{PathGlob, PathGlobError};
pub use profiles::{Convention, Profile};

use crate::trailers::Category;

/// What kind of content a path holds, by the policy's globs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathClass {
    Code,
    Tests,
    Docs,
}

impl PathClass {
    /// The AI-use category that matches this class.
    pub fn category(self) -> Category {
        match self {
            PathClass::Code => Category::Code,
            PathClass::Tests => Category::Tests,
            PathClass::Docs => Category::Docs,
        }
    }
}

/// Globs that put paths into the tests and docs classes; everything else is code.
#[derive(Debug, Clone)]
pub struct PathClasses {
    tests: PathGlob,
    docs: PathGlob,
}

/// QEMU's layout: tests live under `tests/`, documentation under `docs/`, plus files in
/// documentation-only formats. No file-name pattern that code also uses (`*.txt` is
/// `meson_options.txt` and `CMakeLists.txt`, `*_test.c` is as buildable as any `.c`): a path is a
/// test or documentation by where the project keeps them, or by a format nothing builds.
const QEMU_TESTS: &[&str] = &["tests/"];
const QEMU_DOCS: &[&str] = &["docs/", "*.rst", "*.md", "*.texi", "*.adoc"];

/// The Linux kernel's layout (`Documentation/`, `tools/testing/`).
const KERNEL_TESTS: &[&str] = &["tools/testing/"];
const KERNEL_DOCS: &[&str] = &["Documentation/", "*.rst"];

impl Default for PathClasses {
    fn default() -> Self {
        PathClasses::of(QEMU_TESTS, QEMU_DOCS)
    }
}

impl PathClasses {
    fn of(tests: &[&str], docs: &[&str]) -> PathClasses {
        PathClasses {
            tests: PathGlob::new(tests).expect("built-in test globs are valid"),
            docs: PathGlob::new(docs).expect("built-in docs globs are valid"),
        }
    }

    /// The kernel profile's classes.
    pub fn kernel() -> PathClasses {
        PathClasses::of(KERNEL_TESTS, KERNEL_DOCS)
    }
    /// These classes with the test and docs globs replaced where given.
    pub fn with(self, tests: Option<PathGlob>, docs: Option<PathGlob>) -> PathClasses {
        PathClasses {
            tests: tests.unwrap_or(self.tests),
            docs: docs.unwrap_or(self.docs),
        }
    }

    /// The globs of the tests class.
    pub fn tests(&self) -> &PathGlob {
        &self.tests
    }

    /// The globs of the docs class.
    pub fn docs(&self) -> &PathGlob {
        &self.docs
    }

    pub fn classify(&self, path: &str) -> PathClass {
        if self.tests.is_match(path) {
            PathClass::Tests
        } else if self.docs.is_match(path) {
            PathClass::Docs
        } else {
            PathClass::Code
        }
    }
}
