//! Where AI was used across a release: counts by category, by top-level directory, by
//! MAINTAINERS section and by month, and AI's share of the changed lines. Built from the
//! summary's records of the changes (`model::ReleaseChange`), so a range and its archive give
//! the same report. Rendered as JSON, Markdown ([`markdown`]) or one HTML page ([`html`]); the
//! same records make the supply-chain documents: SLSA verification summaries ([`vsa`]) and BOMs
//! of the AI tools and models used ([`cyclonedx`], [`spdx`]).

mod ai_tools;
pub mod cyclonedx;
pub mod html;
mod markdown;
pub mod origin;
pub mod spdx;
pub mod vsa;

pub use ai_tools::NotRecorded;
pub use markdown::write_markdown;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{Release, ReleaseChange, Verdict};
use crate::trailers::Category;

/// The version of the report format (`schema/ai-report.schema.json`).
pub const AI_REPORT_SCHEMA_VERSION: u32 = 1;

/// Name of the row for files at the top of the tree.
pub const ROOT_DIRECTORY: &str = "(top level)";
/// Name of the row for files no MAINTAINERS section covers.
pub const NO_SECTION: &str = "(no section)";

/// The whole report (`aiprov report --format json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AiReport {
    pub schema_version: u32,
    pub release: Release,
    pub totals: ReportTotals,
    pub by_category: Vec<CategoryRow>,
    pub by_directory: Vec<Row>,
    pub by_section: Vec<Row>,
    pub by_month: Vec<Row>,
    /// Every change counted, oldest first.
    pub changes: Vec<ChangeRow>,
}

/// One change of the release, as the per-change list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangeRow {
    pub commit: String,
    pub title: String,
    /// The author's email.
    pub author: String,
    /// The committer date, RFC 3339 UTC.
    pub date: String,
    pub verdict: Verdict,
    pub attested: bool,
    /// The categories its governing attestation declares for any file (`research` for the
    /// change), empty for none or when unattested.
    pub ai: Vec<Category>,
    /// Changed lines (added plus removed) and those of them in files with declared AI use.
    pub lines: u64,
    pub ai_lines: u64,
    /// The maintainers whose approvals its verdict relies on.
    pub approvals: Vec<String>,
}

/// Counts over the whole range. Changed lines are added plus removed lines; a file's changed
/// lines count as AI's when its attestation declares AI use for it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReportTotals {
    /// Changes counted: merge commits without attestation are counted in the commits they merge.
    pub changes: u32,
    /// Changes a trusted attestation governs.
    pub attested: u32,
    pub unattested: u32,
    /// Attested changes with AI use in at least one file.
    pub ai_changes: u32,
    /// Attested changes that declare AI for research only.
    pub research_only: u32,
    pub changed_lines: u64,
    pub ai_lines: u64,
    /// Lines of unattested changes, whose AI use nobody declared.
    pub unattested_lines: u64,
    /// `ai_lines` as a percentage of `changed_lines`, to one decimal.
    pub ai_percent: f64,
}

/// One category of AI use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CategoryRow {
    pub category: Category,
    pub changes: u32,
    pub files: u32,
    pub lines: u64,
}

/// One directory, section or month.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Row {
    pub name: String,
    /// Changes touching it.
    pub changes: u32,
    /// Changes with AI use in it.
    pub ai_changes: u32,
    pub lines: u64,
    pub ai_lines: u64,
    /// `ai_lines` as a percentage of `lines`, to one decimal.
    pub ai_percent: f64,
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 * 1000.0 / whole as f64).round() / 10.0
    }
}

/// Accumulates rows by name; each change counts once per row.
#[derive(Default)]
struct Rows(BTreeMap<String, (Row, bool, bool)>);

impl Rows {
    fn add(&mut self, name: &str, lines: u64, ai: bool) {
        let (row, seen, seen_ai) = self.0.entry(name.to_string()).or_insert_with(|| {
            (
                Row {
                    name: name.to_string(),
                    ..Row::default()
                },
                false,
                false,
            )
        });
        if !*seen {
            row.changes += 1;
            *seen = true;
        }
        row.lines += lines;
        if ai {
            row.ai_lines += lines;
            if !*seen_ai {
                row.ai_changes += 1;
                *seen_ai = true;
            }
        }
    }

    /// Starts the next change.
    fn next_change(&mut self) {
        for (_, seen, seen_ai) in self.0.values_mut() {
            *seen = false;
            *seen_ai = false;
        }
    }

    fn into_rows(self) -> Vec<Row> {
        self.0
            .into_values()
            .map(|(mut r, _, _)| {
                r.ai_percent = percent(r.ai_lines, r.lines);
                r
            })
            .collect()
    }
}

/// The top-level directory of a path, or [`ROOT_DIRECTORY`].
fn top_directory(path: &str) -> &str {
    match path.split_once('/') {
        Some((dir, _)) => dir,
        None => ROOT_DIRECTORY,
    }
}

