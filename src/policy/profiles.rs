//! The built-in profiles, each named and dated after the upstream text it follows (the sources
//! are listed in `docs/policy.md`). A policy file names one and may override any of its rules.

use super::PathClasses;

/// A built-in starting point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// QEMU's newest draft, `docs/devel/llm-usage.rst`: categories `code`, `tests`, `docs`,
    /// `analysis`; small fixes below about 10 lines, counted across a series; commit messages
    /// and cover letters written by humans.
    Qemu,
    /// QEMU's May 2026 v2 (`docs/devel/code-provenance.rst`): categories `code`, `tests`,
    /// `docs`, `research`; small fixes of at most 20 lines, counted per change.
    Qemu202605,
    /// The Linux kernel's `Documentation/process/coding-assistants.rst`:
    /// `Assisted-by: AGENT_NAME:MODEL_VERSION [TOOL...]`, no category limits.
    Kernel,
}

/// Which trailer declares AI use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Convention {
    AiUsedFor,
    AssistedBy,
}

impl Convention {
    pub const ALL: [Convention; 2] = [Convention::AiUsedFor, Convention::AssistedBy];

    /// The trailer key, as a policy file names it.
    pub fn key(self) -> &'static str {
        match self {
            Convention::AiUsedFor => crate::trailers::AI_USED_FOR,
            Convention::AssistedBy => crate::trailers::ASSISTED_BY,
        }
    }
}

/// The rules a profile starts a policy with.
pub(super) struct Rules {
    pub convention: Convention,
    pub classes: PathClasses,
    pub restrict_categories: bool,
    pub categories: &'static [&'static str],
    pub small_fix_limit: usize,
    pub series_limit: bool,
    pub human_messages: bool,
}

impl Profile {
    pub const ALL: [Profile; 3] = [Profile::Qemu, Profile::Qemu202605, Profile::Kernel];

    /// The name a policy file gives it.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Qemu => "qemu",
            Profile::Qemu202605 => "qemu-2026-05",
            Profile::Kernel => "kernel",
        }
    }

    /// The upstream text the profile follows.
    pub fn source(self) -> &'static str {
        match self {
            Profile::Qemu => {
                "QEMU docs/devel/llm-usage.rst, the newest draft (patchew-project/qemu a21ad8f07b79)"
            }
            Profile::Qemu202605 => {
                "QEMU docs/devel/code-provenance.rst, the May 2026 v2 (patchew-project/qemu 063fdeb305c4)"
            }
            Profile::Kernel => {
                "Linux Documentation/process/coding-assistants.rst (torvalds/linux 41362886881f) and checkpatch.pl's Assisted-by check (d1db4118489f)"
            }
        }
    }

    /// The profile a policy file names, by name.
    pub fn named(name: &str) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.name() == name)
    }

    pub(super) fn rules(self) -> Rules {
        match self {
            Profile::Qemu => Rules {
                convention: Convention::AiUsedFor,
                classes: PathClasses::default(),
                restrict_categories: true,
                // `analysis` replaced `research`; both name AI used with none of its output in
                // the change, and commits written under v2 say `research`.
                categories: &["code", "tests", "docs", "analysis", "research"],
                small_fix_limit: 10,
                series_limit: true,
                human_messages: true,
            },
            Profile::Qemu202605 => Rules {
                convention: Convention::AiUsedFor,
                classes: PathClasses::default(),
                restrict_categories: true,
                categories: &["code", "tests", "docs", "research"],
                small_fix_limit: 20,
                series_limit: false,
                human_messages: false,
            },
            Profile::Kernel => Rules {
                convention: Convention::AssistedBy,
                classes: PathClasses::kernel(),
                restrict_categories: false,
                categories: &["code", "tests", "docs", "analysis", "research"],
                small_fix_limit: 20,
                series_limit: false,
                human_messages: false,
            },
        }
    }
}

impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
