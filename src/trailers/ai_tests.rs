//! Tests of the AI-disclosure layer: value grammars, message classification
//! and rewriting (checked against `git interpret-trailers` too).
//!
//! Compiled only for tests: the parent declares this module under `#[cfg(test)]`.

use std::collections::BTreeSet;

use proptest::prelude::*;

use super::git_tests::{git_interpret_trailers, render};
use super::{
    looks_like_ai_agent, parse, set_ai_used_for, AiUsedFor, AssistedBy, Category, ForeignAiKind,
    Identity, MessageTrailers, Trailer, TrailerError,
};

use Category::{Code, Docs, Research, Tests};

fn ai(categories: &[Category], explanation: Option<&str>) -> AiUsedFor {
    AiUsedFor {
        categories: categories.iter().copied().collect(),
        explanation: explanation.map(str::to_owned),
    }
}

fn reason(err: TrailerError) -> String {
    match err {
        TrailerError::Malformed { reason, .. } => reason,
    }
}

#[test]
fn category_names() {
    assert_eq!("Tests".parse::<Category>().unwrap(), Tests);
    assert_eq!("RESEARCH".parse::<Category>().unwrap(), Research);
    assert_eq!(Docs.to_string(), "docs");
    assert!(Code < Tests && Tests < Docs && Docs < Research);
    assert_eq!(serde_json::to_string(&Research).unwrap(), "\"research\"");
    assert_eq!(serde_json::from_str::<Category>("\"code\"").unwrap(), Code);
    let err = "doc".parse::<Category>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "malformed AI-used-for trailer \"doc\": unknown category \"doc\" (expected code, tests, docs, analysis or research)"
    );
}

#[test]
fn ai_used_for_valid() {
    let cases: &[(&str, AiUsedFor, &str)] = &[
        ("tests, docs", ai(&[Tests, Docs], None), "tests, docs"),
        (
            "code (refactoring)",
            ai(&[Code], Some("refactoring")),
            "code (refactoring)",
        ),
        (
            "code (refactoring), tests",
            ai(&[Code, Tests], Some("refactoring")),
            "code, tests (refactoring)",
        ),
        (
            "tests, docs (generated fixtures)",
            ai(&[Tests, Docs], Some("generated fixtures")),
            "tests, docs (generated fixtures)",
        ),
        (
            "CODE,Research",
            ai(&[Code, Research], None),
            "code, research",
        ),
        ("  research  ", ai(&[Research], None), "research"),
        ("code, code", ai(&[Code], None), "code"),
        (
            "docs, code (wrote the (first) draft)",
            ai(&[Code, Docs], Some("wrote the (first) draft")),
            "code, docs (wrote the (first) draft)",
        ),
        (
            "code ( a ), tests (b: see https://x/y)",
            ai(&[Code, Tests], Some("a; b: see https://x/y")),
            "code, tests (a; b: see https://x/y)",
        ),
        (
            "tests (unit tests, fixtures)",
            ai(&[Tests], Some("unit tests, fixtures")),
            "tests (unit tests, fixtures)",
        ),
    ];
    for (input, expected, canonical) in cases {
        let parsed: AiUsedFor = input.parse().unwrap();
        assert_eq!(&parsed, expected, "{input:?}");
        assert_eq!(parsed.to_string(), *canonical, "{input:?}");
    }
}

#[test]
fn ai_used_for_malformed() {
    let cases: &[(&str, &str)] = &[
        ("", "empty value"),
        ("   ", "empty value"),
        (
            "coding",
            "unknown category \"coding\" (expected code, tests, docs, analysis or research)",
        ),
        (
            "code, ai",
            "unknown category \"ai\" (expected code, tests, docs, analysis or research)",
        ),
        (
            "code tests",
            "unknown category \"code tests\" (expected code, tests, docs, analysis or research)",
        ),
        ("code (refactoring", "unbalanced parentheses"),
        ("code (a (b)", "unbalanced parentheses"),
        ("code refactoring)", "unbalanced parentheses"),
        ("code (a))", "unbalanced parentheses"),
        ("code,", "empty category"),
        (",code", "empty category"),
        ("code,, tests", "empty category"),
        ("(just text)", "empty category"),
        ("code ( )", "empty explanation"),
        ("code (a) b", "unexpected text after an explanation"),
        ("code (a) (b)", "unexpected text after an explanation"),
    ];
    for (input, expected) in cases {
        let err = input.parse::<AiUsedFor>().unwrap_err();
        let TrailerError::Malformed { key, value, .. } = &err;
        assert_eq!((key.as_str(), value.as_str()), ("AI-used-for", *input));
        assert_eq!(reason(err), *expected, "{input:?}");
    }
    assert_eq!(
        "code (x".parse::<AiUsedFor>().unwrap_err().to_string(),
        "malformed AI-used-for trailer \"code (x\": unbalanced parentheses"
    );
}

