//! What each fuzz target does with one input: the parser calls aiprov makes on untrusted input,
//! and the properties that must hold whatever the input. Shared by the fuzz targets
//! (`fuzz_targets/*.rs`) and by the main crate's `tests/cli/fuzz_corpus.rs`, which feeds every
//! committed seed and regression input through the same calls, so `cargo test` guards them.
//!
//! Each function panics when a property fails (that is how libFuzzer sees a bug) and otherwise
//! says whether the input was accepted by the target's main parser.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::sync::OnceLock;

use aiprov::dsse::{self, Envelope};
use aiprov::finding::Code;
use aiprov::keyring::Keyring;
use aiprov::mail::mbox;
use aiprov::mail::patatt::{verify_mail, DevSignature, PatattKeyring};
use aiprov::mail::PatchMail;
use aiprov::policy::comments::{comment_or_blank_lines, Language};
use aiprov::policy::maintainers::{MaintainerLookup, Maintainers};
use aiprov::policy::Policy;
use aiprov::records::{agent_trace, git_ai, map_onto};
use aiprov::trailers::{
    self, remove_ai_used_for, set_ai_used_for, AiUsedFor, AssistedBy, Category, Identity,
    MessageTrailers,
};
use aiprov::verify::{check_note, parse_statement, ParsedStatement, MAX_NOTE_ENVELOPES};
use base64::Engine as _;

/// Whether the target's main parser accepted the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Accepted,
    Rejected,
}

fn outcome<T, E>(r: &Result<T, E>) -> Outcome {
    if r.is_ok() {
        Outcome::Accepted
    } else {
        Outcome::Rejected
    }
}

/// DSSE envelopes: `Envelope::parse`, `Envelope::of_line` (bundles too), PAE, base64, and a
/// whole note through `check_note` with an empty keyring. An envelope that parses serialises
/// and parses back to the same value.
pub fn envelope(data: &[u8]) -> Outcome {
    let parsed = Envelope::parse(data);
    for env in [&parsed, &Envelope::of_line(data)].into_iter().flatten() {
        let json = env.to_json();
        assert_eq!(Envelope::parse(json.as_bytes()).as_ref(), Ok(env));
        let pae = env.pae();
        let head = format!(
            "DSSEv1 {} {} {} ",
            env.payload_type.len(),
            env.payload_type,
            env.payload.len()
        );
        assert_eq!(pae.len(), head.len() + env.payload.len());
        assert!(pae.starts_with(head.as_bytes()) && pae.ends_with(&env.payload));
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(bytes) = dsse::decode_base64(text.trim()) {
            let again = base64::engine::general_purpose::STANDARD.encode(&bytes);
            assert_eq!(dsse::decode_base64(&again), Some(bytes));
        }
    }
    let note = check_note(data, &Keyring::default());
    let lines = data
        .split(|&b| b == b'\n')
        .filter(|l| !l.trim_ascii().is_empty())
        .count();
    // Lines past the bound are not read; one more finding says so.
    let read = lines.min(MAX_NOTE_ENVELOPES);
    assert_eq!(note.envelopes, read);
    // Nothing is trusted, so every envelope line read is a finding.
    assert_eq!(
        note.findings.len(),
        read + usize::from(lines > MAX_NOTE_ENVELOPES)
    );
    assert!(note.attestations.is_empty() && note.approvals.is_empty());
    outcome(&parsed)
}

/// In-toto statements with the AI-usage or approval predicate, parsed as verification parses an
/// envelope's payload (`verify::parse_statement`). What parses serialises and parses back to
/// the same value.
pub fn statement(data: &[u8]) -> Outcome {
    let parsed = parse_statement(data);
    match &parsed {
        Ok(ParsedStatement::AiUsage { statement, .. }) => {
            let json = serde_json::to_vec(statement).expect("a statement serialises");
            assert_eq!(
                parse_statement(&json).as_ref(),
                Ok(parsed.as_ref().expect("ok"))
            );
            let categories = statement.predicate.categories();
            for f in &statement.predicate.files {
                if let Some(ai) = &f.ai {
                    assert!(ai.categories.is_subset(&categories));
                    assert!(ai.to_string().starts_with("AI: "));
                }
            }
        }
        Ok(ParsedStatement::Approval { statement, .. }) => {
            let json = serde_json::to_vec(statement).expect("an approval serialises");
            assert_eq!(
                parse_statement(&json).as_ref(),
                Ok(parsed.as_ref().expect("ok"))
            );
        }
        Ok(ParsedStatement::Other { .. }) => {}
        Err(f) => assert_eq!(f.code, Code::SignatureInvalid),
    }
    outcome(&parsed)
}

