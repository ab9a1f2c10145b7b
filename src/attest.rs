//! Building an AI-usage attestation for a change: which AI use each file gets (from explicit
//! rules, or inferred from the `AI-used-for` trailer and the path classes), the statement, and
//! merging the signed envelope into a note.

use std::collections::BTreeMap;
use std::collections::BTreeSet;

use jiff::Timestamp;
use thiserror::Error;

use crate::change::{Change, FileChange};
use crate::model::{
    AiUsage, AiUsageStatement, AiUse, ChangeInfo, Declared, FileEntry, Subject, Tool,
    AI_USAGE_PREDICATE_TYPE, STATEMENT_TYPE,
};
use crate::policy::{comments, Convention, PathClasses, PathGlob, PathGlobError};
use crate::records::{self, Record};
use crate::trailers::{self, AiUsedFor, Category, Identity, MessageTrailers};

#[derive(Debug, Error)]
pub enum AttestError {
    #[error("invalid --ai rule '{rule}': expected GLOB=CATEGORY[, CATEGORY...][ (explanation)]")]
    RuleSyntax { rule: String },
    #[error("invalid --ai rule '{rule}'")]
    RuleValue {
        rule: String,
        #[source]
        source: trailers::TrailerError,
    },
    #[error(
        "invalid --ai rule '{rule}': research is declared for the whole change with --research"
    )]
    ResearchInRule { rule: String },
    #[error(
        "invalid --ai rule '{rule}': '{name}' is not a category (the categories are code, tests and docs; research is declared with --research)"
    )]
    UnknownCategory { rule: String, name: String },
    #[error(transparent)]
    Glob(#[from] PathGlobError),
    #[error("the commit's AI trailer cannot be read, so its declaration cannot be signed")]
    MalformedTrailer {
        #[source]
        source: trailers::TrailerError,
    },
    #[error(
        "the commit's trailers declare {declared} but the attestation would declare {planned}"
    )]
    Understated { declared: String, planned: String },
}

/// The grammar of QEMU's trailer, for hints.
pub const AI_USED_FOR_GRAMMAR: &str =
    "`AI-used-for: CATEGORY[, CATEGORY...] [(explanation)]` with the categories code, tests, docs and research, e.g. `AI-used-for: code (refactoring)`";

/// The grammar of the kernel's trailer, for hints.
pub const ASSISTED_BY_GRAMMAR: &str =
    "`Assisted-by: AGENT_NAME:MODEL_VERSION [TOOL1] [TOOL2]`, e.g. `Assisted-by: Claude:claude-opus-4 coccinelle`";

/// Refuses a plan that says less than the commit's own trailers: a malformed disclosure trailer
/// of the project's convention (its meaning is unknown, so nothing may be signed for it), a
/// category an `AI-used-for` trailer names that the plan lacks, or no AI use at all where any AI
/// trailer (of either convention, or an AI co-author) discloses some.
pub fn check_declaration(
    trailers: &MessageTrailers,
    plan: &Plan,
    convention: Convention,
) -> Result<(), AttestError> {
    let malformed = match convention {
        Convention::AiUsedFor => trailers.ai_used_for.iter().find_map(|t| t.clone().err()),
        Convention::AssistedBy => trailers.foreign.iter().find_map(|f| match &f.kind {
            trailers::ForeignAiKind::AssistedBy(Err(e)) => Some(e.clone()),
            _ => None,
        }),
    };
    if let Some(source) = malformed {
        return Err(AttestError::MalformedTrailer { source });
    }
    let planned = plan.categories();
    let declared = trailers.ai_categories();
    let disclosed = !trailers.ai_used_for.is_empty() || !trailers.foreign.is_empty();
    let names = |set: &BTreeSet<Category>| {
        if set.is_empty() {
            "no AI use".to_string()
        } else {
            let list: Vec<&str> = set.iter().map(|c| c.as_str()).collect();
            format!("AI use for {}", list.join(", "))
        }
    };
    if !declared.is_subset(&planned) || (disclosed && planned.is_empty()) {
        let declared = if declared.is_empty() {
            let first = trailers
                .trailers
                .iter()
                .find(|t| {
                    t.is(trailers::AI_USED_FOR) || trailers.foreign.iter().any(|f| &f.trailer == *t)
                })
                .map(|t| format!("AI use (`{}: {}`)", t.key, t.value));
            first.unwrap_or_else(|| "AI use".into())
        } else {
            names(&declared)
        };
        return Err(AttestError::Understated {
            declared,
            planned: names(&planned),
        });
    }
    Ok(())
}

