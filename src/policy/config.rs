//! The project policy: `.aiprov/policy.toml` read from the trusted revision, on top of the
//! built-in profile it names (`profiles.rs`). See `docs/policy.md` and
//! `schema/policy.schema.json`.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use toml::Spanned;

use super::maintainers::Dialect;
use super::profiles::{Convention, Profile};
use super::{PathClasses, PathGlob};
use crate::finding::{Code, Severity};
use crate::text::locate;
pub use crate::text::Location;

/// Where the policy lives, relative to the repository root.
pub const POLICY_PATH: &str = ".aiprov/policy.toml";
/// The only format version this build reads.
pub const VERSION: u32 = 1;
/// The category names a trailer may use: `analysis` is QEMU's newer name for `research`.
pub const CATEGORY_NAMES: [&str; 5] = ["code", "tests", "docs", "research", "analysis"];

/// A mistake in a policy file, and where it is when that can be told.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub struct PolicyError {
    pub origin: String,
    pub message: String,
    pub at: Option<Location>,
}

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.at {
            Some(at) => write!(
                f,
                "{}:{}:{}: {}",
                self.origin, at.line, at.column, self.message
            ),
            None => write!(f, "{}: {}", self.origin, self.message),
        }
    }
}

impl PolicyError {
    /// The line in error with the place marked, compiler style.
    pub fn excerpt(&self) -> Option<String> {
        self.at.as_ref().map(Location::excerpt)
    }
}

/// What a finding's severity is set to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
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
    /// The category names the project accepts (`CATEGORY_NAMES`); where it accepts both
    /// `research` and `analysis`, they are the same category.
    pub categories: Vec<String>,
    /// Most lines of AI-written code (tests not counted) a change may have without approval.
    pub small_fix_limit: usize,
    /// Whether that limit holds for a whole series (a mail series, a range's topic) rather than
    /// for each change: splitting a fix does not get it under the limit.
    pub series_limit: bool,
    /// Explanations that allow AI code of any size, e.g. `mechanical`.
    pub code_exceptions: Vec<String>,
    /// Whether the project asks that commit messages and cover letters be written by humans.
    /// Nothing in a commit can show who wrote its message: shown, not checked.
    pub human_messages: bool,
    /// Whose get_maintainer.pl MAINTAINERS is read like; `None`: the one the file shows.
    pub maintainers: Option<Dialect>,
    levels: BTreeMap<Code, Level>,
}

impl Policy {
    /// A built-in profile as it is.
    pub fn profile(profile: Profile) -> Policy {
        let rules = profile.rules();
        let mut levels = BTreeMap::new();
        levels.insert(Code::TrailerForeign, Level::Warning);
        Policy {
            profile,
            convention: rules.convention,
            classes: rules.classes,
            restrict_categories: rules.restrict_categories,
            categories: rules.categories.iter().map(|c| c.to_string()).collect(),
            small_fix_limit: rules.small_fix_limit,
            series_limit: rules.series_limit,
            code_exceptions: vec!["mechanical".into()],
            human_messages: rules.human_messages,
            maintainers: None,
            levels,
        }
    }

    /// The severity of a finding with this code, `None` when the policy turns it off.
    pub fn severity(&self, code: Code) -> Option<Severity> {
        match self.level(code) {
            Level::Error => Some(Severity::Error),
            Level::Warning => Some(Severity::Warning),
            Level::Off => None,
        }
    }

    fn level(&self, code: Code) -> Level {
        self.levels.get(&code).copied().unwrap_or(Level::Error)
    }

    /// Whether the project accepts this category name (ASCII case ignored).
    pub fn accepts_category(&self, name: &str) -> bool {
        self.categories.iter().any(|c| c.eq_ignore_ascii_case(name))
    }

    /// Parses a policy file over its profile; the first mistake is the error.
    pub fn parse(text: &[u8], origin: &str) -> Result<Policy, PolicyError> {
        Policy::lint(text, origin).map_err(|mut all| all.remove(0))
    }