#[test]
fn identities() {
    let id = Identity::parse("Signed-off-by", " A U Thor <Author@Example.org> ").unwrap();
    assert_eq!(
        (id.name.as_str(), id.email.as_str()),
        ("A U Thor", "Author@Example.org")
    );
    assert_eq!(
        id,
        Identity::parse("x", "A U Thor <author@example.ORG>").unwrap()
    );
    assert_ne!(
        id,
        Identity::parse("x", "A U Thor <other@example.org>").unwrap()
    );
    assert_eq!(id.to_string(), "A U Thor <Author@Example.org>");
    for (value, expected) in [
        ("A U Thor", "expected `Name <email>`"),
        ("A U Thor <a@x> extra", "expected `Name <email>`"),
        ("<a@x>", "missing name"),
        ("A <>", "missing or invalid email"),
    ] {
        let err = Identity::parse("Signed-off-by", value).unwrap_err();
        assert_eq!(reason(err), expected, "{value:?}");
    }
}

#[test]
fn assisted_by_kernel_dialect() {
    let parsed: AssistedBy = "Claude:claude-3-opus coccinelle sparse".parse().unwrap();
    assert_eq!(
        parsed,
        AssistedBy {
            agent: "Claude".into(),
            model: "claude-3-opus".into(),
            tools: vec!["coccinelle".into(), "sparse".into()],
        }
    );
    assert_eq!(parsed.to_string(), "Claude:claude-3-opus coccinelle sparse");
    let parsed: AssistedBy = "Cursor:claude-4-sonnet [smatch]".parse().unwrap();
    assert_eq!(
        (parsed.agent.as_str(), parsed.model.as_str(), parsed.tools),
        ("Cursor", "claude-4-sonnet", vec!["smatch".to_owned()])
    );
    // checkpatch's `^\S+:\S+`: the first colon with something on both sides splits.
    let parsed: AssistedBy = "a::".parse().unwrap();
    assert_eq!((parsed.agent.as_str(), parsed.model.as_str()), ("a", ":"));
    // Real values from git's and the kernel's history that checkpatch warns about.
    for value in [
        "Claude Opus 4.6",
        "Opus 4.7",
        "GitHub Copilot (Claude Sonnet 4.5)",
        "GitHub Copilot:Claude Sonnet 4.6 linux-kernel-oops-x86.",
        "Claude Code:claude-opus-4 [smatch]",
        "Junio C Hamano <gitster@pobox.com>",
        ":gpt-4o",
        "Cursor:",
        "Cursor: claude",
        "",
        "   ",
    ] {
        let err = value.parse::<AssistedBy>().unwrap_err();
        assert_eq!(reason(err), crate::trailers::ASSISTED_BY_FORM, "{value:?}");
    }
}

#[test]
fn analysis_is_research_and_names_are_kept_as_written() {
    let v: AiUsedFor = "Analysis".parse().unwrap();
    assert_eq!(v, ai(&[Research], None));
    let v: AiUsedFor = "code (x, y), analysis, research".parse().unwrap();
    assert_eq!(v, ai(&[Code, Research], Some("x, y")));
    assert_eq!(
        crate::trailers::written_categories("code (x, (y)), Analysis ,tests"),
        vec!["code", "Analysis", "tests"]
    );
}

