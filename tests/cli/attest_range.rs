//! `aiprov attest RANGE` and `aiprov approve RANGE`: every commit of a series signed and stored in
//! one notes commit, with every check of a single attest, all or nothing.

use crate::common;

use common::{lines, snapshot, Fixture};

const SOB: &str = "Signed-off-by: Alice Author <alice@example.org>";

/// A trusted base, then a topic of three commits merged back with a merge commit; returns the
/// key, the base and the topic's commits.
fn series() -> (Fixture, std::path::PathBuf, String, Vec<String>) {
    let f = Fixture::new();
    let key = f.keygen("alice");
    f.init_trusting("alice@example.org", &key);
    f.write("hw/dev.c", lines("dev", 10));
    let base = f.commit_all(&format!("Base\n\n{SOB}"));
    f.git(&["checkout", "-q", "-b", "topic"]);
    let mut topic = Vec::new();
    for (i, file) in ["hw/dev.c", "tests/test-dev.c", "docs/dev.rst"]
        .iter()
        .enumerate()
    {
        f.write(file, lines(&format!("change {i}"), 3));
        topic.push(f.commit_all(&format!("Change {i}\n\n{SOB}")));
    }
    f.git(&["checkout", "-q", "main"]);
    f.write("README", "readme\n");
    f.commit_all(&format!("Readme\n\n{SOB}"));
    f.git(&["merge", "-q", "--no-ff", "-m", "Merge topic", "topic"]);
    (f, key, base, topic)
}

fn notes_commits(f: &Fixture) -> usize {
    f.git(&["rev-list", "--count", "refs/notes/aiprov"])
        .trim()
        .parse()
        .expect("a count")
}

/// The output with each of `commits` named by its position (`[1]`, `[2]`...).
fn render(f: &Fixture, out: &std::process::Output, commits: &[String]) -> String {
    let shorts: Vec<(String, String)> = commits
        .iter()
        .enumerate()
        .map(|(i, c)| (c[..12].to_string(), (i + 1).to_string()))
        .collect();
    let names: Vec<(&str, &str)> = shorts.iter().map(|(s, n)| (&s[..], &n[..])).collect();
    snapshot::render_naming(out, &[f.tmp.path()], &names)
}

#[test]
fn a_range_is_attested_in_one_notes_commit_and_verifies() {
    let (f, key, base, topic) = series();
    let readme = f.git(&["rev-parse", "HEAD^1"]).trim().to_string();
    let out = f
        .aiprov()
        .args(["attest", "-y", "--key"])
        .arg(&key)
        .arg(format!("{base}..HEAD"))
        .output()
        .expect("run aiprov");
    let mut order: Vec<String> = f
        .git(&[
            "rev-list",
            "--no-merges",
            "--reverse",
            &format!("{base}..HEAD"),
        ])
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(order.len(), 4);
    assert!(order.contains(&readme) && topic.iter().all(|c| order.contains(c)));
    order.push(f.git(&["rev-parse", "HEAD"]).trim().to_string());
    insta::assert_snapshot!(render(&f, &out, &order), @"
    exit: 0
    --- stdout
    --- stderr
    attested [4] Readme (no AI use; 1 file) as alice@example.org
    attested [1] Change 0 (no AI use; 1 file) as alice@example.org
    attested [2] Change 1 (no AI use; 1 file) as alice@example.org
    attested [3] Change 2 (no AI use; 1 file) as alice@example.org
    attested 4 commits, in one notes commit
    left out 1 merge: a merge with changes of its own is attested by naming it
    ");
    assert_eq!(notes_commits(&f), 1);
    for commit in &order[..4] {
        let note = f.git(&["notes", "--ref=aiprov", "show", commit]);
        assert_eq!(note.lines().count(), 1, "{commit}: {note}");
    }
    assert!(
        f.git_cmd_fails(&["notes", "--ref=aiprov", "show", "HEAD"]),
        "the merge is left out"
    );
    f.aiprov()
        .args(["verify", "-q", &format!("{base}..HEAD")])
        .assert()
        .code(0);
    // Attesting the same again changes nothing: no second notes commit.
    f.aiprov()
        .args(["attest", "-q", "-y", "--key"])
        .arg(&key)
        .arg(format!("{base}..HEAD"))
        .assert()
        .success();
    assert_eq!(notes_commits(&f), 1);
}

#[test]
fn several_commits_and_stdout() {
    let (f, key, _, topic) = series();
    let out = f
        .aiprov()
        .args(["attest", "-q", "-y", "--stdout", "--key"])
        .arg(&key)
        .args([&topic[2], &topic[0], &topic[2]])
        .output()
        .expect("run aiprov");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // One envelope per commit, in the order given, each commit once; nothing stored.
    let titles: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let env = aiprov::dsse::Envelope::parse(l.as_bytes()).expect("an envelope");
            let st: serde_json::Value = serde_json::from_slice(&env.payload).expect("JSON");
            st["predicate"]["change"]["title"]
                .as_str()
                .expect("a title")
                .to_string()
        })
        .collect();
    assert_eq!(titles, ["Change 2", "Change 0"]);
    assert!(f.git_cmd_fails(&["rev-parse", "-q", "--verify", "refs/notes/aiprov"]));
}

