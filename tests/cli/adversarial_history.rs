//! One history, and merges that carry changes of their own (issue 13, classes 2 and 3): a merge
//! without attestation passes only when it is the automatic merge of its parents; replace refs
//! and grafts never make git list one history while libgit2 diffs another. Each case is a real
//! repository driven through the binary.

use crate::common;

use common::{lines, Fixture};
use serde_json::Value;

const SOB: &str = "Signed-off-by: Alice Author <alice@example.org>";

struct Repo {
    f: Fixture,
    key: std::path::PathBuf,
    base: String,
}

/// A repository trusting alice, with `hw/a.c`, `hw/b.c` and `hw/c.c` at its base.
fn repo() -> Repo {
    let f = Fixture::new();
    let key = f.keygen("alice");
    f.init_trusting("alice@example.org", &key);
    for name in ["a", "b", "c"] {
        f.write(&format!("hw/{name}.c"), lines(name, 10));
    }
    let base = f.commit_all(&format!("Base\n\n{SOB}"));
    Repo { f, key, base }
}

impl Repo {
    /// Commits `content` to `path` on the current branch, attested (no AI use).
    fn change(&self, path: &str, content: &str, title: &str) -> String {
        self.f.write(path, content);
        let id = self.f.commit_all(&format!("{title}\n\n{SOB}"));
        self.attest(&id);
        id
    }

    fn attest(&self, rev: &str) {
        self.f
            .aiprov()
            .args(["attest", "-y", "--human", "**", "--key"])
            .arg(&self.key)
            .arg(rev)
            .assert()
            .success();
    }

    /// A topic branch off the base changing `hw/b.c`, and main changing `hw/a.c`; back on main.
    fn two_sides(&self) {
        self.f.git(&["checkout", "-q", "-b", "topic"]);
        self.change("hw/b.c", &lines("b-topic", 12), "Topic change");
        self.f.git(&["checkout", "-q", "main"]);
        self.change("hw/a.c", &lines("a-main", 12), "Main change");
    }

    fn merge(&self, extra: &[&str]) -> std::process::Output {
        common::git_cmd(&self.f.repo)
            .args(["merge", "-q", "-m", &format!("Merge topic\n\n{SOB}")])
            .args(extra)
            .arg("topic")
            .output()
            .expect("git merge")
    }

    fn verify(&self, args: &[&str]) -> (i32, Vec<(String, String)>) {
        let out = self
            .f
            .aiprov()
            .args(["verify", "--format", "json"])
            .args(args)
            .output()
            .expect("run aiprov verify");
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
        });
        let verdicts = doc["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .map(|c| {
                let codes: Vec<&str> = c["findings"]
                    .as_array()
                    .expect("findings")
                    .iter()
                    .map(|f| f["code"].as_str().expect("code"))
                    .collect();
                (
                    c["verdict"].as_str().expect("verdict").to_string(),
                    codes.join(","),
                )
            })
            .collect();
        (out.status.code().unwrap_or(-1), verdicts)
    }

    fn range(&self) -> String {
        format!("{}..HEAD", self.base)
    }
}

fn pass() -> (String, String) {
    ("pass".into(), String::new())
}

fn skipped() -> (String, String) {
    ("skipped".into(), String::new())
}

fn missing() -> (String, String) {
    ("fail".into(), "signature.missing".into())
}

#[test]
fn a_clean_merge_is_skipped_alone_and_in_a_range() {
    let r = repo();
    r.two_sides();
    assert!(r.merge(&["--no-ff"]).status.success());
    assert_eq!(r.verify(&["HEAD"]), (0, vec![skipped()]));
    let (code, verdicts) = r.verify(&[&r.range()]);
    assert_eq!(code, 0, "{verdicts:?}");
    assert_eq!(verdicts.len(), 3);
    assert!(verdicts.contains(&skipped()));
}

/// Concludes a merge of topic by hand after `edit` ran on the merged work tree.
fn evil_merge(r: &Repo, edit: impl FnOnce(&Repo)) {
    assert!(r.merge(&["--no-ff", "--no-commit"]).status.success());
    edit(r);
    r.f.git(&["add", "-A"]);
    r.f.git(&["commit", "-q", "-m", &format!("Merge topic\n\n{SOB}")]);
}

/// What an evil merge does to the merged work tree before it is committed.
type Edit = Box<dyn Fn(&Repo)>;