#[test]
fn ai_agent_identities() {
    let agents = [
        ("Claude", "noreply@anthropic.com"),
        ("Someone", "NoReply@Anthropic.com"),
        ("Cursor Agent", "cursoragent@cursor.com"),
        ("aider (gpt-4o)", "noreply@aider.chat"),
        ("Copilot", "198982749+Copilot@users.noreply.github.com"),
        ("GitHub Copilot", "copilot@example.com"),
        (
            "x",
            "158243242+devin-ai-integration[bot]@users.noreply.github.com",
        ),
        ("gemini-code-assist[bot]", "bot@example.com"),
        ("ChatGPT", ""),
        ("OpenAI Codex", "codex@example.com"),
        ("GPT4", "gpt@example.com"),
    ];
    for (name, email) in agents {
        assert!(looks_like_ai_agent(name, email), "{name} <{email}>");
    }
    let people = [
        ("Claude Paroz", "claude@2xlibre.net"),
        ("Egypt Gptson", "e@example.com"),
        (
            "github-actions[bot]",
            "41898282+github-actions[bot]@users.noreply.github.com",
        ),
        (
            "dependabot[bot]",
            "49699333+dependabot[bot]@users.noreply.github.com",
        ),
        ("Jane Doe", "jane@anthropic.com"),
        ("Bot", "bot@example.com"),
    ];
    for (name, email) in people {
        assert!(!looks_like_ai_agent(name, email), "{name} <{email}>");
    }
}

fn trailer(key: &str, value: &str) -> Trailer {
    Trailer {
        key: key.into(),
        value: value.into(),
    }
}

#[test]
fn message_classification() {
    let msg = "Subject\n\nBody.\n\n\
        AI-used-for: code (refactoring), tests\n\
        Assisted-by: Claude:claude-3-opus sparse\n\
        Generated-by: some tool\n\
        Co-authored-by: Claude <noreply@anthropic.com>\n\
        Co-authored-by: Claude Paroz <claude@2xlibre.net>\n\
        Signed-off-by: A U Thor <a@example.org>\n\
        Signed-off-by: broken\n\
        ai-used-for: magic\n";
    let m = MessageTrailers::from_message(msg);
    assert_eq!(m.trailers.len(), 8);
    assert_eq!(
        m.signed_off_by,
        [Identity {
            name: "A U Thor".into(),
            email: "A@example.org".into()
        }]
    );
    assert_eq!(m.malformed_signed_off_by.len(), 1);
    assert_eq!(m.ai_used_for.len(), 2);
    assert_eq!(
        m.ai_used_for[0],
        Ok(ai(&[Code, Tests], Some("refactoring")))
    );
    assert_eq!(
        m.ai_used_for[1].clone().map_err(reason),
        Err(
            "unknown category \"magic\" (expected code, tests, docs, analysis or research)"
                .to_owned()
        )
    );
    assert!(m.ai_used_for_misplaced);
    let kinds: Vec<_> = m.foreign.iter().map(|f| f.kind.clone()).collect();
    assert_eq!(
        kinds,
        [
            ForeignAiKind::AssistedBy(Ok(AssistedBy {
                agent: "Claude".into(),
                model: "claude-3-opus".into(),
                tools: vec!["sparse".into()],
            })),
            ForeignAiKind::GeneratedBy,
            ForeignAiKind::AiCoAuthor(Identity {
                name: "Claude".into(),
                email: "noreply@anthropic.com".into()
            }),
        ]
    );
    assert_eq!(m.foreign[1].trailer, trailer("Generated-by", "some tool"));

    // Before the sign-offs is the right place; no trailer block, nothing found.
    let m = MessageTrailers::from_message(
        "S\n\nAI-used-for: docs\nSigned-off-by: A <a@x>\nAI-used-for: docs\n",
    );
    assert!(m.ai_used_for_misplaced);
    let m = MessageTrailers::from_message("S\n\nAI-used-for: docs\nSigned-off-by: A <a@x>\n");
    assert!(!m.ai_used_for_misplaced);
    assert_eq!(m.ai_used_for, [Ok(ai(&[Docs], None))]);
    let m = MessageTrailers::from_message("S\n\nAI-used-for: docs\nnot a trailer\n");
    assert_eq!(m, MessageTrailers::default());
    // Free-text Assisted-by (LLVM, Fedora) is still foreign, but malformed.
    let m = MessageTrailers::from_message("S\n\nAssisted-by: GitHub Copilot\n");
    assert!(matches!(
        &m.foreign[0].kind,
        ForeignAiKind::AssistedBy(Err(_))
    ));
}

