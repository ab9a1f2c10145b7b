//! Release archives (`FILE.intoto.jsonl`): every envelope of a release's changes, one per line,
//! and the release manager's signed summary that lists each change with its verdict and the
//! digests of its envelopes. Reading, writing and the checks that need no repository.

mod record;

pub use record::record_change;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::finding::{Code, Finding, Severity};
use crate::keyring::Keyring;
use crate::model::{ReleaseChange, ReleaseStatement, Totals, Verdict, RELEASE_PREDICATE_TYPE};
use crate::verify::{check_note, check_release_summary};

/// The largest archive aiprov reads.
pub const MAX_ARCHIVE_BYTES: usize = 1 << 30;
/// The largest line of an archive: the summary of a release of many thousands of changes.
pub const MAX_LINE_BYTES: usize = 64 << 20;
/// The largest number of lines of an archive.
pub const MAX_LINES: usize = 1_000_000;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ArchiveError {
    #[error("the archive is {size} bytes, over the limit of {MAX_ARCHIVE_BYTES}")]
    TooLarge { size: usize },
    #[error("line {line} is {size} bytes, over the limit of {MAX_LINE_BYTES}")]
    LineTooLong { line: usize, size: usize },
    #[error("the archive has over {MAX_LINES} lines")]
    TooManyLines,
    #[error("the archive holds no envelope")]
    Empty,
    #[error("no line is a DSSE envelope (line {line} begins {begins:?})")]
    NoEnvelope { line: usize, begins: String },
}

/// The SHA-256 of one envelope line, as the summary lists it: lowercase hex.
pub fn line_digest(line: &[u8]) -> String {
    hex::encode(Sha256::digest(line))
}

/// The lines of an archive, with their 1-based line numbers.
#[derive(Debug)]
pub struct Archive {
    pub lines: Vec<(usize, Vec<u8>)>,
}

impl Archive {
    /// Splits an archive into its non-blank lines, within the limits.
    pub fn parse(data: &[u8]) -> Result<Archive, ArchiveError> {
        if data.len() > MAX_ARCHIVE_BYTES {
            return Err(ArchiveError::TooLarge { size: data.len() });
        }
        let mut lines = Vec::new();
        for (i, line) in data.split(|&b| b == b'\n').enumerate() {
            let line = line.trim_ascii();
            if line.is_empty() {
                continue;
            }
            if line.len() > MAX_LINE_BYTES {
                return Err(ArchiveError::LineTooLong {
                    line: i + 1,
                    size: line.len(),
                });
            }
            if lines.len() == MAX_LINES {
                return Err(ArchiveError::TooManyLines);
            }
            lines.push((i + 1, line.to_vec()));
        }
        let Some((first, line)) = lines.first() else {
            return Err(ArchiveError::Empty);
        };
        // A file of which no line is an envelope (a tarball, a README) is not an archive,
        // whereas an archive with a line altered is one, and that line a finding.
        let envelope =
            |line: &[u8]| crate::dsse::Envelope::parse_limited(line, MAX_LINE_BYTES).is_ok();
        if !lines.iter().any(|(_, l)| envelope(l)) {
            let begins: String = String::from_utf8_lossy(&line[..line.len().min(40)]).into_owned();
            return Err(ArchiveError::NoEnvelope {
                line: *first,
                begins: crate::text::printable(&begins).into_owned(),
            });
        }
        Ok(Archive { lines })
    }

    /// The release summary the archive holds, signature unchecked: only to find the release in
    /// a repository and the revision to trust.
    pub fn claimed_summary(&self) -> Option<ReleaseStatement> {
        self.lines.iter().find_map(|(_, line)| {
            let env = crate::dsse::Envelope::parse_limited(line, MAX_LINE_BYTES).ok()?;
            let s: ReleaseStatement = serde_json::from_slice(&env.payload).ok()?;
            (s.predicate_type == RELEASE_PREDICATE_TYPE).then_some(s)
        })
    }

    /// The envelope lines by digest.
    pub fn by_digest(&self) -> HashMap<String, &[u8]> {
        self.lines
            .iter()
            .map(|(_, l)| (line_digest(l), l.as_slice()))
            .collect()
    }

