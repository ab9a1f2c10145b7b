//! A commit's note as `aiprov show` prints it: each line (an attestation, an approval, or one
//! that cannot be read) numbered as `verify` numbers note lines, with whether it verified; for
//! people or as JSON (`schema/show.schema.json`).

use std::io::Write;

use serde::Serialize;

use super::{Output, Results, BOLD, DIM, ERROR, GOOD};
use crate::model::{AiUsage, AiUsageStatement, ApprovalStatement};
use crate::text::printable;

/// The lines of a commit's note.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Shown {
    pub schema_version: u32,
    pub commit: String,
    /// The note's lines, blank lines left out.
    pub attestations: Vec<NoteLine>,
}

/// One line of a note.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NoteLine {
    /// Its 1-based line number in the note, as `verify`'s findings name it.
    pub line: usize,
    pub kind: LineKind,
    /// Whether its signature verified with a key the keyring trusts for its signer.
    pub verified: bool,
    /// `verified`, or why not.
    pub status: String,
    /// The statement it holds (signature unchecked when not verified).
    pub statement: Option<Statement>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LineKind {
    Attestation,
    Approval,
    Unreadable,
}

/// What a note line states.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Statement {
    Attestation(Box<AiUsageStatement>),
    Approval(Box<ApprovalStatement>),
}

impl NoteLine {
    pub fn new(line: usize, statement: Option<Statement>, status: String) -> NoteLine {
        let kind = match &statement {
            Some(Statement::Attestation(_)) => LineKind::Attestation,
            Some(Statement::Approval(_)) => LineKind::Approval,
            None => LineKind::Unreadable,
        };
        NoteLine {
            line,
            kind,
            verified: status == "verified",
            status,
            statement,
        }
    }
}

impl Results for Shown {
    fn human(&self, out: &Output) -> std::io::Result<()> {
        let mut out = out.stdout();
        if self.attestations.is_empty() {
            writeln!(out, "no attestations for {}", self.commit)?;
            return Ok(());
        }
        for l in &self.attestations {
            let style = if l.verified { GOOD } else { ERROR };
            let (n, status) = (l.line, &l.status);
            let status = format!("({style}{status}{style:#})");
            match &l.statement {
                Some(Statement::Attestation(s)) => {
                    let p = &s.predicate;
                    writeln!(
                        out,
                        "{BOLD}note line {n}{BOLD:#}: attestation by {} <{}> at {} {status}",
                        printable(&p.signer.name),
                        printable(&p.signer.email),
                        printable(&p.created_at)
                    )?;
                    print_predicate(&mut out, p)?;
                }
                Some(Statement::Approval(a)) => writeln!(
                    out,
                    "{BOLD}note line {n}{BOLD:#}: approval by {} <{}> at {} {status}{}",
                    printable(&a.predicate.approver.name),
                    printable(&a.predicate.approver.email),
                    printable(&a.predicate.created_at),
                    a.predicate
                        .comment
                        .as_ref()
                        .map(|c| format!(": {}", printable(c)))
                        .unwrap_or_default()
                )?,
                None => writeln!(out, "{BOLD}note line {n}{BOLD:#}: unreadable {status}")?,
            }
        }
        Ok(())
    }
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
    if !p.models.is_empty() {
        let models = p.models.iter().map(|m| printable(m).into_owned()).collect();
        writeln!(out, "  models:            {}", list(models))?;
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
        let from = f
            .source
            .map(|s| format!("  {DIM}(from {}){DIM:#}", s.as_str()))
            .unwrap_or_default();
        writeln!(out, "    {} {name}  {ai}{from}", f.status_letter())?;
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
