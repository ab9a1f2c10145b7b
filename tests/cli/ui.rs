//! The operations of `app/` run in process on a captured terminal (`output::Captured`): what each
//! says, on which stream, and the questions it asks, without spawning the binary.

use crate::common;

use std::sync::Arc;

use aiprov::app::verify::{verify_range, Options};
use aiprov::git::{notes, Repo};
use aiprov::model::{ChangeReport, Verdict};
use aiprov::output::report::Printer;
use aiprov::output::{Captured, ColorWhen, Format, Output};
use common::Fixture;

const SIGNED_OFF: &str = "\n\nSigned-off-by: Alice Author <alice@example.org>";

/// A repository that trusts alice, with one commit she attested and one nobody did.
fn repository() -> (Fixture, std::path::PathBuf) {
    let f = Fixture::new();
    let key = f.keygen("alice");
    f.init_trusting("alice@example.org", &key);
    f.commit_all(&format!("Trust alice{SIGNED_OFF}"));
    f.write("a.c", "int a;\n");
    f.commit_all(&format!("Add a{SIGNED_OFF}"));
    f.aiprov()
        .args(["attest", "-y", "--human", "**", "--key"])
        .arg(&key)
        .assert()
        .success();
    f.write("b.c", "int b;\n");
    f.commit_all(&format!("Add b{SIGNED_OFF}"));
    (f, key)
}

/// Attesting `revs` with `key` as alice, no AI use, asking on a terminal, one thread.
fn attest_options<'a>(
    revs: &'a [String],
    key: &'a std::path::Path,
) -> aiprov::app::attest::Options<'a> {
    aiprov::app::attest::Options {
        revs,
        key: Some(key),
        rules: vec![aiprov::attest::Rule::human("**").expect("a rule")],
        from: Vec::new(),
        strict: false,
        research: false,
        tools: Vec::new(),
        fix_trailer: false,
        to_stdout: false,
        keyless: None,
        yes: false,
        notes_ref: notes::DEFAULT_REF,
        jobs: 1,
        sign_as: Some("alice@example.org"),
    }
}

fn ui(terminal: &Captured, format: Format) -> Output {
    Output::on(
        Arc::new(terminal.clone()),
        format,
        ColorWhen::Never,
        false,
        0,
    )
}

/// Commit ids and keyids, which differ from run to run, as `[id]`.
fn stable(text: &str) -> String {
    regex::Regex::new("[0-9a-f]{12,64}")
        .expect("a valid pattern")
        .replace_all(text, "[id]")
        .into_owned()
}

fn verified(f: &Fixture, ui: &Output) -> Vec<ChangeReport> {
    let repo = Repo::discover(&f.repo).expect("the repository");
    let options = Options {
        trust: Default::default(),
        jobs: Some(1),
        notes_ref: notes::DEFAULT_REF,
    };
    let mut reports = Vec::new();
    verify_range(&repo, &["HEAD~2..HEAD".into()], &options, ui, |r| {
        reports.push(r);
        Ok(())
    })
    .expect("verification runs");
    reports
}