    /// The note a change's envelopes make: the archived lines the summary lists for it, in its
    /// order; the digests it lists that the archive lacks.
    pub fn note_of(
        &self,
        change: &ReleaseChange,
        by_digest: &HashMap<String, &[u8]>,
    ) -> (Vec<u8>, Vec<String>) {
        let mut note = Vec::new();
        let mut missing = Vec::new();
        for d in &change.envelopes {
            match by_digest.get(d) {
                Some(line) => {
                    note.extend_from_slice(line);
                    note.push(b'\n');
                }
                None => missing.push(d.clone()),
            }
        }
        (note, missing)
    }
}

/// Writes an archive as its changes come: each distinct envelope line once, in order, then the
/// summary line.
pub struct Writer<W> {
    out: W,
    seen: BTreeSet<[u8; 32]>,
}

impl<W: std::io::Write> Writer<W> {
    pub fn new(out: W) -> Self {
        Writer {
            out,
            seen: BTreeSet::new(),
        }
    }

    /// The envelope lines of the next change; a line already written is left out.
    pub fn lines(&mut self, lines: &[Vec<u8>]) -> std::io::Result<()> {
        for line in lines {
            if self.seen.insert(Sha256::digest(line).into()) {
                self.out.write_all(line)?;
                self.out.write_all(b"\n")?;
            }
        }
        Ok(())
    }

    /// The summary line, last; returns the output.
    pub fn finish(mut self, summary: &str) -> std::io::Result<W> {
        self.out.write_all(summary.as_bytes())?;
        self.out.write_all(b"\n")?;
        Ok(self.out)
    }
}

/// What the checks without a repository found.
#[derive(Debug, Default)]
pub struct Checked {
    /// The summary, when exactly one verified.
    pub summary: Option<ReleaseStatement>,
    /// Findings about the archive as a whole: its summary, lines nobody lists.
    pub findings: Vec<Finding>,
    /// Findings per change of the summary, in its order.
    pub changes: Vec<Vec<Finding>>,
}

/// Whether a line holds a release summary, by its payload's predicate type (signature unchecked).
fn is_summary(line: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Header {
        #[serde(rename = "predicateType")]
        predicate_type: String,
    }
    crate::dsse::Envelope::parse_limited(line, MAX_LINE_BYTES)
        .ok()
        .and_then(|e| serde_json::from_slice::<Header>(&e.payload).ok())
        .is_some_and(|h| h.predicate_type == RELEASE_PREDICATE_TYPE)
}

fn mismatch(message: String) -> Finding {
    Finding::new(Code::ArchiveSummaryMismatch, message)
}

/// Checks an archive against a keyring without a repository: the summary's signature, that
/// every line is listed and every listed envelope present, the summary's totals, and each
/// change's envelopes (signatures, and the declared AI use the summary records).
pub fn check(archive: &Archive, keyring: &Keyring) -> Checked {
    let mut out = Checked::default();
    let summaries: Vec<&(usize, Vec<u8>)> = archive
        .lines
        .iter()
        .filter(|(_, l)| is_summary(l))
        .collect();
    let (summary_line, summary) = match summaries.as_slice() {
        [] => {
            out.findings.push(Finding::new(
                Code::ArchiveSummaryMissing,
                "the archive holds no release summary",
            ));
            return out;
        }
        [(n, line)] => match check_release_summary(line, keyring, MAX_LINE_BYTES) {
            Ok(s) => (*n, s),
            Err(f) => {
                out.findings.push(Finding {
                    message: format!("release summary (line {n}): {}", f.message),
                    ..f
                });
                return out;
            }
        },
        many => {
            let lines: Vec<String> = many.iter().map(|(n, _)| n.to_string()).collect();
            out.findings.push(Finding::new(
                Code::ArchiveSummaryMismatch,
                format!(
                    "the archive holds {} release summaries (lines {})",
                    many.len(),
                    lines.join(", ")
                ),
            ));
            return out;
        }
    };
    let listed: BTreeSet<&String> = summary
        .predicate
        .changes
        .iter()
        .flat_map(|c| &c.envelopes)
        .collect();
    let mut first_seen: HashMap<String, usize> = HashMap::new();
    for (n, line) in &archive.lines {
        let digest = line_digest(line);
        let unlisted = |message: String| Finding::new(Code::ArchiveEnvelopeUnlisted, message);
        if let Some(first) = first_seen.get(&digest) {
            out.findings
                .push(unlisted(format!("line {n} repeats line {first}")));
        } else if *n != summary_line && !listed.contains(&digest) {
            out.findings.push(unlisted(format!(
                "line {n} is an envelope the release summary does not list"
            )));
        }
        first_seen.entry(digest).or_insert(*n);
    }
    if Totals::of(&summary.predicate.changes) != summary.predicate.totals {
        out.findings.push(mismatch(
            "the summary's totals differ from the sum of its changes".into(),
        ));
    }
    let commit = &summary.predicate.release.commit;
    if !summary
        .subject
        .iter()
        .any(|s| s.digest.get("gitCommit") == Some(commit))
    {
        out.findings.push(mismatch(format!(
            "the summary's subject does not name the release commit {commit}"
        )));
    }
    let by_digest = archive.by_digest();
    for change in &summary.predicate.changes {
        let (note, missing) = archive.note_of(change, &by_digest);
        let mut findings: Vec<Finding> = missing
            .iter()
            .map(|d| {
                Finding::new(
                    Code::ArchiveEnvelopeMissing,
                    format!("envelope sha256:{d} is not in the archive"),
                )
            })
            .collect();
        // Without all its envelopes, what else the change's record says cannot be checked.
        if missing.is_empty() {
            findings.extend(check_change(change, &note, keyring));
        }
        out.changes.push(findings);
    }
    out.summary = Some(summary);
    out
}