/// `set_ai_used_for` outputs, each also re-parsed by git.
#[test]
fn set_ai_used_for_exact() {
    let code = ai(&[Code], None);
    let cases: &[(&str, &str)] = &[
        (
            "Subject\n\nBody.\n\nSigned-off-by: A <a@x>\n",
            "Subject\n\nBody.\n\nAI-used-for: code\nSigned-off-by: A <a@x>\n",
        ),
        ("Subject\n\nBody.\n", "Subject\n\nBody.\n\nAI-used-for: code\n"),
        ("Subject", "Subject\n\nAI-used-for: code\n"),
        ("Subject\n", "Subject\n\nAI-used-for: code\n"),
        ("", "\nAI-used-for: code\n"),
        (
            "Subject\n\nReviewed-by: R <r@x>\n",
            "Subject\n\nReviewed-by: R <r@x>\nAI-used-for: code\n",
        ),
        (
            "Subject\n\nSigned-off-by: A <a@x>\nAI-used-for: docs\n  folded\n",
            "Subject\n\nAI-used-for: code\nSigned-off-by: A <a@x>\n",
        ),
        (
            "Subject\n\nai-used-for: docs\nReviewed-by: R <r@x>\n",
            "Subject\n\nReviewed-by: R <r@x>\nAI-used-for: code\n",
        ),
        (
            "Subject\n\nFoo: a\nAI-used-for: docs",
            "Subject\n\nFoo: a\nAI-used-for: code\n",
        ),
        (
            "Subject\n\nBody.\n---\n diff\n",
            "Subject\n\nBody.\n\nAI-used-for: code\n---\n diff\n",
        ),
        (
            "Subject\n\nSigned-off-by: A <a@x>\n---\nnotes\n",
            "Subject\n\nAI-used-for: code\nSigned-off-by: A <a@x>\n---\nnotes\n",
        ),
        (
            "Subject\n\nBody.\n\n# Please enter the commit message\n",
            "Subject\n\nBody.\n\nAI-used-for: code\n\n# Please enter the commit message\n",
        ),
        (
            "Subject\r\n\r\nSigned-off-by: A <a@x>\r\n",
            "Subject\r\n\r\nAI-used-for: code\r\nSigned-off-by: A <a@x>\r\n",
        ),
        ("Subject\r\n\r\nBody.", "Subject\r\n\r\nBody.\r\n\r\nAI-used-for: code\r\n"),
        ("Subject\n\nFoo: a\n  \n", "Subject\n\nFoo: a\nAI-used-for: code\n  \n"),
        (
            "Subject\n\nBody\n(cherry picked from commit abc)\n",
            "Subject\n\nBody\n(cherry picked from commit abc)\nAI-used-for: code\n",
        ),
        (
            "Subject\n\nText\n\nNot: a block\nfree text\n",
            "Subject\n\nText\n\nNot: a block\nfree text\n\nAI-used-for: code\n",
        ),
        // Blank and comment lines below a block (CRLF blank lines are not
        // ignorable for git) stay below the new line. Found by proptest.
        (
            "A\r\n\r\nFoo: bar\r\n\r\n# comment\r\n\r\n# comment",
            "A\r\n\r\nFoo: bar\r\nAI-used-for: code\r\n\r\n# comment\r\n\r\n# comment",
        ),
        // Removing both old lines would push this block under git's 25%
        // threshold, so they are replaced in place.
        (
            "S\n\nAI-used-for: docs\nAI-used-for: tests\nSigned-off-by: A <a@x>\n1\n2\n3\n4\n5\n6\n7\n8\n9\n",
            "S\n\nAI-used-for: code\nAI-used-for: code\nSigned-off-by: A <a@x>\n1\n2\n3\n4\n5\n6\n7\n8\n9\n",
        ),
    ];
    for (input, expected) in cases {
        let out = set_ai_used_for(input, &code);
        assert_eq!(&out, expected, "input {input:?}");
        let git = git_interpret_trailers(&out);
        assert!(
            git.contains("AI-used-for: code\n"),
            "git misses it in {out:?}"
        );
        assert_eq!(render(&parse(&out)), git, "{out:?}");
    }
    // Line breaks in a hand-built explanation cannot break the block.
    let value = ai(&[Code, Docs], Some("first\nsecond"));
    let out = set_ai_used_for("Subject\n\nSigned-off-by: A <a@x>\n", &value);
    assert_eq!(
        out,
        "Subject\n\nAI-used-for: code, docs (first second)\nSigned-off-by: A <a@x>\n"
    );
}

