//! Notes storage: aiprov reads and extends notes trees with fan-out as git writes them, and
//! concurrent writers never lose each other's lines (compare-and-swap on the notes ref).

use crate::common;

use common::{fast_history as history, git, git_stdin, lines, Fixture};

/// 300 commits, each with a note written by git fast-import (which fans the notes tree out).
fn many_notes() -> Fixture {
    let f = Fixture::new();
    let ids = history(&f, 300);
    let mut stream = String::from(
        "commit refs/notes/aiprov\ncommitter Alice Author <alice@example.org> 1767268800 +0000\ndata 5\nnotes\n",
    );
    for (i, id) in ids.iter().enumerate() {
        let note = format!("note {}\n", i + 1);
        stream.push_str(&format!("N inline {id}\ndata {}\n{note}", note.len()));
    }
    stream.push('\n');
    let out = git_stdin(&f.repo, &["fast-import", "--quiet"], stream.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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

/// The paths of a notes tree, its directories included.
fn layout(f: &Fixture, notes_ref: &str) -> Vec<String> {
    f.git(&["ls-tree", "-r", "-t", "--name-only", notes_ref])
        .lines()
        .map(str::to_string)
        .collect()
}

/// aiprov's notes and git's side by side, in one repository: aiprov attests into
/// `refs/notes/aiprov`, `git notes` writes `refs/notes/git`.
struct SideBySide {
    f: Fixture,
    key: std::path::PathBuf,
    first: Option<String>,
}

impl SideBySide {
    /// `f`, and a key to attest with.
    fn new(f: Fixture) -> SideBySide {
        let key = f.tmp.path().join("alice");
        f.aiprov()
            .args(["keygen", "-f"])
            .arg(&key)
            .assert()
            .success();
        SideBySide {
            f,
            key,
            first: None,
        }
    }

    /// One commit noted by each: `aiprov attest C` and `git notes add C`.
    fn add_one(&mut self, commit: &str) {
        self.f
            .aiprov()
            .args(["attest", "-q", "-y", "--key"])
            .arg(&self.key)
            .arg(commit)
            .assert()
            .success();
        self.f.git(&[
            "notes",
            "--ref=git",
            "add",
            "-m",
            &format!("note of {commit}"),
            commit,
        ]);
        self.first.get_or_insert_with(|| commit.to_string());
    }

    /// Commits noted in one notes commit by each: `aiprov attest C1 C2...`, and `git notes copy
    /// --stdin` (the first note copied to each).
    fn add_many(&self, commits: &[String]) {
        self.f
            .aiprov()
            .args(["attest", "-q", "-y", "--key"])
            .arg(&self.key)
            .args(commits)
            .assert()
            .success();
        let first = self.first.as_deref().expect("a first note to copy");
        let pairs: String = commits.iter().map(|c| format!("{first} {c}\n")).collect();
        let out = git_stdin(
            &self.f.repo,
            &["notes", "--ref=git", "copy", "--stdin"],
            pairs.as_bytes(),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn assert_same_layout(&self, step: &str) -> Vec<String> {
        let ours = layout(&self.f, "refs/notes/aiprov");
        let git = layout(&self.f, "refs/notes/git");
        assert_eq!(
            ours, git,
            "after {step}: aiprov's notes tree differs from git's"
        );
        ours
    }
}

#[test]
fn notes_are_fanned_out_exactly_as_git_notes_does() {
    let f = Fixture::new();
    let ids = history(&f, 20_000);
    // git adds a level of directories below a trie level whose 16 branches all hold more than
    // one note: 2 notes for each first hex digit fan the root out, and a directory `xy/` with 2
    // notes for each third digit fans out again. Ids are fixed, so the choice is too.
    let mut buckets: std::collections::BTreeMap<&str, Vec<&String>> = Default::default();
    for id in &ids {
        buckets.entry(&id[..2]).or_default().push(id);
    }
    let full = |b: &[&String]| {
        (0..16).all(|d| {
            let d = format!("{d:x}");
            b.iter().filter(|id| id[2..3] == d).count() >= 2
        })
    };
    let (prefix, bucket) = buckets
        .iter()
        .find(|(_, b)| b.len() > 9 && full(&b[..b.len() - 3]))
        .expect("a directory that fans out");
    let spread: Vec<String> = (0..16)
        .flat_map(|d| {
            let d = format!("{d:x}");
            ids.iter()
                .filter(move |id| id[..1] == d && !id.starts_with(prefix))
                .take(3)
                .cloned()
        })
        .collect();
    let bucket: Vec<String> = bucket.iter().map(|s| s.to_string()).collect();

    let mut both = SideBySide::new(f);
    both.add_one(&spread[0]);
    both.assert_same_layout("one note");
    both.add_many(&spread[1..20]);
    let flat = both.assert_same_layout("20 notes");
    assert!(flat.iter().all(|p| !p.contains('/')), "{flat:?}");
    both.add_many(&spread[20..]);
    let fanned = both.assert_same_layout("48 notes");
    assert!(
        fanned.iter().any(|p| p.len() == 2),
        "the root fanned out: {fanned:?}"
    );
    for (i, id) in bucket[..6].iter().enumerate() {
        both.add_one(id);
        both.assert_same_layout(&format!("a single note {i} in {prefix}/"));
    }
    // The directory's last three are left for single notes into it once it is fanned out.
    let (bulk, last) = bucket[6..].split_at(bucket.len() - 9);
    both.add_many(bulk);
    let deep = both.assert_same_layout(&format!("all of {prefix}/"));
    assert!(
        deep.iter().any(|p| p.matches('/').count() == 2),
        "{prefix}/ fanned out again: {deep:?}"
    );
    // Single notes into the directory fanned out twice and into others, then many at once.
    let noted: std::collections::HashSet<&String> = spread.iter().chain(&bucket).collect();
    let fresh: Vec<String> = ids
        .iter()
        .filter(|id| !noted.contains(id))
        .take(303)
        .cloned()
        .collect();
    for id in fresh[..3].iter().chain(last) {
        both.add_one(id);
        both.assert_same_layout(&format!("a single note {id}"));
    }
    both.add_many(&fresh[3..fresh.len() - 1]);
    both.assert_same_layout("300 more notes at once");
    // One more note rewrites only the trees on its path: the root (at most 256 directories) and
    // one or two directories, a few KiB whatever the number of notes (a flat root of these 670
    // notes would be 45 KiB).
    both.add_one(&fresh[fresh.len() - 1]);
    both.assert_same_layout("a last single note");
    let f = &both.f;
    let changed = f.git(&[
        "diff-tree",
        "-r",
        "-t",
        "refs/notes/aiprov^",
        "refs/notes/aiprov",
    ]);
    let mut trees = vec![f
        .git(&["rev-parse", "refs/notes/aiprov^{tree}"])
        .trim()
        .to_string()];
    trees.extend(
        changed
            .lines()
            .filter(|l| l.starts_with(":040000 040000 "))
            .map(|l| l.split(' ').nth(3).expect("the new tree").to_string()),
    );
    assert!((2..=3).contains(&trees.len()), "{changed}");
    let bytes: usize = trees
        .iter()
        .map(|t| {
            f.git(&["cat-file", "-s", t])
                .trim()
                .parse::<usize>()
                .expect("a size")
        })
        .sum();
    assert!(
        bytes < 10_000,
        "one note rewrote {bytes} bytes of trees: {changed}"
    );
    // git reads every note aiprov wrote.
    let listed = both.f.git(&["notes", "--ref=aiprov", "list"]);
    assert_eq!(
        listed.lines().count(),
        layout_notes(&both.f, "refs/notes/git")
    );
    for line in listed.lines().step_by(37) {
        let commit = line.split(' ').nth(1).expect("annotated commit");
        let note = both.f.git(&["notes", "--ref=aiprov", "show", commit]);
        assert!(note.starts_with("{\"payloadType\""), "{note}");
    }
}

/// The number of notes git lists under `notes_ref`.
fn layout_notes(f: &Fixture, notes_ref: &str) -> usize {
    f.git(&["notes", &format!("--ref={notes_ref}"), "list"])
        .lines()
        .count()
}

/// A tree made by `git mktree` from `(mode, type, id, name)` entries.
fn mktree(f: &Fixture, entries: &[(&str, &str, String, String)]) -> String {
    let text: String = entries
        .iter()
        .map(|(mode, kind, id, name)| format!("{mode} {kind} {id}\t{name}\n"))
        .collect();
    let out = git_stdin(&f.repo, &["mktree"], text.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Points the notes ref at a new notes commit of `tree`.
fn set_notes_tree(f: &Fixture, tree: &str) {
    let commit = f.git(&["commit-tree", "-m", "notes", tree]);
    f.git(&["update-ref", "refs/notes/aiprov", commit.trim()]);
}

/// A note's blob as a notes tree entry at `dirs` levels of fan-out: `ab/cd/ef...` for 2,
/// directories made with `git mktree`.
fn fanned(
    f: &Fixture,
    commit: &str,
    blob: &str,
    dirs: usize,
) -> (&'static str, &'static str, String, String) {
    let mut entry = (
        "100644",
        "blob",
        blob.to_string(),
        commit[2 * dirs..].to_string(),
    );
    for level in (0..dirs).rev() {
        let tree = mktree(f, &[entry]);
        entry = (
            "040000",
            "tree",
            tree,
            commit[2 * level..2 * level + 2].to_string(),
        );
    }
    entry
}

#[test]
fn notes_are_read_from_every_layout_git_reads() {
    let f = Fixture::new();
    let key = f.keygen("alice");
    f.init_trusting("alice@example.org", &key);
    let base = f.commit_all("Trust alice\n\nSigned-off-by: Alice Author <alice@example.org>");
    let mut commits = Vec::new();
    for i in 0..3 {
        f.write("a.c", lines("a", i + 1));
        commits.push(f.commit_all(&format!(
            "Change {i}\n\nSigned-off-by: Alice Author <alice@example.org>"
        )));
    }
    // Distinct first digits, so that no two notes share a directory.
    assert!(commits[0][..2] != commits[1][..2] && commits[1][..2] != commits[2][..2]);
    let range = format!("{base}..HEAD");
    f.aiprov()
        .args(["attest", "-q", "-y", "--key"])
        .arg(&key)
        .arg(&range)
        .assert()
        .success();
    let blobs: Vec<String> = commits
        .iter()
        .map(|c| {
            f.git(&["rev-parse", &format!("refs/notes/aiprov:{c}")])
                .trim()
                .to_string()
        })
        .collect();
    let layouts: [(&str, [usize; 3]); 4] = [
        ("flat", [0, 0, 0]),
        ("fanned out once", [1, 1, 1]),
        ("fanned out twice", [2, 2, 2]),
        ("mixed", [0, 1, 2]),
    ];
    for (name, dirs) in layouts {
        let entries: Vec<_> = (0..3)
            .map(|i| fanned(&f, &commits[i], &blobs[i], dirs[i]))
            .collect();
        set_notes_tree(&f, &mktree(&f, &entries));
        for c in &commits {
            f.git(&["notes", "--ref=aiprov", "show", c]);
        }
        let out = f
            .aiprov()
            .args(["verify", "-q", &range])
            .output()
            .expect("run aiprov");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // The same commit noted twice, at the root and in a directory: git shows the two joined
    // (a blank line between), aiprov reads both in git's order, and writing the note leaves it
    // at one place.
    let other = git_stdin(
        &f.repo,
        &["hash-object", "-w", "--stdin"],
        b"a line of another tool\n",
    );
    let other = String::from_utf8_lossy(&other.stdout).trim().to_string();
    let twice = mktree(
        &f,
        &[
            fanned(&f, &commits[0], &blobs[0], 0),
            fanned(&f, &commits[0], &other, 1),
            fanned(&f, &commits[1], &blobs[1], 0),
        ],
    );
    set_notes_tree(&f, &twice);
    let shown = f.git(&["notes", "--ref=aiprov", "show", &commits[0]]);
    let alice = f.git(&["cat-file", "blob", &blobs[0]]);
    // (the directory's first: git loads it when the root's note of the same commit comes)
    assert_eq!(shown, format!("a line of another tool\n\n{alice}"));
    let bob = f.keygen("bob");
    f.aiprov()
        .args(["attest", "-q", "-y", "--key"])
        .arg(&bob)
        .arg(&commits[0])
        .env("GIT_COMMITTER_EMAIL", "bob@example.org")
        .assert()
        .success();
    let note = f.git(&["notes", "--ref=aiprov", "show", &commits[0]]);
    let lines: Vec<&str> = note.lines().collect();
    assert_eq!(lines.len(), 3, "{note}");
    assert_eq!(lines[..2], ["a line of another tool", alice.trim()]);
    assert!(lines[2].starts_with("{\"payloadType\""), "{note}");
    let paths = f.git(&["ls-tree", "-r", "--name-only", "refs/notes/aiprov"]);
    assert_eq!(paths.lines().count(), 2, "{paths}");
}

#[test]
fn one_note_reads_and_writes_only_the_directories_on_its_path() {
    let f = Fixture::new();
    let ids = history(&f, 400);
    let key = f.tmp.path().join("alice");
    f.aiprov()
        .args(["keygen", "-f"])
        .arg(&key)
        .assert()
        .success();
    f.aiprov()
        .args(["attest", "-q", "-y", "--key"])
        .arg(&key)
        .args(&ids[..300])
        .assert()
        .success();
    // A directory of the notes tree that the next note does not go through, gone from the
    // object store (aiprov wrote it as a loose object): the note is still written.
    let target = &ids[350];
    let root = f.git(&["ls-tree", "refs/notes/aiprov"]);
    let (name, tree) = root
        .lines()
        .map(|l| {
            let (meta, name) = l.split_once('\t').expect("an entry");
            (
                name.to_string(),
                meta.split(' ').nth(2).expect("an id").to_string(),
            )
        })
        .find(|(name, _)| name.len() == 2 && !target.starts_with(name.as_str()))
        .expect("another directory");
    let object = f
        .repo
        .join(".git/objects")
        .join(&tree[..2])
        .join(&tree[2..]);
    let saved = std::fs::read(&object).expect("a loose tree object");
    std::fs::remove_file(&object).expect("remove the tree object");
    let out = f
        .aiprov()
        .args(["attest", "-q", "-y", "--key"])
        .arg(&key)
        .arg(target)
        .output()
        .expect("run aiprov");
    std::fs::write(&object, saved).expect("restore the tree object");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kept = f.git(&["rev-parse", &format!("refs/notes/aiprov:{name}")]);
    assert_eq!(kept.trim(), tree, "the directory {name}/ is kept as it was");
    assert!(f
        .git(&["notes", "--ref=aiprov", "show", target])
        .starts_with("{\"payloadType\""));
    f.git(&["fsck", "--no-progress"]);
}

#[test]
fn notes_removed_fold_the_tree_back_as_git_notes_remove_does() {
    let f = Fixture::new();
    let ids = history(&f, 420);
    let mut both = SideBySide::new(f);
    both.add_one(&ids[0]);
    both.add_many(&ids[1..400]);
    both.assert_same_layout("400 notes");
    let repo = aiprov::git::Repo::discover(&both.f.repo).expect("the repository");
    // An empty note removes it (`notes::update_notes`), as `git notes remove` does: each batch in
    // one notes commit on both sides.
    for (from, to) in [(0, 100), (100, 150), (150, 350), (350, 396)] {
        let batch = &ids[from..to];
        let commits: Vec<aiprov::git::CommitId> =
            batch.iter().map(|c| c.parse().expect("an id")).collect();
        aiprov::git::notes::update_notes(&repo, "refs/notes/aiprov", &commits, "remove", |_, _| {
            Vec::new()
        })
        .expect("notes removed");
        let mut args = vec!["notes", "--ref=git", "remove"];
        args.extend(batch.iter().map(String::as_str));
        both.f.git(&args);
        let left = both.assert_same_layout(&format!("{} notes removed", to));
        assert_eq!(left.iter().filter(|p| p.len() >= 38).count(), 400 - to);
    }
    let flat = layout(&both.f, "refs/notes/aiprov");
    assert!(
        flat.iter().all(|p| !p.contains('/')),
        "4 notes are flat again: {flat:?}"
    );
}