/// One change's envelopes against what the summary says of it.
fn check_change(change: &ReleaseChange, note: &[u8], keyring: &Keyring) -> Vec<Finding> {
    let checked = check_note(note, keyring);
    let mut findings = Vec::new();
    // Signatures: the same envelopes give the same findings, unless the keyring says otherwise.
    for code in [Code::SignatureInvalid, Code::SignatureUntrusted] {
        let found = checked.findings.iter().filter(|f| f.code == code).count() as u32;
        let recorded = change.findings.get(code.as_str()).copied().unwrap_or(0);
        if found != recorded {
            findings.push(mismatch(format!(
                "the summary records {recorded} {code} finding(s), the archived envelopes give {found}"
            )));
            findings.extend(checked.findings.iter().filter(|f| f.code == code).cloned());
        }
    }
    let recorded: BTreeMap<&str, _> = change
        .files
        .iter()
        .map(|f| (f.path.as_str(), &f.ai))
        .collect();
    // The declared AI use the summary records must be what one of the attestations declares.
    let agrees = checked.attestations.iter().any(|a| {
        let p = &a.statement.predicate;
        p.research == change.research
            && change.tools.as_ref().is_none_or(|t| *t == p.tools)
            && change.models.as_ref().is_none_or(|m| *m == p.models)
            && p.files.iter().all(|e| {
                let declared = e.ai.as_ref().map(|a| &a.categories);
                recorded
                    .get(e.path.as_str())
                    .is_none_or(|r| declared.map_or(r.is_empty(), |d| d == *r))
            })
    });
    if change.attested && !agrees {
        findings.push(mismatch(
            "the AI use the summary records is not what the change's attestations declare".into(),
        ));
    }
    if !change.attested && change.files.iter().any(|f| !f.ai.is_empty()) {
        findings.push(mismatch(
            "the summary records AI use for a change without a trusted attestation".into(),
        ));
    }
    let errors: u32 = change.findings.values().sum();
    if change.verdict == Verdict::Fail && errors == 0 {
        findings.push(mismatch(
            "the summary fails the change but records no finding".into(),
        ));
    }
    findings
}

/// The version of the archive verification report (`schema/archive-report.schema.json`).
pub const ARCHIVE_REPORT_SCHEMA_VERSION: u32 = 1;

/// The result of `aiprov verify --archive` (`--format json`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArchiveReport {
    pub schema_version: u32,
    /// `pass` when the archive is intact and, with a repository, every record re-derives.
    pub verdict: Verdict,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<crate::model::Release>,
    /// Whether each change was verified again in the repository.
    pub repository: bool,
    /// Findings about the archive as a whole.
    pub findings: Vec<Finding>,
    pub changes: Vec<ArchivedChange>,
    /// The tarballs the verified summary names, with the files checked against them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tarballs: Vec<RecordedTarball>,
}

/// A release tarball the summary names by its SHA-256.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedTarball {
    pub name: String,
    pub sha256: String,
    /// The files given with `--tarball` whose SHA-256 is this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matched: Vec<String>,
}