fn category() -> impl Strategy<Value = Category> {
    prop::sample::select(Category::ALL.to_vec())
}

fn explanation() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9][a-zA-Z0-9 ,.;:/_-]{0,20}[a-zA-Z0-9.]",
        "[a-z]{1,6}",
        "[a-z]{1,6} \\([a-z ,]{0,8}\\)( [a-z]{1,6})?",
    ]
}

fn ai_used_for() -> impl Strategy<Value = AiUsedFor> {
    (
        prop::collection::btree_set(category(), 1..=4),
        prop::option::of(explanation()),
    )
        .prop_map(|(categories, explanation)| AiUsedFor {
            categories: categories.into_iter().collect::<BTreeSet<_>>(),
            explanation,
        })
}

/// Commit messages made of the pieces git's rules care about.
fn message() -> impl Strategy<Value = String> {
    let body_line = prop::sample::select(vec![
        "Some text.",
        "Foo: bar",
        "  indented",
        "# comment",
        "---x",
        "AI-used-for: docs",
    ]);
    let block_line = prop::sample::select(vec![
        "Signed-off-by: A U Thor <a@example.org>",
        "Reviewed-by: R <r@example.org>",
        "AI-used-for: docs",
        "ai-used-for: bogus (",
        "  continued",
        "(cherry picked from commit 1234abcd)",
        "Link: https://example.org/a:b",
        "free text",
        "# comment",
    ]);
    let tail = prop::sample::select(vec!["", "---\n diff\n", "\n# comment\n", "\n\n", "  \n"]);
    (
        "[A-Z][a-z ]{0,15}",
        prop::collection::vec(prop::collection::vec(body_line, 1..4), 0..3),
        prop::collection::vec(block_line, 0..6),
        tail,
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(subject, body, block, tail, crlf, final_newline)| {
            let mut msg = format!("{subject}\n");
            for paragraph in body {
                msg.push('\n');
                paragraph
                    .iter()
                    .for_each(|l| msg.push_str(&format!("{l}\n")));
            }
            if !block.is_empty() {
                msg.push('\n');
                block.iter().for_each(|l| msg.push_str(&format!("{l}\n")));
            }
            msg.push_str(tail);
            if !final_newline {
                msg.pop();
            }
            if crlf {
                msg = msg.replace('\n', "\r\n");
            }
            msg
        })
}

fn ai_values(message: &str) -> Vec<String> {
    parse(message)
        .into_iter()
        .filter(|t| t.is("AI-used-for"))
        .map(|t| t.value)
        .collect()
}

fn other_trailers(message: &str) -> Vec<Trailer> {
    parse(message)
        .into_iter()
        .filter(|t| !t.is("AI-used-for"))
        .collect()
}

proptest! {
    #[test]
    fn ai_used_for_display_parses_back(value in ai_used_for()) {
        prop_assert_eq!(value.to_string().parse::<AiUsedFor>(), Ok(value));
    }

    #[test]
    fn set_ai_used_for_round_trips(msg in message(), value in ai_used_for()) {
        let out = set_ai_used_for(&msg, &value);
        let values = ai_values(&out);
        let old_count = ai_values(&msg).len();
        prop_assert!(
            values.len() == 1 || (old_count > 1 && values.len() == old_count),
            "AI-used-for values {:?} in {:?}", values, out
        );
        for v in &values {
            prop_assert_eq!(v.parse::<AiUsedFor>(), Ok(value.clone()));
        }
        prop_assert_eq!(other_trailers(&out), other_trailers(&msg));
        prop_assert_eq!(set_ai_used_for(&out, &value), out.clone(), "not idempotent");
        prop_assert_eq!(render(&parse(&out)), git_interpret_trailers(&out));
    }
}
