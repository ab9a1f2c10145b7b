//! The report as one self-contained HTML page: inline CSS and SVG bar charts, no scripts and no
//! external resources. Every figure the page shows carries a `data-figure` attribute naming the
//! field of the JSON report it comes from (`totals.aiLines`, `byDirectory.hw.lines`...).

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{AiReport, Row};

/// Rows shown in a chart; the table below it lists them all.
const CHART_ROWS: usize = 15;

const STYLE: &str = "
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #1b1f24; background: #fff; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: .2em; }
h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #d0d7de; }
.cards { display: flex; flex-wrap: wrap; gap: 1em; margin: 1em 0; }
.card { border: 1px solid #d0d7de; border-radius: 6px; padding: .6em 1em; min-width: 9em; }
.card b { display: block; font-size: 1.6em; }
table { border-collapse: collapse; margin: .8em 0; }
th, td { padding: .25em .7em; border-bottom: 1px solid #eaeef2; text-align: right; }
th:first-child, td:first-child { text-align: left; }
svg text { font: 12px system-ui, sans-serif; fill: #1b1f24; }
.text { text-align: left; }
.legend span { display: inline-block; width: .9em; height: .9em; margin: 0 .3em 0 1em; vertical-align: middle; }
";
const AI_COLOR: &str = "#cf222e";
const OTHER_COLOR: &str = "#8c959f";

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A `<td>` showing one figure of the JSON report.
fn cell(figure: &str, value: impl std::fmt::Display) -> String {
    format!("<td data-figure=\"{}\">{value}</td>", esc(figure))
}

/// Horizontal bars: AI lines and the other lines of each row, to one scale.
fn chart(rows: &[&Row], title: &str) -> String {
    let rows = &rows[..rows.len().min(CHART_ROWS)];
    let max = rows.iter().map(|r| r.lines).max().unwrap_or(0).max(1);
    let (label_w, bar_w, row_h) = (220.0, 460.0, 22.0);
    let height = row_h * rows.len() as f64 + 10.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"{w}\" height=\"{height}\" \
         viewBox=\"0 0 {w} {height}\"><title>{}</title>",
        esc(title),
        w = label_w + bar_w + 90.0
    );
    for (i, r) in rows.iter().enumerate() {
        let y = i as f64 * row_h + 4.0;
        let ai = bar_w * r.ai_lines as f64 / max as f64;
        let other = bar_w * (r.lines - r.ai_lines) as f64 / max as f64;
        let name: String = r.name.chars().take(32).collect();
        let _ = write!(
            svg,
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{}</text>\
             <rect x=\"{label_w}\" y=\"{y}\" width=\"{ai:.1}\" height=\"16\" fill=\"{AI_COLOR}\"/>\
             <rect x=\"{ox:.1}\" y=\"{y}\" width=\"{other:.1}\" height=\"16\" fill=\"{OTHER_COLOR}\"/>\
             <text x=\"{vx:.1}\" y=\"{ty}\">{:.1}%</text>",
            esc(&name),
            r.ai_percent,
            lx = label_w - 8.0,
            ty = y + 12.5,
            ox = label_w + ai,
            vx = label_w + ai + other + 6.0,
        );
    }
    svg.push_str("</svg>");
    svg
}

fn section(html: &mut String, heading: &str, key: &str, first: &str, rows: &[Row]) {
    if rows.is_empty() {
        return;
    }
    let refs: Vec<&Row> = rows.iter().collect();
    let _ = write!(
        html,
        "<h2>{heading}</h2><p class=\"legend\"><span style=\"background:{AI_COLOR}\"></span>AI lines\
         <span style=\"background:{OTHER_COLOR}\"></span>other lines</p>{}\
         <table><thead><tr><th>{first}</th><th>changes</th><th>with AI</th><th>changed lines</th>\
         <th>AI lines</th><th>AI share</th></tr></thead><tbody>",
        chart(&refs, heading)
    );
    for r in rows {
        let f = |field: &str| format!("{key}.{}.{field}", r.name);
        let _ = write!(
            html,
            "<tr><td>{}</td>{}{}{}{}{}</tr>",
            esc(&r.name),
            cell(&f("changes"), r.changes),
            cell(&f("aiChanges"), r.ai_changes),
            cell(&f("lines"), r.lines),
            cell(&f("aiLines"), r.ai_lines),
            cell(&f("aiPercent"), format_args!("{:.1}%", r.ai_percent)),
        );
    }
    html.push_str("</tbody></table>");
}

/// The per-change list: each change with its verdict, declared AI use, lines and the
/// maintainers' approvals its verdict relies on.
fn changes(html: &mut String, report: &AiReport) {
    if report.changes.is_empty() {
        return;
    }
    html.push_str(
        "<h2>Changes</h2><table id=\"changes\"><thead><tr><th>commit</th><th>title</th>\
         <th>author</th><th>date</th><th>verdict</th><th>AI use</th><th>changed lines</th>\
         <th>AI lines</th><th>approved by</th></tr></thead><tbody>",
    );
    for (i, c) in report.changes.iter().enumerate() {
        let f = |field: &str| format!("changes.{i}.{field}");
        let ai = if !c.attested {
            "unattested".to_string()
        } else if c.ai.is_empty() {
            "none".to_string()
        } else {
            c.ai.iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let verdict = match c.verdict {
            crate::model::Verdict::Pass => "pass",
            crate::model::Verdict::Fail => "fail",
            crate::model::Verdict::Skipped => "skipped",
        };
        let _ = write!(
            html,
            "<tr><td><code>{}</code></td><td class=\"text\">{}</td><td class=\"text\">{}</td>\
             <td>{}</td>{}<td class=\"text\">{}</td>{}{}<td class=\"text approvals\">{}</td></tr>",
            esc(c.commit.get(..12).unwrap_or(&c.commit)),
            esc(&c.title),
            esc(&c.author),
            esc(c.date.get(..10).unwrap_or(&c.date)),
            cell(&f("verdict"), verdict),
            esc(&ai),
            cell(&f("lines"), c.lines),
            cell(&f("aiLines"), c.ai_lines),
            esc(&c.approvals.join(", ")),
        );
    }
    html.push_str("</tbody></table>");
}

/// The page as a string.
pub fn render(report: &AiReport) -> String {
    let t = &report.totals;
    let title = format!("AI use in {}", report.release.range);
    let mut html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body><h1>{}</h1>\
         <p>Release commit <code>{}</code>.</p>\
         <p id=\"ai-share\"><b>What the AI share counts.</b> Changed lines are added plus removed \
         lines, as <code>git log --numstat</code> counts them, of every change of the range but \
         merges without attestation (their changes are counted in the commits they merge). A \
         file's changed lines count as AI's, all of them, when the change's governing attestation \
         (the one <code>aiprov verify</code> judges it by) declares AI use (code, tests or docs) for \
         that file: attestations are per file, not per line, so the share is an upper bound on the \
         lines AI wrote. Research-only use adds no lines. The {} changed lines of the {} unattested \
         changes count in the whole but never as AI's: nobody declared their AI use either way.</p>\
         <div class=\"cards\">",
        esc(&title),
        esc(&title),
        esc(&report.release.commit),
        t.unattested_lines,
        t.unattested,
    );
    for (label, figure, value) in [
        ("changes", "totals.changes", t.changes.to_string()),
        ("attested", "totals.attested", t.attested.to_string()),
        ("with AI use", "totals.aiChanges", t.ai_changes.to_string()),
        ("unattested", "totals.unattested", t.unattested.to_string()),
        (
            "changed lines",
            "totals.changedLines",
            t.changed_lines.to_string(),
        ),
        ("AI lines", "totals.aiLines", t.ai_lines.to_string()),
        (
            "AI share",
            "totals.aiPercent",
            format!("{:.1}%", t.ai_percent),
        ),
    ] {
        let _ = write!(
            html,
            "<div class=\"card\"><b data-figure=\"{figure}\">{value}</b>{label}</div>"
        );
    }
    html.push_str(
        "</div><h2>By category</h2><table><thead><tr><th>category</th><th>changes</th>\
         <th>files</th><th>changed lines</th></tr></thead><tbody>",
    );
    for c in &report.by_category {
        let f = |field: &str| format!("byCategory.{}.{field}", c.category);
        let _ = write!(
            html,
            "<tr><td>{}</td>{}{}{}</tr>",
            c.category,
            cell(&f("changes"), c.changes),
            cell(&f("files"), c.files),
            cell(&f("lines"), c.lines),
        );
    }
    html.push_str("</tbody></table>");
    section(
        &mut html,
        "By top-level directory",
        "byDirectory",
        "directory",
        &report.by_directory,
    );
    section(
        &mut html,
        "By MAINTAINERS section",
        "bySection",
        "section",
        &report.by_section,
    );
    section(&mut html, "By month", "byMonth", "month", &report.by_month);
    changes(&mut html, report);
    html.push_str("</body></html>\n");
    html
}

/// Writes the page.
pub fn write_html(out: &mut impl Write, report: &AiReport) -> io::Result<()> {
    out.write_all(render(report).as_bytes())
}
