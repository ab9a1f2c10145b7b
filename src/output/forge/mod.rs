//! A verification's reports for forges (`docs/ci.md`): SARIF 2.1.0 for GitHub code scanning,
//! GitLab Code Quality, JUnit XML, GitHub Actions workflow commands, and a Markdown table for a
//! job summary. One run writes several: the one `--format` prints, and each `--report-file
//! FORMAT=PATH`.
//!
//! Each report is built change by change as verification hands the changes out, and keeps only
//! its own rendering of each (results, rows, test cases), never the changes: its size is the
//! report's, a few hundred bytes a finding, which for a pull request is small (and GitHub takes
//! at most 25,000 SARIF results anyway). The human and JSON outputs stay streamed
//! ([`Printer`]).

mod codequality;
mod github;
mod junit;
mod markdown;
mod sarif;

pub use github::write_annotations;

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use super::report::{short, write_json_change, write_json_end, Printer, Tally};
use super::{Format, Output};
use crate::finding::{Finding, Severity};
use crate::model::{ChangeReport, Report, Verdict};
use crate::text::printable;

/// The formats `--report-file FORMAT=PATH` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// The verification report, as `--format json` prints it.
    Json,
    Sarif,
    Codequality,
    Junit,
    /// The per-change table for a job summary, appended to the file.
    Markdown,
}

impl ReportFormat {
    fn name(self) -> &'static str {
        match self {
            ReportFormat::Json => "json",
            ReportFormat::Sarif => "sarif",
            ReportFormat::Codequality => "codequality",
            ReportFormat::Junit => "junit",
            ReportFormat::Markdown => "markdown",
        }
    }
}

/// `--report-file FORMAT=PATH`: a report written besides what `--format` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFile {
    pub format: ReportFormat,
    pub path: PathBuf,
}

impl std::str::FromStr for ReportFile {
    type Err = String;

    fn from_str(s: &str) -> Result<ReportFile, String> {
        use clap::ValueEnum;
        let names = "json, sarif, codequality, junit or markdown";
        let Some((format, path)) = s.split_once('=') else {
            return Err(format!("expected FORMAT=PATH, FORMAT one of {names}"));
        };
        let format = ReportFormat::from_str(format, false)
            .map_err(|_| format!("unknown report format '{format}' (one of {names})"))?;
        if path.is_empty() {
            return Err("the report's PATH is empty".to_string());
        }
        Ok(ReportFile {
            format,
            path: PathBuf::from(path),
        })
    }
}

