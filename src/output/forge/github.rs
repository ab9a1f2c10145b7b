//! GitHub Actions workflow commands: an annotation per finding, `::error file=PATH,title=CODE::
//! message` (`::warning` for a warning), written as each change is verified. The runner turns
//! them into annotations of the job and of the pull request's files.

use std::io::{self, Write};

use super::{described, severity_word};
use crate::model::ChangeReport;

/// The annotations of a change's findings. A finding about a file names it; one about the whole
/// change has no `file=` (it is annotated on the job).
pub fn write_annotations(out: &mut impl Write, change: &ChangeReport) -> io::Result<()> {
    for f in &change.findings {
        let file = f
            .file
            .as_deref()
            .map(|path| format!("file={},", property(path)))
            .unwrap_or_default();
        writeln!(
            out,
            "::{} {file}title={}::{}",
            severity_word(f.severity),
            property(f.code.as_str()),
            data(&described(change, f))
        )?;
    }
    Ok(())
}

/// A command's message, escaped as GitHub's toolkit does: `%`, CR and LF, so that nothing in it
/// ends the command or starts another.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A command's property value: as [`data`], and `:` and `,`, which end a property.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::super::tests::change;
    use super::*;
    use crate::finding::{Code, Finding};
    use crate::model::Verdict;

    #[test]
    fn data_and_properties_are_escaped_as_the_toolkit_does() {
        assert_eq!(data("100%\r\nnext: a, b"), "100%25%0D%0Anext: a, b");
        assert_eq!(property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }

    #[test]
    fn an_annotation_per_finding_with_its_file_if_any() {
        let c = change(
            Verdict::Fail,
            vec![
                Finding::new(Code::DcoMissing, "no Signed-off-by"),
                Finding::new(Code::TrailerForeign, "50% AI").in_file("docs/a,b:c.md"),
            ],
        );
        let mut out = Vec::new();
        write_annotations(&mut out, &c).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "::error title=dco.missing::no Signed-off-by (commit 1a2b3c4d5e6f \"hw: fix\\tthe ring\")\n\
             ::warning file=docs/a%2Cb%3Ac.md,title=trailer.foreign::50%25 AI (commit 1a2b3c4d5e6f \"hw: fix\\tthe ring\")\n"
        );
    }
}
