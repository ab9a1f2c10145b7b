//! `aiprov show [REV]`: print the attestations of a commit readably.

use super::Context;
use crate::app::trust::Trust;
use crate::app::Error;
use crate::dsse::Envelope;
use crate::git::{notes, Repo};
use crate::output::show::{NoteLine, Shown, Statement};
use crate::verify::check_note;

/// Print the attestations of a commit
#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(default_value = "HEAD")]
    rev: String,
}

pub fn run(ctx: &Context, repo: &Repo, args: Args) -> Result<i32, Error> {
    let id = repo.commit_id(&args.rev)?;
    let note = notes::read_note(repo, &ctx.notes_ref, id)?.unwrap_or_default();
    let target = repo.targets(&id.to_string())?.remove(0);
    let mut trust = Trust::new(Some(repo), &ctx.out, None)?;
    let keyring = trust.keyring(id, target.trusted).ok().cloned();
    let mut shown = Vec::new();
    for (n, line) in crate::note::numbered_lines(&note) {
        let payload = Envelope::of_line(line).ok().map(|e| e.payload);
        let statement = payload.and_then(|p| {
            serde_json::from_slice(&p)
                .map(|s| Statement::Attestation(Box::new(s)))
                .or_else(|_| serde_json::from_slice(&p).map(|s| Statement::Approval(Box::new(s))))
                .ok()
        });
        let status = match &keyring {
            None => "not verified: no keyring at the parent commit".to_string(),
            Some(k) => {
                // The line is checked as a note of its own: its findings name it line 1, and
                // it is shown under its own number.
                let checked = check_note(line, k);
                match checked.findings.first() {
                    Some(f) => format!(
                        "{}: {}",
                        f.code,
                        f.message
                            .strip_prefix("note line 1: ")
                            .unwrap_or(&f.message)
                    ),
                    None if checked.attestations.is_empty() && checked.approvals.is_empty() => {
                        "not an AI-usage attestation".into()
                    }
                    None => "verified".into(),
                }
            }
        };
        shown.push(NoteLine::new(n, statement, status));
    }
    ctx.out.result(&Shown {
        schema_version: 1,
        commit: id.to_string(),
        attestations: shown,
    })?;
    Ok(0)
}