#[test]
fn a_merge_that_adds_edits_or_drops_is_verified_like_a_commit() {
    let cases: Vec<(&str, Edit)> = vec![
        (
            "adds a file",
            Box::new(|r| r.f.write("hw/backdoor.c", lines("evil", 3))),
        ),
        (
            "edits a file no side touched",
            Box::new(|r| r.f.write("hw/c.c", lines("c-evil", 10))),
        ),
        (
            "drops one side's change",
            Box::new(|r| r.f.write("hw/b.c", lines("b", 10))),
        ),
        (
            "deletes a file",
            Box::new(|r| std::fs::remove_file(r.f.path("hw/c.c")).expect("rm")),
        ),
    ];
    for (what, edit) in cases {
        let r = repo();
        r.two_sides();
        evil_merge(&r, edit);
        assert_eq!(r.verify(&["HEAD"]), (1, vec![missing()]), "{what}");
        let (code, verdicts) = r.verify(&[&r.range()]);
        assert_eq!(code, 1, "{what}: {verdicts:?}");
        assert!(verdicts.contains(&missing()), "{what}: {verdicts:?}");
        // Attested, the merge's own changes are covered and it passes ...
        r.attest("HEAD");
        assert_eq!(r.verify(&["HEAD"]), (0, vec![pass()]), "{what}");
        // ... and what the attestation does not cover is reported.
        r.f.write("hw/c.c", lines("c-later", 11));
        r.f.git(&["add", "-A"]);
        r.f.git(&["commit", "-q", "--amend", "--no-edit"]);
        let (code, verdicts) = r.verify(&["HEAD"]);
        assert_eq!(code, 1, "{what}: {verdicts:?}");
    }
}

#[test]
fn merge_s_ours_drops_the_other_side_and_is_a_change() {
    let r = repo();
    r.two_sides();
    assert!(r.merge(&["-s", "ours"]).status.success());
    assert_eq!(r.verify(&["HEAD"]), (1, vec![missing()]));
}

#[test]
fn a_conflict_resolution_is_a_change_of_the_merge() {
    for extra_code in [false, true] {
        let r = repo();
        r.f.git(&["checkout", "-q", "-b", "topic"]);
        r.change("hw/a.c", &lines("a-topic", 10), "Topic");
        r.f.git(&["checkout", "-q", "main"]);
        r.change("hw/a.c", &lines("a-main", 10), "Main");
        assert!(!r.merge(&[]).status.success(), "the sides conflict");
        let mut resolved = lines("a-main", 10);
        if extra_code {
            resolved.push_str("int backdoor(void) { return 1; }\n");
        }
        r.f.write("hw/a.c", &resolved);
        r.f.git(&["add", "-A"]);
        r.f.git(&["commit", "-q", "--no-edit"]);
        assert_eq!(
            r.verify(&["HEAD"]),
            (1, vec![missing()]),
            "extra {extra_code}"
        );
        r.attest("HEAD");
        assert_eq!(r.verify(&["HEAD"]), (0, vec![pass()]), "extra {extra_code}");
    }
}

#[test]
fn octopus_merges_are_skipped_only_when_clean() {
    for evil in [false, true] {
        let r = repo();
        for (branch, file) in [("one", "hw/b.c"), ("two", "hw/c.c")] {
            r.f.git(&["checkout", "-q", "-b", branch, &r.base]);
            r.change(file, &lines(branch, 12), branch);
        }
        r.f.git(&["checkout", "-q", "main"]);
        r.change("hw/a.c", &lines("a-main", 12), "Main");
        let out = common::git_cmd(&r.f.repo)
            .args(["merge", "-q", "--no-commit", "one", "two"])
            .output()
            .expect("octopus");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        if evil {
            r.f.write("hw/d.c", lines("evil", 2));
        }
        r.f.git(&["add", "-A"]);
        r.f.git(&["commit", "-q", "-m", &format!("Octopus\n\n{SOB}")]);
        let expected = if evil {
            (1, vec![missing()])
        } else {
            (0, vec![skipped()])
        };
        assert_eq!(r.verify(&["HEAD"]), expected, "evil {evil}");
    }
}

/// Two merge bases to come: topic and main each merge the other's tip; back on main.
fn cross_merge(r: &Repo) {
    let main_tip = r.f.git(&["rev-parse", "main"]).trim().to_string();
    let topic_tip = r.f.git(&["rev-parse", "topic"]).trim().to_string();
    r.f.git(&["checkout", "-q", "topic"]);
    r.f.git(&[
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge main into topic",
        &main_tip,
    ]);
    r.f.git(&["checkout", "-q", "main"]);
    r.f.git(&[
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge old topic",
        &topic_tip,
    ]);
}

