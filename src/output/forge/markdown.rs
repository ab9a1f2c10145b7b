//! The per-change table of a verification in Markdown, for a CI job's summary (GitHub's
//! `$GITHUB_STEP_SUMMARY`, a file the steps of a job append to): verdict, change, title, signer,
//! AI use and the number of findings, under a heading that names the verification.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{counts, verdict_word, Document};
use crate::model::{ChangeReport, Verdict};
use crate::output::report::{short, Tally};
use crate::text::printable;

/// The table's rows, kept until the verdict of the heading is known.
pub(super) struct Summary {
    title: String,
    rows: String,
}

impl Summary {
    pub(super) fn new(title: &str) -> Summary {
        Summary {
            title: title.to_string(),
            rows: String::new(),
        }
    }
}

impl Document for Summary {
    fn add(&mut self, change: &ChangeReport) -> io::Result<()> {
        let verdict = match change.verdict {
            Verdict::Fail => "**fail**",
            v => verdict_word(v),
        };
        let id = match &change.label {
            Some(label) => cell(label),
            None => format!("`{}`", short(&change.id)),
        };
        let signers: Vec<&str> = change
            .attestations
            .iter()
            .map(|a| a.signer.as_str())
            .collect();
        // The declaration that counted: the governing attestation's.
        let ai_use = change.governing.as_ref().map(|g| {
            let categories: Vec<&str> = g.categories().iter().map(|c| c.as_str()).collect();
            if categories.is_empty() {
                "none".to_string()
            } else {
                categories.join(", ")
            }
        });
        // Writing to a String cannot fail.
        let _ = writeln!(
            self.rows,
            "| {verdict} | {id} | {} | {} | {} | {} |",
            cell(&change.title),
            cell(&signers.join(", ")),
            cell(ai_use.as_deref().unwrap_or("")),
            change.findings.len()
        );
        Ok(())
    }

    fn write(&self, out: &mut dyn Write, tally: &Tally) -> io::Result<()> {
        let verdict = match tally.verdict() {
            Verdict::Fail => "verification failed",
            _ => "verified",
        };
        writeln!(out, "### {}: {verdict}\n", cell(&self.title))?;
        writeln!(
            out,
            "| verdict | change | title | signer | AI use | findings |\n|---|---|---|---|---|---|"
        )?;
        out.write_all(self.rows.as_bytes())?;
        writeln!(out, "\n{}\n", counts(tally))
    }
}

/// Text from a commit as a table cell's plain text: control characters spelled as escapes, and
/// every character that could start Markdown or HTML (a link, an image, emphasis, a cell's end,
/// math) escaped with a backslash, so that a commit's title cannot put markup in the summary.
fn cell(text: &str) -> String {
    let mut out = String::new();
    for c in printable(text).chars() {
        if "\\`*_[]()<>|!~&$#".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::change;
    use super::*;
    use crate::finding::{Code, Finding};

    #[test]
    fn a_title_cannot_bring_markup() {
        assert_eq!(
            cell("fix | ![x](http://t/p.png) <b>*a*</b> $x$"),
            "fix \\| \\!\\[x\\]\\(http://t/p.png\\) \\<b\\>\\*a\\*\\</b\\> \\$x\\$"
        );
        assert_eq!(cell("a\nb"), "a\\\\nb");
    }

    #[test]
    fn a_row_per_change_under_the_verdict() {
        let mut s = Summary::new("aiprov verify a..b");
        s.add(&change(Verdict::Pass, Vec::new())).unwrap();
        s.add(&change(
            Verdict::Fail,
            vec![Finding::new(Code::DcoMissing, "no Signed-off-by")],
        ))
        .unwrap();
        let mut out = Vec::new();
        let tally = Tally {
            pass: 1,
            fail: 1,
            skip: 0,
        };
        s.write(&mut out, &tally).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "### aiprov verify a..b: verification failed\n\n\
             | verdict | change | title | signer | AI use | findings |\n|---|---|---|---|---|---|\n\
             | pass | `1a2b3c4d5e6f` | hw: fix\\\\tthe ring |  |  | 0 |\n\
             | **fail** | `1a2b3c4d5e6f` | hw: fix\\\\tthe ring |  |  | 1 |\n\
             \n1 passed, 1 failed\n\n"
        );
    }
}
