//! The verification report for people.

use std::io::{self, Write};

use super::{Format, Output, DIM, ERROR, GOOD, WARNING};
use crate::finding::{Finding, Severity};
use crate::model::{ChangeReport, Report, Verdict, REPORT_SCHEMA_VERSION};
use crate::text::printable;

/// Commit ids and keyids are shown abbreviated; mail ids as they are.
pub(crate) fn short(id: &str) -> &str {
    if id.len() >= 40 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        &id[..12]
    } else {
        id
    }
}

/// Writes findings, one indented line each.
pub fn write_findings(out: &mut impl Write, findings: &[Finding]) -> io::Result<()> {
    for f in findings {
        let (style, word) = match f.severity {
            Severity::Error => (ERROR, "error"),
            Severity::Warning => (WARNING, "warning"),
        };
        writeln!(
            out,
            "    {style}{word}{style:#} [{}] {}",
            f.code,
            printable(&f.message)
        )?;
    }
    Ok(())
}

/// Writes one change's result.
pub fn write_change(out: &mut impl Write, change: &ChangeReport, verbose: u8) -> io::Result<()> {
    let (style, word) = match change.verdict {
        Verdict::Pass => (GOOD, "PASS"),
        Verdict::Fail => (ERROR, "FAIL"),
        Verdict::Skipped => (DIM, "SKIP"),
    };
    let signers: Vec<std::borrow::Cow<'_, str>> = change
        .attestations
        .iter()
        .map(|a| printable(&a.signer))
        .collect();
    let by = if signers.is_empty() {
        String::new()
    } else {
        format!(" {DIM}(attested by {}){DIM:#}", signers.join(", "))
    };
    writeln!(
        out,
        "{style}{word}{style:#} {} {}{by}",
        printable(change.label.as_deref().unwrap_or(short(&change.id))),
        printable(&change.title)
    )?;
    if change.verdict == Verdict::Skipped {
        writeln!(out, "    {DIM}merge commit without attestation: its changes are verified in the commits it merges{DIM:#}")?;
    }
    for m in &change.mail_signatures {
        let style = if m.result == "valid" { GOOD } else { WARNING };
        let why = m
            .reason
            .as_deref()
            .map(|r| format!(": {}", printable(r)))
            .unwrap_or_default();
        writeln!(
            out,
            "    {style}{}{style:#} {} signature of {}{why}",
            m.result,
            m.kind,
            printable(&m.identity)
        )?;
    }
    write_findings(out, &change.findings)?;
    for a in &change.approvals {
        writeln!(
            out,
            "    {GOOD}approved{GOOD:#} by {} for {}",
            printable(&a.approver),
            a.files
                .iter()
                .map(|f| printable(f))
                .collect::<Vec<_>>()
                .join(", ")
        )?;
    }
    // With several attestations (an author's and a maintainer's), each one's declaration is shown.
    if verbose > 0 || change.attestations.len() > 1 {
        for a in &change.attestations {
            let used = if a.ai_used_for == ["none"] {
                "no AI use".to_string()
            } else {
                format!("AI used for {}", a.ai_used_for.join(", "))
            };
            writeln!(
                out,
                "    {DIM}attestation by {} (key {}) at {}: {used}{DIM:#}",
                printable(&a.signer),
                printable(short(&a.keyid)),
                printable(&a.created_at),
            )?;
        }
    }
    Ok(())
}

/// How many changes passed, failed and were skipped.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub pass: usize,
    pub fail: usize,
    pub skip: usize,
}

impl Tally {
    pub(crate) fn count(&mut self, verdict: Verdict) {
        match verdict {
            Verdict::Pass => self.pass += 1,
            Verdict::Fail => self.fail += 1,
            Verdict::Skipped => self.skip += 1,
        }
    }

    pub(crate) fn verdict(&self) -> Verdict {
        if self.fail > 0 {
            Verdict::Fail
        } else {
            Verdict::Pass
        }
    }
}

/// Writes the closing summary line.
pub fn write_summary(out: &mut impl Write, tally: &Tally) -> io::Result<()> {
    let (style, word) = match tally.verdict() {
        Verdict::Fail => (ERROR, "verification failed"),
        _ => (GOOD, "verified"),
    };
    let skipped = if tally.skip > 0 {
        format!(", {} skipped", tally.skip)
    } else {
        String::new()
    };
    writeln!(
        out,
        "{style}{word}{style:#}: {} passed, {} failed{skipped}",
        tally.pass, tally.fail
    )
}