/// Commit-message trailers (git's rules) and the AI-disclosure grammars: `AI-used-for`,
/// `Assisted-by`, `Name <email>`; writing and removing the `AI-used-for:` trailer.
pub fn trailers(data: &[u8]) -> Outcome {
    let Ok(message) = std::str::from_utf8(data) else {
        return Outcome::Rejected;
    };
    let block = trailers::trailer_block(message);
    assert!(block.start <= block.end && block.end <= message.len());
    for e in &block.entries {
        assert!(
            message.get(e.range.clone()).is_some(),
            "entry range {:?}",
            e.range
        );
        assert!(e.range.start >= block.start && e.range.end <= block.end);
    }
    let parsed = trailers::parse(message);
    let mt = MessageTrailers::from_message(message);
    assert_eq!(mt.trailers, parsed);
    for t in &parsed {
        ai_used_for_round_trip(&t.value);
        identity_round_trip(&t.key, &t.value);
        let _ = t.value.parse::<AssistedBy>().map(|a| a.to_string());
    }
    // The grammars on the raw text too, line by line.
    for line in message.lines().take(64) {
        ai_used_for_round_trip(line);
        identity_round_trip("From", line);
    }
    let value = AiUsedFor {
        categories: BTreeSet::from([Category::Code, Category::Tests]),
        explanation: Some("fuzz (nested) value".into()),
    };
    let written = set_ai_used_for(message, &value);
    // git refuses a NUL in a commit message and reads other text only up to one (where a `---`
    // without its line end is no divider until a line is added): no promise for such text.
    if !message.contains('\0') {
        let again = MessageTrailers::from_message(&written);
        assert!(
            again.ai_used_for.contains(&Ok(value.clone())),
            "set_ai_used_for lost its value: {written:?}"
        );
    }
    let removed = remove_ai_used_for(&written);
    assert!(removed.len() <= written.len());
    if mt.trailers.is_empty() {
        Outcome::Rejected
    } else {
        Outcome::Accepted
    }
}

fn ai_used_for_round_trip(text: &str) {
    if let Ok(v) = text.parse::<AiUsedFor>() {
        assert!(!v.categories.is_empty());
        assert_eq!(
            v.to_string().parse::<AiUsedFor>().as_ref(),
            Ok(&v),
            "{text:?}"
        );
    }
}

fn identity_round_trip(key: &str, text: &str) {
    if let Ok(id) = Identity::parse(key, text) {
        assert_eq!(
            Identity::parse(key, &id.to_string()).as_ref(),
            Ok(&id),
            "{text:?}"
        );
    }
}

/// The patatt keyring the mail target verifies against: alice@example.org, selectors `default`
/// and `work`, so that signatures naming her reach canonicalisation.
fn patatt_keyring() -> &'static PatattKeyring {
    static RING: OnceLock<PatattKeyring> = OnceLock::new();
    RING.get_or_init(|| {
        let key = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
        let public =
            base64::engine::general_purpose::STANDARD.encode(key.verifying_key().to_bytes());
        PatattKeyring::from_files(["default", "work"].map(|s| {
            (
                format!("ed25519/example.org/alice/{s}"),
                format!("{public}\n").into_bytes(),
            )
        }))
        .expect("a two-key keyring")
    })
}

/// Mbox splitting, patch mails (`PatchMail::parse`, `.change()`, notes), and patatt signature
/// headers (`DevSignature::parse`, `verify_mail`). Accepted: some message parses as a mail.
pub fn mail(data: &[u8]) -> Outcome {
    let messages = mbox::split(data).unwrap_or_default();
    assert!(messages.iter().map(Vec::len).sum::<usize>() <= data.len());
    let mut any = Outcome::Rejected;
    for raw in messages.iter().map(Vec::as_slice).chain([data]) {
        if let Ok(mail) = PatchMail::parse(raw) {
            any = Outcome::Accepted;
            let _ = mail.number();
            let _ = mail.is_cover_letter();
            let named = mail.note_lines("refs/notes/aiprov").len();
            let all: usize = mail
                .notes
                .iter()
                .filter(|(n, _)| n == "aiprov")
                .map(|(_, l)| l.len())
                .sum();
            assert_eq!(named, all);
            let _ = mail.note_lines("refs/notes/commits");
            if let Ok(change) = mail.change() {
                assert_eq!(change.message, mail.message);
                for f in &change.files {
                    assert!(!f.path.is_empty() || f.old_path.is_some());
                }
            }
        }
        let _ = verify_mail(raw, patatt_keyring());
    }
    for line in data.split(|&b| b == b'\n').take(64) {
        if let Some(value) = line.strip_prefix(b"X-Developer-Signature:") {
            if let Ok(sig) = DevSignature::parse(value) {
                assert!(sig.algorithm.starts_with("ed25519"));
            }
        }
    }
    any
}

