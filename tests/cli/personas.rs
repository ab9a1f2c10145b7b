//! Issue 17's "done when": each persona's path, start to finish, with the real `aiprov` binary
//! and real git, in one project built per test on Xen 4.17's own MAINTAINERS file
//! (`AIPROV_XEN_SOURCE`, as for the get_maintainer.pl comparison; fetched when unset, and the
//! test fails when it cannot be had). The maintainer is ARGO's, Christopher Clark, whose
//! keyring identity is his MAINTAINERS address (with the TEST-ONLY, passphrase-protected
//! `keys/bob`): AI code in `xen/common/argo.c` needs his approval.
//!
//! - contributor: commit with `AI-used-for` and a sign-off, `aiprov attest`, `git format-patch`
//!   (notes below the `---`), `git send-email` through the hook of `aiprov init --hooks`: a
//!   series lacking only the maintainer's approval goes out with a note, one whose attestation
//!   no longer matches is refused;
//! - maintainer: `verify --mbox`, `approve --mbox > approvals.jsonl`, `am --approvals` stopping on
//!   a conflict, resolved by hand, `am --continue`, notes and approval checked, notes pushed and
//!   verified in a fresh clone once fetched;
//! - release manager: `archive`, `verify --archive` in and outside the repository, `report`.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{assert_schema_valid, git, git_cmd, lines, skeleton_tree, Fixture};
use serde_json::Value;

const SOB_ALICE: &str = "Signed-off-by: Alice Author <alice@example.org>";
const CHRIS_NAME: &str = "Christopher Clark";
const CHRIS: &str = "christopher.w.clark@gmail.com";
const RM: &str = "rita@example.org";
const ARGO: &str = "xen/common/argo.c";
const DOC: &str = "docs/misc/console.txt";

/// The project: `repo/` is the maintainer's repository, `origin.git` the public one it pushes
/// to, `contributor/` alice's clone of it.
struct Project {
    f: Fixture,
    origin: PathBuf,
    contributor: PathBuf,
    alice: PathBuf,
    /// Christopher Clark's key: keys/bob, encrypted.
    chris: PathBuf,
    rita: PathBuf,
}

/// The TEST-ONLY key `name` of keys/, copied beside the repository.
fn test_key(f: &Fixture, name: &str) -> PathBuf {
    let dir = f.tmp.path().join("keys");
    std::fs::create_dir_all(&dir).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("keys");
    for file in [name.to_string(), format!("{name}.pub")] {
        std::fs::copy(src.join(&file), dir.join(&file)).unwrap();
    }
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.join(name), std::fs::Permissions::from_mode(0o600)).unwrap();
    dir.join(name)
}

fn aiprov_in(f: &Fixture, dir: &Path) -> assert_cmd::Command {
    let mut c = f.aiprov();
    c.current_dir(dir);
    c
}

/// A command run as the maintainer, with his key's passphrase.
fn as_chris(mut c: assert_cmd::Command) -> assert_cmd::Command {
    c.env("GIT_COMMITTER_NAME", CHRIS_NAME)
        .env("GIT_COMMITTER_EMAIL", CHRIS)
        .env("AIPROV_KEY_PASSPHRASE", "test-passphrase");
    c
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("an exit code")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)))
}

/// Xen 4.17's MAINTAINERS, checked to name Christopher Clark for ARGO's files.
fn xen_maintainers() -> String {
    let tree = skeleton_tree("xen");
    let maintainers = std::fs::read_to_string(tree.join("MAINTAINERS"))
        .unwrap_or_else(|e| panic!("{}/MAINTAINERS: {e}", tree.display()));
    assert!(
        maintainers.contains(&format!(
            "ARGO\nM:\t{CHRIS_NAME} <{CHRIS}>\nS:\tMaintained\n"
        )) && maintainers.contains(&format!("F:\t{ARGO}\n")),
        "not Xen 4.17's MAINTAINERS"
    );
    assert!(
        !maintainers.contains(&format!("THE REST\nM:\t{CHRIS_NAME}")),
        "ARGO's maintainer is not one of THE REST's"
    );
    maintainers
}

