//! Policy checks of the governing attestation: which AI use the project allows without a
//! maintainer's approval (QEMU's rules), and the kernel's `Assisted-by:` convention.

use std::collections::BTreeSet;
use std::rc::Rc;

use crate::change::{Change, FileChange};
use crate::finding::{Code, Finding};
use crate::model::{AiCodeShare, AiUsage, FileEntry};
use crate::policy::{comments, PathClass, Policy};
use crate::trailers::{Category, ForeignAiKind, MessageTrailers};

/// What the policy needs to know about a file beyond its diff: its two sides, whole, when the
/// change's source can tell them (a commit's blobs; a mail's files rebuilt from their
/// pre-images), and the file change of an attested pairing.
pub trait FileFacts {
    fn sides(&self, file: &FileChange) -> Option<Rc<(Vec<u8>, Vec<u8>)>>;
    fn pair(&self, entry: &FileEntry) -> Option<FileChange>;
}

/// For a text file of a known language, its changed lines from `old` to `new` (removed, added),
/// each with whether it is a comment or blank.
fn classified(path: &str, old: &[u8], new: &[u8]) -> Option<(Vec<bool>, Vec<bool>)> {
    let language = comments::language_of(path)?;
    let (removed, added) = crate::git::changed_line_numbers(old, new).ok()?;
    let pick = |text: &[u8], lines: &[usize]| {
        let flags = comments::comment_or_blank_lines(language, text);
        lines
            .iter()
            .map(|&n| {
                n.checked_sub(1)
                    .and_then(|i| flags.get(i))
                    .copied()
                    .unwrap_or(false)
            })
            .collect::<Vec<_>>()
    };
    Some((pick(old, &removed), pick(new, &added)))
}

/// Whether the file change touches only comments (its code is the same before and after),
/// when that can be told.
fn comment_only(facts: &dyn FileFacts, file: &FileChange) -> Option<bool> {
    let sides = facts.sides(file)?;
    let language = comments::language_of(&file.path)?;
    Some(sides.0 != sides.1 && comments::same_code(language, &sides.0, &sides.1))
}

/// Changed lines of code (comments and blank lines not counted, where they can be told).
fn code_line_count(facts: &dyn FileFacts, file: &FileChange) -> usize {
    let sides = facts.sides(file);
    match sides.and_then(|s| classified(&file.path, &s.0, &s.1)) {
        Some((removed, added)) => {
            let code = |v: &[bool]| v.iter().filter(|&&c| !c).count();
            code(&removed).max(code(&added))
        }
        None => file.added_lines.max(file.removed_lines) as usize,
    }
}

/// The category rules of the policy (QEMU's profiles) for one attested change, and the AI code
/// it counts toward the small-fix limit of its series.
pub fn check_categories(
    change: &Change,
    predicate: &AiUsage,
    policy: &Policy,
    facts: &dyn FileFacts,
    approvals: &Approvals<'_>,
) -> Judged {
    let approved = approvals.approved;
    let mut judged = Judged::default();
    let share = &mut judged.share;
    if !policy.restrict_categories {
        return judged;
    }
    let mut findings = Vec::new();
    let mut needs_approval: BTreeSet<String> = BTreeSet::new();
    let mut code_files = Vec::new();
    let mut code_lines = 0;
    let by_key = super::coverage::index(&change.files);
    for entry in &predicate.files {
        let Some(ai) = &entry.ai else { continue };
        // The file change as attested: the commit's own, or the attested pairing of a rename.
        let direct = by_key
            .get(&(entry.path.as_str(), entry.status, entry.old_path.as_deref()))
            .map(|f| (*f).clone());
        let Some(file) = direct.or_else(|| facts.pair(entry)) else {
            continue;
        };
        let file = &file;
        let class = policy.classes.classify(&entry.path);
        for category in &ai.categories {
            let known =
                *category == Category::Research || policy.accepts_category(category.as_str());
            let refusal = match (category, class) {
                _ if !known => Some(format!(
                    "AI use for {category} is not allowed by the policy"
                )),
                (Category::Tests, PathClass::Tests)
                | (Category::Docs, PathClass::Docs | PathClass::Tests) => None,
                (Category::Code, PathClass::Tests) => None,
                (Category::Tests, _) => Some("AI-written tests outside the test paths".to_string()),
                (Category::Docs, PathClass::Code) => match comment_only(facts, file) {
                    Some(true) => None,
                    _ => {
                        Some("AI documentation in code that changes more than comments".to_string())
                    }
                },
                (Category::Code, _) => {
                    let excepted = ai.explanation.as_deref().is_some_and(|e| {
                        policy
                            .code_exceptions
                            .iter()
                            .any(|x| e.to_lowercase().contains(&x.to_lowercase()))
                    });
                    if !excepted {
                        let lines = code_line_count(facts, file);
                        code_lines += lines;
                        code_files.push(entry.path.clone());
                        if !approved(&entry.path) {
                            share.lines += lines;
                            share.files.push(entry.path.clone());
                            share
                                .maintainers
                                .insert(entry.path.clone(), (approvals.maintainers)(&entry.path));
                        }
                    }
                    None
                }
                (Category::Research, _) => None,
            };
            // A maintainer's approval of the file lifts the rule.
            let refusal = match refusal {
                Some(_) if approved(&entry.path) => {
                    judged.approved.insert(entry.path.clone());
                    None
                }
                refusal => refusal,
            };
            if let Some(why) = refusal {
                findings.push(
                    Finding::new(Code::CategoryNotAllowed, format!("{}: {why}", entry.path))
                        .in_file(&entry.path),
                );
                needs_approval.insert(entry.path.clone());
            }
        }
    }
    let (approved_code, unapproved_code): (Vec<String>, Vec<String>) =
        code_files.into_iter().partition(|p| approved(p));
    if code_lines > policy.small_fix_limit {
        // Over the limit, the approved files are what lets them through.
        judged.approved.extend(approved_code);
    }
    if code_lines > policy.small_fix_limit && !unapproved_code.is_empty() {
        findings.push(Finding::new(
            Code::FixTooLarge,
            format!(
                "{} of AI-written code, over the small-fix limit of {} (tests not counted)",
                crate::text::count(code_lines, "changed line", "changed lines"),
                policy.small_fix_limit
            ),
        ));
        needs_approval.extend(unapproved_code);
    }
    findings.extend(
        needs_approval
            .iter()
            .map(|p| approval_missing(p, (approvals.maintainers)(p).as_deref())),
    );
    judged.findings = findings;
    judged
}