/// A report file that could not be opened or written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write the report on standard output")]
    Output(#[source] io::Error),
    #[error("cannot write the {format} report to {}", path.display())]
    File {
        format: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// A report built change by change and written whole at the end.
trait Document {
    fn add(&mut self, change: &ChangeReport) -> io::Result<()>;
    fn write(&self, out: &mut dyn Write, tally: &Tally) -> io::Result<()>;
}

/// The report of `format` for the verification named `title` (`aiprov verify A..B`).
fn document(format: ReportFormat, title: &str) -> Box<dyn Document> {
    match format {
        ReportFormat::Json => Box::new(Json::default()),
        ReportFormat::Sarif => Box::new(sarif::Sarif::default()),
        ReportFormat::Codequality => Box::new(codequality::CodeQuality::default()),
        ReportFormat::Junit => Box::new(junit::Junit::new(title)),
        ReportFormat::Markdown => Box::new(markdown::Summary::new(title)),
    }
}

/// The JSON report in a file: the changes as `--format json` prints them, kept as text.
#[derive(Default)]
struct Json {
    text: Vec<u8>,
}

impl Document for Json {
    fn add(&mut self, change: &ChangeReport) -> io::Result<()> {
        let first = self.text.is_empty();
        write_json_change(&mut self.text, first, change)
    }

    fn write(&self, out: &mut dyn Write, tally: &Tally) -> io::Result<()> {
        if self.text.is_empty() {
            serde_json::to_writer_pretty(&mut *out, &Report::new(Vec::new()))?;
            return writeln!(out);
        }
        out.write_all(&self.text)?;
        write_json_end(out, tally.verdict())
    }
}

/// The reports of one verification: what `--format` prints (streamed for people, JSON and
/// GitHub's workflow commands; a document printed whole at the end for SARIF, Code Quality and
/// JUnit), and each `--report-file`.
pub struct Reports<'o> {
    printer: Printer<'o>,
    out: &'o Output,
    stdout: Option<Box<dyn Document>>,
    files: Vec<(ReportFile, File, Box<dyn Document>)>,
    tally: Tally,
}

impl<'o> Reports<'o> {
    /// Opens the report files first (a Markdown one to append to), so that a path that cannot
    /// be written is said before verification, not after it.
    pub fn new(out: &'o Output, title: &str, files: &[ReportFile]) -> Result<Self, ReportError> {
        let stdout = match out.format {
            Format::Sarif => Some(ReportFormat::Sarif),
            Format::Codequality => Some(ReportFormat::Codequality),
            Format::Junit => Some(ReportFormat::Junit),
            _ => None,
        };
        let mut opened = Vec::new();
        for f in files {
            let file = if f.format == ReportFormat::Markdown {
                File::options().append(true).create(true).open(&f.path)
            } else {
                File::create(&f.path)
            };
            let file = file.map_err(|source| ReportError::File {
                format: f.format.name(),
                path: f.path.clone(),
                source,
            })?;
            opened.push((f.clone(), file, document(f.format, title)));
        }
        Ok(Reports {
            printer: Printer::new(out),
            out,
            stdout: stdout.map(|format| document(format, title)),
            files: opened,
            tally: Tally::default(),
        })
    }

    pub fn add(&mut self, change: ChangeReport) -> io::Result<()> {
        if let Some(doc) = &mut self.stdout {
            doc.add(&change)?;
        }
        for (_, _, doc) in &mut self.files {
            doc.add(&change)?;
        }
        self.tally.count(change.verdict);
        self.printer.add(change)
    }

    /// Whether no change has been reported.
    pub fn is_empty(&self) -> bool {
        self.printer.is_empty()
    }

    /// Ends what `--format` prints and writes the report files. Returns the exit code of the
    /// verdict.
    pub fn finish(self) -> Result<i32, ReportError> {
        let code = self.printer.finish().map_err(ReportError::Output)?;
        if let Some(doc) = &self.stdout {
            let mut text = Vec::new();
            doc.write(&mut text, &self.tally)
                .and_then(|()| {
                    let mut stdout = self.out.stdout();
                    stdout.write_all(&text)?;
                    stdout.flush()
                })
                .map_err(ReportError::Output)?;
        }
        for (f, mut file, doc) in self.files {
            let mut text = Vec::new();
            doc.write(&mut text, &self.tally)
                .and_then(|()| file.write_all(&text))
                .and_then(|()| file.flush())
                .map_err(|source| ReportError::File {
                    format: f.format.name(),
                    path: f.path,
                    source,
                })?;
        }
        Ok(code)
    }
}

/// How a report names a change: `commit 1a2b3c4d5e6f "title"`, or `patch 2/5 "title"`.
fn subject(change: &ChangeReport) -> String {
    let title = printable(&change.title);
    match &change.label {
        Some(label) => format!("{} \"{title}\"", printable(label)),
        None => format!("commit {} \"{title}\"", short(&change.id)),
    }
}

/// A finding's message with the change it is about, for reports that list findings apart from
/// their change: `no attestation for this change (commit 1a2b3c4d5e6f "title")`.
fn described(change: &ChangeReport, finding: &Finding) -> String {
    format!("{} ({})", printable(&finding.message), subject(change))
}

/// A finding as the reports for forges show it: on a file, with a fingerprint.
struct Placed<'c> {
    finding: &'c Finding,
    /// Its own file, else the change's first ([`ChangeReport::first_file`]): SARIF and Code
    /// Quality show every finding on a file. `None` only for a change without files.
    path: Option<&'c str>,
    /// Stable across runs and unique in the report: SHA-256 of the code, the change's id, the
    /// finding's file and its message. Without the id, the same finding in two commits of one
    /// pull request would be one alert on the forge.
    fingerprint: String,
}