#[test]
fn a_clean_criss_cross_merge_is_skipped() {
    let r = repo();
    r.two_sides();
    cross_merge(&r);
    r.f.git(&["checkout", "-q", "topic"]);
    r.change("hw/b.c", &lines("b-topic2", 13), "Topic again");
    r.f.git(&["checkout", "-q", "main"]);
    r.change("hw/a.c", &lines("a-main2", 13), "Main again");
    assert!(r.merge(&["--no-ff"]).status.success());
    assert_eq!(r.verify(&["HEAD"]), (0, vec![skipped()]));
}

/// base, then an attested commit, an unattested one and an attested one on main.
fn three_commits(r: &Repo) -> [String; 3] {
    let one = r.change("hw/a.c", &lines("a1", 11), "One");
    r.f.write("hw/b.c", lines("unattested", 11));
    let two = r.f.commit_all(&format!("Two, unattested\n\n{SOB}"));
    let three = r.change("hw/c.c", &lines("c3", 11), "Three");
    [one, two, three]
}

#[test]
fn a_replace_graft_does_not_hide_a_commit() {
    let r = repo();
    let [one, _, three] = three_commits(&r);
    r.f.git(&["replace", "--graft", &three, &one]);
    assert_eq!(r.f.git(&["rev-list", "--count", &r.range()]).trim(), "2");
    // Two, unattested is reported; a warning names the replace refs.
    insta::assert_snapshot!(r.f.outcome(r.f.aiprov().args(["verify", &r.range()])), @"
        exit: 1
        --- stdout
        PASS [id] One (attested by alice@example.org)
        FAIL [id] Two, unattested
            error [signature.missing] no attestation for this change
        PASS [id] Three (attested by alice@example.org)
        verification failed: 2 passed, 1 failed
        --- stderr
        warning: the repository has 1 replace ref (refs/replace/); aiprov verifies the history as recorded and ignores them, but other git commands show the replacements (compare with `git --no-replace-objects log`)
        ");
    let (code, verdicts) = r.verify(&[&r.range()]);
    assert_eq!((code, verdicts), (1, vec![pass(), missing(), pass()]));
    // The last commit is diffed against its real parent, not the grafted one.
    assert_eq!(r.verify(&["HEAD"]), (0, vec![pass()]));

    // A mirror clone copies the replace ref; the bare mirror verifies the same way.
    let mirror = r.f.tmp.path().join("mirror.git");
    common::git(
        r.f.tmp.path(),
        &[
            "clone",
            "-q",
            "--mirror",
            &r.f.repo.to_string_lossy(),
            "mirror.git",
        ],
    );
    assert!(common::git(&mirror, &["for-each-ref", "refs/replace"]).contains("refs/replace/"));
    let out =
        r.f.aiprov()
            .arg("-C")
            .arg(&mirror)
            .args(["verify", "--format", "json", &format!("{}..main", r.base)])
            .output()
            .expect("verify mirror");
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["changes"].as_array().expect("changes").len(), 3);
}

#[test]
fn a_replaced_object_is_read_as_recorded() {
    let r = repo();
    let [one, _, _] = three_commits(&r);
    // Replace the attested commit with one that changes a file differently: git shows the
    // replacement, aiprov verifies the commit as recorded.
    let blob = r.f.git(&["rev-parse", &format!("{one}:hw/a.c")]);
    let other = common::git_stdin(
        &r.f.repo,
        &["hash-object", "-w", "--stdin"],
        lines("replaced", 4).as_bytes(),
    );
    let other = String::from_utf8_lossy(&other.stdout).trim().to_string();
    r.f.git(&["replace", blob.trim(), &other]);
    assert_eq!(r.verify(&[&one]), (0, vec![pass()]));
}

