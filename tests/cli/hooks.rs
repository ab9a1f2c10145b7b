//! `aiprov init --hooks` installs a sendemail-validate hook that makes the real `git send-email`
//! refuse a patch whose attestation is missing, and `--auto-attest` a post-commit hook.

use crate::common;

use common::{lines, Fixture};

fn send_email(f: &Fixture, patch: &str) -> std::process::Output {
    common::git_cmd(&f.repo)
        .args([
            "send-email",
            "--dry-run",
            "--confirm=never",
            "--to=list@example.org",
            "--from=Alice Author <alice@example.org>",
            "--smtp-server=/bin/true",
        ])
        .arg(patch)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .expect("run git send-email")
}

#[test]
fn hooks_attest_new_commits_and_refuse_to_send_unattested_patches() {
    let f = Fixture::new();
    // The default key under the (test) user's config directory.
    f.aiprov().arg("keygen").assert().success();
    let key = f.home().join(".config/aiprov/id_ed25519");
    assert!(key.exists());
    f.init_trusting("alice@example.org", &key);
    f.aiprov()
        .args(["init", "--hooks", "--auto-attest"])
        .assert()
        .success();
    f.write("a.c", lines("a", 3));
    f.commit_all("Base\n\nSigned-off-by: Alice Author <alice@example.org>");

    // post-commit attested it.
    f.write("a.c", lines("a", 4));
    f.commit_all("Change\n\nSigned-off-by: Alice Author <alice@example.org>");
    assert!(f
        .git(&["notes", "--ref=aiprov", "show", "HEAD"])
        .starts_with("{\"payloadType\""));
    let patch = f.git(&["format-patch", "-1", "-o", "out1"]);
    let out = send_email(&f, patch.trim());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Without its attestation, send-email refuses the patch.
    f.write("a.c", lines("a", 5));
    f.commit_all("Another change\n\nSigned-off-by: Alice Author <alice@example.org>");
    f.git(&["notes", "--ref=aiprov", "remove", "HEAD"]);
    let patch = f.git(&["format-patch", "-1", "-o", "out2"]);
    let out = send_email(&f, patch.trim());
    assert!(!out.status.success());
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains("signature.missing"), "{all}");
}

#[test]
fn a_hook_that_is_not_aiprovs_is_never_replaced() {
    let f = Fixture::new();
    let hook = f.repo.join(".git/hooks/post-commit");
    std::fs::write(&hook, "#!/bin/sh\necho mine\n").unwrap();
    insta::assert_snapshot!(f.outcome(f.aiprov().args(["init", "--auto-attest"])), @"
        exit: 2
        --- stdout
        --- stderr
        error: [TMP]/repo/.git/hooks/post-commit exists and is not aiprov's; not replacing it
        hint: add `aiprov attest -q -y HEAD` to it yourself
        ");
    // Refused before anything was changed.
    assert!(!f.path(".aiprov").exists());
    assert!(f.git_cmd_fails(&["config", "format.notes"]));
    assert_eq!(
        std::fs::read_to_string(&hook).unwrap(),
        "#!/bin/sh\necho mine\n"
    );
}

/// The real `git send-email` hands the mail to a sendmail-like program; the mail it sends
/// (long attestation lines make it quoted-printable) verifies as it arrives.
#[test]
fn a_mail_as_git_send_email_sends_it_verifies() {
    let f = Fixture::new();
    let key = f.keygen("alice");
    f.init_trusting("alice@example.org", &key);
    f.write("a.c", lines("a", 3));
    f.commit_all("Base\n\nSigned-off-by: Alice Author <alice@example.org>");
    f.write("a.c", lines("a", 4));
    f.commit_all("Change\n\nAI-used-for: code\nSigned-off-by: Alice Author <alice@example.org>");
    f.aiprov()
        .args(["attest", "--key"])
        .arg(&key)
        .assert()
        .success();
    let sent = f.tmp.path().join("sent.mbox");
    let sendmail = f.tmp.path().join("sendmail");
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
    let patch = f.git(&["format-patch", "-1", "-o", "out"]);
    let out = common::git_cmd(&f.repo)
        .args([
            "send-email",
            "--confirm=never",
            "--to=list@example.org",
            "--from=Alice Author <alice@example.org>",
        ])
        .arg(format!("--smtp-server={}", sendmail.display()))
        .arg(patch.trim())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mail = std::fs::read_to_string(&sent).unwrap();
    assert!(
        mail.contains("Content-Transfer-Encoding: quoted-printable"),
        "long lines were encoded"
    );
    let base = f.git(&["rev-parse", "HEAD~1"]);
    f.aiprov()
        .args(["verify", "--trust-ref", base.trim(), "--mbox"])
        .arg(&sent)
        .assert()
        .success();
}

/// Issue 17, point 1: the sendemail-validate hook refuses what the contributor can fix (here
/// a trailer) and lets through, with a note naming the maintainers, what only a maintainer can
/// give: an approval of AI use over the small-fix limit.
#[test]
fn the_hook_lets_through_a_missing_approval_with_a_note_and_refuses_what_the_contributor_can_fix() {
    let f = Fixture::new();
    let key = f.keygen("alice");
    f.init_trusting("alice@example.org", &key);
    f.aiprov().args(["init", "--hooks"]).assert().success();
    f.write(
        "MAINTAINERS",
        "Parser\nM:\tAndrew Cooper <andrew@example.org>\nS:\tMaintained\nF:\tsrc/\n",
    );
    f.write("src/parse.c", lines("int parse", 100));
    f.commit_all("Base\n\nSigned-off-by: Alice Author <alice@example.org>");
    f.write(
        "src/parse.c",
        lines("int parse", 70) + &lines("int parse fixed", 30),
    );
    f.commit_all(
        "parse: fix\n\nAI-used-for: code\nSigned-off-by: Alice Author <alice@example.org>",
    );
    f.aiprov()
        .args(["attest", "--key"])
        .arg(&key)
        .assert()
        .success();
    let patch = f.git(&["format-patch", "-1", "-o", "out1"]);
    let out = send_email(&f, patch.trim());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "only an approval is missing: {stderr}"
    );
    assert!(
        stderr.contains("note: 1 change lacks only a maintainer's approval of its AI use")
            && stderr.contains(
                "src/parse.c: the AI use needs the approval of one of its maintainers: Andrew Cooper <andrew@example.org>"
            ),
        "{stderr}"
    );

    // The trailer dropped (the attestation follows the amend): the contributor can fix that.
    f.git(&[
        "commit",
        "-q",
        "--amend",
        "-m",
        "parse: fix\n\nSigned-off-by: Alice Author <alice@example.org>",
    ]);
    let patch = f.git(&["format-patch", "-1", "-o", "out2"]);
    let out = send_email(&f, patch.trim());
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("trailer.missing"), "{all}");
    assert!(!all.contains("note: "), "nothing was let through: {all}");
}
