//! JUnit XML, as Jenkins and GitLab read it: one test suite for the verification, one test case
//! per change, a failing change a `<failure>` listing its findings, a skipped merge `<skipped/>`.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{subject, Document};
use crate::finding::Severity;
use crate::model::{ChangeReport, Verdict};
use crate::output::report::{short, Tally};
use crate::text::printable;

/// The test cases of a verification, kept as XML until the suite's counts are known.
pub(super) struct Junit {
    title: String,
    cases: String,
}

impl Junit {
    pub(super) fn new(title: &str) -> Junit {
        Junit {
            title: title.to_string(),
            cases: String::new(),
        }
    }
}

impl Document for Junit {
    fn add(&mut self, change: &ChangeReport) -> io::Result<()> {
        let title = printable(&change.title);
        let name = match &change.label {
            Some(label) => format!("{} {title}", printable(label)),
            None => format!("{} {title}", short(&change.id)),
        };
        let head = format!("    <testcase classname=\"aiprov\" name=\"{}\"", xml(&name));
        let findings = findings(change);
        let cases = &mut self.cases;
        // Writing to a String cannot fail.
        let _ = match change.verdict {
            Verdict::Skipped => writeln!(
                cases,
                "{head}>\n      <skipped message=\"merge commit without attestation: its changes are verified in the commits it merges\"/>\n    </testcase>"
            ),
            Verdict::Fail => writeln!(
                cases,
                "{head}>\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                xml(&failure_message(change)),
                xml(&findings)
            ),
            // A passing change's warnings are its output.
            Verdict::Pass if !findings.is_empty() => writeln!(
                cases,
                "{head}>\n      <system-out>{}</system-out>\n    </testcase>",
                xml(&findings)
            ),
            Verdict::Pass => writeln!(cases, "{head}/>"),
        };
        Ok(())
    }

    fn write(&self, out: &mut dyn Write, tally: &Tally) -> io::Result<()> {
        let tests = tally.pass + tally.fail + tally.skip;
        let (failures, skipped) = (tally.fail, tally.skip);
        writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
        writeln!(
            out,
            "<testsuites name=\"aiprov\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\">"
        )?;
        writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">",
            xml(&self.title)
        )?;
        out.write_all(self.cases.as_bytes())?;
        writeln!(out, "  </testsuite>\n</testsuites>")
    }
}

/// What the failure says in one line: `2 errors: dco.missing, coverage.file-missing`.
fn failure_message(change: &ChangeReport) -> String {
    let errors: Vec<&str> = change
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.code.as_str())
        .collect();
    let n = crate::text::count(errors.len(), "error", "errors");
    format!("{n} in {}: {}", subject(change), errors.join(", "))
}

/// The findings, a line each as people see them: `error [coverage.file-missing] message` (a
/// message about a file names it).
fn findings(change: &ChangeReport) -> String {
    let mut text = String::new();
    for f in &change.findings {
        let word = super::severity_word(f.severity);
        let _ = writeln!(text, "{word} [{}] {}", f.code, f.message);
    }
    text
}

/// Text as XML 1.0 character data or an attribute value: markup escaped, and what XML cannot
/// hold (control characters but tab, newline and return; U+FFFE, U+FFFF) spelled as escapes.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' => out.push(c),
            '\u{fffe}' | '\u{ffff}' => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c if c.is_control() => out.push_str(&printable(&c.to_string())),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::change;
    use super::*;
    use crate::finding::{Code, Finding};

    #[test]
    fn markup_and_what_xml_cannot_hold_are_escaped() {
        assert_eq!(xml("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(xml("x\u{1b}[31m\u{ffff}\r"), "x\\u{1b}[31m\\u{ffff}\\r");
        assert_eq!(xml("line\nnext\t"), "line\nnext\t");
    }

    #[test]
    fn a_case_per_change_with_its_verdict() {
        let mut j = Junit::new("aiprov verify a..b");
        j.add(&change(Verdict::Pass, Vec::new())).unwrap();
        j.add(&change(
            Verdict::Fail,
            vec![Finding::new(Code::DcoMissing, "no <Signed-off-by>")],
        ))
        .unwrap();
        j.add(&change(Verdict::Skipped, Vec::new())).unwrap();
        let tally = Tally {
            pass: 1,
            fail: 1,
            skip: 1,
        };
        let mut out = Vec::new();
        j.write(&mut out, &tally).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("<testsuite name=\"aiprov verify a..b\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\">"), "{text}");
        assert!(
            text.contains(
                "<testcase classname=\"aiprov\" name=\"1a2b3c4d5e6f hw: fix\\tthe ring\"/>"
            ),
            "{text}"
        );
        assert!(text.contains("<failure message=\"1 error in commit 1a2b3c4d5e6f &quot;hw: fix\\tthe ring&quot;: dco.missing\">error [dco.missing] no &lt;Signed-off-by&gt;\n</failure>"), "{text}");
        assert!(text.contains("<skipped message="), "{text}");
    }
}