/// `.aiprov/policy.toml`, path classes and severities; and the comment lexers that the policy's
/// comment-only rule runs on file contents.
pub fn policy(data: &[u8]) -> Outcome {
    let parsed = Policy::parse(data, "fuzz/policy.toml");
    if let Ok(policy) = &parsed {
        for code in Code::ALL {
            let _ = policy.severity(code);
        }
        for path in ["tests/a.c", "docs/x.rst", "hw/net/e1000.c", "", "a/b/../c"] {
            let _ = policy.classes.classify(path);
        }
        // `aiprov policy show` prints a policy file that reads back as the same policy.
        let shown = policy.effective_toml();
        let again = Policy::parse(shown.as_bytes(), "shown").expect("the shown policy parses");
        assert_eq!(again.effective_toml(), shown);
    }
    for lang in [
        Language::C,
        Language::Cpp,
        Language::Rust,
        Language::Python,
        Language::Shell,
        Language::Conf,
        Language::Make,
    ] {
        let lines = comment_or_blank_lines(lang, data);
        assert!(lines.len() <= data.iter().filter(|&&b| b == b'\n').count() + 1);
    }
    outcome(&parsed)
}

const PATHS: &[&str] = &[
    "MAINTAINERS",
    "hw/net/e1000.c",
    "hw/net/",
    "target/arm/cpu.c",
    "docs/devel/index.rst",
    "include/qemu/osdep.h",
    "scripts/get_maintainer.pl",
    "tests/qtest/e1000-test.c",
    "",
    "/",
    "a",
];

/// MAINTAINERS: parsing in a tree (directories named by a predicate; `parse` is the same with
/// none), `sections_for`, `maintainers_for` and `is_maintainer` on fixed paths and on the first
/// paths the file itself names. Everyone listed for a path is a maintainer of a section that
/// covers it and an approver, nobody is listed twice, and every approver maintains a covering
/// section. An input with a line aiprov cannot read (a warning) counts as rejected. (Each pattern is a regular expression to compile: the
/// work per input is kept small so that the fuzzer runs more than a few inputs a second.)
pub fn maintainers(data: &[u8]) -> Outcome {
    let Ok(text) = std::str::from_utf8(data) else {
        return Outcome::Rejected;
    };
    let m = Maintainers::parse_in_tree(text, None, &|p| p.ends_with("net") || p == "docs");
    let named: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("F:"))
        .map(str::trim)
        .take(8)
        .collect();
    for path in PATHS.iter().copied().chain(named.iter().copied()) {
        let sections = m.sections_for(path);
        let people = m.maintainers_for(path);
        let approvers = m.approvers(path);
        for (i, p) in people.iter().enumerate() {
            assert!(sections.iter().any(|s| s.maintainers.contains(p)));
            assert!(approvers
                .iter()
                .any(|a| a.email.eq_ignore_ascii_case(&p.email)));
            assert!(m.is_maintainer(path, &p.email));
            assert!(people[..i]
                .iter()
                .all(|o| !o.email.eq_ignore_ascii_case(&p.email) || o.name != p.name));
        }
        for a in &approvers {
            assert!(sections.iter().any(|s| s.maintainers.contains(a)));
        }
    }
    if m.warnings.is_empty() {
        Outcome::Accepted
    } else {
        Outcome::Rejected
    }
}

/// The revision the Agent Trace seeds name as the parent of the commit they describe.
pub const RECORDS_PARENT: &str = "6fb5cf59ba43586da18e98980b7aed0799eed32b";

/// The AI tools' records: the input read as an Agent Trace file (the records of a commit whose
/// parent is [`RECORDS_PARENT`]) and as a git-ai note, and every file of what was read laid over
/// a six-line file whose commit added lines 1, 2 and 5: its AI lines are added lines, its stale
/// ranges ranges. Accepted when either reader read it.
pub fn records(data: &[u8]) -> Outcome {
    let text = String::from_utf8_lossy(data);
    let trace = agent_trace::read(&text, "fuzz", Some(RECORDS_PARENT));
    let note = git_ai::read(&text, "fuzz");
    let added = [1, 2, 5];
    let read = trace.iter().flatten().chain(note.iter());
    for record in read {
        for file in &record.files {
            let mapped = map_onto(file, &added, 6);
            assert!(mapped.ai_lines.iter().all(|n| added.contains(n)));
            assert!(mapped.ai_lines.windows(2).all(|w| w[0] < w[1]));
            assert!(mapped.stale.iter().all(|&(start, end)| start <= end));
        }
    }
    match (trace, note) {
        (Ok(Some(_)), _) | (_, Ok(_)) => Outcome::Accepted,
        _ => Outcome::Rejected,
    }
}
