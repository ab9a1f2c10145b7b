//! Issue 17, points 1 (the `aiprov am` half) and 2: `aiprov am` like `git am`. A series sent with
//! the real `git send-email` (its mails have Message-IDs) stops on a conflict; `--continue`
//! attaches the attestation of a patch applied by hand when its changed lines are those attested
//! and warns otherwise, `--skip` and `--abort` finish or give up the series, and every message
//! names `patch N/M`. Approvals from `aiprov approve --mbox` (`--approvals FILE`) or given while
//! applying (`--approve`) let a series through that lacks only them.

use crate::common;

use std::path::{Path, PathBuf};

use common::{git, git_cmd, lines, Fixture};
use serde_json::Value;

const ALICE: &str = "Signed-off-by: Alice Author <alice@example.org>";

struct Flow {
    m: Fixture,
    contributor: PathBuf,
    alice: PathBuf,
    bob: PathBuf,
    base: String,
}

/// A maintainer's repository trusting alice (contributor) and bob (maintainer of `hw/`), and
/// alice's clone of it.
fn flow() -> Flow {
    let m = Fixture::new();
    let alice = m.keygen("alice");
    let bob = m.keygen("bob");
    m.init_trusting("alice@example.org", &alice);
    m.aiprov()
        .args(["keyring", "add", "bob@example.org"])
        .arg(bob.with_extension("pub"))
        .assert()
        .success();
    m.write(
        "MAINTAINERS",
        "HW\nM:\tBob Maintainer <bob@example.org>\nS:\tMaintained\nF:\thw/\n",
    );
    m.write("hw/dev.c", lines("dev", 60));
    let base = m.commit_all("Base\n\nSigned-off-by: Bob Maintainer <bob@example.org>");
    let contributor = m.tmp.path().join("contributor");
    git(
        m.tmp.path(),
        &[
            "clone",
            "-q",
            m.repo.to_str().unwrap(),
            contributor.to_str().unwrap(),
        ],
    );
    aiprov_in(&m, &contributor).arg("init").assert().success();
    Flow {
        m,
        contributor,
        alice,
        bob,
        base,
    }
}

fn aiprov_in(f: &Fixture, dir: &Path) -> assert_cmd::Command {
    let mut c = f.aiprov();
    c.current_dir(dir);
    c
}

impl Flow {
    /// alice commits `files` with `message` and attests it.
    fn c_commit(&self, files: &[(&str, String)], message: &str) {
        for (rel, content) in files {
            let p = self.contributor.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, content).unwrap();
        }
        git(&self.contributor, &["add", "-A"]);
        git(&self.contributor, &["commit", "-q", "-m", message]);
        aiprov_in(&self.m, &self.contributor)
            .args(["attest", "-q", "--key"])
            .arg(&self.alice)
            .assert()
            .success();
    }

    /// Three small attested fixes of hw/dev.c (lines 10, 30, 50).
    fn three_fixes(&self) {
        let mut dev = lines("dev", 60);
        for n in [10, 30, 50] {
            dev = dev.replace(&format!("dev line {n}\n"), &format!("dev line {n} fixed\n"));
            self.c_commit(
                &[("hw/dev.c", dev.clone())],
                &format!("hw/dev: fix line {n}\n\nAI-used-for: code\n{ALICE}"),
            );
        }
    }

    /// The series as the real `git send-email` sends it (format-patch run by send-email, each
    /// mail with its own Message-ID), handed to a sendmail-like program that appends it to an
    /// mbox in the maintainer's directory.
    fn send_email(&self) -> PathBuf {
        let sent = self.m.tmp.path().join("sent.mbox");
        let sendmail = self.m.tmp.path().join("sendmail");
        std::fs::write(
            &sendmail,
            format!(
                "#!/bin/sh\n{{ echo 'From sender Mon Sep 17 00:00:00 2001'; cat; }} >> '{}'\n",
                sent.display()
            ),
        )
        .unwrap();
        std::process::Command::new("chmod")
            .arg("+x")
            .arg(&sendmail)
            .status()
            .unwrap();
        let out = git_cmd(&self.contributor)
            .args([
                "send-email",
                "--confirm=never",
                "--quiet",
                "--to=list@example.org",
                "--from=Alice Author <alice@example.org>",
            ])
            .arg(format!("--smtp-server={}", sendmail.display()))
            .arg("origin/main")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        sent
    }

    /// The series as `git format-patch --stdout` writes it.
    fn format_patch(&self) -> PathBuf {
        let path = self.m.tmp.path().join("series.mbox");
        let mbox = git(
            &self.contributor,
            &["format-patch", "--stdout", "origin/main"],
        );
        std::fs::write(&path, mbox).unwrap();
        path
    }

    /// The maintainer's branch moves under patch 1 (line 11, in its context): git am stops.
    fn conflicting_upstream(&self) {
        self.m.write(
            "hw/dev.c",
            lines("dev", 60).replace("dev line 11\n", "dev line 11 upstream\n"),
        );
        self.m.commit_all(
            "hw/dev: upstream change\n\nSigned-off-by: Bob Maintainer <bob@example.org>",
        );
    }

    fn quarantine(&self) -> PathBuf {
        self.m.repo.join(".git/aiprov-am/tree")
    }

    /// Resolves patch 1 by hand in the quarantine: line 10 becomes `line10`.
    fn resolve(&self, line10: &str) {
        let q = self.quarantine();
        std::fs::write(
            q.join("hw/dev.c"),
            lines("dev", 60)
                .replace("dev line 11\n", "dev line 11 upstream\n")
                .replace("dev line 10\n", line10),
        )
        .unwrap();
        git(&q, &["add", "hw/dev.c"]);
    }

    fn verify_json(&self, range: &str) -> (i32, Value) {
        let out = self
            .m
            .aiprov()
            .args(["verify", "--format", "json", range])
            .output()
            .unwrap();
        let doc = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
        (out.status.code().unwrap(), doc)
    }

    fn note_lines(&self, rev: &str) -> usize {
        let out = git_cmd(&self.m.repo)
            .args(["notes", "--ref=aiprov", "show", rev])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .count()
    }
}