/// One `--ai GLOB=...` or `--human GLOB` rule, or the AI use of one path. Later rules win over
/// earlier ones.
pub struct Rule {
    paths: Paths,
    ai: Option<AiUse>,
    /// The rule as given, for messages: `--ai 'GLOB=CATEGORY'` or `--human 'GLOB'`.
    given: String,
}

/// The files a rule is about.
enum Paths {
    Glob(PathGlob),
    /// One path, as it is: a path may hold glob characters, and a glob without `/` matches at
    /// any depth.
    Exactly(String),
}

impl Rule {
    /// Parses `GLOB=CATEGORY[, CATEGORY...][ (explanation)]`.
    pub fn ai(rule: &str) -> Result<Rule, AttestError> {
        let (glob, value) = rule
            .split_once('=')
            .filter(|(g, v)| !g.trim().is_empty() && !v.trim().is_empty())
            .ok_or_else(|| AttestError::RuleSyntax { rule: rule.into() })?;
        // A name that is no category is said so, with the ones there are, before anything
        // else about the value.
        if let Some(name) = trailers::written_categories(value)
            .into_iter()
            .find(|n| n.parse::<Category>().is_err())
        {
            return Err(AttestError::UnknownCategory {
                rule: rule.into(),
                name: name.into(),
            });
        }
        let parsed: AiUsedFor = value.parse().map_err(|source| AttestError::RuleValue {
            rule: rule.into(),
            source,
        })?;
        if parsed.categories.contains(&Category::Research) {
            return Err(AttestError::ResearchInRule { rule: rule.into() });
        }
        Ok(Rule {
            paths: Paths::Glob(PathGlob::new(&[glob.trim()])?),
            ai: Some(AiUse {
                categories: parsed.categories,
                explanation: parsed.explanation,
            }),
            given: format!("--ai '{rule}'"),
        })
    }

    /// `--human GLOB`: no AI use in the matching files.
    pub fn human(glob: &str) -> Result<Rule, AttestError> {
        Ok(Rule {
            paths: Paths::Glob(PathGlob::new(&[glob])?),
            ai: None,
            given: format!("--human '{glob}'"),
        })
    }

    /// The AI use of the file at `path` (none: written without AI), as a rule: for declaring
    /// again what an earlier attestation declared of that file.
    pub fn for_path(path: &str, ai: Option<AiUse>) -> Rule {
        let given = match &ai {
            Some(ai) => format!("{path}: {ai}"),
            None => format!("{path}: no AI"),
        };
        Rule {
            paths: Paths::Exactly(path.to_string()),
            ai,
            given,
        }
    }

    /// Whether the rule is about `path`.
    pub fn matches(&self, path: &str) -> bool {
        match &self.paths {
            Paths::Glob(glob) => glob.is_match(path),
            Paths::Exactly(exact) => exact == path,
        }
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.given)
    }
}

/// What the attestation will say, before it is signed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// AI use per file, in the change's file order.
    pub files: Vec<PlannedFile>,
    pub research: bool,
    /// The models and tools the AI tools' records name.
    pub models: BTreeSet<String>,
    pub tools: Vec<Tool>,
    /// Where the records and the diff disagree, one sentence each, for the user.
    pub disagreements: Vec<String>,
}

/// One file of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedFile {
    pub path: String,
    pub ai: Option<AiUse>,
    /// Where the declaration came from; `None` when no records were asked for.
    pub source: Option<Declared>,
    /// Added lines a record attributes to AI.
    pub ai_lines: Option<u32>,
}

