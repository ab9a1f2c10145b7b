//! Patch mails: mbox files as `git format-patch` and b4 write them, each mail read the way
//! `git mailinfo` reads it, with the attestations that `git format-patch --notes` puts below `---`;
//! and the kernel's patatt signatures (`X-Developer-Signature`).

mod mailinfo;
pub mod mbox;
pub mod patatt;
pub mod patch_mail;

pub use patch_mail::{MailError, PatchMail};

/// The largest single mail aiprov reads; a larger one's patatt signatures are reported invalid.
pub const MAX_MAIL_BYTES: usize = 64 << 20;