/// v1.0 of the project: Xen's MAINTAINERS, argo.c and a doc, a keyring trusting alice, Chris
/// and rita (the release manager), pushed to origin.git and cloned by alice, who runs
/// `aiprov init --hooks`.
fn project() -> Project {
    let maintainers = xen_maintainers();
    let f = Fixture::new();
    let alice = test_key(&f, "alice");
    let chris = test_key(&f, "bob");
    let rita = f.keygen("rita");
    f.aiprov().arg("init").assert().success();
    for (email, key) in [("alice@example.org", &alice), (CHRIS, &chris), (RM, &rita)] {
        f.aiprov()
            .args(["keyring", "add", email])
            .arg(key.with_extension("pub"))
            .assert()
            .success();
    }
    f.write("MAINTAINERS", maintainers);
    f.write(ARGO, lines("argo", 100));
    f.write(DOC, lines("console doc", 20));
    f.commit_all(&format!("Import the project\n\n{SOB_ALICE}"));
    f.git(&["tag", "v1.0"]);
    let origin = f.tmp.path().join("origin.git");
    git(
        f.tmp.path(),
        &[
            "init",
            "-q",
            "--bare",
            "-b",
            "main",
            origin.to_str().unwrap(),
        ],
    );
    f.git(&["remote", "add", "origin", origin.to_str().unwrap()]);
    f.git(&["push", "-q", "origin", "main", "v1.0"]);
    let contributor = f.tmp.path().join("contributor");
    git(
        f.tmp.path(),
        &[
            "clone",
            "-q",
            origin.to_str().unwrap(),
            contributor.to_str().unwrap(),
        ],
    );
    aiprov_in(&f, &contributor)
        .args(["init", "--hooks"])
        .assert()
        .success();
    Project {
        f,
        origin,
        contributor,
        alice,
        chris,
        rita,
    }
}