#[test]
fn verify_range_hands_back_each_report_in_order_and_prints_only_through_its_output() {
    let (f, _) = repository();
    let terminal = Captured::default();
    let ui = ui(&terminal, Format::Human);
    let reports = verified(&f, &ui);
    let verdicts: Vec<Verdict> = reports.iter().map(|r| r.verdict).collect();
    assert_eq!(verdicts, [Verdict::Pass, Verdict::Fail]);
    assert_eq!(reports[1].findings[0].code.as_str(), "signature.missing");
    // The operation itself said nothing: the verb prints what it returns.
    assert_eq!(terminal.stdout_text(), "");
    assert_eq!(terminal.stderr_text(), "");
    let mut printer = Printer::new(&ui);
    for r in reports {
        printer.add(r).expect("printed");
    }
    assert_eq!(printer.finish().expect("printed"), 1);
    insta::assert_snapshot!(stable(&terminal.stdout_text()), @r"
    PASS [id] Add a (attested by alice@example.org)
    FAIL [id] Add b
        error [signature.missing] no attestation for this change
    verification failed: 1 passed, 1 failed
    ");
}

#[test]
fn the_json_report_goes_to_the_captured_stdout_whole() {
    let (f, _) = repository();
    let terminal = Captured::default();
    let ui = ui(&terminal, Format::Json);
    let mut printer = Printer::new(&ui);
    for r in verified(&f, &ui) {
        printer.add(r).expect("printed");
    }
    assert_eq!(printer.finish().expect("printed"), 1);
    let report: serde_json::Value =
        serde_json::from_str(&terminal.stdout_text()).expect("one JSON document");
    assert_eq!(report["verdict"], "fail");
    assert_eq!(report["changes"].as_array().map(Vec::len), Some(2));
}

#[test]
fn attest_asks_on_a_terminal_and_signs_nothing_when_told_no() {
    let (f, key) = repository();
    let repo = Repo::discover(&f.repo).expect("the repository");
    let head_rev = ["HEAD".to_string()];
    let options = |yes| aiprov::app::attest::Options {
        yes,
        ..attest_options(&head_rev, &key)
    };
    let head = repo.commit_id("HEAD").expect("HEAD");
    let note = || notes::read_note(&repo, notes::DEFAULT_REF, head).expect("notes");

    let terminal = Captured::interactive(&["n"]);
    let err = aiprov::app::attest::attest(&repo, options(false), &ui(&terminal, Format::Human))
        .err()
        .expect("refused");
    assert_eq!(err.chain()[0], "not signed");
    insta::assert_snapshot!(terminal.stderr_text(), @r"
    Attesting: Add b
      b.c: no AI
    Sign this attestation? [Y/n]
    ");
    assert_eq!(note(), None, "nothing was signed");

    let terminal = Captured::interactive(&["y"]);
    let done = aiprov::app::attest::attest(&repo, options(false), &ui(&terminal, Format::Human))
        .expect("signed");
    assert!(done.attested[0].stored && note().is_some());

    // Where nobody can answer (not a terminal), nothing is asked.
    let terminal = Captured::default();
    aiprov::app::attest::attest(&repo, options(false), &ui(&terminal, Format::Human))
        .expect("signed");
    assert_eq!(terminal.stderr_text(), "");
}

#[test]
fn attest_of_a_range_asks_once_on_a_terminal() {
    let (f, key) = repository();
    let repo = Repo::discover(&f.repo).expect("the repository");
    let range = ["HEAD~2..HEAD".to_string()];
    let options = aiprov::app::attest::Options {
        jobs: 2,
        ..attest_options(&range, &key)
    };
    let head = repo.commit_id("HEAD").expect("HEAD");
    let tip_before = f.git(&["rev-parse", "refs/notes/aiprov"]);
    let terminal = Captured::interactive(&["n"]);
    let err = aiprov::app::attest::attest(&repo, options, &ui(&terminal, Format::Human))
        .err()
        .expect("refused");
    assert_eq!(err.chain()[0], "not signed");
    let text = terminal.stderr_text();
    let text = text.replace(&head.short(), "[HEAD]");
    let parent = repo.commit_id("HEAD~1").expect("HEAD~1");
    insta::assert_snapshot!(text.replace(&parent.short(), "[HEAD~1]"), @r"
    Attesting 2 commits:
      [HEAD~1] Add a: no AI
      [HEAD] Add b: no AI
    Sign these attestations? [Y/n]
    ");
    assert_eq!(
        f.git(&["rev-parse", "refs/notes/aiprov"]),
        tip_before,
        "nothing was signed"
    );
}

#[test]
fn an_encrypted_key_asks_for_its_passphrase_on_a_terminal_and_says_how_elsewhere() {
    let (f, _) = repository();
    let key = f.tmp.path().join("keys/locked");
    f.aiprov()
        .args(["keygen", "-N", "correct horse", "-f"])
        .arg(&key)
        .assert()
        .success();
    f.aiprov()
        .args(["keyring", "add", "alice@example.org"])
        .arg(key.with_extension("pub"))
        .assert()
        .success();
    f.commit_all(&format!("Trust the locked key{SIGNED_OFF}"));
    f.write("c.c", "int c;\n");
    f.commit_all(&format!("Add c{SIGNED_OFF}"));
    let repo = Repo::discover(&f.repo).expect("the repository");
    let head = ["HEAD".to_string()];
    let attest = |terminal: &Captured| {
        let options = aiprov::app::attest::Options {
            to_stdout: true,
            yes: true,
            ..attest_options(&head, &key)
        };
        aiprov::app::attest::attest(&repo, options, &ui(terminal, Format::Human))
    };
    // On a terminal: asked, and signed with the right one; refused with a wrong one.
    let terminal = Captured::interactive(&["correct horse"]);
    let done = attest(&terminal).expect("signed");
    assert_eq!(done.attested.len(), 1);
    assert!(
        terminal.stderr_text().contains("Passphrase for "),
        "{}",
        terminal.stderr_text()
    );
    let wrong = attest(&Captured::interactive(&["battery staple"]))
        .err()
        .expect("refused");
    assert!(
        wrong.chain()[0].contains("passphrase"),
        "{:?}",
        wrong.chain()
    );
    // Where nobody can answer: what to do instead.
    let err = attest(&Captured::default()).err().expect("refused");
    let hint = err.hint.clone().unwrap_or_default();
    assert!(
        err.chain()[0].contains("is encrypted")
            && hint.contains("AIPROV_KEY_PASSPHRASE")
            && hint.contains("ssh-add"),
        "{:?} {hint}",
        err.chain()
    );
}

#[test]
fn attest_from_records_that_disagree_with_the_diff_asks_before_signing() {
    let (f, key) = repository();
    let repo = Repo::discover(&f.repo).expect("the repository");
    // An Agent Trace record of work on top of HEAD~1 (the parent of HEAD, "Add b") that names
    // a.c, which HEAD does not change; b.c is in no record.
    let parent = f.git(&["rev-parse", "HEAD~1"]).trim().to_string();
    f.write(
        ".agent-trace/traces.jsonl",
        format!(
            r#"{{"version":"0.1.0","id":"550e8400-e29b-41d4-a716-446655440000","timestamp":"2026-01-25T10:00:00Z","vcs":{{"type":"git","revision":"{parent}"}},"files":[{{"path":"a.c","conversations":[{{"contributor":{{"type":"ai"}},"ranges":[{{"start_line":1,"end_line":1}}]}}]}}]}}"#
        ) + "\n",
    );
    let head_rev = ["HEAD".to_string()];
    let options = aiprov::app::attest::Options {
        rules: Vec::new(),
        from: vec![aiprov::app::attest::RecordSource::Auto],
        ..attest_options(&head_rev, &key)
    };
    let head = repo.commit_id("HEAD").expect("HEAD");
    let terminal = Captured::interactive(&["n"]);
    let err = aiprov::app::attest::attest(&repo, options, &ui(&terminal, Format::Human))
        .err()
        .expect("refused");
    assert_eq!(err.chain()[0], "not signed");
    insta::assert_snapshot!(terminal.stderr_text(), @r"
    warning: records and diff disagree: b.c: no record names it (agent-trace (.agent-trace/traces.jsonl)): declared as no AI use
    Sign the declaration as planned? [Y/n]
    ");
    assert_eq!(
        notes::read_note(&repo, notes::DEFAULT_REF, head).expect("notes"),
        None,
        "nothing was signed"
    );
}