/// Writes a whole report.
pub fn write_report(out: &mut impl Write, report: &Report, verbose: u8) -> io::Result<()> {
    let mut tally = Tally::default();
    for change in &report.changes {
        write_change(out, change, verbose)?;
        tally.count(change.verdict);
    }
    write_summary(out, &tally)
}

/// Prints the changes of a verification as they come, and the verdict at the end. Nothing is
/// kept but the counts: the JSON report is written change by change too (its `verdict` after
/// its `changes`), so memory does not grow with the number of changes. A printer made by
/// [`Printer::keeping`] keeps the changes instead, for a command whose JSON document holds the
/// report.
pub struct Printer<'o> {
    out: &'o Output,
    tally: Tally,
    kept: Option<Vec<ChangeReport>>,
}

impl<'o> Printer<'o> {
    pub fn new(out: &'o Output) -> Self {
        Printer {
            out,
            tally: Tally::default(),
            kept: None,
        }
    }

    /// A printer that keeps the changes for [`Printer::finish_report`] (JSON is left to the
    /// caller).
    pub fn keeping(out: &'o Output) -> Self {
        Printer {
            kept: Some(Vec::new()),
            ..Printer::new(out)
        }
    }

    pub fn add(&mut self, report: ChangeReport) -> io::Result<()> {
        let out = self.out;
        // One write per change: standard output may flush at every line.
        let mut text = Vec::new();
        let shown = !out.quiet || report.verdict == Verdict::Fail;
        match out.format {
            Format::Json if self.kept.is_none() => {
                write_json_change(&mut text, self.is_empty(), &report)?
            }
            Format::Human | Format::Markdown if shown => {
                write_change(&mut text, &report, out.verbose)?
            }
            Format::Github if shown => super::forge::write_annotations(&mut text, &report)?,
            // Nothing yet: kept for the caller's JSON, or a document written whole at the end
            // (`forge::Reports`).
            _ => {}
        }
        out.stdout().write_all(&text)?;
        self.tally.count(report.verdict);
        if let Some(kept) = &mut self.kept {
            kept.push(report);
        }
        Ok(())
    }

    /// Whether no change has been reported.
    pub fn is_empty(&self) -> bool {
        self.tally.pass + self.tally.fail + self.tally.skip == 0
    }

    /// Closes the report: the summary line, or the end of the JSON document. Returns the exit
    /// code of the verdict.
    pub fn finish(self) -> io::Result<i32> {
        let out = self.out;
        let failed = self.tally.verdict() == Verdict::Fail;
        if out.json() && self.kept.is_none() && !self.is_empty() {
            let mut stdout = out.stdout();
            write_json_end(&mut stdout, self.tally.verdict())?;
            stdout.flush()?;
        } else {
            let report = self.finish_report()?;
            if out.json() {
                out.print_json(&report)?;
            }
        }
        Ok(i32::from(failed))
    }

    /// The report of a printer that kept its changes (else without them): for people (and in
    /// GitHub's log), its summary line is printed; JSON and the documents for forges are left to
    /// the caller.
    pub fn finish_report(self) -> io::Result<Report> {
        if matches!(
            self.out.format,
            Format::Human | Format::Markdown | Format::Github
        ) {
            let mut out = self.out.stdout();
            write_summary(&mut out, &self.tally)?;
            out.flush()?;
        }
        Ok(Report::new(self.kept.unwrap_or_default()))
    }
}

/// One change of the JSON report written change by change, after the document's opening
/// (`first`) or the change before.
pub(crate) fn write_json_change(
    text: &mut Vec<u8>,
    first: bool,
    report: &ChangeReport,
) -> io::Result<()> {
    if first {
        write!(
            text,
            "{{\n  \"schemaVersion\": {REPORT_SCHEMA_VERSION},\n  \"changes\": [\n"
        )?;
    } else {
        writeln!(text, ",")?;
    }
    let json = serde_json::to_string_pretty(report)?;
    for (i, line) in json.lines().enumerate() {
        let newline = if i == 0 { "" } else { "\n" };
        write!(text, "{newline}    {line}")?;
    }
    Ok(())
}

/// The end of a JSON report written change by change: its verdict, after its changes.
pub(crate) fn write_json_end(out: &mut (impl Write + ?Sized), verdict: Verdict) -> io::Result<()> {
    let verdict = serde_json::to_string(&verdict)?;
    writeln!(out, "\n  ],\n  \"verdict\": {verdict}\n}}")
}
