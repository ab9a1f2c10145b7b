//! Mails that git reads differently from a naive reader (issue 13, class 1): whatever `git
//! mailsplit`, `git mailinfo` and `git am` would apply is what aiprov verifies. Each attack is a
//! real mail made by `git format-patch` and then altered, driven through `aiprov verify --mbox`
//! and `aiprov am`, which must refuse it and leave the branch, index, work tree and notes as they
//! were. Honest encodings of the same patch still verify and apply.

use crate::common;

use std::path::PathBuf;

use base64::Engine;
use common::{lines, Fixture};

const SOB: &str = "Signed-off-by: Alice Author <alice@example.org>";

struct Series {
    f: Fixture,
    /// The attested patch, as `git format-patch --notes=aiprov` wrote it.
    mail: String,
}

/// A repository trusting alice, at its base on main, with an attested commit on topic that
/// changes the first line of `hw/a.c`, made into a mail.
fn series(format_patch: &[&str]) -> Series {
    let f = Fixture::new();
    let key = f.keygen("alice");
    f.init_trusting("alice@example.org", &key);
    f.write("hw/a.c", lines("a", 10));
    f.write("hw/b.c", lines("b", 10));
    f.commit_all(&format!("Base\n\n{SOB}"));
    f.git(&["checkout", "-q", "-b", "topic"]);
    f.write(
        "hw/a.c",
        lines("a", 10).replace("a line 1\n", "a line one\n"),
    );
    f.commit_all(&format!("hw/a: name line one\n\n{SOB}"));
    f.aiprov()
        .args(["attest", "-y", "--human", "**", "--key"])
        .arg(&key)
        .assert()
        .success();
    let mail = f.git(
        &[
            &["format-patch", "--notes=aiprov", "--stdout", "-1"][..],
            format_patch,
        ]
        .concat(),
    );
    f.git(&["checkout", "-q", "main"]);
    Series { f, mail }
}

/// What `aiprov am` must not change.
#[derive(Debug, PartialEq)]
struct State {
    head: String,
    status: String,
    notes: String,
    worktrees: String,
}

impl Series {
    fn write(&self, name: &str, mail: &str) -> PathBuf {
        let path = self.f.tmp.path().join(name);
        std::fs::write(&path, mail).expect("write mail");
        path
    }

    fn state(&self) -> State {
        State {
            head: self.f.git(&["rev-parse", "HEAD"]),
            status: self.f.git(&["status", "--porcelain", "--ignored"]),
            notes: self.f.git(&["for-each-ref", "refs/notes/"]),
            worktrees: self.f.git(&["worktree", "list", "--porcelain"]),
        }
    }

    fn verify(&self, path: &PathBuf) -> std::process::Output {
        self.f
            .aiprov()
            .args(["verify", "--mbox"])
            .arg(path)
            .output()
            .expect("run aiprov verify")
    }

    /// The mail is refused by verify and by am, which changes nothing.
    fn refused(&self, name: &str, mail: &str) {
        assert_ne!(mail, self.mail, "{name}: the attack changes the mail");
        let path = self.write(name, mail);
        let out = self.verify(&path);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{name}: verify --mbox\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let before = self.state();
        let out = self.f.aiprov().arg("am").arg(&path).output().expect("am");
        assert_ne!(out.status.code(), Some(0), "{name}: aiprov am applied it");
        assert_eq!(
            self.state(),
            before,
            "{name}: aiprov am changed the repository"
        );
    }

    /// The mail verifies, and am applies it and attaches its attestation.
    fn applies(&self, name: &str, mail: &str) {
        let path = self.write(name, mail);
        let out = self.verify(&path);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let base = self.f.git(&["rev-parse", "HEAD"]).trim().to_string();
        self.f.aiprov().arg("am").arg(&path).assert().success();
        assert_eq!(
            std::fs::read_to_string(self.f.path("hw/a.c")).expect("read"),
            lines("a", 10).replace("a line 1\n", "a line one\n"),
            "{name}"
        );
        self.f
            .aiprov()
            .args(["verify", &format!("{base}..HEAD")])
            .assert()
            .success();
        assert_eq!(
            self.f.git(&["worktree", "list"]).lines().count(),
            1,
            "{name}: the scratch work tree is gone"
        );
        self.f.git(&["reset", "-q", "--hard", &base]);
    }
}

/// A diff of `hw/b.c` with no `diff --git` line: git apply applies it all the same.
const PLAIN_DIFF: &str = "--- a/hw/b.c\n+++ b/hw/b.c\n@@ -1 +1 @@\n-b line 1\n+evil();\n";

