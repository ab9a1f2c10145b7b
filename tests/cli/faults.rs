//! Faults: writers racing on the notes ref, processes killed while writing notes and keys,
//! shallow clones, missing objects and a repository that cannot be written. Each ends in a clear
//! `error:` (exit 2) or a documented finding, never a panic or a corrupted note or key.

use crate::common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{lines, snapshot, Fixture};

const SOB: &str = "Signed-off-by: Alice Author <alice@example.org>";

/// The aiprov binary as a plain process, hermetic, in the fixture's repository.
fn spawn(f: &Fixture, args: &[&str], env: &[(&str, &str)]) -> Child {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("aiprov"));
    common::hermetic(&mut c, &f.repo);
    c.current_dir(&f.repo)
        .args(args)
        .env("AIPROV_NOW", "2026-01-02T00:00:00Z")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    c.spawn().expect("spawn aiprov")
}

/// A deterministic sequence of delays (a linear congruential generator), in microseconds.
struct Delays(u64);

impl Delays {
    fn next(&mut self, max_us: u64) -> Duration {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        Duration::from_micros((self.0 >> 33) % max_us)
    }
}

/// One and a half times how long a whole run of `args` takes here, in microseconds: kills then
/// land anywhere from the start to past the end of a run, however busy the machine is.
fn whole_run_us(f: &Fixture, args: &[&str]) -> u64 {
    let started = std::time::Instant::now();
    let mut child = spawn(f, args, &[]);
    assert!(child.wait().expect("a whole run").success());
    started.elapsed().as_micros() as u64 * 3 / 2
}

/// Every line of every note of the notes ref parses as an envelope; returns the number of notes.
fn notes_intact(f: &Fixture) -> usize {
    let list = f.git(&["notes", "--ref=aiprov", "list"]);
    for l in list.lines() {
        let object = l.split_whitespace().nth(1).expect("annotated object");
        let note = common::git_bytes(&f.repo, &["notes", "--ref=aiprov", "show", object]);
        for line in note.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            aiprov::dsse::Envelope::parse(line).unwrap_or_else(|e| {
                panic!(
                    "a corrupt note line for {object}: {e}: {}",
                    String::from_utf8_lossy(line)
                )
            });
        }
    }
    list.lines().count()
}

fn repo_with_commits(n: usize) -> (Fixture, std::path::PathBuf, Vec<String>) {
    let f = Fixture::new();
    let key = f.keygen("alice");
    f.init_trusting("alice@example.org", &key);
    let mut ids = Vec::new();
    for i in 0..n {
        f.write("a.c", lines("a", i + 1));
        ids.push(f.commit_all(&format!("Change {i}\n\n{SOB}")));
    }
    (f, key, ids)
}

