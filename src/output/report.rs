//! The verification report for people.

use std::io::{self, Write};

use super::{Output, DIM, ERROR, GOOD, WARNING};
use crate::finding::{Finding, Severity};
use crate::model::{ChangeReport, Report, Verdict};
use crate::text::printable;

/// Commit ids and keyids are shown abbreviated; mail ids as they are.
fn short(id: &str) -> &str {
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
        printable(short(&change.id)),
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

/// Writes the closing summary line.
pub fn write_summary(out: &mut impl Write, report: &Report) -> io::Result<()> {
    let count = |v: Verdict| report.changes.iter().filter(|c| c.verdict == v).count();
    let (pass, fail, skip) = (
        count(Verdict::Pass),
        count(Verdict::Fail),
        count(Verdict::Skipped),
    );
    let (style, word) = match report.verdict {
        Verdict::Fail => (ERROR, "verification failed"),
        _ => (GOOD, "verified"),
    };
    let skipped = if skip > 0 {
        format!(", {skip} skipped")
    } else {
        String::new()
    };
    writeln!(
        out,
        "{style}{word}{style:#}: {pass} passed, {fail} failed{skipped}"
    )
}

/// Writes a whole report.
pub fn write_report(out: &mut impl Write, report: &Report, verbose: u8) -> io::Result<()> {
    for change in &report.changes {
        write_change(out, change, verbose)?;
    }
    write_summary(out, report)
}

/// Prints each change as it is verified (human) or the whole report at the end (JSON).
pub struct Printer<'o> {
    out: &'o Output,
    changes: Vec<ChangeReport>,
}

impl<'o> Printer<'o> {
    pub fn new(out: &'o Output) -> Self {
        Printer {
            out,
            changes: Vec::new(),
        }
    }

    pub fn add(&mut self, report: ChangeReport) -> std::io::Result<()> {
        let out = self.out;
        if !out.json() && (!out.quiet || report.verdict == Verdict::Fail) {
            write_change(&mut out.stdout(), &report, out.verbose)?;
        }
        self.changes.push(report);
        Ok(())
    }

    /// Whether no change has been reported.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn finish(self) -> std::io::Result<i32> {
        let report = Report::new(self.changes);
        if self.out.json() {
            self.out.print_json(&report)?;
        } else {
            let mut out = self.out.stdout();
            write_summary(&mut out, &report)?;
            out.flush()?;
        }
        Ok(if report.verdict == Verdict::Fail {
            1
        } else {
            0
        })
    }
}
