//! The report as Markdown: a summary line and one table per view.

use std::io::{self, Write};

use super::{AiReport, Row};

fn table(out: &mut impl Write, heading: &str, first: &str, rows: &[Row]) -> io::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n## {heading}\n")?;
    writeln!(
        out,
        "| {first} | changes | with AI | changed lines | AI lines | AI share |"
    )?;
    writeln!(out, "|---|---:|---:|---:|---:|---:|")?;
    for r in rows {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {:.1}% |",
            escape(&r.name),
            r.changes,
            r.ai_changes,
            r.lines,
            r.ai_lines,
            r.ai_percent
        )?;
    }
    Ok(())
}

/// Names from the repository must neither break a table nor drive a terminal.
fn escape(text: &str) -> String {
    crate::text::printable(text).replace('|', "\\|")
}

/// Writes the report as a Markdown document.
pub fn write_markdown(out: &mut impl Write, report: &AiReport) -> io::Result<()> {
    let t = &report.totals;
    writeln!(out, "# AI use in {}", escape(&report.release.range))?;
    writeln!(
        out,
        "\n{} changes: {} attested ({} with AI use, {} AI for research only), {} unattested. \
         AI wrote {:.1}% of the changed lines ({} of {}); {} lines are in unattested changes.",
        t.changes,
        t.attested,
        t.ai_changes,
        t.research_only,
        t.unattested,
        t.ai_percent,
        t.ai_lines,
        t.changed_lines,
        t.unattested_lines
    )?;
    writeln!(out, "\n## By category\n")?;
    writeln!(out, "| category | changes | files | changed lines |")?;
    writeln!(out, "|---|---:|---:|---:|")?;
    for c in &report.by_category {
        writeln!(
            out,
            "| {} | {} | {} | {} |",
            c.category, c.changes, c.files, c.lines
        )?;
    }
    table(
        out,
        "By top-level directory",
        "directory",
        &report.by_directory,
    )?;
    table(out, "By MAINTAINERS section", "section", &report.by_section)?;
    table(out, "By month", "month", &report.by_month)
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn names_neither_break_tables_nor_reach_the_terminal() {
        assert_eq!(escape("a|b\n\u{1b}[31m"), "a\\|b\\n\\u{1b}[31m");
        assert_eq!(escape("hw/net"), "hw/net");
    }
}