/// Starts `aiprov am` on a series that stops at patch 1; returns the branch's tip before.
fn stopped_series(f: &Flow) -> (PathBuf, String) {
    f.three_fixes();
    let mbox = f.send_email();
    f.conflicting_upstream();
    let before = f.m.git(&["rev-parse", "HEAD"]).trim().to_string();
    let outcome =
        f.m.outcome(f.m.aiprov().args(["am", "--color", "never"]).arg(&mbox));
    let outcome = common::snapshot::without_git_advice(&outcome);
    insta::allow_duplicates! { insta::assert_snapshot!(outcome, @r"
    exit: 2
    --- stdout
    PASS patch 1/3 hw/dev: fix line 10 (attested by alice@example.org)
    PASS patch 2/3 hw/dev: fix line 30 (attested by alice@example.org)
    PASS patch 3/3 hw/dev: fix line 50 (attested by alice@example.org)
    verified: 3 passed, 0 failed
    Applying: hw/dev: fix line 10
    Patch failed at 0001 hw/dev: fix line 10
    --- stderr
    error: patch failed: hw/dev.c:7
    error: hw/dev.c: patch does not apply
    [git's advice]
    error: git am stopped at patch 1/3 (hw/dev: fix line 10); nothing is applied to your branch yet
    hint: resolve it in [TMP]/repo/.git/aiprov-am/tree (edit the files, `git add` them), then run `aiprov am --continue`; `aiprov am --skip` drops this patch, `aiprov am --abort` gives up the series. Your branch moves when the series is done. A patch applied by hand gets its attestation as a note only if its commit makes the changes the attestation names; otherwise aiprov warns and attaches none
    "); }
    assert_eq!(
        f.m.git(&["rev-parse", "HEAD"]).trim(),
        before,
        "the branch did not move"
    );
    (mbox, before)
}

#[test]
fn a_send_email_series_names_its_patches_n_of_m() {
    let f = flow();
    f.three_fixes();
    let mbox = f.send_email();
    let sent = std::fs::read_to_string(&mbox).unwrap();
    assert_eq!(sent.matches("\nMessage-ID: <").count(), 3, "{sent}");
    assert!(sent.contains("Subject: [PATCH 2/3] hw/dev: fix line 30"));
    let out = f.m.outcome(
        f.m.aiprov()
            .args(["verify", "--color", "never", "--mbox"])
            .arg(&mbox),
    );
    insta::assert_snapshot!(out, @r"
    exit: 0
    --- stdout
    PASS patch 1/3 hw/dev: fix line 10 (attested by alice@example.org)
    PASS patch 2/3 hw/dev: fix line 30 (attested by alice@example.org)
    PASS patch 3/3 hw/dev: fix line 50 (attested by alice@example.org)
    verified: 3 passed, 0 failed
    --- stderr
    ");
    // JSON still identifies each mail by its Message-ID.
    let json =
        f.m.aiprov()
            .args(["verify", "--format", "json", "--mbox"])
            .arg(&mbox)
            .output()
            .unwrap();
    let doc: Value = serde_json::from_slice(&json.stdout).unwrap();
    let id = doc["changes"][0]["id"].as_str().unwrap();
    assert!(id.contains('@') && !id.starts_with("patch"), "{id}");
}

#[test]
fn continue_attaches_the_attestation_of_a_patch_applied_by_hand_as_attested() {
    let f = flow();
    let (mbox, before) = stopped_series(&f);
    // Another series cannot start meanwhile, as with git am.
    let again = f.m.aiprov().arg("am").arg(&mbox).output().unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("an aiprov am is in progress"));
    f.resolve("dev line 10 fixed\n");
    // Run from the quarantine itself, where the conflict was resolved.
    let out = aiprov_in(&f.m, &f.quarantine())
        .args(["am", "--continue"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "applied 3 patches; their attestations are notes in refs/notes/aiprov\n"
    );
    let (code, doc) = f.verify_json(&format!("{before}..HEAD"));
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["changes"].as_array().unwrap().len(), 3);
    assert!(
        !f.m.repo.join(".git/aiprov-am").exists(),
        "the session ended"
    );
    assert_eq!(f.m.git(&["worktree", "list"]).lines().count(), 1);
}

#[test]
fn continue_reports_a_patch_applied_by_hand_otherwise_and_attaches_no_note_for_it() {
    let f = flow();
    let (_, before) = stopped_series(&f);
    f.resolve("dev line 10 fixed differently\n");
    let outcome = f.m.outcome(f.m.aiprov().args(["am", "--continue"]));
    insta::assert_snapshot!(outcome, @r"
    exit: 0
    --- stdout
    Applying: hw/dev: fix line 10
    Applying: hw/dev: fix line 30
    Applying: hw/dev: fix line 50
    --- stderr
    warning: patch 1/3 (hw/dev: fix line 10) was applied by hand, and commit [id] does not make the changes its attestation names (coverage.digest-mismatch hw/dev.c): no note attached for it; review it and attest it yourself (`aiprov attest [id]`)
    applied 3 patches; their attestations are notes in refs/notes/aiprov (none for patch 1/3)
    ");
    assert_eq!(
        f.note_lines("HEAD~2"),
        0,
        "no note for the patch applied otherwise"
    );
    assert_eq!(f.note_lines("HEAD~1"), 1);
    assert_eq!(f.note_lines("HEAD"), 1);
    let (code, doc) = f.verify_json(&format!("{before}..HEAD"));
    assert_eq!(code, 1);
    assert_eq!(
        doc["changes"][0]["findings"][0]["code"],
        "signature.missing"
    );
    assert_eq!(doc["changes"][1]["verdict"], "pass");
}

#[test]
fn skip_drops_the_patch_and_applies_the_rest_with_their_notes() {
    let f = flow();
    let (_, before) = stopped_series(&f);
    let outcome = f.m.outcome(f.m.aiprov().args(["am", "--skip"]));
    insta::assert_snapshot!(outcome, @r"
    exit: 0
    --- stdout
    Applying: hw/dev: fix line 30
    Applying: hw/dev: fix line 50
    --- stderr
    skipping patch 1/3 hw/dev: fix line 10
    applied 2 patches; their attestations are notes in refs/notes/aiprov
    ");
    let (code, doc) = f.verify_json(&format!("{before}..HEAD"));
    assert_eq!(code, 0, "{doc:#}");
    let titles: Vec<&str> = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["hw/dev: fix line 30", "hw/dev: fix line 50"]);
}

#[test]
fn abort_gives_up_the_series_and_leaves_nothing_behind() {
    let f = flow();
    let (_, before) = stopped_series(&f);
    let outcome = f.m.outcome(f.m.aiprov().args(["am", "--abort"]));
    insta::assert_snapshot!(outcome, @r"
    exit: 0
    --- stdout
    --- stderr
    gave up the series; your branch, index and work tree are as they were
    ");
    assert_eq!(f.m.git(&["rev-parse", "HEAD"]).trim(), before);
    assert!(!f.m.repo.join(".git/aiprov-am").exists());
    assert_eq!(f.m.git(&["worktree", "list"]).lines().count(), 1);
    assert_eq!(f.m.git(&["status", "--porcelain"]), "");
    let outcome = f.m.outcome(f.m.aiprov().args(["am", "--continue"]));
    insta::assert_snapshot!(outcome, @r"
    exit: 2
    --- stdout
    --- stderr
    error: no aiprov am in progress
    hint: `aiprov am MBOX` applies a series; --continue, --skip and --abort finish one that stopped
    ");
}

/// alice's series whose second patch is 30 lines of AI code in hw/: the series is over the
/// small-fix limit, so both patches need the approval of hw/'s maintainer, bob.
fn series_needing_approval(f: &Flow) -> PathBuf {
    f.c_commit(
        &[(
            "hw/dev.c",
            lines("dev", 60).replace("dev line 10\n", "dev line 10 fixed\n"),
        )],
        &format!("hw/dev: fix line 10\n\nAI-used-for: code\n{ALICE}"),
    );
    f.c_commit(
        &[("hw/new.c", lines("int helper", 30))],
        &format!("hw/new: add a helper\n\nAI-used-for: code\n{ALICE}"),
    );
    f.format_patch()
}

#[test]
fn a_series_lacking_only_approvals_is_refused_with_the_ways_to_approve() {
    let f = flow();
    let mbox = series_needing_approval(&f);
    let outcome =
        f.m.outcome(f.m.aiprov().args(["am", "--color", "never"]).arg(&mbox));
    insta::assert_snapshot!(outcome, @r"
    exit: 1
    --- stdout
    FAIL patch 1/2 hw/dev: fix line 10 (attested by alice@example.org)
        error [policy.fix-too-large] 31 changed lines of AI-written code across 2 changes of this series (1 in this one), over the small-fix limit of 10 (tests not counted; splitting a change does not get it under the limit)
        error [policy.approval-missing] hw/dev.c: the AI use needs the approval of one of its maintainers: Bob Maintainer <bob@example.org>
    FAIL patch 2/2 hw/new: add a helper (attested by alice@example.org)
        error [policy.fix-too-large] 30 changed lines of AI-written code, over the small-fix limit of 10 (tests not counted)
        error [policy.approval-missing] hw/new.c: the AI use needs the approval of one of its maintainers: Bob Maintainer <bob@example.org>
    verification failed: 0 passed, 2 failed
    --- stderr
    warning: not applying: 2 of 2 patches failed verification (they lack only a maintainer's approval: `--approvals FILE` attaches approvals, and a maintainer of the files can approve while applying (asked on a terminal, or --approve))
    ");
    assert_eq!(f.m.git(&["rev-parse", "HEAD"]).trim(), f.base);
}

#[test]
fn approvals_from_approve_mbox_are_verified_and_attached() {
    let f = flow();
    let mbox = series_needing_approval(&f);
    let approve =
        f.m.aiprov()
            .args(["approve", "--mbox"])
            .arg(&mbox)
            .arg("--key")
            .arg(&f.bob)
            .env("GIT_COMMITTER_EMAIL", "bob@example.org")
            .output()
            .unwrap();
    assert!(approve.status.success());
    let approvals = f.m.tmp.path().join("approvals.jsonl");
    std::fs::write(&approvals, &approve.stdout).unwrap();
    let outcome = f.m.outcome(
        f.m.aiprov()
            .args(["am", "--color", "never", "--approvals"])
            .arg(&approvals)
            .arg(&mbox),
    );
    insta::assert_snapshot!(outcome, @r"
    exit: 0
    --- stdout
    PASS patch 1/2 hw/dev: fix line 10 (attested by alice@example.org)
    PASS patch 2/2 hw/new: add a helper (attested by alice@example.org)
        approved by bob@example.org for hw/new.c
    verified: 2 passed, 0 failed
    Applying: hw/dev: fix line 10
    Applying: hw/new: add a helper
    --- stderr
    applied 2 patches; their attestations are notes in refs/notes/aiprov
    ");
    // The approval is a note line of its commit, and verification relies on it.
    assert_eq!(f.note_lines("HEAD"), 2);
    let (code, doc) = f.verify_json(&format!("{}..HEAD", f.base));
    assert_eq!(code, 0, "{doc:#}");
}

#[test]
fn an_approval_by_an_untrusted_key_does_not_let_the_series_through() {
    let f = flow();
    let mbox = series_needing_approval(&f);
    let carol = f.m.keygen("carol");
    let approve =
        f.m.aiprov()
            .args(["approve", "--signer", "bob@example.org", "--mbox"])
            .arg(&mbox)
            .arg("--key")
            .arg(&carol)
            .output()
            .unwrap();
    assert!(
        approve.status.success(),
        "{}",
        String::from_utf8_lossy(&approve.stderr)
    );
    let approvals = f.m.tmp.path().join("approvals.jsonl");
    std::fs::write(&approvals, &approve.stdout).unwrap();
    let out =
        f.m.aiprov()
            .args(["am", "--format", "json", "--approvals"])
            .arg(&approvals)
            .arg(&mbox)
            .output()
            .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = doc["report"]["changes"][1]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"signature.untrusted"), "{codes:?}");
    assert_eq!(f.m.git(&["rev-parse", "HEAD"]).trim(), f.base);
}

#[test]
fn the_applying_maintainer_approves_with_approve_and_the_approval_is_a_note() {
    let f = flow();
    let mbox = series_needing_approval(&f);
    // alice is trusted but maintains nothing: she cannot approve.
    let outcome = f.m.outcome(
        f.m.aiprov()
            .args(["am", "--color", "never", "--approve", "--key"])
            .arg(&f.alice)
            .arg(&mbox),
    );
    assert!(outcome.starts_with("exit: 1\n"), "{outcome}");
    assert!(
        outcome.contains(
            "warning: alice@example.org is not a maintainer of hw/dev.c, hw/new.c in MAINTAINERS at [id]: an approval by them would not count"
        ),
        "{outcome}"
    );
    assert_eq!(f.m.git(&["rev-parse", "HEAD"]).trim(), f.base);
    // bob, hw/'s maintainer, approves and applies, without --softfail.
    let outcome = f.m.outcome(
        f.m.aiprov()
            .args(["am", "--color", "never", "--approve", "--key"])
            .arg(&f.bob)
            .arg(&mbox)
            .env("GIT_COMMITTER_EMAIL", "bob@example.org")
            .env("GIT_COMMITTER_NAME", "Bob Maintainer"),
    );
    insta::assert_snapshot!(outcome, @r"
    exit: 0
    --- stdout
    PASS patch 1/2 hw/dev: fix line 10 (attested by alice@example.org)
    PASS patch 2/2 hw/new: add a helper (attested by alice@example.org)
        approved by bob@example.org for hw/new.c
    verified: 2 passed, 0 failed
    Applying: hw/dev: fix line 10
    Applying: hw/new: add a helper
    --- stderr
    approved the AI use in patch 1/2 as bob@example.org
    approved the AI use in patch 2/2 as bob@example.org
    applied 2 patches; their attestations are notes in refs/notes/aiprov
    ");
    assert_eq!(f.note_lines("HEAD"), 2);
    let (code, doc) = f.verify_json(&format!("{}..HEAD", f.base));
    assert_eq!(code, 0, "{doc:#}");
}

/// On a terminal, `aiprov am` asks the maintainer, y/N, patch by patch; pressing return is no.
#[test]
fn on_a_terminal_the_maintainer_is_asked_and_no_is_the_default() {
    use aiprov::app::am::{apply_series, Options, Outcome};
    use aiprov::output::{Captured, ColorWhen, Format, Output};
    let f = flow();
    let mbox = series_needing_approval(&f);
    f.m.git(&["config", "user.name", "Bob Maintainer"]);
    f.m.git(&["config", "user.email", "bob@example.org"]);
    let repo = aiprov::git::Repo::discover(&f.m.repo).expect("the repository");
    let apply = |answers: &[&str]| {
        let terminal = Captured::interactive(answers);
        let ui = Output::on(
            std::sync::Arc::new(terminal.clone()),
            Format::Human,
            ColorWhen::Never,
            false,
            0,
        );
        let options = Options {
            trust_ref: None,
            keyring: None,
            notes_ref: "refs/notes/aiprov",
            softfail: false,
            git_am: &[],
            approvals: None,
            approve: false,
            key: Some(&f.bob),
        };
        let mails = aiprov::app::verify::read_mbox(&mbox).expect("the series");
        let outcome = apply_series(&repo, mails, &options, &ui).expect("no error");
        (
            outcome,
            common::snapshot::stable(&terminal.stderr_text(), &[]),
        )
    };
    let (outcome, asked) = apply(&[""]);
    assert!(matches!(outcome, Outcome::Refused { failed: 2, .. }));
    insta::assert_snapshot!(asked, @"approve the AI use in patch 1/2 hw/dev: fix line 10 (hw/dev.c) as bob@example.org? [y/N] ");
    assert_eq!(f.m.git(&["rev-parse", "HEAD"]).trim(), f.base);
    let (outcome, asked) = apply(&["y", "yes"]);
    assert!(matches!(outcome, Outcome::Applied { ref commits, .. } if commits.len() == 2));
    insta::assert_snapshot!(asked, @r"
    approve the AI use in patch 1/2 hw/dev: fix line 10 (hw/dev.c) as bob@example.org? [y/N] approved the AI use in patch 1/2 as bob@example.org
    approve the AI use in patch 2/2 hw/new: add a helper (hw/new.c) as bob@example.org? [y/N] approved the AI use in patch 2/2 as bob@example.org
    ");
    assert_eq!(f.note_lines("HEAD"), 2);
    assert_eq!(f.note_lines("HEAD~1"), 2);
}