impl ArchiveReport {
    /// Checks files given as the release's tarballs against the SHA-256 digests the verified
    /// summary records (`tarballs`, each file with its digest): a file whose digest the summary
    /// does not record is `archive.summary-mismatch`.
    pub fn check_tarballs(&mut self, files: &[(String, String)]) {
        for (file, digest) in files {
            match self.tarballs.iter_mut().find(|t| &t.sha256 == digest) {
                Some(t) => t.matched.push(file.clone()),
                None => {
                    let recorded: Vec<String> = self
                        .tarballs
                        .iter()
                        .map(|t| format!("{} {}", t.name, t.sha256))
                        .collect();
                    self.findings.push(mismatch(format!(
                        "the tarball {file} (SHA-256 {digest}) is not one the summary records ({})",
                        if recorded.is_empty() {
                            "it records none".to_string()
                        } else {
                            recorded.join(", ")
                        }
                    )));
                }
            }
        }
        self.settle();
    }
}

/// One change of the summary, with what checking it against the archive (and the repository)
/// found.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArchivedChange {
    pub commit: String,
    pub title: String,
    /// The verdict the summary records for the change.
    pub recorded_verdict: Verdict,
    /// The findings the summary records, by code.
    pub recorded_findings: BTreeMap<String, u32>,
    /// `fail` when the archive or the repository contradicts the record.
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
}

impl ArchiveReport {
    /// The report of a check, with findings from the repository added by the caller.
    pub fn new(checked: Checked, repository: bool) -> ArchiveReport {
        let changes = match &checked.summary {
            Some(s) => s
                .predicate
                .changes
                .iter()
                .zip(checked.changes)
                .map(|(c, findings)| ArchivedChange {
                    commit: c.commit.clone(),
                    title: c.title.clone(),
                    recorded_verdict: c.verdict,
                    recorded_findings: c.findings.clone(),
                    verdict: Verdict::Pass,
                    findings,
                })
                .collect(),
            None => Vec::new(),
        };
        let tarballs = checked
            .summary
            .iter()
            .flat_map(|s| &s.subject)
            .filter_map(|subject| {
                Some(RecordedTarball {
                    name: subject.name.clone(),
                    sha256: subject.digest.get("sha256")?.clone(),
                    matched: Vec::new(),
                })
            })
            .collect();
        let mut report = ArchiveReport {
            schema_version: ARCHIVE_REPORT_SCHEMA_VERSION,
            verdict: Verdict::Pass,
            tarballs,
            release: checked.summary.map(|s| s.predicate.release),
            repository,
            findings: checked.findings,
            changes,
        };
        report.settle();
        report
    }

    /// Sets the verdicts from the findings.
    pub fn settle(&mut self) {
        let failed = |f: &[Finding]| f.iter().any(|f| f.severity == Severity::Error);
        for c in &mut self.changes {
            c.verdict = if failed(&c.findings) {
                Verdict::Fail
            } else {
                Verdict::Pass
            };
        }
        let any = failed(&self.findings) || self.changes.iter().any(|c| c.verdict == Verdict::Fail);
        self.verdict = if any { Verdict::Fail } else { Verdict::Pass };
    }
}

