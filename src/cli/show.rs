//! `aiprov show [REV]`: print the attestations of a commit readably.

use std::io::Write;

use super::Context;
use crate::app::trust::Trust;
use crate::app::Error;
use crate::dsse::Envelope;
use crate::git::{notes, Repo};
use crate::model::{AiUsageStatement, ApprovalStatement};
use crate::output::{BOLD, DIM, ERROR, GOOD};
use crate::text::printable;
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
    let lines = crate::note::lines(&note);
    for &line in &lines {
        let statement: Option<AiUsageStatement> = Envelope::of_line(line)
            .ok()
            .and_then(|e| serde_json::from_slice(&e.payload).ok());
        let status = match &keyring {
            None => "not verified: no keyring at the parent commit".to_string(),
            Some(k) => {
                let checked = check_note(line, k);
                match checked.findings.first() {
                    Some(f) => format!("{}: {}", f.code, f.message),
                    None if checked.attestations.is_empty() && checked.approvals.is_empty() => {
                        "not an AI-usage attestation".into()
                    }
                    None => "verified".into(),
                }
            }
        };
        shown.push((statement, status));
    }
    if ctx.out.json() {
        let docs: Vec<_> = shown
            .iter()
            .map(|(s, status)| serde_json::json!({"status": status, "statement": s}))
            .collect();
        ctx.out
            .print_json(&serde_json::json!({"commit": id.to_string(), "attestations": docs}))?;
        return Ok(0);
    }
    let mut out = ctx.out.stdout();
    if shown.is_empty() {
        writeln!(out, "no attestations for {id}")?;
        return Ok(0);
    }
    for (i, (statement, status)) in shown.iter().enumerate() {
        let style = if status == "verified" { GOOD } else { ERROR };
        let Some(s) = statement else {
            let approval: Option<ApprovalStatement> = lines
                .get(i)
                .and_then(|l| Envelope::of_line(l).ok())
                .and_then(|e| serde_json::from_slice(&e.payload).ok());
            match approval {
                Some(a) => writeln!(
                    out,
                    "{BOLD}approval{BOLD:#} by {} <{}> at {} ({style}{status}{style:#}){}",
                    printable(&a.predicate.approver.name),
                    printable(&a.predicate.approver.email),
                    printable(&a.predicate.created_at),
                    a.predicate
                        .comment
                        .map(|c| format!(": {}", printable(&c)))
                        .unwrap_or_default()
                )?,
                None => writeln!(
                    out,
                    "{BOLD}attestation {}{BOLD:#}: unreadable ({style}{status}{style:#})",
                    i + 1
                )?,
            }
            continue;
        };
        let p = &s.predicate;
        writeln!(
            out,
            "{BOLD}attestation {}{BOLD:#} by {} <{}> at {} ({style}{status}{style:#})",
            i + 1,
            printable(&p.signer.name),
            printable(&p.signer.email),
            printable(&p.created_at)
        )?;
        writeln!(out, "  change:   {}", printable(&p.change.title))?;
        let categories: Vec<String> = p.categories().iter().map(|c| c.to_string()).collect();
        let used = if categories.is_empty() {
            "none".to_string()
        } else {
            categories.join(", ")
        };
        writeln!(out, "  AI used:  {used}")?;
        if !p.tools.is_empty() {
            let tools: Vec<String> = p
                .tools
                .iter()
                .map(|t| match &t.version {
                    Some(v) => format!("{} {}", printable(&t.name), printable(v)),
                    None => printable(&t.name).into_owned(),
                })
                .collect();
            writeln!(out, "  tools:    {}", tools.join(", "))?;
        }
        for f in &p.files {
            let ai = match &f.ai {
                Some(a) => printable(&a.to_string()).into_owned(),
                None => format!("{DIM}no AI{DIM:#}"),
            };
            let name = match &f.old_path {
                Some(old) => format!("{} -> {}", printable(old), printable(&f.path)),
                None => printable(&f.path).into_owned(),
            };
            writeln!(out, "    {} {name}  {ai}", f.status_letter())?;
        }
    }
    Ok(0)
}
