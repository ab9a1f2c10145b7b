//! Building an AI-usage attestation for a change: which AI use each file gets (from explicit
//! rules, or inferred from the `AI-used-for` trailer and the path classes), the statement, and
//! merging the signed envelope into a note.

use std::collections::BTreeMap;
use std::collections::BTreeSet;

use jiff::Timestamp;
use thiserror::Error;

use crate::change::Change;
use crate::model::{
    AiUsage, AiUsageStatement, AiUse, ChangeInfo, FileEntry, Subject, Tool,
    AI_USAGE_PREDICATE_TYPE, STATEMENT_TYPE,
};
use crate::policy::{Convention, PathClasses, PathGlob, PathGlobError};
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// AI use per file, in the change's file order.
    pub files: Vec<(String, Option<AiUse>)>,
    pub research: bool,
}

impl Plan {
    /// The categories the trailer should carry for this plan.
    pub fn categories(&self) -> BTreeSet<Category> {
        let mut all: BTreeSet<Category> = self
            .files
            .iter()
            .filter_map(|(_, a)| a.as_ref())
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
            .filter_map(|(_, a)| a.as_ref()?.explanation.as_deref())
            .collect();
        (!categories.is_empty()).then(|| AiUsedFor {
            categories,
            explanation: (explanations.len() == 1)
                .then(|| explanations.into_iter().next().map(str::to_string))
                .flatten(),
        })
    }
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
    let files = if !rules.is_empty() {
        paths
            .iter()
            .map(|p| {
                let ai = rules
                    .iter()
                    .rev()
                    .find(|r| r.matches(p))
                    .and_then(|r| r.ai.clone());
                (p.to_string(), ai)
            })
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
                (p.to_string(), ai)
            })
            .collect()
    };
    Plan { files, research }
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
    let ai_of: BTreeMap<&str, &Option<AiUse>> =
        plan.files.iter().map(|(p, a)| (p.as_str(), a)).collect();
    let files: Vec<FileEntry> = change
        .files
        .iter()
        .map(|f| FileEntry::from_change(f, ai_of.get(f.path.as_str()).and_then(|a| (*a).clone())))
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
            files: vec![("hw/dev.c".into(), ai)],
            research: false,
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
}
