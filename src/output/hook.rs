//! What `aiprov hook` did, for people or as JSON (`schema/hook.schema.json`). For people it is
//! quiet by design: a hook runs inside git's commands, so with `-q` (as the installed hooks run
//! it) only a commit that could not be attested is said, in one line.

use std::io::Write;

use serde::Serialize;

use super::{Output, Results, ERROR};

/// What one run of a hook did.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HookRun {
    pub schema_version: u32,
    /// `post-commit` or `post-rewrite`.
    pub hook: String,
    /// The command that rewrote the commits (`amend`, `rebase`), for post-rewrite.
    pub rewritten_by: Option<String>,
    pub notes_ref: String,
    pub commits: Vec<HookCommit>,
}

/// One commit the hook looked at.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HookCommit {
    pub commit: String,
    #[serde(skip)]
    pub short: String,
    pub title: String,
    /// The commits it was rewritten from.
    pub rewritten_from: Vec<String>,
    /// `attested`, `reattested`, `kept`, `skipped` or `failed`.
    pub action: &'static str,
    /// Why; for `failed`, the error.
    pub reason: String,
    /// What was signed and stored, if anything.
    pub attestation: Option<HookAttestation>,
}

/// An attestation a hook signed.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HookAttestation {
    pub signer: String,
    pub files: usize,
    /// The categories declared, none for no AI use.
    pub ai_used_for: Vec<String>,
    pub envelope: serde_json::Value,
}

impl Results for HookRun {
    fn human(&self, out: &Output) -> std::io::Result<()> {
        for c in &self.commits {
            let commit = match c.title.is_empty() {
                true => c.short.clone(),
                false => format!("{} {}", c.short, c.title),
            };
            let what = |a: &HookAttestation| match a.ai_used_for.is_empty() {
                true => "no AI use".to_string(),
                false => format!("AI used for {}", a.ai_used_for.join(", ")),
            };
            match (c.action, &c.attestation) {
                ("failed", _) => writeln!(
                    out.stderr(),
                    "{ERROR}aiprov {}:{ERROR:#} {commit} not attested: {}",
                    self.hook,
                    c.reason
                )?,
                ("attested", Some(a)) => out.status(format!("attested {commit} ({})", what(a))),
                ("reattested", Some(a)) => out.status(format!(
                    "attested {commit} again ({}): {}",
                    what(a),
                    c.reason
                )),
                ("kept", _) => out.status(format!("kept the note of {commit}: {}", c.reason)),
                _ => out.status(format!("left {commit} as it is: {}", c.reason)),
            }
        }
        Ok(())
    }
}