#[test]
fn attest_and_approve_racing_lose_no_line() {
    let (f, key, _) = repo_with_commits(1);
    let maintainers: Vec<String> = (0..4).map(|i| format!("m{i}@example.org")).collect();
    let keys: Vec<_> = maintainers.iter().map(|m| f.keygen(m)).collect();
    let attesters: Vec<String> = (0..4).map(|i| format!("a{i}@example.org")).collect();
    let akeys: Vec<_> = attesters.iter().map(|m| f.keygen(m)).collect();
    let key_s = key.to_str().expect("path");
    let mut children = vec![spawn(&f, &["attest", "-q", "--yes", "--key", key_s], &[])];
    for (m, k) in maintainers.iter().zip(&keys) {
        let k = k.to_str().expect("path");
        children.push(spawn(
            &f,
            &["approve", "-q", "--key", k],
            &[("GIT_COMMITTER_EMAIL", m)],
        ));
    }
    for (a, k) in attesters.iter().zip(&akeys) {
        let k = k.to_str().expect("path");
        children.push(spawn(
            &f,
            &["attest", "-q", "--yes", "--key", k],
            &[("GIT_COMMITTER_EMAIL", a)],
        ));
    }
    for c in children {
        let out = c.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let note = f.git(&["notes", "--ref=aiprov", "show", "HEAD"]);
    assert_eq!(
        note.lines().count(),
        1 + maintainers.len() + attesters.len(),
        "{note}"
    );
    for who in maintainers
        .iter()
        .chain(&attesters)
        .chain([&"alice@example.org".to_string()])
    {
        assert!(
            note.lines().any(|l| {
                let env = aiprov::dsse::Envelope::parse(l.as_bytes()).expect("envelope");
                String::from_utf8_lossy(&env.payload).contains(&format!("\"email\":\"{who}\""))
            }),
            "the line of {who} is missing"
        );
    }
}

#[test]
fn attest_killed_at_any_point_leaves_the_notes_intact() {
    let (f, key, ids) = repo_with_commits(12);
    let key_s = key.to_str().expect("path");
    let lock = f.repo.join(".git/refs/notes/aiprov.lock");
    let mut delays = Delays(7);
    let max_us = whole_run_us(
        &f,
        &["attest", "-q", "--yes", "--stdout", "--key", key_s, &ids[0]],
    )
    .max(40_000);
    let (mut killed, mut finished, mut stale_locks) = (0, 0, 0);
    for round in 0..36 {
        let id = &ids[round % ids.len()];
        let mut child = spawn(&f, &["attest", "-q", "--yes", "--key", key_s, id], &[]);
        std::thread::sleep(delays.next(max_us));
        match child.try_wait().expect("try_wait") {
            Some(status) => {
                assert!(status.success());
                finished += 1;
            }
            None => {
                child.kill().expect("SIGKILL");
                child.wait().expect("reap");
                killed += 1;
            }
        }
        if lock.exists() {
            // Killed while holding the ref's lock: once the lock is old, the next writer says
            // so, and nothing else.
            stale_locks += 1;
            backdate(&lock);
            let out = f
                .aiprov()
                .args(["attest", "-q", "--yes", "--key", key_s, id])
                .output()
                .expect("run aiprov");
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{err}");
            assert!(
                err.contains("is locked") && err.contains("aiprov.lock"),
                "{err}"
            );
            std::fs::remove_file(&lock).expect("remove the stale lock");
        }
        if f.git_cmd_fails(&["rev-parse", "-q", "--verify", "refs/notes/aiprov"]) {
            continue;
        }
        notes_intact(&f);
    }
    eprintln!("attest: {killed} killed, {finished} finished, {stale_locks} stale locks");
    assert!(killed > 0 && finished > 0, "the delays hit neither case");
    // Every commit attested once more, then all verify.
    for id in &ids {
        f.aiprov()
            .args(["attest", "-q", "--yes", "--key", key_s, id])
            .assert()
            .success();
    }
    assert_eq!(notes_intact(&f), ids.len());
    f.git(&["fsck", "--no-progress"]);
    let range = format!(
        "{}..HEAD",
        f.git(&["rev-list", "--max-parents=0", "HEAD"]).trim()
    );
    f.aiprov().args(["verify", "-q", &range]).assert().code(0);
}

#[test]
fn keygen_killed_at_any_point_leaves_no_partial_key() {
    let f = Fixture::new();
    let dir = f.tmp.path().join("keys");
    let mut delays = Delays(11);
    let whole = dir.join("whole");
    let max_us = whole_run_us(&f, &["keygen", "-f", whole.to_str().expect("path")]).max(15_000);
    let (mut complete, mut none, mut private_only) = (0, 0, 0);
    for round in 0..30 {
        let path = dir.join(format!("k{round}"));
        let p = path.to_str().expect("path").to_string();
        let mut child = spawn(&f, &["keygen", "-f", &p], &[]);
        std::thread::sleep(delays.next(max_us));
        let _ = child.kill();
        child.wait().expect("reap");
        let public = path.with_extension("pub");
        match (path.exists(), public.exists()) {
            (true, true) => {
                let signer = aiprov::signing::FileSigner::load(&path, None).expect("whole key");
                let text = std::fs::read_to_string(&public).expect("public key");
                let key =
                    aiprov::signing::PublicKey::from_openssh(text.trim()).expect("whole .pub");
                use aiprov::signing::Signer as _;
                assert_eq!(signer.public_key(), &key);
                complete += 1;
            }
            (true, false) => {
                aiprov::signing::FileSigner::load(&path, None).expect("whole key");
                private_only += 1;
            }
            (false, false) => none += 1,
            (false, true) => panic!("a public key without its private key"),
        }
    }
    // Temporary files are never at a key's final path; none is left but by a kill.
    eprintln!("keygen: {complete} complete, {private_only} private only, {none} none");
    assert!(complete > 0 && none > 0, "the delays hit neither case");
}

#[test]
fn a_shallow_clone_says_where_its_history_ends() {
    let (f, key, ids) = repo_with_commits(4);
    for id in &ids[1..] {
        f.aiprov()
            .args(["attest", "-q", "--yes", "--key"])
            .arg(&key)
            .arg(id)
            .assert()
            .success();
    }
    let clone = f.tmp.path().join("shallow");
    let url = format!("file://{}", f.repo.display());
    common::git(
        f.tmp.path(),
        &["clone", "-q", "--depth", "2", &url, "shallow"],
    );
    common::git(
        &clone,
        &[
            "fetch",
            "-q",
            "origin",
            "refs/notes/aiprov:refs/notes/aiprov",
        ],
    );
    let run = |args: &[&str]| {
        let mut c = assert_cmd::Command::cargo_bin("aiprov").expect("binary");
        c.current_dir(&clone);
        let mut std = Command::new("true");
        common::hermetic(&mut std, &clone);
        for (k, v) in std.get_envs() {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
        }
        let out = c.args(args).output().expect("run aiprov");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // The tip verifies: its parent is here.
    assert_eq!(run(&["verify", "-q", "HEAD"]).0, Some(0));
    // The boundary commit, alone or in a range: its parent is not here.
    let boundary = ids[2].as_str();
    for args in [
        vec!["verify", boundary],
        vec!["verify", "HEAD~1..HEAD", boundary],
    ] {
        let (code, err) = run(&args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(
            err.starts_with(&format!(
                "error: commit {boundary} is at the boundary of this shallow clone"
            )),
            "{args:?}: {err}"
        );
    }
    // A base beyond the boundary is an unknown revision.
    let (code, err) = run(&["verify", &format!("{}..HEAD", ids[0])]);
    assert_eq!(code, Some(2));
    assert!(
        err.starts_with(&format!("error: unknown revision '{}'", ids[0])),
        "{err}"
    );
}

#[test]
fn a_missing_blob_is_an_error_not_a_verdict() {
    let (f, key, _) = repo_with_commits(2);
    f.write("a.c", lines("a", 9));
    f.commit_all(&format!("AI change\n\nAI-used-for: code\n{SOB}"));
    f.aiprov()
        .args(["attest", "-q", "--yes", "--ai", "**=code", "--key"])
        .arg(&key)
        .assert()
        .success();
    f.aiprov().args(["verify", "-q", "HEAD"]).assert().code(0);
    // Delete the loose object of the new a.c: AI-written code is counted, so it must be read.
    let blob = f.git(&["rev-parse", "HEAD:a.c"]).trim().to_string();
    let object = f
        .repo
        .join(format!(".git/objects/{}/{}", &blob[..2], &blob[2..]));
    std::fs::remove_file(&object).expect("a loose blob");
    let head = f.git(&["rev-parse", "HEAD"]).trim().to_string();
    let mut transcript = String::new();
    for args in [vec!["verify", "HEAD"], vec!["attest", "-q", "--yes"]] {
        let mut cmd = f.aiprov();
        cmd.args(&args);
        if args[0] == "attest" {
            cmd.arg("--key").arg(&key);
        }
        let out = cmd.output().expect("run aiprov");
        let outcome = snapshot::render_naming(&out, &[f.tmp.path()], &[(&head, "HEAD")]);
        transcript.push_str(&format!("$ aiprov {}\n{outcome}\n", args[0]));
    }
    insta::assert_snapshot!(transcript, @"
        $ aiprov verify
        exit: 2
        --- stdout
        --- stderr
        error: reading diff of a.c in [HEAD]
        caused by: object not found - no match for id ([id])

        $ aiprov attest
        exit: 2
        --- stdout
        --- stderr
        error: reading diff of a.c in [HEAD]
        caused by: object not found - no match for id ([id])
        ");
}

/// `chattr` on every file and directory under `dir`; false when the file system refuses.
fn chattr(flag: &str, dir: &std::path::Path) -> bool {
    Command::new("chattr")
        .args(["-R", flag])
        .arg(dir)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn a_repository_that_cannot_be_written_gives_a_clear_error() {
    let (f, key, _) = repo_with_commits(2);
    f.aiprov()
        .args(["attest", "-q", "--yes", "--key"])
        .arg(&key)
        .assert()
        .success();
    let before = f.git(&["rev-parse", "refs/notes/aiprov"]);
    // Root ignores permission bits; the immutable attribute stops root too.
    let git_dir = f.repo.join(".git");
    if !chattr("+i", &git_dir) {
        eprintln!("skipped: this file system does not support chattr +i");
        return;
    }
    let out = f
        .aiprov()
        .args(["attest", "-q", "--yes", "--key"])
        .arg(&key)
        .arg("HEAD~1")
        .output()
        .expect("run aiprov");
    // Reading still works: verification is unaffected.
    let verified = f
        .aiprov()
        .args(["verify", "-q", "HEAD"])
        .output()
        .expect("run");
    assert!(chattr("-i", &git_dir), "chattr -i");
    insta::assert_snapshot!(f.render(&out), @"
        exit: 2
        --- stdout
        --- stderr
        error: writing note blob
        caused by: failed to create temporary file '[TMP]/repo/.git/objects/tmp_object_git2_[random]': Operation not permitted
        ");
    assert_eq!(verified.status.code(), Some(0));
    assert_eq!(f.git(&["rev-parse", "refs/notes/aiprov"]), before);
    notes_intact(&f);
}

/// Makes a lock file look a minute old: older than a writer ever holds one.
fn backdate(lock: &std::path::Path) {
    let file = std::fs::File::options()
        .write(true)
        .open(lock)
        .expect("open the lock");
    file.set_modified(std::time::SystemTime::now() - Duration::from_secs(60))
        .expect("set the lock's time");
}

#[test]
fn a_stale_notes_lock_is_named() {
    let (f, key, _) = repo_with_commits(1);
    std::fs::create_dir_all(f.repo.join(".git/refs/notes")).expect("mkdir");
    let lock = f.repo.join(".git/refs/notes/aiprov.lock");
    std::fs::write(&lock, "").expect("lock");
    backdate(&lock);
    let out = f
        .aiprov()
        .args(["attest", "-q", "--yes", "--key"])
        .arg(&key)
        .output()
        .expect("run aiprov");
    insta::assert_snapshot!(f.render(&out), @"
        exit: 2
        --- stdout
        --- stderr
        error: the notes ref refs/notes/aiprov is locked ([TMP]/repo/.git/refs/notes/aiprov.lock exists): another git or aiprov is writing it, or one was killed while writing (remove the lock if none is running)
        ");
}

#[test]
fn a_fresh_notes_lock_is_waited_for() {
    let (f, key, _) = repo_with_commits(1);
    std::fs::create_dir_all(f.repo.join(".git/refs/notes")).expect("mkdir");
    let lock = f.repo.join(".git/refs/notes/aiprov.lock");
    std::fs::write(&lock, "").expect("lock");
    let key_s = key.to_str().expect("path");
    let child = spawn(&f, &["attest", "-q", "--yes", "--key", key_s], &[]);
    // Another writer holds the lock for a second, then lets it go.
    std::thread::sleep(Duration::from_secs(1));
    std::fs::remove_file(&lock).expect("release the lock");
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(notes_intact(&f), 1);
}

#[test]
fn eight_writers_of_a_hundred_commits_each_leave_800_notes() {
    let f = Fixture::new();
    let ids = common::fast_history(&f, 800);
    let key = f.keygen("alice");
    let bin = assert_cmd::cargo::cargo_bin("aiprov");
    // Each writer attests its 100 commits in runs of 1 to 4: single commits and short series,
    // each run its own notes commit, racing the other writers' on the one notes ref.
    let writers: Vec<Child> = ids
        .chunks(100)
        .map(|mine| {
            let mut script = String::new();
            let (mut rest, mut size) = (mine, 1);
            while !rest.is_empty() {
                let (now, later) = rest.split_at(size.min(rest.len()));
                script.push_str(&format!(
                    "\"$AIPROV\" attest -q -y --key \"$KEY\" {} || exit 1\n",
                    now.join(" ")
                ));
                (rest, size) = (later, size % 4 + 1);
            }
            let mut c = Command::new("sh");
            common::hermetic(&mut c, &f.repo);
            c.current_dir(&f.repo)
                .args(["-c", &script])
                .env("AIPROV", &bin)
                .env("KEY", &key)
                .env("AIPROV_NOW", "2026-01-02T00:00:00Z")
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn a writer")
        })
        .collect();
    for writer in writers {
        let out = writer.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(notes_intact(&f), 800);
    f.git(&["fsck", "--no-progress"]);
}
