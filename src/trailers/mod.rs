//! Commit-message trailers: a parser that agrees with
//! `git interpret-trailers --parse`, and the AI-disclosure layer on top of it.
//!
//! The parser ([`parse`], [`trailer_block`]) reproduces the rules of git's
//! `trailer.c` with the default configuration: the trailer block is the last
//! paragraph of the log message (which ends before a `---` divider, trailing
//! comments and blank lines, or a scissors line), provided it consists only of
//! trailers, or holds a git-generated `Signed-off-by: ` /
//! `(cherry picked from commit ` line and at least 25% trailer lines.
//!
//! On top of it, [`MessageTrailers`] reads the AI-disclosure trailers: QEMU's
//! proposed `AI-used-for:` ([`AiUsedFor`]), and foreign conventions
//! (`Assisted-by:`, `Generated-by:`, `Co-authored-by:` naming an AI agent);
//! [`set_ai_used_for`] writes the `AI-used-for:` trailer into a message.

mod ai;
mod git;
mod message;

pub use ai::{
    looks_like_ai_agent, written_categories, AiUsedFor, AssistedBy, Category, Identity,
    AI_AGENT_EMAILS, AI_AGENT_WORDS, AI_USED_FOR, ANALYSIS, ASSISTED_BY, ASSISTED_BY_FORM,
    CO_AUTHORED_BY, GENERATED_BY, SIGNED_OFF_BY,
};
pub use git::{parse, trailer_block, BlockEntry, Trailer, TrailerBlock};
pub use message::{
    remove_ai_used_for, set_ai_used_for, ForeignAiKind, ForeignAiTrailer, MessageTrailers,
};

/// Errors of the trailer values' grammars.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrailerError {
    /// A trailer value does not follow the grammar of its key.
    #[error("malformed {key} trailer {value:?}: {reason}")]
    Malformed {
        /// The trailer key, e.g. `AI-used-for`.
        key: String,
        /// The raw value.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
}

#[cfg(test)]
mod ai_tests;
#[cfg(test)]
mod git_tests;