/// The mail's text before its signature line, `extra`, then the signature.
fn before_signature(mail: &str, extra: &str) -> String {
    let at = mail.rfind("\n-- \n").expect("a signature line") + 1;
    format!("{}{extra}{}", &mail[..at], &mail[at..])
}

#[test]
fn a_plain_diff_after_the_last_hunk_is_refused() {
    let s = series(&[]);
    s.refused("after.mbox", &before_signature(&s.mail, PLAIN_DIFF));
}

#[test]
fn a_plain_diff_between_the_diffstat_and_the_first_section_is_refused() {
    let s = series(&[]);
    let mail = s
        .mail
        .replacen("diff --git", &format!("{PLAIN_DIFF}diff --git"), 1);
    s.refused("between.mbox", &mail);
}

#[test]
fn a_second_section_for_an_attested_file_is_refused() {
    let s = series(&[]);
    let second = "diff --git a/hw/a.c b/hw/a.c\n--- a/hw/a.c\n+++ b/hw/a.c\n@@ -5 +5 @@\n-a line 5\n+evil();\n";
    s.refused("second.mbox", &before_signature(&s.mail, second));
}

#[test]
fn full_blob_ids_in_the_index_line_do_not_vouch_for_a_tampered_hunk() {
    // The ids are the attested ones, as --full-index writes them; the hunk is not.
    let s = series(&["--full-index"]);
    let tampered = s
        .mail
        .replacen("+a line one\n", "+a line one; evil();\n", 1);
    s.refused("index.mbox", &tampered);
    // An abbreviated index line rewritten to the full ids is no better.
    let s = series(&[]);
    let full = series(&["--full-index"]);
    let index = |m: &str| {
        m.lines()
            .find(|l| l.starts_with("index "))
            .expect("index line")
            .to_string()
    };
    let rewritten = s.mail.replacen(&index(&s.mail), &index(&full.mail), 1);
    s.refused(
        "rewritten.mbox",
        &rewritten.replacen("+a line one\n", "+a line one; evil();\n", 1),
    );
}

/// An unattested patch of `hw/b.c`, as a second mail behind the separator line `from`.
fn hidden_mail(s: &Series, from: &str) -> String {
    let second = s
        .mail
        .split_once('\n')
        .expect("separator")
        .1
        .replace("a line 1\n", "b line 1\n")
        .replace("a line one\n", "evil();\n")
        .replace("hw/a.c", "hw/b.c");
    format!("{}{from}\n{}", s.mail, without_notes(&second))
}

#[test]
fn a_second_mail_behind_any_separator_git_splits_on_is_verified() {
    let s = series(&[]);
    for from in [
        "From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001",
        "From evil@example.org Mon Sep 17 00:00:00 2001 and more",
        "From evil@example.org Mon Sep 17 00:00:00 -2001",
        "From evil@example.org Mon Sep 17 00:00:00 20010",
    ] {
        s.refused("hidden.mbox", &hidden_mail(&s, from));
    }
}

/// The mail with its body replaced by a multipart body of `parts` (type, transfer encoding,
/// content).
fn multipart(mail: &str, parts: &[(&str, &str, &str)]) -> String {
    let (headers, body) = mail.split_once("\n\n").expect("headers");
    let headers: String = headers
        .lines()
        .filter(|l| !l.starts_with("Content-T") && !l.starts_with("MIME-"))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut out = format!(
        "{headers}MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b0\"\n\n--b0\n"
    );
    for (i, (kind, encoding, content)) in parts.iter().enumerate() {
        if i > 0 {
            out.push_str("--b0\n");
        }
        let content = content.replace("{body}", body);
        out.push_str(&format!(
            "Content-Type: {kind}\nContent-Transfer-Encoding: {encoding}\n\n{content}\n"
        ));
    }
    out + "--b0--\n"
}

#[test]
fn a_diff_in_a_binary_mime_part_is_read_as_git_reads_it() {
    let s = series(&[]);
    let mail = multipart(
        &s.mail,
        &[
            ("text/plain; charset=UTF-8", "8bit", "{body}"),
            ("application/octet-stream", "8bit", PLAIN_DIFF),
        ],
    );
    s.refused("octet.mbox", &mail);
}

/// A mail's headers, saying its body is base64.
fn base64_headers(headers: &str) -> String {
    format!("{headers}\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: base64")
}

/// The mail without its notes (what `--notes` added after the `---` line).
fn without_notes(mail: &str) -> String {
    let (head, rest) = mail.split_once("\nNotes (aiprov):\n").expect("notes");
    let (_, after) = rest.split_once("\n\n").expect("end of notes");
    format!("{head}\n{after}")
}

