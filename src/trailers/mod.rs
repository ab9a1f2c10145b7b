//! Commit-message trailers: a parser that agrees with
//! `git interpret-trailers --parse`, and the AI-disclosure layer on top of it.
//!
//! The parser ([`parse`], [`trailer_block`]) reproduces the rules of git's
//! `trailer.c` with the default configuration: the trailer block is the last
//! paragraph of the log message (which ends before a `---` divider, trailing
//! comments and blank lines, or a scissors line), provided it consists only of
//! trailers, or holds a git-generated `Signed-off-by: ` /
//! `(cherry picked from commit ` line and at least 25% trailer lines.

mod git;

pub use git::{parse, trailer_block, BlockEntry, Trailer, TrailerBlock};

#[cfg(test)]
mod git_tests;