impl Plan {
    /// The categories the trailer should carry for this plan.
    pub fn categories(&self) -> BTreeSet<Category> {
        let mut all: BTreeSet<Category> = self
            .files
            .iter()
            .filter_map(|f| f.ai.as_ref())
            .flat_map(|a| a.categories.iter().copied())
            .collect();
        if self.research {
            all.insert(Category::Research);
        }
        all
    }

    /// The `AI-used-for` value for this plan, `None` when no AI was used.
    pub fn trailer_value(&self) -> Option<AiUsedFor> {
        let categories = self.categories();
        let explanations: BTreeSet<&str> = self
            .files
            .iter()
            .filter_map(|f| f.ai.as_ref()?.explanation.as_deref())
            .collect();
        (!categories.is_empty()).then(|| AiUsedFor {
            categories,
            explanation: (explanations.len() == 1)
                .then(|| explanations.into_iter().next().map(str::to_string))
                .flatten(),
        })
    }
}

/// The AI use of the explicit rule that decides `path`, if one matches (later rules win).
fn ruled(rules: &[Rule], path: &str) -> Option<Option<AiUse>> {
    rules
        .iter()
        .rev()
        .find(|r| r.matches(path))
        .map(|r| r.ai.clone())
}

/// Decides each file's AI use. Explicit rules decide every file (unmatched files: no AI);
/// without rules, the `AI-used-for` trailer is spread over the files by path class: a category
/// goes to the files of its class, and a category no file's class matches goes to the files
/// whose class the trailer does not name (AI-written comments in code count as `docs`).
pub fn plan(
    change: &Change,
    trailers: &MessageTrailers,
    rules: &[Rule],
    research: bool,
    classes: &PathClasses,
) -> Plan {
    let declared = trailers.ai_categories();
    let explanation = trailers
        .ai_used_for
        .iter()
        .filter_map(|t| t.as_ref().ok()?.explanation.clone())
        .next();
    let research = research || declared.contains(&Category::Research);
    let paths: Vec<&str> = change.files.iter().map(|f| f.path.as_str()).collect();
    let file = |path: &str, ai: Option<AiUse>| PlannedFile {
        path: path.to_string(),
        ai,
        source: None,
        ai_lines: None,
    };
    let files = if !rules.is_empty() {
        paths
            .iter()
            .map(|p| file(p, ruled(rules, p).flatten()))
            .collect()
    } else {
        let classes: Vec<Category> = paths
            .iter()
            .map(|p| classes.classify(p).category())
            .collect();
        let unmatched: BTreeSet<Category> = declared
            .iter()
            .copied()
            .filter(|c| *c != Category::Research && !classes.contains(c))
            .collect();
        paths
            .iter()
            .zip(&classes)
            .map(|(p, class)| {
                let categories: BTreeSet<Category> = if declared.contains(class) {
                    BTreeSet::from([*class])
                } else {
                    unmatched.clone()
                };
                let ai = (!categories.is_empty()).then(|| AiUse {
                    categories,
                    explanation: explanation.clone(),
                });
                file(p, ai)
            })
            .collect()
    };
    Plan {
        files,
        research,
        ..Plan::default()
    }
}

/// A file's two sides, whole, for laying records over its added lines.
pub type Sides<'a> = dyn Fn(&FileChange) -> Option<(Vec<u8>, Vec<u8>)> + 'a;

