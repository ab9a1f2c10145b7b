//! Notes storage: aiprov reads and extends notes trees with fan-out as git writes them, and
//! concurrent writers never lose each other's lines (compare-and-swap on the notes ref).

use crate::common;

use common::{git, git_stdin, lines, Fixture};

/// 300 commits, each with a note written by git fast-import (which fans the notes tree out).
fn many_notes() -> Fixture {
    let f = Fixture::new();
    let mut stream = String::new();
    for i in 1..=300 {
        let msg = format!("commit {i}\n\nSigned-off-by: Alice Author <alice@example.org>\n");
        stream.push_str(&format!(
            "commit refs/heads/main\nmark :{i}\ncommitter Alice Author <alice@example.org> 1767268800 +0000\ndata {}\n{msg}",
            msg.len()
        ));
        if i > 1 {
            stream.push_str(&format!("from :{}\n", i - 1));
        }
        stream.push_str(&format!(
            "M 644 inline f.txt\ndata {}\n{i}\n\n",
            format!("{i}\n").len()
        ));
    }
    stream.push_str("commit refs/notes/aiprov\ncommitter Alice Author <alice@example.org> 1767268800 +0000\ndata 5\nnotes\n");
    for i in 1..=300 {
        let note = format!("note {i}\n");
        stream.push_str(&format!("N inline :{i}\ndata {}\n{note}", note.len()));
    }
    stream.push('\n');
    let out = git_stdin(&f.repo, &["fast-import", "--quiet"], stream.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    f.git(&["reset", "-q", "--hard", "main"]);
    f
}

#[test]
fn fanned_out_notes_are_read_and_extended_in_place() {
    let f = many_notes();
    let tree = f.git(&["ls-tree", "refs/notes/aiprov"]);
    assert!(
        tree.lines().all(|l| l.contains(" tree ")),
        "git fanned the notes out: {tree}"
    );
    let key = f.tmp.path().join("alice");
    f.aiprov()
        .args(["keygen", "-f"])
        .arg(&key)
        .assert()
        .success();
    let target = f.git(&["rev-parse", "main~7"]);
    f.aiprov()
        .args(["attest", "--key"])
        .arg(&key)
        .arg(target.trim())
        .assert()
        .success();
    // git reads the extended note: the old line kept, the envelope appended.
    let note = f.git(&["notes", "--ref=aiprov", "show", target.trim()]);
    let note_lines: Vec<&str> = note.lines().collect();
    assert_eq!(note_lines[0], "note 293");
    assert!(note_lines[1].starts_with("{\"payloadType\""), "{note}");
    // Every other note is untouched, and no duplicate entry appeared.
    assert_eq!(
        f.git(&["notes", "--ref=aiprov", "show", "main"]).trim(),
        "note 300"
    );
    assert_eq!(
        f.git(&["notes", "--ref=aiprov", "list"]).lines().count(),
        300
    );
}

#[test]
fn concurrent_attestations_lose_no_line() {
    let f = Fixture::new();
    f.write("a.c", lines("a", 3));
    f.commit_all("Change\n\nSigned-off-by: Alice Author <alice@example.org>");
    let signers: Vec<String> = (0..8).map(|i| format!("signer{i}@example.org")).collect();
    let keys: Vec<_> = signers
        .iter()
        .map(|s| {
            let k = f.tmp.path().join(s);
            f.aiprov().args(["keygen", "-f"]).arg(&k).assert().success();
            k
        })
        .collect();
    let bin = assert_cmd::cargo::cargo_bin("aiprov");
    let children: Vec<_> = signers
        .iter()
        .zip(&keys)
        .map(|(s, k)| {
            let mut c = std::process::Command::new(&bin);
            common::hermetic(&mut c, &f.repo);
            c.current_dir(&f.repo)
                .args(["attest", "-q", "--key"])
                .arg(k)
                .env("GIT_COMMITTER_EMAIL", s)
                .spawn()
                .expect("spawn aiprov")
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let note = git(&f.repo, &["notes", "--ref=aiprov", "show", "HEAD"]);
    for s in &signers {
        let found = note.lines().any(|l| {
            let env = aiprov::dsse::Envelope::parse(l.as_bytes()).expect("envelope");
            String::from_utf8_lossy(&env.payload).contains(&format!("\"email\":\"{s}\""))
        });
        assert!(found, "the line of {s} is missing");
    }
    assert_eq!(note.lines().count(), signers.len());
}
