//! `aiprov show [REV]`: print the attestations of a commit readably.

use std::io::Write;

use super::Context;
use crate::app::trust::Trust;
use crate::app::Error;
use crate::dsse::Envelope;
use crate::git::{notes, Repo};
use crate::model::{AiUsage, AiUsageStatement, ApprovalStatement};
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
        print_predicate(&mut out, p)?;
    }
    Ok(0)
}

/// Everything the AI-usage predicate says, one field a line.
fn print_predicate(out: &mut impl Write, p: &AiUsage) -> std::io::Result<()> {
    let id =
        |i: &crate::trailers::Identity| format!("{} <{}>", printable(&i.name), printable(&i.email));
    let list = |items: Vec<String>| {
        if items.is_empty() {
            "none".to_string()
        } else {
            items.join(", ")
        }
    };
    let c = &p.change;
    writeln!(out, "  change:            {}", printable(&c.title))?;
    writeln!(out, "  author:            {}", id(&c.author))?;
    let sign_offs = c.signed_off_by.iter().map(id).collect();
    writeln!(out, "  signed off by:     {}", list(sign_offs))?;
    let trailers = c
        .ai_used_for
        .iter()
        .map(|t| printable(t).into_owned())
        .collect();
    writeln!(out, "  AI-used-for:       {}", list(trailers))?;
    if let Some(commit) = &c.commit {
        writeln!(out, "  commit:            {}", printable(commit))?;
    }
    if let Some(base) = &c.base {
        writeln!(out, "  base:              {}", printable(base))?;
    }
    let used = p.categories().iter().map(|c| c.to_string()).collect();
    writeln!(out, "  AI used:           {}", list(used))?;
    writeln!(
        out,
        "  research/analysis: {}",
        if p.research {
            "yes (AI used for research, analysis or debugging; none of its output is in the change)"
        } else {
            "no"
        }
    )?;
    let tools = p
        .tools
        .iter()
        .map(|t| match &t.version {
            Some(v) => format!("{} {}", printable(&t.name), printable(v)),
            None => printable(&t.name).into_owned(),
        })
        .collect();
    writeln!(out, "  tools:             {}", list(tools))?;
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
        let side = |s: &Option<String>| {
            s.as_deref()
                .map_or("-".to_string(), |v| printable(v).into_owned())
        };
        let mut detail = format!(
            "digest {}, blobs {} -> {}, modes {} -> {}",
            printable(&f.digest),
            side(&f.old_blob),
            side(&f.new_blob),
            side(&f.old_mode),
            side(&f.new_mode)
        );
        if let Some(lines) = &f.lines {
            let added = crate::text::count(lines.added as usize, "added line", "added lines");
            detail.push_str(&format!(", {added}"));
            if let Some(ai) = lines.added_by_ai {
                detail.push_str(&format!(" ({ai} by AI)"));
            }
        }
        writeln!(out, "      {DIM}{detail}{DIM:#}")?;
    }
    Ok(())
}
