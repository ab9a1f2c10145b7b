//! Patch mails: mbox files as `git format-patch` and b4 write them, each mail read the way
//! `git mailinfo` reads it, with the attestations that `git format-patch --notes` puts below `---`.

pub mod mbox;
pub mod patch_mail;

pub use patch_mail::{MailError, PatchMail};