#[test]
fn grafts_are_refused_with_a_clear_error() {
    let r = repo();
    let [one, _, three] = three_commits(&r);
    std::fs::write(
        r.f.repo.join(".git/info/grafts"),
        format!("{three} {one}\n"),
    )
    .expect("write grafts");
    // The error names the grafts file and how to convert it.
    insta::assert_snapshot!(r.f.outcome(r.f.aiprov().args(["verify", &r.range()])), @"
        exit: 2
        --- stdout
        --- stderr
        error: [TMP]/repo/.git/info/grafts has grafts, which would make git and libgit2 read different histories; aiprov ignores replaced history: remove the file, or convert it with `git replace --convert-graft-file`
        ");
    // Converted to a replace ref, it is ignored and the hidden commit reported.
    std::fs::remove_file(r.f.repo.join(".git/info/grafts")).expect("rm grafts");
    r.f.git(&["replace", "--graft", &three, &one]);
    let (code, verdicts) = r.verify(&[&r.range()]);
    assert_eq!((code, verdicts), (1, vec![pass(), missing(), pass()]));
}

/// Both sides edit `hw/a.c`, in places far apart: git merges the contents cleanly.
fn content_merge_sides(r: &Repo) {
    let edit = |at: usize, text: &str| {
        let mut l: Vec<String> = lines("a", 10).lines().map(String::from).collect();
        l[at] = text.to_string();
        l.join("\n") + "\n"
    };
    r.f.git(&["checkout", "-q", "-b", "topic"]);
    r.change("hw/a.c", &edit(8, "topic line"), "Topic edits the end");
    r.f.git(&["checkout", "-q", "main"]);
    r.change("hw/a.c", &edit(1, "main line"), "Main edits the start");
}

#[test]
fn a_clean_content_merge_is_skipped_and_an_edit_on_it_is_not() {
    for graph in [false, true] {
        let r = repo();
        content_merge_sides(&r);
        if graph {
            // Merge bases are then read from the commit-graph git maintains.
            r.f.git(&["commit-graph", "write", "--reachable"]);
        }
        let before = r.f.git(&["rev-parse", "HEAD"]).trim().to_string();
        assert!(r.merge(&["--no-ff"]).status.success());
        assert_eq!(r.verify(&["HEAD"]), (0, vec![skipped()]), "graph {graph}");
        r.f.git(&["reset", "-q", "--hard", &before]);
        evil_merge(&r, |r| {
            let merged = std::fs::read_to_string(r.f.repo.join("hw/a.c")).expect("read");
            r.f.write("hw/a.c", merged.replace("main line", "main line; evil()"));
        });
        assert_eq!(r.verify(&["HEAD"]), (1, vec![missing()]), "graph {graph}");
    }
}

#[test]
fn a_criss_cross_merge_with_a_commit_graph_is_judged_the_same() {
    let r = repo();
    r.two_sides();
    cross_merge(&r);
    // The graph knows the history so far; what follows is only in the objects.
    r.f.git(&["commit-graph", "write", "--reachable"]);
    r.f.git(&["checkout", "-q", "topic"]);
    r.change("hw/b.c", &lines("b-topic2", 13), "Topic again");
    r.f.git(&["checkout", "-q", "main"]);
    r.change("hw/a.c", &lines("a-main2", 13), "Main again");
    let before = r.f.git(&["rev-parse", "HEAD"]).trim().to_string();
    assert!(r.merge(&["--no-ff"]).status.success());
    assert_eq!(r.verify(&["HEAD"]), (0, vec![skipped()]));
    r.f.git(&["reset", "-q", "--hard", &before]);
    evil_merge(&r, |r| r.f.write("hw/c.c", lines("c-evil", 10)));
    assert_eq!(r.verify(&["HEAD"]), (1, vec![missing()]));
}

/// Merges that only git can judge (a rename on one side and an edit on the other, conflicts
/// resolved with and without an attestation), several in one range: each is judged in the range
/// as it is alone (a range hands them to one `git merge-tree --stdin`).
#[test]
fn merges_left_to_git_are_judged_alike_in_a_range_and_alone() {
    let r = repo();
    let merge_topic = |r: &Repo, topic: &str| {
        let out = common::git_cmd(&r.f.repo)
            .args([
                "merge",
                "-q",
                "-m",
                &format!("Merge {topic}\n\n{SOB}"),
                topic,
            ])
            .output()
            .expect("git merge");
        if !out.status.success() {
            // A conflict: resolved as main has it.
            r.f.git(&["checkout", "--ours", "--", "."]);
            r.f.git(&["add", "-A"]);
            r.f.git(&["commit", "-q", "--no-edit"]);
        }
        r.f.git(&["rev-parse", "HEAD"]).trim().to_string()
    };
    // A rename on main, an edit of the renamed file on a topic: git follows the rename.
    r.f.git(&["checkout", "-q", "-b", "edit-b"]);
    r.change("hw/b.c", &(lines("b", 10) + "int b_more;\n"), "Edit b");
    r.f.git(&["checkout", "-q", "main"]);
    r.f.git(&["mv", "hw/b.c", "hw/bee.c"]);
    r.f.commit_all(&format!("Rename b\n\n{SOB}"));
    r.attest("HEAD");
    let renamed = merge_topic(&r, "edit-b");
    // Two conflicts, one resolution attested.
    let mut resolutions = Vec::new();
    for (n, topic) in ["one", "two"].iter().enumerate() {
        r.f.git(&["checkout", "-q", "-b", topic, &r.base]);
        r.change("hw/c.c", &lines(&format!("c-{topic}"), 10), topic);
        r.f.git(&["checkout", "-q", "main"]);
        r.change("hw/c.c", &lines(&format!("c-main{n}"), 10), "Main");
        resolutions.push(merge_topic(&r, topic));
    }
    r.attest(&resolutions[1]);
    let alone: Vec<_> = [&renamed, &resolutions[0], &resolutions[1]]
        .iter()
        .map(|m| r.verify(&[m]).1.remove(0))
        .collect();
    assert_eq!(alone, vec![skipped(), missing(), pass()]);
    let (code, verdicts) = r.verify(&[&r.range()]);
    assert_eq!(code, 1, "{verdicts:?}");
    let ids: Vec<String> =
        r.f.git(&["rev-list", "--reverse", &r.range()])
            .lines()
            .map(str::to_string)
            .collect();
    assert_eq!(ids.len(), verdicts.len());
    for (m, want) in [&renamed, &resolutions[0], &resolutions[1]]
        .iter()
        .zip(&alone)
    {
        let at = ids
            .iter()
            .position(|id| id == *m)
            .expect("merge in the range");
        assert_eq!(&verdicts[at], want, "merge {m} in the range");
    }
}

/// An unrelated history (a subproject, as gitk and git-gui came into git) merged into main with
/// `--allow-unrelated-histories`, after `edit` on the merged work tree; back on main.
fn merge_unrelated(r: &Repo, edit: impl FnOnce(&Repo)) {
    r.f.git(&["checkout", "-q", "--orphan", "subproject"]);
    r.f.git(&["rm", "-rq", "--cached", "."]);
    r.f.git(&["clean", "-fdq"]);
    r.change("tool/tool.c", &lines("tool", 8), "Subproject");
    r.f.git(&["checkout", "-q", "main"]);
    let merged = common::git_cmd(&r.f.repo)
        .args(["merge", "-q", "--no-commit", "--allow-unrelated-histories"])
        .arg("subproject")
        .output()
        .expect("git merge");
    assert!(merged.status.success(), "{merged:?}");
    edit(r);
    r.f.git(&["add", "-A"]);
    r.f.git(&["commit", "-q", "-m", &format!("Merge subproject\n\n{SOB}")]);
}

#[test]
fn a_merge_of_an_unrelated_history_is_judged_against_the_empty_base() {
    // Clean: the merge holds both trees, nothing else; in a range and alone.
    let r = repo();
    merge_unrelated(&r, |_| {});
    assert_eq!(r.verify(&["HEAD"]), (0, vec![skipped()]));
    let (code, verdicts) = r.verify(&[&r.range()]);
    assert_eq!(code, 0, "{verdicts:?}");
    assert_eq!(verdicts.len(), 2, "{verdicts:?}");
    // Evil: a file added while concluding it, and a subproject file edited.
    for edit in [
        Box::new(|r: &Repo| r.f.write("hw/backdoor.c", lines("evil", 3))) as Edit,
        Box::new(|r: &Repo| r.f.write("tool/tool.c", lines("tool-evil", 8))),
    ] {
        let r = repo();
        merge_unrelated(&r, edit);
        // Merge bases read with libgit2, then from a commit-graph.
        for graph in [false, true] {
            if graph {
                r.f.git(&["commit-graph", "write", "--reachable"]);
            }
            assert_eq!(r.verify(&["HEAD"]), (1, vec![missing()]), "graph {graph}");
            let (code, verdicts) = r.verify(&[&r.range()]);
            assert_eq!(code, 1, "{verdicts:?}");
            assert!(verdicts.contains(&missing()), "{verdicts:?}");
        }
    }
}