/// Decides each file's AI use from the AI tools' records (`attest --from`), in order of
/// preference: an explicit rule wins for the files it matches; then the first record that
/// names the file, its AI lines laid over the lines the commit added; then a record of the
/// whole change (agent trailers); a file no record names is declared as no AI use, and said.
/// The category of a file with AI lines is its path class's, and `docs` for code where every
/// AI line is a comment or blank (QEMU lets AI write comments). Where records and diff
/// disagree, the plan says so in `disagreements`: a record never silently widens or narrows.
pub fn plan_from_records(
    change: &Change,
    records: &[Record],
    rules: &[Rule],
    research: bool,
    classes: &PathClasses,
    sides: &Sides<'_>,
) -> Plan {
    let named = records::by_path(records);
    let whole = records.iter().find(|r| r.whole_change);
    let mut plan = Plan {
        research,
        ..Plan::default()
    };
    for r in records {
        plan.models.extend(r.models.iter().cloned());
        for t in &r.tools {
            if !plan.tools.contains(t) {
                plan.tools.push(t.clone());
            }
        }
    }
    for f in &change.files {
        let mut planned = PlannedFile {
            path: f.path.clone(),
            ai: None,
            source: None,
            ai_lines: None,
        };
        if let Some(ai) = ruled(rules, &f.path) {
            planned.ai = ai;
            planned.source = Some(Declared::Rules);
        } else if let Some(naming) = named.get(f.path.as_str()) {
            // Every record that names the file: the AI lines of all of them (one tool's record
            // never narrows another's), the source the first that gives it AI lines.
            let (old, new) = sides(f).unwrap_or_default();
            let added = added_lines(&old, &new);
            let lines = line_count(&new);
            let mut ai_lines = BTreeSet::new();
            for (record, file_record) in naming {
                let mapped = records::map_onto(file_record, &added, lines);
                if !mapped.stale.is_empty() {
                    plan.disagreements.push(format!(
                        "{}: the {} record ({}) gives AI lines {} where this commit added none",
                        f.path,
                        record.source,
                        record.origin,
                        line_list(&mapped.stale)
                    ));
                }
                if planned.source.is_none() || (ai_lines.is_empty() && !mapped.ai_lines.is_empty())
                {
                    planned.source = Some(declared_from(record.source));
                }
                ai_lines.extend(mapped.ai_lines);
            }
            let ai_lines: Vec<u32> = ai_lines.into_iter().collect();
            if !ai_lines.is_empty() {
                planned.ai = Some(inferred(f, classes, &new, &ai_lines));
            }
            planned.ai_lines = (!f.binary).then_some(ai_lines.len() as u32);
        } else if let Some(record) = whole {
            planned.source = Some(declared_from(record.source));
            let (old, new) = sides(f).unwrap_or_default();
            planned.ai = Some(inferred(f, classes, &new, &added_lines(&old, &new)));
            planned.ai_lines = (!f.binary).then_some(f.added_lines);
        } else {
            planned.source = Some(Declared::Unrecorded);
            let names: Vec<String> = records
                .iter()
                .map(|r| format!("{} ({})", r.source, r.origin))
                .collect();
            plan.disagreements.push(format!(
                "{}: no record names it ({}): declared as no AI use",
                f.path,
                names.join(", ")
            ));
        }
        plan.files.push(planned);
    }
    plan
}

fn declared_from(source: records::Source) -> Declared {
    match source {
        records::Source::AgentTrace => Declared::AgentTrace,
        records::Source::GitAi => Declared::GitAi,
        records::Source::Trailers => Declared::Trailers,
    }
}

/// The category of AI lines in a file: its path class's, and `docs` for lines of code files
/// that are all comments or blank (as the policy's lexer reads the language).
fn inferred(f: &FileChange, classes: &PathClasses, new: &[u8], ai: &[u32]) -> AiUse {
    let mut category = classes.classify(&f.path).category();
    if category == Category::Code {
        if let Some(language) = comments::language_of(&f.path) {
            let flags = comments::comment_or_blank_lines(language, new);
            let all_comments = ai.iter().all(|&n| {
                (n as usize)
                    .checked_sub(1)
                    .and_then(|i| flags.get(i))
                    .copied()
                    .unwrap_or(false)
            });
            if all_comments {
                category = Category::Docs;
            }
        }
    }
    AiUse {
        categories: BTreeSet::from([category]),
        explanation: None,
    }
}

/// The lines (1-based) `new` adds to `old`, as git's diff shows them.
fn added_lines(old: &[u8], new: &[u8]) -> Vec<u32> {
    crate::git::changed_line_numbers(old, new)
        .map(|(_, added)| added.into_iter().map(|n| n as u32).collect())
        .unwrap_or_default()
}

/// How many lines a file has (a last line without a newline counted).
fn line_count(text: &[u8]) -> u32 {
    let newlines = text.iter().filter(|&&b| b == b'\n').count();
    let unterminated = !text.is_empty() && !text.ends_with(b"\n");
    (newlines + usize::from(unterminated)) as u32
}

