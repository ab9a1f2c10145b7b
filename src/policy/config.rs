//! The project policy: `.aiprov/policy.toml` read from the trusted revision, on top of a built-in
//! profile (`qemu`, the default, or `kernel`). See `docs/policy.md` and `schema/policy.schema.json`.

use std::collections::BTreeMap;

use serde::Deserialize;
use thiserror::Error;

use super::maintainers::Dialect;
use super::{PathClasses, PathGlob};
use crate::finding::{Code, Severity};

/// Where the policy lives, relative to the repository root.
pub const POLICY_PATH: &str = ".aiprov/policy.toml";
/// The only format version this build reads.
pub const VERSION: u32 = 1;

#[derive(Debug, Error)]
#[error("{origin}: {message}")]
pub struct PolicyError {
    pub origin: String,
    pub message: String,
}

/// A built-in starting point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// QEMU's policy: `AI-used-for:`, tests and docs allowed by path, code only as a small fix.
    Qemu,
    /// The Linux kernel's convention: `Assisted-by: AGENT:MODEL [TOOL...]`, no category limits.
    Kernel,
}

/// Which trailer declares AI use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Convention {
    AiUsedFor,
    AssistedBy,
}

/// What a finding's severity is set to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
    Off,
}

/// The resolved policy.
#[derive(Debug, Clone)]
pub struct Policy {
    pub profile: Profile,
    pub convention: Convention,
    pub classes: PathClasses,
    /// Whether the category rules apply (AI tests on test paths, docs on docs paths or comments,
    /// code as a small fix); the kernel profile has none.
    pub restrict_categories: bool,
    /// Most lines of AI-written code (tests not counted) a change may have without approval.
    pub small_fix_limit: usize,
    /// Explanations that allow AI code of any size, e.g. `mechanical`.
    pub code_exceptions: Vec<String>,
    /// Whose get_maintainer.pl MAINTAINERS is read like; `None`: the one the file shows.
    pub maintainers: Option<Dialect>,
    levels: BTreeMap<Code, Level>,
}

impl Policy {
    /// A built-in profile as it is.
    pub fn profile(profile: Profile) -> Policy {
        let mut levels = BTreeMap::new();
        levels.insert(Code::TrailerForeign, Level::Warning);
        Policy {
            profile,
            convention: match profile {
                Profile::Qemu => Convention::AiUsedFor,
                Profile::Kernel => Convention::AssistedBy,
            },
            classes: match profile {
                Profile::Qemu => PathClasses::default(),
                Profile::Kernel => PathClasses::kernel(),
            },
            restrict_categories: profile == Profile::Qemu,
            small_fix_limit: 20,
            code_exceptions: vec!["mechanical".into()],
            maintainers: None,
            levels,
        }
    }

    /// The severity of a finding with this code, `None` when the policy turns it off.
    pub fn severity(&self, code: Code) -> Option<Severity> {
        match self.levels.get(&code).copied().unwrap_or(Level::Error) {
            Level::Error => Some(Severity::Error),
            Level::Warning => Some(Severity::Warning),
            Level::Off => None,
        }
    }

    /// Parses a policy file over its profile.
    pub fn parse(text: &[u8], origin: &str) -> Result<Policy, PolicyError> {
        let err = |message: String| PolicyError {
            origin: origin.to_string(),
            message,
        };
        let text = std::str::from_utf8(text).map_err(|_| err("not UTF-8 text".into()))?;
        let file: PolicyFile =
            toml::from_str(text).map_err(|e| err(e.to_string().trim().replace('\n', " ")))?;
        if file.version != VERSION {
            return Err(err(format!(
                "unsupported policy version {} (this aiprov reads version {VERSION})",
                file.version
            )));
        }
        let mut policy = Policy::profile(file.profile.unwrap_or(Profile::Qemu));
        policy.maintainers = file.maintainers;
        if let Some(paths) = file.paths {
            let tests = paths.tests.map(|g| PathGlob::new(&g)).transpose();
            let docs = paths.docs.map(|g| PathGlob::new(&g)).transpose();
            let (tests, docs) = (
                tests.map_err(|e| err(e.to_string()))?,
                docs.map_err(|e| err(e.to_string()))?,
            );
            policy.classes = policy.classes.with(tests, docs);
        }
        if let Some(ai) = file.ai {
            if let Some(limit) = ai.small_fix_limit {
                policy.small_fix_limit = limit;
            }
            if let Some(exceptions) = ai.code_exceptions {
                policy.code_exceptions = exceptions;
            }
            if let Some(restrict) = ai.restrict_categories {
                policy.restrict_categories = restrict;
            }
        }
        for (name, level) in file.severity {
            let code = Code::ALL
                .iter()
                .copied()
                .find(|c| c.as_str() == name)
                .ok_or_else(|| err(format!("unknown finding code '{name}' in [severity]")))?;
            policy.levels.insert(code, level);
        }
        Ok(policy)
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy::profile(Profile::Qemu)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct PolicyFile {
    version: u32,
    profile: Option<Profile>,
    maintainers: Option<Dialect>,
    paths: Option<PathsSection>,
    ai: Option<AiSection>,
    #[serde(default)]
    severity: BTreeMap<String, Level>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct PathsSection {
    tests: Option<Vec<String>>,
    docs: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct AiSection {
    small_fix_limit: Option<usize>,
    code_exceptions: Option<Vec<String>>,
    restrict_categories: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PathClass;

    #[test]
    fn a_project_file_overrides_its_profile() {
        let p = Policy::parse(
            br#"version = 1
profile = "qemu"
[paths]
tests = ["qa/**"]
[ai]
small-fix-limit = 30
code-exceptions = ["mechanical", "generated"]
[severity]
"trailer.foreign" = "error"
"dco.author-not-signed-off" = "off"
"#,
            "policy.toml",
        )
        .unwrap();
        assert_eq!(p.small_fix_limit, 30);
        assert_eq!(p.classes.classify("qa/x.c"), PathClass::Tests);
        assert_eq!(p.classes.classify("tests/x.c"), PathClass::Code);
        assert_eq!(p.classes.classify("docs/x.rst"), PathClass::Docs);
        assert_eq!(p.severity(Code::TrailerForeign), Some(Severity::Error));
        assert_eq!(p.severity(Code::AuthorNotSignedOff), None);
        assert_eq!(p.severity(Code::DcoMissing), Some(Severity::Error));
    }

    #[test]
    fn mistakes_are_errors_that_name_the_file() {
        for bad in [
            "version = 2",
            "version = 1\nprofile = \"freebsd\"",
            "version = 1\n[severity]\n\"no.such-code\" = \"off\"",
            "version = 1\n[severity]\n\"dco.missing\" = \"loud\"",
            "version = 1\n[ai]\nsmall-fix = 3",
            "version = 1\n[paths]\ntests = [\"[\"]",
            "version = 1\nmaintainers = \"freebsd\"",
        ] {
            let e = Policy::parse(bad.as_bytes(), ".aiprov/policy.toml").unwrap_err();
            assert!(e.to_string().starts_with(".aiprov/policy.toml: "), "{e}");
        }
        let kernel = Policy::parse(b"version = 1\nprofile = \"kernel\"", "p").unwrap();
        assert_eq!(kernel.maintainers, None, "the dialect MAINTAINERS shows");
        let xen = Policy::parse(b"version = 1\nmaintainers = \"xen\"", "p").unwrap();
        assert_eq!(xen.maintainers, Some(Dialect::Xen));
        assert_eq!(kernel.convention, Convention::AssistedBy);
        assert!(!kernel.restrict_categories);
    }
}