impl AiReport {
    /// The report of a release's changes. Sections appear when any file has one.
    pub fn new(release: Release, changes: &[ReleaseChange]) -> AiReport {
        let mut totals = ReportTotals::default();
        let mut categories: BTreeMap<Category, CategoryRow> = Category::ALL
            .iter()
            .map(|&c| {
                let row = CategoryRow {
                    category: c,
                    changes: 0,
                    files: 0,
                    lines: 0,
                };
                (c, row)
            })
            .collect();
        let (mut dirs, mut sections, mut months) =
            (Rows::default(), Rows::default(), Rows::default());
        let any_section = changes
            .iter()
            .flat_map(|c| &c.files)
            .any(|f| f.section.is_some());
        let mut rows = Vec::new();
        // A merge without attestation is counted in the commits it merges.
        for change in changes.iter().filter(|c| c.verdict != Verdict::Skipped) {
            totals.changes += 1;
            let mut row = ChangeRow {
                commit: change.commit.clone(),
                title: change.title.clone(),
                author: change.author.email.clone(),
                date: change.date.clone(),
                verdict: change.verdict,
                attested: change.attested,
                ai: Vec::new(),
                lines: 0,
                ai_lines: 0,
                approvals: change.approvals.clone(),
            };
            let month = change.date.get(..7).unwrap_or("unknown");
            let mut used = std::collections::BTreeSet::new();
            for f in &change.files {
                let lines = u64::from(f.added) + u64::from(f.removed);
                let ai = change.attested && !f.ai.is_empty();
                totals.changed_lines += lines;
                row.lines += lines;
                if ai {
                    totals.ai_lines += lines;
                    row.ai_lines += lines;
                }
                if !change.attested {
                    totals.unattested_lines += lines;
                }
                for &c in &f.ai {
                    let row = categories.get_mut(&c).expect("every category has a row");
                    row.files += 1;
                    row.lines += lines;
                    used.insert(c);
                }
                dirs.add(top_directory(&f.path), lines, ai);
                if any_section {
                    sections.add(f.section.as_deref().unwrap_or(NO_SECTION), lines, ai);
                }
                months.add(month, lines, ai);
            }
            if change.research {
                used.insert(Category::Research);
            }
            for c in &used {
                categories
                    .get_mut(c)
                    .expect("every category has a row")
                    .changes += 1;
            }
            if change.attested {
                row.ai = used.iter().copied().collect();
            }
            rows.push(row);
            if change.attested {
                totals.attested += 1;
                if change.files.iter().any(|f| !f.ai.is_empty()) {
                    totals.ai_changes += 1;
                } else if change.research {
                    totals.research_only += 1;
                }
            } else {
                totals.unattested += 1;
            }
            for rows in [&mut dirs, &mut sections, &mut months] {
                rows.next_change();
            }
        }
        totals.ai_percent = percent(totals.ai_lines, totals.changed_lines);
        let by_lines = |mut rows: Vec<Row>| {
            rows.sort_by(|a, b| b.lines.cmp(&a.lines).then_with(|| a.name.cmp(&b.name)));
            rows
        };
        AiReport {
            schema_version: AI_REPORT_SCHEMA_VERSION,
            release,
            totals,
            by_category: categories.into_values().collect(),
            by_directory: by_lines(dirs.into_rows()),
            by_section: by_lines(sections.into_rows()),
            by_month: months.into_rows(),
            changes: rows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ReleaseFile;
    use crate::trailers::Identity;

    fn change(date: &str, attested: bool, files: &[(&str, u32, &[Category])]) -> ReleaseChange {
        ReleaseChange {
            commit: "0".repeat(40),
            title: "t".into(),
            author: Identity {
                name: "A".into(),
                email: "a@example.org".into(),
            },
            date: date.into(),
            verdict: Verdict::Pass,
            findings: BTreeMap::new(),
            envelopes: Vec::new(),
            research: false,
            attested,
            approvals: Vec::new(),
            parents: None,
            tools: None,
            models: None,
            files: files
                .iter()
                .map(|(path, added, ai)| ReleaseFile {
                    path: path.to_string(),
                    added: *added,
                    removed: 1,
                    ai: ai.iter().copied().collect(),
                    section: None,
                })
                .collect(),
        }
    }

    #[test]
    fn counts_each_change_once_per_row_and_lines_per_file() {
        let release = Release {
            range: "a..b".into(),
            commit: "b".into(),
            base: None,
        };
        let changes = [
            change(
                "2026-10-03T00:00:00Z",
                true,
                &[
                    ("hw/a.c", 9, &[Category::Code]),
                    ("hw/b.c", 4, &[]),
                    ("README", 0, &[Category::Docs]),
                ],
            ),
            change("2026-11-01T00:00:00Z", false, &[("hw/c.c", 19, &[])]),
            // A merge without attestation counts in the commits it merges, not again.
            ReleaseChange {
                verdict: Verdict::Skipped,
                ..change("2026-12-01T00:00:00Z", false, &[("hw/c.c", 19, &[])])
            },
        ];
        let r = AiReport::new(release, &changes);
        assert_eq!(r.totals.changes, 2);
        assert_eq!(r.totals.ai_changes, 1);
        assert_eq!(r.totals.unattested, 1);
        assert_eq!(r.totals.changed_lines, 10 + 5 + 1 + 20);
        assert_eq!(r.totals.ai_lines, 11);
        assert_eq!(r.totals.unattested_lines, 20);
        assert_eq!(r.totals.ai_percent, 30.6);
        let hw = &r.by_directory[0];
        assert_eq!(
            (
                hw.name.as_str(),
                hw.changes,
                hw.ai_changes,
                hw.lines,
                hw.ai_lines
            ),
            ("hw", 2, 1, 35, 10)
        );
        assert_eq!(r.by_directory[1].name, ROOT_DIRECTORY);
        let months: Vec<&str> = r.by_month.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(months, ["2026-10", "2026-11"]);
        let code = &r.by_category[0];
        assert_eq!(
            (code.category, code.changes, code.files, code.lines),
            (Category::Code, 1, 1, 10)
        );
        assert!(r.by_section.is_empty());
    }
}