#[test]
fn one_commit_that_cannot_be_attested_stops_the_range_before_anything_is_stored() {
    let (f, key, base, _) = series();
    f.write("hw/dev.c", lines("ai", 4));
    let ai = f.commit_all(&format!("Use AI\n\nAI-used-for: code\n{SOB}"));
    f.write("hw/dev.c", lines("later", 4));
    f.commit_all(&format!("Later\n\n{SOB}"));
    let out = f
        .aiprov()
        .args(["attest", "-y", "--human", "**", "--key"])
        .arg(&key)
        .arg(format!("{base}..HEAD"))
        .output()
        .expect("run aiprov");
    insta::assert_snapshot!(render(&f, &out, &[ai]), @"
    exit: 2
    --- stdout
    --- stderr
    error: cannot attest [1] Use AI
    caused by: the commit's trailers declare AI use for code but the attestation would declare no AI use
    hint: the trailer reads `AI-used-for: CATEGORY[, CATEGORY...] [(explanation)]` with the categories code, tests, docs and research, e.g. `AI-used-for: code (refactoring)`; correct it with `git commit --amend`, or attest this commit on its own with --ai GLOB=CATEGORY for what AI did
    ");
    assert!(f.git_cmd_fails(&["rev-parse", "-q", "--verify", "refs/notes/aiprov"]));
}

#[test]
fn fix_trailer_is_refused_for_several_commits() {
    let (f, key, _, topic) = series();
    let head = f.git(&["rev-parse", "HEAD"]);
    let out = f
        .aiprov()
        .args(["attest", "-y", "--fix-trailer", "--ai", "**=code", "--key"])
        .arg(&key)
        .args(&topic[1..])
        .output()
        .expect("run aiprov");
    insta::assert_snapshot!(render(&f, &out, &[]), @"
    exit: 2
    --- stdout
    --- stderr
    error: --fix-trailer amends HEAD, so it attests one commit, and 2 were given
    hint: fix the trailers of a series commit by commit: git rebase --exec 'aiprov attest --fix-trailer -y' BASE
    ");
    assert_eq!(f.git(&["rev-parse", "HEAD"]), head);
    assert!(f.git_cmd_fails(&["rev-parse", "-q", "--verify", "refs/notes/aiprov"]));
}

#[test]
fn an_empty_range_is_an_error() {
    let (f, key, _, _) = series();
    let out = f
        .aiprov()
        .args(["attest", "-y", "--key"])
        .arg(&key)
        .arg("HEAD..HEAD")
        .output()
        .expect("run aiprov");
    insta::assert_snapshot!(render(&f, &out, &[]), @"
    exit: 2
    --- stdout
    --- stderr
    error: no commit in HEAD..HEAD
    hint: a range A..B names the commits reachable from B and not from A
    ");
}

#[test]
fn a_bad_revision_among_several_is_an_error_and_nothing_is_stored() {
    let (f, key, _, topic) = series();
    let out = f
        .aiprov()
        .args(["attest", "-y", "--key"])
        .arg(&key)
        .args([topic[0].as_str(), "nope..HEAD"])
        .output()
        .expect("run aiprov");
    insta::assert_snapshot!(render(&f, &out, &[]), @"
    exit: 2
    --- stdout
    --- stderr
    error: unknown revision 'nope'
    caused by: revspec 'nope' not found
    ");
    assert!(f.git_cmd_fails(&["rev-parse", "-q", "--verify", "refs/notes/aiprov"]));
}

#[test]
fn a_range_is_approved_in_one_notes_commit() {
    let (f, key, base, topic) = series();
    f.aiprov()
        .args(["attest", "-q", "-y", "--key"])
        .arg(&key)
        .arg(format!("{base}..topic"))
        .assert()
        .success();
    let bob = f.keygen("bob");
    let out = f
        .aiprov()
        .args(["approve", "--key"])
        .arg(&bob)
        .arg(format!("{base}..topic"))
        .env("GIT_COMMITTER_EMAIL", "bob@example.org")
        .output()
        .expect("run aiprov");
    insta::assert_snapshot!(render(&f, &out, &topic), @"
    exit: 0
    --- stdout
    --- stderr
    warning: the keyring at [id] does not list the key SHA256:[fingerprint]; signing as bob@example.org, which will not verify until the key is trusted for it (hint: aiprov keyring add bob@example.org KEY.pub, and commit .aiprov/keyring.toml, so that what it signs verifies)
    warning: there is no MAINTAINERS file at the trusted revisions of 3 changes: their approvals by bob@example.org will not count (an approval counts from a maintainer of the file)
    approved [1] Change 0 as bob@example.org
    approved [2] Change 1 as bob@example.org
    approved [3] Change 2 as bob@example.org
    ");
    assert_eq!(notes_commits(&f), 2);
    for commit in &topic {
        let note = f.git(&["notes", "--ref=aiprov", "show", commit]);
        assert_eq!(
            note.lines().count(),
            2,
            "the attestation and the approval: {note}"
        );
        let kinds: Vec<String> = note
            .lines()
            .map(|l| {
                let env = aiprov::dsse::Envelope::parse(l.as_bytes()).expect("an envelope");
                let st: serde_json::Value = serde_json::from_slice(&env.payload).expect("JSON");
                st["predicateType"].as_str().expect("a type").to_string()
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "https://aiprov.dev/ai-usage/v1",
                "https://aiprov.dev/approval/v1"
            ]
        );
    }
}