/// argo.c with lines `from..=to` fixed.
fn argo_fixed(from: usize, to: usize) -> String {
    lines("argo", 100)
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if (from..=to).contains(&(i + 1)) {
                format!("{l} fixed\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect()
}

impl Project {
    /// alice writes `files`, commits them with `message` and attests the commit.
    fn c_commit(&self, files: &[(&str, String)], message: &str) {
        for (rel, content) in files {
            std::fs::write(self.contributor.join(rel), content).unwrap();
        }
        git(&self.contributor, &["add", "-A"]);
        git(&self.contributor, &["commit", "-q", "-m", message]);
        aiprov_in(&self.f, &self.contributor)
            .args(["attest", "-q", "--key"])
            .arg(&self.alice)
            .assert()
            .success();
    }

    /// `git format-patch` of alice's series into `dir`; the patch files.
    fn format_patch(&self, dir: &str) -> Vec<String> {
        git(
            &self.contributor,
            &["format-patch", "-o", dir, "origin/main"],
        )
        .lines()
        .map(str::to_string)
        .collect()
    }

    /// Where the mails `git send-email` sends arrive, as an mbox.
    fn inbox(&self) -> PathBuf {
        self.f.tmp.path().join("inbox.mbox")
    }

    /// The real `git send-email` of `patches`, its validate hook included, to a sendmail-like
    /// program that appends each mail to the inbox.
    fn send_email(&self, patches: &[String]) -> Output {
        let sendmail = self.f.tmp.path().join("sendmail");
        std::fs::write(
            &sendmail,
            format!(
                "#!/bin/sh\n{{ echo 'From sender Mon Sep 17 00:00:00 2001'; cat; }} >> '{}'\n",
                self.inbox().display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&sendmail, std::fs::Permissions::from_mode(0o755)).unwrap();
        git_cmd(&self.contributor)
            .args([
                "send-email",
                "--confirm=never",
                "--quiet",
                "--to=xen-devel@lists.xenproject.org",
                "--from=Alice Author <alice@example.org>",
            ])
            .arg(format!("--smtp-server={}", sendmail.display()))
            .args(patches)
            .output()
            .expect("run git send-email")
    }

    /// alice's series: a 15-line AI fix of argo.c (over the small-fix limit: it needs ARGO's
    /// maintainer) and an AI-written doc change; formatted and sent. The send's outcome.
    fn contribute(&self) -> Output {
        self.c_commit(
            &[(ARGO, argo_fixed(41, 55))],
            &format!("argo: fix the ring checks\n\nAI-used-for: code\n{SOB_ALICE}"),
        );
        self.c_commit(
            &[(
                DOC,
                lines("console doc", 20) + "How argo uses the console.\n",
            )],
            &format!("docs: describe argo's console use\n\nAI-used-for: docs\n{SOB_ALICE}"),
        );
        let patches = self.format_patch("outgoing");
        assert_eq!(patches.len(), 2, "{patches:?}");
        for patch in &patches {
            let mail = std::fs::read_to_string(self.contributor.join(patch)).unwrap();
            assert!(
                mail.contains("\n---\n") && mail.contains("Notes (aiprov):\n    {\"payloadType\""),
                "the attestation is below the --- line: {mail}"
            );
        }
        self.send_email(&patches)
    }

    /// The maintainer's own change, attested as human work: line 40 of argo.c, in the context
    /// of alice's fix.
    fn upstream_change(&self) {
        self.f.write(
            ARGO,
            lines("argo", 100).replace("argo line 40\n", "argo line 40 upstream\n"),
        );
        self.f.git(&["add", "-A"]);
        git_cmd(&self.f.repo)
            .env("GIT_AUTHOR_NAME", CHRIS_NAME)
            .env("GIT_AUTHOR_EMAIL", CHRIS)
            .env("GIT_COMMITTER_NAME", CHRIS_NAME)
            .env("GIT_COMMITTER_EMAIL", CHRIS)
            .args(["commit", "-q", "-m"])
            .arg(format!(
                "argo: name the ring limit\n\nSigned-off-by: {CHRIS_NAME} <{CHRIS}>"
            ))
            .output()
            .unwrap();
        as_chris(self.f.aiprov())
            .args(["attest", "-q", "--human", "**", "--key"])
            .arg(&self.chris)
            .assert()
            .success();
    }

    /// `aiprov approve --mbox` as Chris, written to approvals.jsonl: the file and the outcome
    /// (its stdout, the approvals, left out).
    fn approve(&self, mbox: &Path) -> (PathBuf, String) {
        let out = as_chris(self.f.aiprov())
            .args(["approve", "--mbox"])
            .arg(mbox)
            .arg("--key")
            .arg(&self.chris)
            .output()
            .unwrap();
        let approvals = self.f.tmp.path().join("approvals.jsonl");
        std::fs::write(&approvals, &out.stdout).unwrap();
        // The approvals themselves are in the file; the outcome shows what approve said.
        let said = Output {
            stdout: Vec::new(),
            ..out
        };
        (approvals, self.f.render(&said))
    }

    fn verify_json(&self, dir: &Path, args: &[&str]) -> (i32, Value) {
        let out = aiprov_in(&self.f, dir)
            .args(["verify", "--format", "json"])
            .args(args)
            .output()
            .unwrap();
        let doc = json(&out);
        assert_schema_valid("report.schema.json", &doc);
        (code(&out), doc)
    }
}

/// Every finding code of a verification report.
fn finding_codes(doc: &Value) -> Vec<String> {
    doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["findings"].as_array().unwrap())
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn contributor_commits_attests_and_sends_through_the_hook() {
    let p = project();
    let hook =
        std::fs::read_to_string(p.contributor.join(".git/hooks/sendemail-validate")).unwrap();
    assert!(hook.contains("--allow-unapproved --mbox"), "{hook}");

    // The series lacks only Chris's approval: it goes out, with a note naming him.
    let sent = p.contribute();
    let stderr = text(&sent.stderr);
    assert_eq!(code(&sent), 0, "{stderr}");
    assert!(
        stderr.contains("note: 1 change lacks only a maintainer's approval of its AI use")
            && stderr.contains(&format!(
                "{ARGO}: the AI use needs the approval of one of its maintainers: {CHRIS_NAME} <{CHRIS}>"
            )),
        "{stderr}"
    );
    let inbox = std::fs::read_to_string(p.inbox()).unwrap();
    assert_eq!(inbox.matches("\nMessage-ID: <").count(), 2, "{inbox}");
    assert!(inbox.contains("Subject: [PATCH 1/2] argo: fix the ring checks"));

    // What was sent is what verifies: only the approval is missing, and it names Chris.
    let (exit, doc) = p.verify_json(&p.contributor, &["--mbox", p.inbox().to_str().unwrap()]);
    assert_eq!(exit, 1);
    assert_eq!(
        finding_codes(&doc),
        ["policy.fix-too-large", "policy.approval-missing"]
    );
    assert_eq!(doc["changes"][1]["verdict"], "pass");

    // alice touches up the doc after attesting: the attestation, carried over by the amend, no
    // longer matches, and the hook refuses the whole series. Nothing is sent.
    std::fs::write(
        p.contributor.join(DOC),
        lines("console doc", 20) + "How argo uses the serial console.\n",
    )
    .unwrap();
    git(
        &p.contributor,
        &["commit", "-q", "-a", "--amend", "--no-edit"],
    );
    let patches = p.format_patch("outgoing-v2");
    let refused = p.send_email(&patches);
    let all = format!("{}{}", text(&refused.stdout), text(&refused.stderr));
    assert_ne!(code(&refused), 0, "{all}");
    assert!(
        all.contains(&format!("error [coverage.digest-mismatch] {DOC}")),
        "{all}"
    );
    assert!(
        all.contains(
            "0002-docs-describe-argo-s-console-use.patch: rejected by sendemail-validate hook"
        ) && all.contains("no patches were sent"),
        "git send-email says its hook refused patch 2 and sent nothing: {all}"
    );
    assert_eq!(
        std::fs::read_to_string(p.inbox()).unwrap(),
        inbox,
        "nothing more was sent"
    );

    // Attested again, the series goes out (with the same note).
    aiprov_in(&p.f, &p.contributor)
        .args(["attest", "-q", "--key"])
        .arg(&p.alice)
        .assert()
        .success();
    let note = git(&p.contributor, &["notes", "--ref=aiprov", "show", "HEAD"]);
    assert_eq!(
        note.lines().count(),
        1,
        "one attestation per signer: {note}"
    );
    let patches = p.format_patch("outgoing-v3");
    let resent = p.send_email(&patches);
    assert_eq!(code(&resent), 0, "{}", text(&resent.stderr));
    assert_eq!(
        std::fs::read_to_string(p.inbox())
            .unwrap()
            .matches("\nMessage-ID: <")
            .count(),
        4
    );
}

#[test]
fn maintainer_verifies_approves_applies_through_a_conflict_and_pushes() {
    let p = project();
    assert_eq!(code(&p.contribute()), 0);
    let mbox = p.inbox();
    p.upstream_change();
    let before = p.f.git(&["rev-parse", "HEAD"]).trim().to_string();

    let outcome = p.f.outcome(
        p.f.aiprov()
            .args(["verify", "--color", "never", "--mbox"])
            .arg(&mbox),
    );
    insta::assert_snapshot!(outcome, @r"
        exit: 1
        --- stdout
        FAIL patch 1/2 argo: fix the ring checks (attested by alice@example.org)
            error [policy.fix-too-large] 15 changed lines of AI-written code, over the small-fix limit of 10 (tests not counted)
            error [policy.approval-missing] xen/common/argo.c: the AI use needs the approval of one of its maintainers: Christopher Clark <christopher.w.clark@gmail.com>
        PASS patch 2/2 docs: describe argo's console use (attested by alice@example.org)
        verification failed: 1 passed, 1 failed
        --- stderr
        ");

    let (approvals, outcome) = p.approve(&mbox);
    insta::assert_snapshot!(outcome, @r"
        exit: 0
        --- stdout
        --- stderr
        warning: christopher.w.clark@gmail.com is not a maintainer of 1 file of [PATCH 2/2] docs: describe argo's console use in MAINTAINERS at [id]: the approval will not count for it: docs/misc/console.txt (maintained by Andrew Cooper <andrew.cooper3@citrix.com>, George Dunlap <george.dunlap@citrix.com>, Jan Beulich <jbeulich@suse.com>, Julien Grall <julien@xen.org>, Stefano Stabellini <sstabellini@kernel.org>, Wei Liu <wl@xen.org>)
        approved [PATCH 1/2] argo: fix the ring checks
        approved [PATCH 2/2] docs: describe argo's console use
        ");
    assert_eq!(
        std::fs::read_to_string(&approvals).unwrap().lines().count(),
        2
    );

    // git am stops at patch 1: Chris's change moved its context.
    let outcome = p.f.outcome(
        p.f.aiprov()
            .args(["am", "--color", "never", "--approvals"])
            .arg(&approvals)
            .arg(&mbox),
    );
    insta::assert_snapshot!(common::snapshot::without_git_advice(&outcome), @r"
        exit: 2
        --- stdout
        PASS patch 1/2 argo: fix the ring checks (attested by alice@example.org)
            approved by christopher.w.clark@gmail.com for xen/common/argo.c
        PASS patch 2/2 docs: describe argo's console use (attested by alice@example.org)
        verified: 2 passed, 0 failed
        Applying: argo: fix the ring checks
        Patch failed at 0001 argo: fix the ring checks
        --- stderr
        error: patch failed: xen/common/argo.c:38
        error: xen/common/argo.c: patch does not apply
        [git's advice]
        error: git am stopped at patch 1/2 (argo: fix the ring checks); nothing is applied to your branch yet
        hint: resolve it in [TMP]/repo/.git/aiprov-am/tree (edit the files, `git add` them), then run `aiprov am --continue`; `aiprov am --skip` drops this patch, `aiprov am --abort` gives up the series. Your branch moves when the series is done. A patch applied by hand gets its attestation as a note only if its commit makes the changes the attestation names; otherwise aiprov warns and attaches none
        ");
    assert_eq!(p.f.git(&["rev-parse", "HEAD"]).trim(), before);

    // Resolved by hand in the quarantine tree, as the hint says.
    let quarantine = p.f.repo.join(".git/aiprov-am/tree");
    std::fs::write(
        quarantine.join(ARGO),
        argo_fixed(41, 55).replace("argo line 40\n", "argo line 40 upstream\n"),
    )
    .unwrap();
    git(&quarantine, &["add", ARGO]);
    let outcome =
        p.f.outcome(as_chris(p.f.aiprov()).args(["am", "--continue"]));
    insta::assert_snapshot!(outcome, @r"
        exit: 0
        --- stdout
        Applying: argo: fix the ring checks
        Applying: docs: describe argo's console use
        --- stderr
        applied 2 patches; their attestations are notes in refs/notes/aiprov
        ");

    // Each commit has its attestation, the fix also Chris's approval; the range verifies.
    let note = p.f.git(&["notes", "--ref=aiprov", "show", "HEAD~1"]);
    assert_eq!(note.lines().count(), 2, "attestation and approval: {note}");
    let range = format!("{before}..HEAD");
    let outcome =
        p.f.outcome(p.f.aiprov().args(["verify", "--color", "never", &range]));
    insta::assert_snapshot!(outcome, @r"
        exit: 0
        --- stdout
        PASS [id] argo: fix the ring checks (attested by alice@example.org)
            approved by christopher.w.clark@gmail.com for xen/common/argo.c
        PASS [id] docs: describe argo's console use (attested by alice@example.org)
        verified: 2 passed, 0 failed
        --- stderr
        ");
    let (exit, doc) = p.verify_json(&p.f.repo, &["v1.0..HEAD"]);
    assert_eq!(exit, 0, "{doc:#}");
    assert_eq!(doc["changes"].as_array().unwrap().len(), 3);
    assert_eq!(doc["changes"][1]["approvals"][0]["approver"], CHRIS);
    assert_eq!(
        doc["changes"][1]["approvals"][0]["files"],
        serde_json::json!([ARGO])
    );

    // Pushed with its notes; a fresh clone sees no attestation until it fetches them, and
    // verify says how.
    p.f.git(&["push", "-q", "origin", "main", "refs/notes/aiprov"]);
    let fresh = p.f.tmp.path().join("fresh");
    git(
        p.f.tmp.path(),
        &[
            "clone",
            "-q",
            p.origin.to_str().unwrap(),
            fresh.to_str().unwrap(),
        ],
    );
    let out = aiprov_in(&p.f, &fresh)
        .args(["verify", "v1.0..HEAD"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 1);
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(all.matches("error [signature.missing]").count(), 3, "{all}");
    assert!(all.contains("(hint: `aiprov fetch origin`)"), "{all}");
    aiprov_in(&p.f, &fresh).arg("fetch").assert().success();
    let (exit, doc) = p.verify_json(&fresh, &["v1.0..HEAD"]);
    assert_eq!(exit, 0, "{doc:#}");
    assert_eq!(doc["changes"][1]["approvals"][0]["approver"], CHRIS);
}

#[test]
fn release_manager_archives_verifies_and_reports() {
    let p = project();
    assert_eq!(code(&p.contribute()), 0);
    let (approvals, _) = p.approve(&p.inbox());
    as_chris(p.f.aiprov())
        .args(["am", "-q", "--approvals"])
        .arg(&approvals)
        .arg(p.inbox())
        .assert()
        .success();
    p.f.git(&["tag", "v1.1"]);
    p.f.git(&["push", "-q", "origin", "main", "v1.1", "refs/notes/aiprov"]);

    // Rita works in her own clone, notes fetched.
    let rm = p.f.tmp.path().join("release");
    git(
        p.f.tmp.path(),
        &[
            "clone",
            "-q",
            p.origin.to_str().unwrap(),
            rm.to_str().unwrap(),
        ],
    );
    git(
        &rm,
        &[
            "fetch",
            "-q",
            "origin",
            "refs/notes/aiprov:refs/notes/aiprov",
        ],
    );
    let tarball = p.f.tmp.path().join("xen-1.1.tar");
    git(&rm, &["archive", "-o", tarball.to_str().unwrap(), "v1.1"]);
    let archive = p.f.tmp.path().join("xen-1.1.intoto.jsonl");
    let out = aiprov_in(&p.f, &rm)
        .args(["archive", "v1.0..v1.1", "--key"])
        .arg(&p.rita)
        .arg("-o")
        .arg(&archive)
        .arg("--tarball")
        .arg(&tarball)
        .env("GIT_COMMITTER_NAME", "Rita Release")
        .env("GIT_COMMITTER_EMAIL", RM)
        .output()
        .unwrap();
    insta::assert_snapshot!(p.f.render(&out), @r"
        exit: 0
        --- stdout
        archived 2 changes of v1.0..v1.1 (2 passed, 0 failed, 0 skipped; 4 envelopes), signed by rita@example.org to [TMP]/xen-1.1.intoto.jsonl
        --- stderr
        ");
    // Two attestations, Chris's two approvals (the doc's counts for nothing, but was given),
    // the summary.
    let lines: Vec<String> = std::fs::read_to_string(&archive)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(lines.len(), 5, "{lines:#?}");

    // Verified in the repository, and outside it against the keyring of v1.0.
    let verify_archive = |dir: &Path, extra: &[&std::ffi::OsStr]| {
        let out = aiprov_in(&p.f, dir)
            .args(["verify", "--format", "json", "--archive"])
            .arg(&archive)
            .args(extra)
            .output()
            .unwrap();
        let doc = json(&out);
        assert_schema_valid("archive-report.schema.json", &doc);
        (code(&out), doc)
    };
    let (exit, doc) = verify_archive(&rm, &[]);
    assert_eq!(
        (exit, doc["verdict"].as_str()),
        (0, Some("pass")),
        "{doc:#}"
    );
    assert_eq!(doc["changes"].as_array().unwrap().len(), 2);
    let keyring = p.f.tmp.path().join("keyring-v1.0");
    std::fs::create_dir_all(&keyring).unwrap();
    std::fs::write(
        keyring.join("keyring.toml"),
        git(&rm, &["show", "v1.0:.aiprov/keyring.toml"]),
    )
    .unwrap();
    let outside = p.f.tmp.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let (exit, doc) = verify_archive(
        &outside,
        &[
            "--keyring".as_ref(),
            keyring.as_os_str(),
            "--tarball".as_ref(),
            tarball.as_os_str(),
        ],
    );
    assert_eq!(
        (exit, doc["verdict"].as_str()),
        (0, Some("pass")),
        "{doc:#}"
    );
    let outcome = p.f.outcome(
        aiprov_in(&p.f, &outside)
            .args(["verify", "--color", "never", "--archive"])
            .arg(&archive)
            .arg("--keyring")
            .arg(&keyring)
            .arg("--tarball")
            .arg(&tarball),
    );
    insta::assert_snapshot!(outcome, @r"
        exit: 0
        --- stdout
        release v1.0..v1.1 (commit [id]): 2 changes; signatures and digests only, without the repository
        tarball xen-1.1.tar sha256 [id] matches [TMP]/xen-1.1.tar
         OK  [id] argo: fix the ring checks (recorded pass)
         OK  [id] docs: describe argo's console use (recorded pass)
        archive verified: 2 changes as recorded
        --- stderr
        ");

    // The report: the AI share, and the approval the fix relies on.
    let out = aiprov_in(&p.f, &rm)
        .args(["report", "--format", "json", "v1.0..v1.1"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let report = json(&out);
    assert_schema_valid("ai-report.schema.json", &report);
    let totals = &report["totals"];
    assert_eq!(totals["changes"], 2);
    assert_eq!(totals["aiChanges"], 2);
    // 15 lines replaced in argo.c (30 changed), one line added to the doc: all AI's.
    assert_eq!(totals["changedLines"], 31);
    assert_eq!(totals["aiLines"], 31);
    assert_eq!(totals["aiPercent"].as_f64(), Some(100.0));
    let changes = report["changes"].as_array().unwrap();
    assert_eq!(changes[0]["title"], "argo: fix the ring checks");
    assert_eq!(changes[0]["approvals"], serde_json::json!([CHRIS]));
    assert_eq!(changes[1]["approvals"], serde_json::json!([]));
    let argo = report["bySection"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "ARGO")
        .unwrap_or_else(|| panic!("no ARGO section: {report:#}"));
    assert_eq!(argo["aiLines"], 30);
    // The report from the archive is the range's.
    let out = aiprov_in(&p.f, &outside)
        .args(["report", "--format", "json", "--archive"])
        .arg(&archive)
        .arg("--keyring")
        .arg(&keyring)
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert_eq!(json(&out), report);
}