    /// Parses a policy file over its profile, with every mistake that can be told (a file
    /// that is not TOML of the policy's shape stops at its first).
    pub fn lint(text: &[u8], origin: &str) -> Result<Policy, Vec<PolicyError>> {
        let error = |message: String, at: Option<Location>| PolicyError {
            origin: origin.to_string(),
            message,
            at,
        };
        let text =
            std::str::from_utf8(text).map_err(|_| vec![error("not UTF-8 text".into(), None)])?;
        let file: PolicyFile = toml::from_str(text).map_err(|e| {
            let message = e.message().trim().replace('\n', " ");
            vec![error(message, e.span().map(|s| locate(text, s)))]
        })?;
        let mut errors = Vec::new();
        let mut at = |span: Range<usize>, message: String| {
            errors.push(error(message, Some(locate(text, span))));
        };
        if *file.version.get_ref() != VERSION {
            at(
                file.version.span(),
                format!(
                    "unsupported policy version {} (this aiprov reads version {VERSION})",
                    file.version.get_ref()
                ),
            );
        }
        let profile = match &file.profile {
            None => Profile::Qemu,
            Some(name) => Profile::named(name.get_ref()).unwrap_or_else(|| {
                at(
                    name.span(),
                    format!(
                        "unknown profile '{}' (the profiles are {})",
                        name.get_ref(),
                        names(Profile::ALL.map(Profile::name))
                    ),
                );
                Profile::Qemu
            }),
        };
        let mut policy = Policy::profile(profile);
        policy.maintainers = file.maintainers;
        if let Some(paths) = file.paths {
            let mut glob = |globs: Option<Spanned<Vec<String>>>| {
                let globs = globs?;
                PathGlob::new(globs.get_ref())
                    .map_err(|e| at(globs.span(), e.to_string()))
                    .ok()
            };
            let (tests, docs) = (glob(paths.tests), glob(paths.docs));
            policy.classes = policy.classes.with(tests, docs);
        }
        if let Some(ai) = file.ai {
            if let Some(trailer) = ai.trailer {
                match Convention::ALL
                    .into_iter()
                    .find(|c| c.key() == trailer.get_ref())
                {
                    Some(c) => policy.convention = c,
                    None => at(
                        trailer.span(),
                        format!(
                            "unknown trailer '{}' (the trailers are {})",
                            trailer.get_ref(),
                            names(Convention::ALL.map(Convention::key))
                        ),
                    ),
                }
            }
            if let Some(categories) = ai.categories {
                for name in categories.get_ref() {
                    if !CATEGORY_NAMES.contains(&name.as_str()) {
                        at(
                            categories.span(),
                            format!(
                                "unknown category '{name}' (the categories are {})",
                                names(CATEGORY_NAMES)
                            ),
                        );
                    }
                }
                policy.categories = categories.into_inner();
            }
            if let Some(limit) = ai.small_fix_limit {
                policy.small_fix_limit = limit;
            }
            if let Some(series) = ai.series_limit {
                policy.series_limit = series;
            }
            if let Some(exceptions) = ai.code_exceptions {
                policy.code_exceptions = exceptions;
            }
            if let Some(restrict) = ai.restrict_categories {
                policy.restrict_categories = restrict;
            }
            if let Some(human) = ai.human_messages {
                policy.human_messages = human;
            }
        }
        for (name, level) in file.severity {
            match Code::ALL.iter().copied().find(|c| c.as_str() == name) {
                Some(code) => {
                    policy.levels.insert(code, level.into_inner());
                }
                None => at(
                    level.span(),
                    format!("unknown finding code '{name}' in [severity]"),
                ),
            }
        }
        if errors.is_empty() {
            Ok(policy)
        } else {
            Err(errors)
        }
    }

    /// The effective policy written out as a policy file: the profile with every rule spelled,
    /// overrides applied. Parsing it gives this policy back.
    pub fn effective(&self) -> EffectivePolicy {
        EffectivePolicy {
            version: VERSION,
            profile: self.profile.name().to_string(),
            maintainers: self.maintainers,
            paths: EffectivePaths {
                tests: self.classes.tests().patterns().to_vec(),
                docs: self.classes.docs().patterns().to_vec(),
            },
            ai: EffectiveAi {
                trailer: self.convention.key().to_string(),
                categories: self.categories.clone(),
                small_fix_limit: self.small_fix_limit,
                series_limit: self.series_limit,
                code_exceptions: self.code_exceptions.clone(),
                restrict_categories: self.restrict_categories,
                human_messages: self.human_messages,
            },
            severity: Code::ALL
                .iter()
                .map(|&c| (c.as_str().to_string(), self.level(c)))
                .collect(),
        }
    }
}

impl Policy {
    /// [`Policy::effective`] as the TOML of a policy file.
    pub fn effective_toml(&self) -> String {
        toml::to_string(&self.effective()).expect("the effective policy is plain TOML")
    }
}

/// `'a', 'b' and 'c'`.
fn names<const N: usize>(all: [&str; N]) -> String {
    let quoted: Vec<String> = all.iter().map(|n| format!("'{n}'")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => quoted.join(""),
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy::profile(Profile::Qemu)
    }
}

