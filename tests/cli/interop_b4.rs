//! A series as maintainers receive it through b4: `git format-patch --thread` output run through
//! the real `b4 am` (from the project's venv) verifies with `aiprov verify --mbox`, and
//! `aiprov am` applies it with the attestations attached.

use crate::common;

use std::path::PathBuf;

use common::{git, Fixture};

fn b4() -> PathBuf {
    common::venv_bin("b4")
}

#[test]
fn a_series_through_b4_am_verifies_and_applies() {
    let f = Fixture::new();
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
    let demo = f.tmp.path().join("demo");
    git(
        f.tmp.path(),
        &[
            "clone",
            "-q",
            "-b",
            "main",
            &format!("{examples}/demo.bundle"),
            demo.to_str().unwrap(),
        ],
    );
    git(
        &demo,
        &[
            "fetch",
            "-q",
            "origin",
            "refs/notes/aiprov:refs/notes/aiprov",
        ],
    );
    let root = git(&demo, &["rev-list", "--max-parents=0", "HEAD"])
        .trim()
        .to_string();
    let mbox = git(
        &demo,
        &[
            "format-patch",
            "--thread",
            "--cover-letter",
            "--notes=aiprov",
            "--stdout",
            &format!("{root}..HEAD"),
        ],
    );
    let input = f.tmp.path().join("thread.mbox");
    std::fs::write(&input, &mbox).unwrap();
    let cover_id = mbox
        .lines()
        .find_map(|l| {
            l.strip_prefix("Message-ID: <")
                .or_else(|| l.strip_prefix("Message-Id: <"))
        })
        .and_then(|l| l.strip_suffix('>'))
        .expect("a threaded cover letter")
        .to_string();

    let out_dir = f.tmp.path().join("b4out");
    let mut cmd = std::process::Command::new(b4());
    common::hermetic(&mut cmd, &demo);
    let run = cmd
        .args(["--offline-mode", "am", "-m"])
        .arg(&input)
        .arg("-o")
        .arg(&out_dir)
        .arg(&cover_id)
        .current_dir(&demo)
        .output()
        .expect("run b4");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let mbx = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "mbx"))
        .expect("b4 wrote an .mbx");

    f.aiprov()
        .args(["verify", "--mbox"])
        .arg(&mbx)
        .args(["--keyring", &format!("{examples}/keyring")])
        .assert()
        .success();

    // Apply it on the root commit of a fresh clone: the attestations land as notes and verify.
    let target = f.tmp.path().join("target");
    git(
        f.tmp.path(),
        &[
            "clone",
            "-q",
            "-b",
            "main",
            &format!("{examples}/demo.bundle"),
            target.to_str().unwrap(),
        ],
    );
    git(&target, &["reset", "-q", "--hard", &root]);
    let mut am = f.aiprov();
    am.current_dir(&target)
        .arg("am")
        .arg(&mbx)
        .assert()
        .success();
    let mut verify = f.aiprov();
    verify
        .current_dir(&target)
        .args(["verify", &format!("{root}..HEAD")])
        .assert()
        .success();
}