fn base64_lines(text: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    encoded
        .as_bytes()
        .chunks(76)
        .map(|c| format!("{}\n", String::from_utf8_lossy(c)))
        .collect()
}

#[test]
fn a_base64_body_with_an_invalid_character_is_read_as_git_reads_it() {
    let s = series(&[]);
    let (headers, body) = s.mail.split_once("\n\n").expect("headers");
    let tampered = body.replacen("+a line one\n", "+a line one; evil();\n", 1);
    let mut encoded = base64_lines(&tampered);
    encoded.insert(40, '!');
    s.refused(
        "base64.mbox",
        &format!("{}\n\n{encoded}", base64_headers(headers)),
    );
}

#[test]
fn a_cover_letter_that_carries_a_diff_is_a_patch() {
    let s = series(&[]);
    let cover = without_notes(&s.mail.replacen("[PATCH]", "[PATCH 0/1]", 1));
    s.refused("cover.mbox", &cover);
}

#[test]
fn what_git_am_makes_of_a_verified_mail_is_verified_before_the_branch_moves() {
    // git am told to leave out the attested file makes a commit the attestation does not cover:
    // refused in the scratch work tree, the branch never moves.
    let s = series(&[]);
    let path = s.write("exclude.mbox", &s.mail);
    assert!(s.verify(&path).status.success());
    let before = s.state();
    let outcome = s.f.outcome(
        s.f.aiprov()
            .arg("am")
            .arg(&path)
            .args(["--", "--exclude=hw/a.c"]),
    );
    insta::assert_snapshot!(outcome, @"
        exit: 2
        --- stdout
        PASS patch hw/a: name line one (attested by alice@example.org)
        verified: 1 passed, 0 failed
        Applying: hw/a: name line one
        --- stderr
        warning: the commit git am made of patch (hw/a: name line one): coverage.file-extra hw/a.c
        error: not applying: the commit git am made does not verify; your branch is unchanged
        ");
    assert_eq!(s.state(), before);
}

#[test]
fn a_patch_that_does_not_apply_leaves_everything_as_it_was() {
    let s = series(&[]);
    s.f.write(
        "hw/a.c",
        lines("a", 10).replace("a line 1\n", "a line uno\n"),
    );
    s.f.commit_all(&format!("hw/a: another name\n\n{SOB}"));
    let path = s.write("conflict.mbox", &s.mail);
    let before = s.state();
    let outcome = s.f.outcome(s.f.aiprov().arg("am").arg(&path));
    insta::assert_snapshot!(common::snapshot::without_git_advice(&outcome), @"
        exit: 2
        --- stdout
        PASS patch hw/a: name line one (attested by alice@example.org)
        verified: 1 passed, 0 failed
        Applying: hw/a: name line one
        Patch failed at 0001 hw/a: name line one
        --- stderr
        error: patch failed: hw/a.c:1
        error: hw/a.c: patch does not apply
        [git's advice]
        error: git am stopped at patch (hw/a: name line one); nothing is applied to your branch yet
        hint: resolve it in [TMP]/repo/.git/aiprov-am/tree (edit the files, `git add` them), then run `aiprov am --continue`; `aiprov am --skip` drops this patch, `aiprov am --abort` gives up the series. Your branch moves when the series is done. A patch applied by hand gets its attestation as a note only if its commit makes the changes the attestation names; otherwise aiprov warns and attaches none
        ");
    // The branch, index and work tree are untouched; the series waits in its quarantine.
    let stopped = s.state();
    assert_eq!(
        (&stopped.head, &stopped.status, &stopped.notes),
        (&before.head, &before.status, &before.notes)
    );
    // Given up, nothing is left of it.
    s.f.aiprov().args(["am", "--abort"]).assert().success();
    assert_eq!(s.state(), before);
    assert!(!s.f.repo.join(".git/aiprov-am").exists());
}

#[test]
fn honest_encodings_verify_and_apply() {
    let s = series(&["--full-index"]);
    s.applies("full-index.mbox", &s.mail);
    let s = series(&[]);
    s.applies("plain.mbox", &s.mail);
    s.applies("crlf.mbox", &s.mail.replace('\n', "\r\n"));
    let (headers, body) = s.mail.split_once("\n\n").expect("headers");
    let headers = base64_headers(headers);
    s.applies(
        "base64.mbox",
        &format!("{headers}\n\n{}", base64_lines(body)),
    );
    let body_qp = body
        .replace('=', "=3D")
        .replace("a line one", "a line =\none");
    let headers_qp = headers.replace("base64", "quoted-printable");
    s.applies("qp.mbox", &format!("{headers_qp}\n\n{body_qp}"));
}
