//! aiprov: signed, verifiable AI-usage attestations for git commits and patch mails.

pub mod trailers;
