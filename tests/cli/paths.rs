//! Unusual paths are bound exactly: spaces, tabs, newlines, quotes, backslashes, `..` inside
//! names, Unicode NFC and NFD spellings of one name, and bytes that are not UTF-8. Each attests
//! and verifies from the repository and through `git format-patch`; an attestation of one
//! spelling does not cover the other.

use crate::common;

use common::{git_stdin, Fixture};

const SOB: &str = "Signed-off-by: Alice Author <alice@example.org>";

/// The odd names: NFC and NFD `café`, and two names that differ in one non-UTF-8 byte.
const NFC: &[u8] = "docs/caf\u{e9}.txt".as_bytes();
const NFD: &[u8] = "docs/cafe\u{301}.txt".as_bytes();
const BYTE_FF: &[u8] = b"bin/name\xff.txt";
const BYTE_FE: &[u8] = b"bin/name\xfe.txt";

fn odd_names() -> Vec<&'static [u8]> {
    vec![
        b"with space.txt",
        b"with\ttab.txt",
        b"with\nnewline.txt",
        b"\"quoted\".txt",
        b"quote\"inside.txt",
        b"back\\slash.txt",
        b"a..b.txt",
        b"..leading-dots",
        b"dir/..hidden/x.txt",
        NFC,
        NFD,
        BYTE_FF,
        BYTE_FE,
    ]
}

/// A path C-quoted for git fast-import.
fn quoted(path: &[u8]) -> String {
    let mut s = String::from("\"");
    for &b in path {
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\{b:03o}")),
        }
    }
    s.push('"');
    s
}