/// The findings of a change, placed; a finding said twice (same code, file and message) once.
fn placed(change: &ChangeReport) -> Vec<Placed<'_>> {
    let mut seen = HashSet::new();
    change
        .findings
        .iter()
        .filter_map(|finding| {
            let fingerprint = fingerprint(&change.id, finding);
            seen.insert(fingerprint.clone()).then(|| Placed {
                finding,
                path: finding.file.as_deref().or(change.first_file.as_deref()),
                fingerprint,
            })
        })
        .collect()
}

fn fingerprint(id: &str, finding: &Finding) -> String {
    let mut hash = Sha256::new();
    for part in [
        finding.code.as_str(),
        id,
        finding.file.as_deref().unwrap_or(""),
        &finding.message,
    ] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    hex::encode(hash.finalize())
}

/// The word of a finding's severity: `error` or `warning` (SARIF levels, workflow commands).
fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// The counts a summary line says: `1 passed, 1 failed, 1 skipped`.
fn counts(tally: &Tally) -> String {
    let skipped = if tally.skip > 0 {
        format!(", {} skipped", tally.skip)
    } else {
        String::new()
    };
    format!("{} passed, {} failed{skipped}", tally.pass, tally.fail)
}

fn verdict_word(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
        Verdict::Skipped => "skip",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Code;

    pub(super) fn change(verdict: Verdict, findings: Vec<Finding>) -> ChangeReport {
        ChangeReport {
            id: "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b".into(),
            label: None,
            title: "hw: fix\tthe ring".into(),
            first_file: Some("hw/a.c".into()),
            verdict,
            findings,
            attestations: Vec::new(),
            approvals: Vec::new(),
            mail_signatures: Vec::new(),
            governing: None,
            ai_code: Default::default(),
        }
    }

    #[test]
    fn a_report_file_is_format_equals_path() {
        let f: ReportFile = "markdown=out/summary.md".parse().unwrap();
        assert_eq!(f.format, ReportFormat::Markdown);
        assert_eq!(f.path, PathBuf::from("out/summary.md"));
        // The path may hold `=` itself.
        let f: ReportFile = "sarif=a=b.sarif".parse().unwrap();
        assert_eq!(f.path, PathBuf::from("a=b.sarif"));
        assert!("html=x"
            .parse::<ReportFile>()
            .unwrap_err()
            .contains("unknown report format 'html'"));
        assert!("sarif"
            .parse::<ReportFile>()
            .unwrap_err()
            .contains("FORMAT=PATH"));
        assert!("sarif="
            .parse::<ReportFile>()
            .unwrap_err()
            .contains("empty"));
    }

    #[test]
    fn findings_are_placed_on_their_file_else_the_changes_first() {
        let c = change(
            Verdict::Fail,
            vec![
                Finding::new(Code::DcoMissing, "no Signed-off-by"),
                Finding::new(Code::FileMissing, "not covered").in_file("hw/b.c"),
                Finding::new(Code::DcoMissing, "no Signed-off-by"),
            ],
        );
        let placed = placed(&c);
        let paths: Vec<_> = placed.iter().map(|p| p.path).collect();
        // The finding said twice is placed once.
        assert_eq!(paths, vec![Some("hw/a.c"), Some("hw/b.c")]);
        assert_ne!(placed[0].fingerprint, placed[1].fingerprint);
        // Another commit's same finding is another fingerprint.
        let other = ChangeReport {
            id: "ffff".into(),
            ..c.clone()
        };
        assert_ne!(self::placed(&other)[0].fingerprint, placed[0].fingerprint);
        assert_eq!(
            described(&c, c.findings.first().unwrap()),
            "no Signed-off-by (commit 1a2b3c4d5e6f \"hw: fix\\tthe ring\")"
        );
    }
}