/// What the category rules ask about maintainers' approvals.
pub struct Approvals<'a> {
    /// Whether an approval counts for a file: signed by one of its maintainers, for the
    /// attested digest.
    pub approved: &'a dyn Fn(&str) -> bool,
    /// Who could approve a file, as `get_maintainer.pl` lists them; `None` without a
    /// MAINTAINERS file.
    pub maintainers: &'a dyn Fn(&str) -> Option<Vec<String>>,
}

/// What the category rules found about one change.
#[derive(Default)]
pub struct Judged {
    pub findings: Vec<Finding>,
    /// The AI code the small-fix limit of its series counts.
    pub share: AiCodeShare,
    /// The files an approval let through: AI use the policy allows only with approval, or AI
    /// code over the small-fix limit.
    pub approved: BTreeSet<String>,
}

/// A file whose AI use needs a maintainer's approval, naming who could give it (`None`: the
/// trusted revision has no MAINTAINERS file).
pub fn approval_missing(path: &str, maintainers: Option<&[String]>) -> Finding {
    let who = match maintainers {
        Some([]) => "; MAINTAINERS names none for it, so no approval can count".to_string(),
        Some(people) => format!(": {}", people.join(", ")),
        None => {
            "; the trusted revision has no MAINTAINERS file, so no approval can count".to_string()
        }
    };
    Finding::new(
        Code::ApprovalMissing,
        format!("{path}: the AI use needs the approval of one of its maintainers{who}"),
    )
    .in_file(path)
}

/// The kernel convention: `Assisted-by: AGENT:MODEL [TOOL...]` against the attested tools
/// (`aiprov attest --tool AGENT@MODEL --tool TOOL`).
pub fn check_assisted_by(trailers: &MessageTrailers, predicate: &AiUsage) -> Vec<Finding> {
    let declared: Vec<_> = trailers
        .foreign
        .iter()
        .filter_map(|f| match &f.kind {
            ForeignAiKind::AssistedBy(parsed) => Some(parsed),
            _ => None,
        })
        .collect();
    let mut findings = Vec::new();
    let mut from_trailer: BTreeSet<(String, Option<String>)> = BTreeSet::new();
    // A malformed value is reported with the trailers (`message::check_trailers`).
    let mut malformed = false;
    for parsed in &declared {
        match parsed {
            Ok(a) => {
                from_trailer.insert((a.agent.to_lowercase(), Some(a.model.to_lowercase())));
                from_trailer.extend(a.tools.iter().map(|t| (t.to_lowercase(), None)));
            }
            Err(_) => malformed = true,
        }
    }
    let attested: BTreeSet<(String, Option<String>)> = predicate
        .tools
        .iter()
        .map(|t| {
            (
                t.name.to_lowercase(),
                t.version.as_ref().map(|v| v.to_lowercase()),
            )
        })
        .collect();
    let ai_used = !predicate.categories().is_empty();
    if declared.is_empty() && ai_used {
        findings.push(Finding::new(
            Code::TrailerMissing,
            "AI use is attested but there is no Assisted-by trailer",
        ));
    } else if !declared.is_empty() && !ai_used {
        findings.push(Finding::new(
            Code::TrailerUnexpected,
            "Assisted-by is present but the attestation declares no AI use",
        ));
    } else if !malformed && !declared.is_empty() && from_trailer != attested {
        let show = |s: &BTreeSet<(String, Option<String>)>| {
            s.iter()
                .map(|(n, v)| v.as_ref().map_or(n.clone(), |v| format!("{n}:{v}")))
                .collect::<Vec<_>>()
                .join(", ")
        };
        findings.push(Finding::new(
            Code::TrailerMismatch,
            format!(
                "Assisted-by names {} but the attestation names {}",
                show(&from_trailer),
                if attested.is_empty() {
                    "no tools".into()
                } else {
                    show(&attested)
                }
            ),
        ));
    }
    findings
}
