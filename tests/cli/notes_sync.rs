//! `aiprov fetch` and `aiprov push` against real remotes: no writer's line is lost, a push is
//! never forced, a refused push is merged and tried again.

use crate::common;

use common::{git, Fixture};
use serde_json::Value;

/// A repository with one commit, a bare `origin.git` it pushed to, and a clone of that.
fn world() -> (Fixture, std::path::PathBuf, std::path::PathBuf) {
    let f = Fixture::new();
    f.write("a.txt", "a\n");
    f.commit_all("First");
    let origin = f.tmp.path().join("origin.git");
    git(
        f.tmp.path(),
        &[
            "init",
            "-q",
            "--bare",
            "-b",
            "main",
            origin.to_str().expect("path"),
        ],
    );
    f.git(&["remote", "add", "origin", origin.to_str().expect("path")]);
    f.git(&["push", "-q", "-u", "origin", "main"]);
    let clone = f.tmp.path().join("clone");
    git(
        f.tmp.path(),
        &[
            "clone",
            "-q",
            origin.to_str().expect("path"),
            clone.to_str().expect("path"),
        ],
    );
    (f, origin, clone)
}

fn note(dir: &std::path::Path) -> Vec<String> {
    let mut lines: Vec<String> = git(dir, &["notes", "--ref=aiprov", "show", "main"])
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

fn json(f: &Fixture, dir: &std::path::Path, args: &[&str]) -> Value {
    let out = f
        .aiprov()
        .current_dir(dir)
        .args(["--format", "json"])
        .args(args)
        .output()
        .expect("aiprov");
    assert!(out.status.success(), "{}", f.render(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    common::assert_schema_valid("notes-sync.schema.json", &doc);
    doc
}

#[test]
fn push_and_fetch_merge_every_writers_lines() {
    let (f, origin, clone) = world();
    // Nothing to push yet: a clear error.
    let out = f.aiprov().arg("push").output().expect("aiprov");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no attestations to push"));

    f.git(&[
        "notes",
        "--ref=aiprov",
        "add",
        "-m",
        "line by alice",
        "HEAD",
    ]);
    let pushed = json(&f, &f.repo, &["push"]);
    assert_eq!(pushed["command"], "push");
    assert_eq!(pushed["remotes"][0]["remote"], "origin");
    assert_eq!(pushed["remotes"][0]["found"], false);
    assert_eq!(pushed["remotes"][0]["pushed"], "updated");
    assert_eq!(note(&origin), ["line by alice"]);

    // Both sides write to the same commit's note; each fetch and push keeps both lines.
    git(
        &clone,
        &["notes", "--ref=aiprov", "add", "-m", "line by bob", "HEAD"],
    );
    f.git(&[
        "notes",
        "--ref=aiprov",
        "append",
        "-m",
        "approval by carol",
        "HEAD",
    ]);
    f.aiprov().arg("push").assert().success();
    let fetched = json(&f, &clone, &["fetch"]);
    let remote = &fetched["remotes"][0];
    assert_eq!(remote["trackingRef"], "refs/notes/remotes/origin/aiprov");
    assert_ne!(remote["before"], remote["after"]);
    assert_eq!(
        note(&clone),
        ["approval by carol", "line by alice", "line by bob"]
    );
    f.aiprov()
        .current_dir(&clone)
        .arg("push")
        .assert()
        .success();
    assert_eq!(
        note(&origin),
        ["approval by carol", "line by alice", "line by bob"]
    );
    // Up to date, and said so.
    let again = json(&f, &clone, &["push", "origin"]);
    assert_eq!(again["remotes"][0]["pushed"], "up-to-date");
    assert_eq!(again["remotes"][0]["before"], again["remotes"][0]["after"]);
}

#[test]
fn a_push_refused_because_the_remote_moved_is_merged_and_tried_again() {
    let (f, origin, _) = world();
    f.git(&["notes", "--ref=aiprov", "add", "-m", "mine", "HEAD"]);
    // The first push is refused, as when someone pushed between our fetch and our push: the
    // remote's hook writes another line to the notes ref (outside the quarantine git keeps
    // pushed objects in until the hook accepts) and declines.
    let hook = origin.join("hooks/pre-receive");
    let head = f.git(&["rev-parse", "HEAD"]).trim().to_string();
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\n[ -e declined ] && exit 0\ntouch declined\n\
             env -u GIT_QUARANTINE_PATH -u GIT_OBJECT_DIRECTORY -u GIT_ALTERNATE_OBJECT_DIRECTORIES \
             git notes --ref=aiprov add -f -m theirs {head} || exit 3\nexit 1\n"
        ),
    )
    .expect("hook");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let out = f.aiprov().arg("push").output().expect("aiprov");
    assert!(out.status.success(), "{}", f.render(&out));
    assert_eq!(note(&origin), ["mine", "theirs"]);
    assert_eq!(note(&f.repo), ["mine", "theirs"]);
}

#[test]
fn fetch_takes_urls_and_several_remotes_and_leaves_no_ref_of_its_own() {
    let (f, origin, clone) = world();
    git(
        &clone,
        &[
            "notes",
            "--ref=aiprov",
            "add",
            "-m",
            "from the clone",
            "HEAD",
        ],
    );
    let doc = json(
        &f,
        &f.repo,
        &["fetch", clone.to_str().expect("path"), "origin"],
    );
    let remotes = doc["remotes"].as_array().expect("remotes");
    assert_eq!(remotes.len(), 2);
    assert_eq!(remotes[0]["found"], true);
    assert!(remotes[0].get("trackingRef").is_none());
    assert_eq!(remotes[1]["found"], false);
    assert_eq!(note(&f.repo), ["from the clone"]);
    let refs = f.git(&["for-each-ref", "refs/notes/"]);
    assert_eq!(refs.lines().count(), 1, "{refs}");
    // A remote that is not there: git's reason, exit 2.
    let out = f
        .aiprov()
        .args(["fetch", "nowhere"])
        .output()
        .expect("aiprov");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("fetching refs/notes/aiprov from nowhere: 'nowhere' does not appear to be a git repository"),
        "{}",
        f.render(&out)
    );
    let _ = origin;
}

#[test]
fn a_remote_that_looks_like_an_option_is_never_one() {
    let (f, _, _) = world();
    f.git(&["notes", "--ref=aiprov", "add", "-m", "mine", "HEAD"]);
    let marker = f.tmp.path().join("ran");
    let hostile = format!("--upload-pack=touch {}", marker.display());
    for verb in ["fetch", "push"] {
        let out = f
            .aiprov()
            .args([verb, "--", &hostile])
            .output()
            .expect("aiprov");
        assert_eq!(out.status.code(), Some(2), "{}", f.render(&out));
        assert!(
            !marker.exists(),
            "{verb} ran the remote's option as a command"
        );
    }
}