/// A policy with every rule spelled, in the policy file's shape (`aiprov policy show`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct EffectivePolicy {
    pub version: u32,
    pub profile: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maintainers: Option<Dialect>,
    pub paths: EffectivePaths,
    pub ai: EffectiveAi,
    pub severity: BTreeMap<String, Level>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct EffectivePaths {
    pub tests: Vec<String>,
    pub docs: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct EffectiveAi {
    pub trailer: String,
    pub categories: Vec<String>,
    pub small_fix_limit: usize,
    pub series_limit: bool,
    pub code_exceptions: Vec<String>,
    pub restrict_categories: bool,
    pub human_messages: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct PolicyFile {
    version: Spanned<u32>,
    profile: Option<Spanned<String>>,
    maintainers: Option<Dialect>,
    paths: Option<PathsSection>,
    ai: Option<AiSection>,
    #[serde(default)]
    severity: BTreeMap<String, Spanned<Level>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct PathsSection {
    tests: Option<Spanned<Vec<String>>>,
    docs: Option<Spanned<Vec<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct AiSection {
    trailer: Option<Spanned<String>>,
    categories: Option<Spanned<Vec<String>>>,
    small_fix_limit: Option<usize>,
    series_limit: Option<bool>,
    code_exceptions: Option<Vec<String>>,
    restrict_categories: Option<bool>,
    human_messages: Option<bool>,
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
    fn mistakes_are_errors_that_name_the_file_and_line() {
        for (bad, line, column) in [
            ("version = 2", 1, 11),
            ("version = 1\nprofile = \"freebsd\"", 2, 11),
            ("version = 1\n[severity]\n\"no.such-code\" = \"off\"", 3, 18),
            ("version = 1\n[severity]\n\"dco.missing\" = \"loud\"", 3, 17),
            ("version = 1\n[ai]\nsmall-fix = 3", 3, 1),
            (
                "version = 1\n[ai]\ncategories = [\"code\", \"vibes\"]",
                3,
                14,
            ),
            ("version = 1\n[ai]\ntrailer = \"Co-authored-by\"", 3, 11),
            ("version = 1\n[paths]\ntests = [\"[\"]", 3, 9),
            ("version = 1\nmaintainers = \"freebsd\"", 2, 15),
        ] {
            let e = Policy::parse(bad.as_bytes(), ".aiprov/policy.toml").unwrap_err();
            let at = e.at.clone().unwrap_or_else(|| panic!("no line: {e}"));
            assert_eq!((at.line, at.column), (line, column), "{bad}: {e}");
            let prefix = format!(".aiprov/policy.toml:{line}:{column}: ");
            assert!(e.to_string().starts_with(&prefix), "{e}");
            assert!(e.excerpt().unwrap().contains(&at.text), "{e}");
        }
        let kernel = Policy::parse(b"version = 1\nprofile = \"kernel\"", "p").unwrap();
        assert_eq!(kernel.maintainers, None, "the dialect MAINTAINERS shows");
        let xen = Policy::parse(b"version = 1\nmaintainers = \"xen\"", "p").unwrap();
        assert_eq!(xen.maintainers, Some(Dialect::Xen));
        assert!(xen.effective_toml().contains("maintainers = \"xen\""));
        assert_eq!(kernel.convention, Convention::AssistedBy);
        assert!(!kernel.restrict_categories);
    }

    #[test]
    fn lint_reports_every_mistake_it_can_tell() {
        let text = "version = 1\nprofile = \"qemu-2025\"\n[severity]\n\"dco.nope\" = \"off\"\n";
        let errors = Policy::lint(text.as_bytes(), "p.toml").unwrap_err();
        let lines: Vec<usize> = errors.iter().map(|e| e.at.as_ref().unwrap().line).collect();
        assert_eq!(lines, vec![2, 4]);
        assert_eq!(
            errors[0].excerpt().unwrap(),
            "  |\n2 | profile = \"qemu-2025\"\n  |           ^^^^^^^^^^^"
        );
    }

    #[test]
    fn profiles_follow_their_upstream_texts() {
        let newest = Policy::profile(Profile::Qemu);
        assert_eq!((newest.small_fix_limit, newest.series_limit), (10, true));
        assert!(newest.accepts_category("analysis") && newest.accepts_category("research"));
        assert!(newest.human_messages);
        let v2 = Policy::parse(b"version = 1\nprofile = \"qemu-2026-05\"", "p").unwrap();
        assert_eq!((v2.small_fix_limit, v2.series_limit), (20, false));
        assert!(v2.accepts_category("research") && !v2.accepts_category("analysis"));
        // Without a profile, a file starts from the newest qemu profile.
        let bare = Policy::parse(b"version = 1", "p").unwrap();
        assert_eq!(bare.profile, Profile::Qemu);
    }

    #[test]
    fn the_effective_policy_reads_back_as_itself() {
        for profile in Profile::ALL {
            let text = format!(
                "version = 1\nprofile = \"{profile}\"\n[ai]\nsmall-fix-limit = 7\nseries-limit = false\n[paths]\ndocs = [\"man/\"]\n[severity]\n\"dco.missing\" = \"warning\"\n"
            );
            let policy = Policy::parse(text.as_bytes(), "p").unwrap();
            let shown = toml::to_string(&policy.effective()).unwrap();
            let again = Policy::parse(shown.as_bytes(), "shown").unwrap();
            assert_eq!(
                toml::to_string(&again.effective()).unwrap(),
                shown,
                "{profile}"
            );
            assert!(shown.contains("small-fix-limit = 7\n"), "{shown}");
            assert!(shown.contains("series-limit = false\n"), "{shown}");
            assert!(shown.contains("\"dco.missing\" = \"warning\""), "{shown}");
            assert!(shown.contains("docs = [\"man/\"]"), "{shown}");
        }
    }
}
