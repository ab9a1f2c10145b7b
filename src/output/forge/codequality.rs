//! GitLab Code Quality: the subset of the Code Climate issue format GitLab reads ("Code Quality"
//! in GitLab's CI documentation, "Implement a custom tool"): a JSON array of issues, each with
//! `description`, `check_name`, `fingerprint`, `severity` and `location` (`path`, `lines.begin`).

use std::io::{self, Write};

use serde::Serialize;

use super::{described, placed, Document};
use crate::finding::Severity;
use crate::model::ChangeReport;
use crate::output::report::Tally;

/// The issues of a verification.
#[derive(Default)]
pub(super) struct CodeQuality {
    issues: Vec<Issue>,
}

/// An issue, its fields in the order of GitLab's documentation.
#[derive(Serialize)]
struct Issue {
    description: String,
    check_name: &'static str,
    fingerprint: String,
    severity: &'static str,
    location: Location,
}

#[derive(Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
}

impl Document for CodeQuality {
    fn add(&mut self, change: &ChangeReport) -> io::Result<()> {
        for p in placed(change) {
            self.issues.push(Issue {
                description: described(change, p.finding),
                check_name: p.finding.code.as_str(),
                severity: severity(p.finding.severity),
                // A finding is about a file, not a line: its first line. GitLab needs a path
                // for every issue; a change without files has none, and `.` (the repository)
                // stands for it.
                location: Location {
                    path: p.path.unwrap_or(".").to_string(),
                    lines: Lines { begin: 1 },
                },
                fingerprint: p.fingerprint,
            });
        }
        Ok(())
    }

    fn write(&self, out: &mut dyn Write, _: &Tally) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &self.issues)?;
        writeln!(out)
    }
}

/// GitLab's scale is `info`, `minor`, `major`, `critical`, `blocker`: an error fails the
/// verification and is `major` (as linters' errors are), a warning `minor`.
fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "major",
        Severity::Warning => "minor",
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::change;
    use super::*;
    use crate::finding::{Code, Finding};
    use crate::model::Verdict;

    #[test]
    fn an_issue_per_finding_on_its_file_else_the_changes_first() {
        let mut cq = CodeQuality::default();
        let c = change(
            Verdict::Fail,
            vec![
                Finding::new(Code::DcoMissing, "no Signed-off-by"),
                Finding::new(Code::TrailerForeign, "Assisted-by").in_file("hw/b.c"),
            ],
        );
        cq.add(&c).unwrap();
        let issues = |cq: &CodeQuality| serde_json::to_value(&cq.issues).unwrap();
        let i = issues(&cq);
        assert_eq!(i[0]["location"]["path"], "hw/a.c");
        assert_eq!(i[0]["severity"], "major");
        assert_eq!(i[1]["location"]["path"], "hw/b.c");
        assert_eq!(i[1]["severity"], "minor");
        assert_eq!(i[1]["check_name"], "trailer.foreign");
        let none = ChangeReport {
            first_file: None,
            ..c
        };
        cq.add(&none).unwrap();
        assert_eq!(issues(&cq)[2]["location"]["path"], ".");
    }
}
