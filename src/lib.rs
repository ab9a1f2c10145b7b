//! aiprov: signed, verifiable AI-usage attestations for git commits and patch mails.
//!
//! The library is the whole tool; `main.rs` only parses the command line and maps results to
//! exit codes. See `ARCHITECTURE.md` for the map of modules and their invariants.

pub mod app;
pub mod archive;
pub mod attest;
pub mod change;
pub mod cli;
pub mod digest;
pub mod dsse;
pub mod finding;
pub mod git;
pub mod json;
pub mod keyring;
pub mod limits;
pub mod mail;
pub mod model;
pub mod note;
pub mod output;
pub mod patch;
pub mod policy;
pub mod records;
pub mod report;
pub mod signing;
#[cfg(feature = "sigstore")]
pub mod sigstore;
pub mod text;
pub mod trailers;
pub mod verify;
