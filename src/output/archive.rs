//! The archive verification report for people.

use std::io::{self, Write};
use std::path::Path;

use super::report::write_findings;
use super::{DIM, ERROR, GOOD};
use crate::archive::ArchiveReport;
use crate::model::Verdict;
use crate::text::{count, printable};

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
        Verdict::Skipped => "skipped",
    }
}

/// Writes each change with its recorded verdict, then what was found and the closing line.
pub fn write_archive_report(
    out: &mut impl Write,
    report: &ArchiveReport,
    path: &Path,
) -> io::Result<()> {
    if let Some(r) = &report.release {
        let how = if report.repository {
            "each change verified again in this repository"
        } else {
            "signatures and digests only, without the repository"
        };
        writeln!(
            out,
            "release {} (commit {}): {}; {how}",
            printable(&r.range),
            printable(r.commit.get(..12).unwrap_or(&r.commit)),
            count(report.changes.len(), "change", "changes")
        )?;
    }
    for t in &report.tarballs {
        let checked = if t.matched.is_empty() {
            String::new()
        } else {
            format!(
                " {GOOD}matches{GOOD:#} {}",
                t.matched
                    .iter()
                    .map(|m| printable(m))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        writeln!(
            out,
            "tarball {} sha256 {}{checked}",
            printable(&t.name),
            printable(&t.sha256)
        )?;
    }
    for c in &report.changes {
        let (style, word) = match c.verdict {
            Verdict::Fail => (ERROR, "FAIL"),
            _ => (GOOD, " OK "),
        };
        let codes: Vec<String> = c
            .recorded_findings
            .iter()
            .map(|(code, n)| {
                if *n > 1 {
                    format!("{code} x{n}")
                } else {
                    code.clone()
                }
            })
            .collect();
        let recorded = if codes.is_empty() {
            verdict_word(c.recorded_verdict).to_string()
        } else {
            format!("{}: {}", verdict_word(c.recorded_verdict), codes.join(", "))
        };
        writeln!(
            out,
            "{style}{word}{style:#} {} {} {DIM}(recorded {recorded}){DIM:#}",
            printable(c.commit.get(..12).unwrap_or(&c.commit)),
            printable(&c.title)
        )?;
        write_findings(out, &c.findings)?;
    }
    if !report.findings.is_empty() {
        writeln!(out, "{}:", path.display())?;
        write_findings(out, &report.findings)?;
    }
    let problems = report.findings.len()
        + report
            .changes
            .iter()
            .map(|c| c.findings.len())
            .sum::<usize>();
    match report.verdict {
        Verdict::Fail => writeln!(
            out,
            "{ERROR}archive verification failed{ERROR:#}: {}",
            count(problems, "problem", "problems")
        ),
        _ => writeln!(
            out,
            "{GOOD}archive verified{GOOD:#}: {} as recorded",
            count(report.changes.len(), "change", "changes")
        ),
    }
}