/// What differs between the summary's record of a change and the one derived again from the
/// repository.
pub fn compare_records(recorded: &ReleaseChange, derived: &ReleaseChange) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut differs = |what: &str, was: String, is: String| {
        out.push(mismatch(format!(
            "the summary records {what} {was}, verification in the repository gives {is}"
        )));
    };
    if recorded.verdict != derived.verdict {
        differs(
            "the verdict",
            format!("{:?}", recorded.verdict).to_lowercase(),
            format!("{:?}", derived.verdict).to_lowercase(),
        );
    }
    if recorded.findings != derived.findings {
        let show = |m: &BTreeMap<String, u32>| {
            let parts: Vec<String> = m.iter().map(|(c, n)| format!("{c}: {n}")).collect();
            if parts.is_empty() {
                "none".to_string()
            } else {
                parts.join(", ")
            }
        };
        differs(
            "the findings",
            show(&recorded.findings),
            show(&derived.findings),
        );
    }
    if (recorded.attested, recorded.research) != (derived.attested, derived.research) {
        differs(
            "attested/research",
            format!("{}/{}", recorded.attested, recorded.research),
            format!("{}/{}", derived.attested, derived.research),
        );
    }
    if recorded.approvals != derived.approvals {
        let show = |a: &[String]| {
            if a.is_empty() {
                "none".to_string()
            } else {
                a.join(", ")
            }
        };
        differs(
            "the approvals",
            show(&recorded.approvals),
            show(&derived.approvals),
        );
    }
    // An archive written before aiprov recorded parents, tools and models has none of them.
    if recorded
        .parents
        .as_ref()
        .is_some_and(|p| Some(p) != derived.parents.as_ref())
    {
        let show = |p: &Option<Vec<String>>| p.as_deref().unwrap_or_default().join(", ");
        differs(
            "the parents",
            show(&recorded.parents),
            show(&derived.parents),
        );
    }
    if recorded
        .tools
        .as_ref()
        .is_some_and(|t| Some(t) != derived.tools.as_ref())
        || recorded
            .models
            .as_ref()
            .is_some_and(|m| Some(m) != derived.models.as_ref())
    {
        differs(
            "the AI tools and models",
            tools_shown(recorded),
            tools_shown(derived),
        );
    }
    if recorded.files != derived.files {
        let names = |c: &ReleaseChange| {
            c.files
                .iter()
                .map(|f| f.path.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        differs(
            "other files, line counts or AI use:",
            names(recorded),
            names(derived),
        );
    }
    if (&recorded.title, &recorded.author, &recorded.date)
        != (&derived.title, &derived.author, &derived.date)
    {
        differs(
            "the title, author or date",
            format!("'{}'", recorded.title),
            format!("'{}'", derived.title),
        );
    }
    out
}

/// A change's tools and models as a mismatch names them: `gpt@5, claude` or `none`.
fn tools_shown(c: &ReleaseChange) -> String {
    let tools = c.tools.iter().flatten().map(|t| match &t.version {
        Some(v) => format!("{}@{v}", t.name),
        None => t.name.clone(),
    });
    let all: Vec<String> = tools.chain(c.models.iter().flatten().cloned()).collect();
    if all.is_empty() {
        "none".to_string()
    } else {
        all.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A DSSE envelope line (its signature unchecked here).
    const ENVELOPE: &str = r#"{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"keyid":"","sig":"AA=="}]}"#;

    #[test]
    fn lines_are_split_trimmed_and_bounded() {
        let data = format!("one\r\n\n  {ENVELOPE} \nthree");
        let a = Archive::parse(data.as_bytes()).expect("parses");
        let lines: Vec<(usize, &[u8])> = a.lines.iter().map(|(n, l)| (*n, l.as_slice())).collect();
        assert_eq!(
            lines,
            [(1, &b"one"[..]), (3, ENVELOPE.as_bytes()), (4, b"three")]
        );
        // No line is an envelope: not an archive.
        assert_eq!(
            Archive::parse(b"one\n{}\n").unwrap_err(),
            ArchiveError::NoEnvelope {
                line: 1,
                begins: "one".into()
            }
        );
        assert_eq!(Archive::parse(b" \n\n").unwrap_err(), ArchiveError::Empty);
        let long = vec![b'x'; MAX_LINE_BYTES + 1];
        let mut data = b"first\n".to_vec();
        data.extend_from_slice(&long);
        assert_eq!(
            Archive::parse(&data).unwrap_err(),
            ArchiveError::LineTooLong {
                line: 2,
                size: MAX_LINE_BYTES + 1
            }
        );
        let many = "a\n".repeat(MAX_LINES + 1);
        assert_eq!(
            Archive::parse(many.as_bytes()).unwrap_err(),
            ArchiveError::TooManyLines
        );
    }

    #[test]
    fn each_envelope_is_written_once_and_the_summary_last() {
        let mut writer = Writer::new(Vec::new());
        writer
            .lines(&[b"a".to_vec(), b"b".to_vec()])
            .expect("writes");
        writer.lines(&[b"a".to_vec()]).expect("writes");
        let out = writer.finish("s").expect("writes");
        assert_eq!(out, b"a\nb\ns\n");
        assert_eq!(
            line_digest(b"a"),
            "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
        );
    }

    #[test]
    fn an_archive_without_a_summary_is_reported() {
        let a = Archive::parse(format!("{ENVELOPE}\n{{\"not\": \"an envelope\"}}\n").as_bytes())
            .expect("parses");
        let checked = check(&a, &Keyring::default());
        assert!(checked.summary.is_none());
        let codes: Vec<Code> = checked.findings.iter().map(|f| f.code).collect();
        assert_eq!(codes, [Code::ArchiveSummaryMissing]);
    }
}