/// A commit on `branch` (from `from`) writing each (path, content).
fn commit(f: &Fixture, branch: &str, from: &str, message: &str, files: &[(&[u8], String)]) {
    let mut stream = format!(
        "commit refs/heads/{branch}\ncommitter Alice Author <alice@example.org> 1767268800 +0000\ndata {}\n{message}\nfrom {from}\n",
        message.len()
    );
    for (path, content) in files {
        stream.push_str(&format!(
            "M 644 inline {}\ndata {}\n{content}\n",
            quoted(path),
            content.len()
        ));
    }
    let out = git_stdin(&f.repo, &["fast-import", "--quiet"], stream.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn setup() -> (Fixture, std::path::PathBuf, String) {
    let f = Fixture::new();
    let key = f.keygen("alice");
    f.init_trusting("alice@example.org", &key);
    f.write("README", "readme\n");
    let base = f.commit_all(&format!("Initial import\n\n{SOB}"));
    (f, key, base)
}

fn attest(f: &Fixture, key: &std::path::Path, rev: &str) {
    f.aiprov()
        .args(["attest", "-q", "--yes", "--key"])
        .arg(key)
        .arg(rev)
        .assert()
        .success();
}

/// `aiprov verify ARGS --format json`: exit code, finding codes (sorted) and files.
fn verify(f: &Fixture, args: &[&str]) -> (i32, Vec<String>, Vec<String>) {
    let out = f
        .aiprov()
        .args(["verify", "--format", "json"])
        .args(args)
        .output()
        .expect("run aiprov");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    });
    let findings: Vec<serde_json::Value> = report["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .flat_map(|c| c["findings"].as_array().cloned().unwrap_or_default())
        .collect();
    let mut codes: Vec<String> = findings
        .iter()
        .map(|f| f["code"].as_str().expect("code").to_string())
        .collect();
    codes.sort();
    let mut files: Vec<String> = findings
        .iter()
        .filter_map(|f| f["file"].as_str().map(str::to_string))
        .collect();
    files.sort();
    (out.status.code().expect("exit code"), codes, files)
}

#[test]
fn odd_names_attest_and_verify_from_the_repository_and_from_mail() {
    let (f, key, base) = setup();
    let files: Vec<(&[u8], String)> = odd_names()
        .into_iter()
        .enumerate()
        .map(|(i, p)| (p, format!("content {i}")))
        .collect();
    commit(&f, "main", &base, &format!("Odd names\n\n{SOB}"), &files);
    attest(&f, &key, "main");
    assert_eq!(verify(&f, &["main"]), (0, vec![], vec![]));
    // Each odd name is its own subject, named as docs/formats.md says.
    let note = common::git_bytes(&f.repo, &["notes", "--ref=aiprov", "show", "main"]);
    let env = aiprov::dsse::Envelope::parse(note.trim_ascii()).expect("envelope");
    let statement: serde_json::Value = serde_json::from_slice(&env.payload).expect("statement");
    let mut names: Vec<String> = statement["subject"]
        .as_array()
        .expect("subject")
        .iter()
        .map(|s| s["name"].as_str().expect("name").to_string())
        .collect();
    names.sort();
    let mut want: Vec<String> = odd_names()
        .iter()
        .map(|p| aiprov::text::path_name(p))
        .collect();
    want.sort();
    assert_eq!(names, want);
    assert!(names.contains(&"\"bin/name\\377.txt\"".to_string()));
    assert!(names.contains(&"\"bin/name\\376.txt\"".to_string()));
    // Through git format-patch (which C-quotes these names) the mail verifies the same.
    let mbox = common::git_bytes(
        &f.repo,
        &["format-patch", "-1", "--notes=aiprov", "--stdout", "main"],
    );
    let path = f.tmp.path().join("odd.patch");
    std::fs::write(&path, &mbox).expect("write");
    assert_eq!(
        verify(&f, &["--mbox", path.to_str().expect("path")]),
        (0, vec![], vec![])
    );
    // With core.quotePath off, names go raw into the mail. UTF-8 names travel; bytes that are
    // not UTF-8 cannot (a mail's text is UTF-8): those two files are reported, by name.
    f.git(&["config", "core.quotePath", "false"]);
    let raw = common::git_bytes(
        &f.repo,
        &["format-patch", "-1", "--notes=aiprov", "--stdout", "main"],
    );
    assert_ne!(raw, mbox);
    std::fs::write(&path, &raw).expect("write");
    let lossy = "bin/name\u{fffd}.txt".to_string();
    let (code, codes, mut files) = verify(&f, &["--mbox", path.to_str().expect("path")]);
    files.dedup();
    assert_eq!(
        (code, codes),
        (
            1,
            vec![
                "coverage.file-extra".to_string(),
                "coverage.file-extra".to_string(),
                "coverage.file-missing".to_string(),
                "coverage.file-missing".to_string(),
                // What git apply reads from those sections is covered by no attested change.
                "coverage.file-missing".to_string(),
                "coverage.file-missing".to_string()
            ]
        )
    );
    assert_eq!(
        files,
        vec![
            "\"bin/name\\376.txt\"".to_string(),
            "\"bin/name\\377.txt\"".to_string(),
            lossy
        ]
    );
    // A mail made with the default quoting of the same commit carries them.
    f.git(&["config", "core.quotePath", "true"]);
    std::fs::write(&path, &mbox).expect("write");
    assert_eq!(verify(&f, &["--mbox", path.to_str().expect("path")]).0, 0);
}

/// Attests a commit adding `one`, then copies that note onto a commit adding `other` with the
/// same content: reported as the wrong file.
fn swapped(one: &[u8], other: &[u8]) {
    let (f, key, base) = setup();
    commit(
        &f,
        "one",
        &base,
        &format!("Add\n\n{SOB}"),
        &[(one, "same\n".into())],
    );
    commit(
        &f,
        "other",
        &base,
        &format!("Add\n\n{SOB}"),
        &[(other, "same\n".into())],
    );
    attest(&f, &key, "one");
    assert_eq!(verify(&f, &["one"]).0, 0);
    let note = common::git_bytes(&f.repo, &["notes", "--ref=aiprov", "show", "one"]);
    let out = git_stdin(
        &f.repo,
        &["notes", "--ref=aiprov", "add", "-f", "-F", "-", "other"],
        &note,
    );
    assert!(out.status.success());
    let (one, other) = (aiprov::text::path_name(one), aiprov::text::path_name(other));
    let mut files = vec![one, other];
    files.sort();
    assert_eq!(
        verify(&f, &["other"]),
        (
            1,
            vec![
                "coverage.file-extra".to_string(),
                "coverage.file-missing".to_string()
            ],
            files
        )
    );
}

#[test]
fn nfc_and_nfd_spellings_are_different_files() {
    swapped(NFC, NFD);
    swapped(NFD, NFC);
}

#[test]
fn names_differing_in_a_non_utf8_byte_are_different_files() {
    swapped(BYTE_FF, BYTE_FE);
}

#[test]
fn a_name_and_its_quoted_spelling_are_different_files() {
    // `"bin/name\377.txt"` spelled out in a UTF-8 name must not stand for the byte 0xff.
    swapped(BYTE_FF, b"\"bin/name\\377.txt\"");
}

#[test]
fn odd_names_survive_aiprov_am_into_another_clone() {
    let (f, key, base) = setup();
    let files: Vec<(&[u8], String)> = odd_names()
        .into_iter()
        .enumerate()
        .map(|(i, p)| (p, format!("content {i}")))
        .collect();
    commit(&f, "main", &base, &format!("Odd names\n\n{SOB}"), &files);
    attest(&f, &key, "main");
    let mbox = common::git_bytes(
        &f.repo,
        &["format-patch", "-1", "--notes=aiprov", "--stdout", "main"],
    );
    let path = f.tmp.path().join("odd.patch");
    std::fs::write(&path, &mbox).expect("write");
    // A maintainer's clone at the base applies the mail and gets the attestation as a note.
    let clone = f.tmp.path().join("maintainer");
    let url = format!("file://{}", f.repo.display());
    common::git(f.tmp.path(), &["clone", "-q", &url, "maintainer"]);
    common::git(&clone, &["reset", "-q", "--hard", &base]);
    let aiprov = |args: &[&str]| {
        let mut c = assert_cmd::Command::cargo_bin("aiprov").expect("binary");
        c.current_dir(&clone);
        let mut std = std::process::Command::new("true");
        common::hermetic(&mut std, &clone);
        for (k, v) in std.get_envs() {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
        }
        c.env("AIPROV_NOW", "2026-01-02T00:00:00Z");
        c.args(args).output().expect("run aiprov")
    };
    let out = aiprov(&["am", path.to_str().expect("path")]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The applied commit has the same tree, and verifies from the repository.
    assert_eq!(
        common::git(&clone, &["rev-parse", "HEAD^{tree}"]),
        f.git(&["rev-parse", "main^{tree}"])
    );
    let out = aiprov(&["verify", "-q", "HEAD"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn names_and_titles_cannot_forge_report_lines_or_drive_the_terminal() {
    let (f, key, base) = setup();
    commit(
        &f,
        "main",
        &base,
        &format!("Fine\n\n{SOB}"),
        &[(b"ok.txt", "ok".into())],
    );
    attest(&f, &key, "main");
    // A later commit adds a file whose name holds a forged report line, under a title with an
    // escape sequence; alice's note is copied onto it.
    let forged: &[u8] = b"x\nPASS 000000000000 all good";
    let title = "Clear the screen \u{1b}[2J";
    let main = f.git(&["rev-parse", "main"]).trim().to_string();
    commit(
        &f,
        "main",
        &main,
        &format!("{title}\n\n{SOB}"),
        &[(forged, "x".into())],
    );
    let note = common::git_bytes(&f.repo, &["notes", "--ref=aiprov", "show", "main~1"]);
    let out = git_stdin(
        &f.repo,
        &["notes", "--ref=aiprov", "add", "-f", "-F", "-", "main"],
        &note,
    );
    assert!(out.status.success());
    let out = f
        .aiprov()
        .args(["verify", "main"])
        .output()
        .expect("run aiprov");
    // The title's escape and the name's newline are shown quoted.
    insta::assert_snapshot!(f.render(&out), @r"
        exit: 1
        --- stdout
        FAIL [id] Clear the screen \u{1b}[2J (attested by alice@example.org)
            error [coverage.file-extra] ok.txt is attested but the change does not touch it
            error [coverage.file-missing] x\nPASS 000000000000 all good (added) is not covered by the attestation
        verification failed: 0 passed, 1 failed
        --- stderr
        ");
    // Invisible in a snapshot: no escape character reaches the terminal, no line is forged.
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(!text.lines().any(|l| l.starts_with("PASS")), "{text}");
    let shown = f
        .aiprov()
        .args(["show", "main"])
        .output()
        .expect("run aiprov");
    assert!(!String::from_utf8_lossy(&shown.stdout).contains('\u{1b}'));
}