/// `3-5, 9` for people (the first eight ranges).
fn line_list(ranges: &[(u32, u32)]) -> String {
    let mut out: Vec<String> = ranges
        .iter()
        .take(8)
        .map(|&(start, end)| match start == end {
            true => start.to_string(),
            false => format!("{start}-{end}"),
        })
        .collect();
    if ranges.len() > 8 {
        out.push("...".into());
    }
    out.join(", ")
}

/// The statement for a change whose digests are all computed.
pub fn statement(
    change: &Change,
    trailers: &MessageTrailers,
    plan: &Plan,
    signer: Identity,
    tools: Vec<Tool>,
    created_at: Timestamp,
) -> AiUsageStatement {
    let planned: BTreeMap<&str, &PlannedFile> =
        plan.files.iter().map(|f| (f.path.as_str(), f)).collect();
    let files: Vec<FileEntry> = change
        .files
        .iter()
        .map(|f| {
            let p = planned.get(f.path.as_str());
            let mut entry = FileEntry::from_change(f, p.and_then(|p| p.ai.clone()));
            entry.source = p.and_then(|p| p.source);
            if let (Some(lines), Some(ai)) = (&mut entry.lines, p.and_then(|p| p.ai_lines)) {
                lines.added_by_ai = Some(ai);
            }
            entry
        })
        .collect();
    let subject = files
        .iter()
        .map(|f| {
            let mut digest = BTreeMap::from([("sha256".to_string(), f.digest.clone())]);
            if let Some(blob) = &f.new_blob {
                digest.insert("gitBlob".into(), blob.clone());
            }
            Subject {
                name: f.path.clone(),
                digest,
            }
        })
        .collect();
    AiUsageStatement {
        type_: STATEMENT_TYPE.into(),
        subject,
        predicate_type: AI_USAGE_PREDICATE_TYPE.into(),
        predicate: AiUsage {
            change: ChangeInfo {
                title: change.title(),
                author: change.author.clone(),
                signed_off_by: trailers.signed_off_by.clone(),
                ai_used_for: trailers
                    .trailers
                    .iter()
                    .filter(|t| t.is(trailers::AI_USED_FOR))
                    .map(|t| t.value.clone())
                    .collect(),
                base: change.parent.clone(),
                commit: Some(change.id.clone()),
            },
            files,
            research: plan.research,
            tools,
            models: plan.models.iter().cloned().collect(),
            signer,
            created_at: created_at.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_for_a_path_is_about_that_path_alone() {
        let rule = Rule::for_path("a[1].c", None);
        assert!(rule.matches("a[1].c"));
        assert!(!rule.matches("a1.c"), "no glob");
        assert!(!rule.matches("sub/a[1].c"), "not at any depth");
        assert_eq!(rule.to_string(), "a[1].c: no AI");
    }

    #[test]
    fn a_rule_with_a_name_that_is_no_category_says_so_and_lists_them() {
        let err = Rule::ai("docs/**=documentation")
            .err()
            .expect("documentation is no category");
        assert_eq!(
            err.to_string(),
            "invalid --ai rule 'docs/**=documentation': 'documentation' is not a category (the categories are code, tests and docs; research is declared with --research)"
        );
        let err = Rule::ai("hw/*.c=code (refactoring), tset")
            .err()
            .expect("tset is no category");
        assert!(matches!(err, AttestError::UnknownCategory { name, .. } if name == "tset"));
        assert!(matches!(
            Rule::ai("x=analysis").err(),
            Some(AttestError::ResearchInRule { .. })
        ));
        assert!(Rule::ai("docs/**=Docs").is_ok());
    }

    fn plan_of(categories: &[Category]) -> Plan {
        let ai = (!categories.is_empty()).then(|| AiUse {
            categories: categories.iter().copied().collect(),
            explanation: None,
        });
        Plan {
            files: vec![PlannedFile {
                path: "hw/dev.c".into(),
                ai,
                source: None,
                ai_lines: None,
            }],
            ..Plan::default()
        }
    }

    fn check(message: &str, planned: &[Category], convention: Convention) -> Result<(), String> {
        let trailers = MessageTrailers::from_message(message);
        check_declaration(&trailers, &plan_of(planned), convention).map_err(|e| e.to_string())
    }

    #[test]
    fn the_plan_must_cover_the_trailer() {
        use Category::{Code, Tests};
        let qemu = Convention::AiUsedFor;
        let msg = |t: &str| format!("T\n\n{t}\nSigned-off-by: A <a@example.org>\n");
        assert_eq!(check(&msg("AI-used-for: code"), &[Code], qemu), Ok(()));
        assert_eq!(
            check(&msg("AI-used-for: code"), &[Code, Tests], qemu),
            Ok(())
        );
        assert_eq!(
            check("T\n\nSigned-off-by: A <a@example.org>\n", &[], qemu),
            Ok(())
        );
        let less = check(&msg("AI-used-for: code, tests"), &[Tests], qemu).unwrap_err();
        assert!(less.contains("AI use for code, tests") && less.contains("AI use for tests"));
        assert!(check(&msg("AI-used-for: test"), &[Code], qemu)
            .unwrap_err()
            .contains("cannot be read"));
        assert!(check(&msg("Generated-by: Copilot"), &[], qemu)
            .unwrap_err()
            .contains("`Generated-by: Copilot`"));
        assert_eq!(check(&msg("Generated-by: Copilot"), &[Code], qemu), Ok(()));
        // The kernel's trailer is read under its profile; a malformed one there is refused.
        let kernel = Convention::AssistedBy;
        assert!(check(&msg("Assisted-by: Claude Opus 4.6"), &[Code], kernel)
            .unwrap_err()
            .contains("cannot be read"));
        assert_eq!(
            check(&msg("Assisted-by: Claude:opus-4"), &[Code], kernel),
            Ok(())
        );
    }

    fn file_change(path: &str, added: u32) -> FileChange {
        FileChange {
            path: path.into(),
            old_path: None,
            status: crate::change::Status::Modified,
            old_mode: 0o100644,
            new_mode: 0o100644,
            old_blob: None,
            new_blob: None,
            binary: false,
            digest: None,
            added_lines: added,
            removed_lines: 0,
        }
    }

    /// A change of `hw/dev.c` (lines 3-4 added, 4 a comment), `tests/t.c` (line 1 added) and
    /// `README` (line 2 added), and the sides of each.
    fn records_world() -> (Change, Box<Sides<'static>>) {
        let change = Change {
            id: "c".into(),
            message: "T\n".into(),
            author: Identity {
                name: "A".into(),
                email: "a@example.org".into(),
            },
            parent: None,
            parent_count: 1,
            files: vec![
                file_change("hw/dev.c", 2),
                file_change("tests/t.c", 1),
                file_change("README", 1),
            ],
            ids_are_objects: true,
        };
        let sides = Box::new(|f: &FileChange| {
            Some(match f.path.as_str() {
                "hw/dev.c" => (
                    b"int a;\nint b;\n".to_vec(),
                    b"int a;\nint b;\nint c;\n/* c */\n".to_vec(),
                ),
                "tests/t.c" => (Vec::new(), b"int t;\n".to_vec()),
                _ => (b"x\n".to_vec(), b"x\ny\n".to_vec()),
            })
        });
        (change, sides)
    }

    fn span(start: u32, end: u32, contributor: records::Contributor) -> records::Span {
        records::Span {
            start,
            end,
            contributor,
            model: None,
            content_hash: None,
        }
    }

    fn record(files: Vec<records::FileRecord>) -> Record {
        Record {
            source: records::Source::AgentTrace,
            origin: "traces.jsonl".into(),
            files,
            whole_change: false,
            models: BTreeSet::from(["m".to_string()]),
            tools: Vec::new(),
        }
    }

    fn summary(plan: &Plan) -> Vec<String> {
        plan.files
            .iter()
            .map(|f| {
                let ai = f.ai.as_ref().map_or("-".to_string(), |a| a.to_string());
                let source = f.source.map_or("none", |s| s.as_str());
                format!("{} {ai} {:?} {source}", f.path, f.ai_lines)
            })
            .collect()
    }

    #[test]
    fn records_decide_each_file_and_disagreements_are_said() {
        use records::{Contributor, FileRecord};
        let (change, sides) = records_world();
        let trace = record(vec![
            FileRecord {
                path: "hw/dev.c".into(),
                // Line 4 (the comment) is AI's, line 3 a person's; line 2 was not added here.
                spans: Some(vec![
                    span(2, 2, Contributor::Ai),
                    span(3, 3, Contributor::Human),
                    span(4, 4, Contributor::Ai),
                ]),
            },
            FileRecord {
                path: "tests/t.c".into(),
                spans: Some(vec![span(1, 1, Contributor::Mixed)]),
            },
        ]);
        let classes = PathClasses::default();
        let plan = plan_from_records(&change, &[trace], &[], false, &classes, &sides);
        assert_eq!(
            summary(&plan),
            [
                "hw/dev.c AI: docs Some(1) agent-trace",
                "tests/t.c AI: tests Some(1) agent-trace",
                "README - None unrecorded"
            ]
        );
        assert_eq!(plan.models, BTreeSet::from(["m".to_string()]));
        assert_eq!(plan.disagreements.len(), 2, "{:?}", plan.disagreements);
        assert_eq!(
            plan.disagreements[0],
            "hw/dev.c: the agent-trace record (traces.jsonl) gives AI lines 2 where this commit added none"
        );
        assert!(plan.disagreements[1].starts_with("README: no record names it"));
        // An explicit rule decides the files it matches, and nothing is left to disagree on.
        let rules = [
            Rule::human("README").expect("rule"),
            Rule::ai("hw/**=code").expect("rule"),
        ];
        let plan = plan_from_records(
            &change,
            &[record(vec![FileRecord {
                path: "tests/t.c".into(),
                spans: None,
            }])],
            &rules,
            false,
            &classes,
            &sides,
        );
        assert_eq!(
            summary(&plan),
            [
                "hw/dev.c AI: code None rules",
                "tests/t.c AI: tests Some(1) agent-trace",
                "README - None rules"
            ]
        );
        assert!(plan.disagreements.is_empty(), "{:?}", plan.disagreements);
    }

    #[test]
    fn code_lines_by_ai_are_code_and_a_whole_change_record_covers_the_rest() {
        // (README is code by QEMU's layout: neither under docs/ nor in a documentation format.)
        use records::{Contributor, FileRecord};
        let (change, sides) = records_world();
        let trace = record(vec![FileRecord {
            path: "hw/dev.c".into(),
            spans: Some(vec![span(3, 4, Contributor::Ai)]),
        }]);
        let mut trailers = record(Vec::new());
        trailers.source = records::Source::Trailers;
        trailers.whole_change = true;
        let plan = plan_from_records(
            &change,
            &[trace, trailers],
            &[],
            false,
            &PathClasses::default(),
            &sides,
        );
        assert_eq!(
            summary(&plan),
            [
                "hw/dev.c AI: code Some(2) agent-trace",
                "tests/t.c AI: tests Some(1) trailers",
                "README AI: code Some(1) trailers"
            ]
        );
        assert!(plan.disagreements.is_empty());
    }

    #[test]
    fn one_records_human_lines_never_narrow_anothers_ai_lines() {
        use records::{Contributor, FileRecord};
        let (change, sides) = records_world();
        let human = record(vec![FileRecord {
            path: "tests/t.c".into(),
            spans: Some(vec![span(1, 1, Contributor::Human)]),
        }]);
        let mut git_ai = record(vec![FileRecord {
            path: "tests/t.c".into(),
            spans: Some(vec![span(1, 1, Contributor::Ai)]),
        }]);
        git_ai.source = records::Source::GitAi;
        let plan = plan_from_records(
            &change,
            &[human, git_ai],
            &[
                Rule::human("hw/**").expect("rule"),
                Rule::human("README").expect("rule"),
            ],
            false,
            &PathClasses::default(),
            &sides,
        );
        assert_eq!(plan.files[1].ai_lines, Some(1));
        assert_eq!(plan.files[1].source, Some(Declared::GitAi));
        assert!(plan.files[1].ai.is_some());
    }
}
