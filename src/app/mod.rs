//! The operations behind the verbs: verifying a range or a mail series, attesting, approving,
//! recording a release, checking an archive, applying a series. Each takes the repository, its
//! options and the user interface ([`crate::output::Output`]) and returns data or hands each
//! result to a callback as it is ready; `cli/` turns arguments into options and prints.

pub mod am;
mod am_approvals;
mod am_session;
pub mod approve;
pub mod attest;
mod error;
pub mod parallel;
pub mod records;
pub mod release;
pub mod rewrite;
pub mod series;
pub mod signer;
pub mod sync;
pub mod trust;
pub mod verify;
pub mod verify_archive;

pub use error::{Error, WithHint};
