//! The file-change digest computed from the repository (libgit2's diff) agrees with the digest
//! computed from git's own patch text (`git log -p`, as `git format-patch` emits it), file by file.

use crate::common;

use std::path::Path;

use aiprov::change::FileChange;
use aiprov::git::Repo;
use aiprov::model::FileEntry;
use aiprov::verify::check_coverage;
use common::{git_bytes, Fixture};

/// For every non-merge commit of `range` in `dir`, the file changes git's own patch shows must
/// verify against the repository's view, and the repository's against git's, including where the
/// two detect renames differently. Returns the number of file changes compared.
fn compare(dir: &Path, range: &str) -> usize {
    let repo = Repo::discover(dir).expect("open repository");
    let log = git_bytes(
        dir,
        &[
            "log",
            "--no-merges",
            "-p",
            "--binary",
            "--full-index",
            "--format=%x00%H",
            range,
        ],
    );
    let mut compared = 0;
    let mut repaired = 0;
    for chunk in log
        .split(|&b| b == 0)
        .filter(|c| !c.trim_ascii().is_empty())
    {
        let split = chunk
            .iter()
            .position(|&b| b == b'\n')
            .unwrap_or(chunk.len());
        let id = std::str::from_utf8(&chunk[..split]).expect("commit id");
        let patch = chunk.get(split + 1..).unwrap_or_default();
        let from_git =
            aiprov::patch::parse(patch).unwrap_or_else(|e| panic!("parse patch of {id}: {e}"));
        let oid = repo.commit_id(id).expect("commit id");
        let from_repo = repo.change(oid, |_| true).expect("change");
        let entries = |files: &[FileChange]| -> Vec<FileEntry> {
            files
                .iter()
                .map(|f| FileEntry::from_change(f, None))
                .collect()
        };
        let pair = |e: &FileEntry| {
            repo.pair_change(oid, e.status, e.old_path.as_deref(), &e.path)
                .expect("pair change")
        };
        // Attested as git shows it, verified against the repository.
        let findings = check_coverage(&from_repo, &entries(&from_git), "git", &pair);
        assert!(findings.is_empty(), "{id}: {findings:#?}");
        // Attested from the repository, verified against git's patch (as a mail would be).
        let mut as_mail = from_repo.clone();
        as_mail.files = from_git.clone();
        let findings = check_coverage(&as_mail, &entries(&from_repo.files), "repo", &pair);
        assert!(findings.is_empty(), "{id} (reverse): {findings:#?}");
        let names = |f: &[FileChange]| {
            f.iter()
                .map(|x| (x.path.clone(), x.status))
                .collect::<Vec<_>>()
        };
        if names(&from_repo.files) != names(&from_git) {
            repaired += 1;
            continue;
        }
        for (a, b) in from_repo.files.iter().zip(&from_git) {
            assert_eq!(a.digest, b.digest, "digest of {} in {id}", a.path);
            // A patch shows no blob ids for a pure mode change or an exact rename.
            if b.new_blob.is_some() {
                assert_eq!(a.new_blob, b.new_blob, "post-image of {} in {id}", a.path);
            }
            compared += 1;
        }
    }
    eprintln!("{compared} file changes equal, {repaired} commits paired differently but verified");
    compared
}

/// A history with every kind of file change.
fn every_kind_of_change() -> Fixture {
    let f = Fixture::new();
    f.write("src/a.c", common::lines("int a", 40));
    f.write("src/b.c", common::lines("int b", 30));
    f.write("doc.txt", "no newline at end");
    f.write("bin.dat", [0u8, 1, 2, 3, 255]);
    f.write("run.sh", "#!/bin/sh\necho hi\n");
    f.commit_all("base");
    // modify with several blocks, add, delete, rename with edit, mode change, binary edit,
    // newline at end of file added, symlink added
    let mut a = common::lines("int a", 40).replace("int a line 3\n", "int a line three\n");
    a = a.replace("int a line 30\n", "");
    a.push_str("int a line 41\n");
    f.write("src/a.c", a);
    std::fs::remove_file(f.path("src/b.c")).unwrap();
    f.write(
        "src/c.c",
        common::lines("int b", 30).replace("line 7\n", "line seven\n"),
    );
    f.write("new.h", "#pragma once\n");
    f.write("doc.txt", "no newline at end\n");
    f.write("bin.dat", [0u8, 1, 2, 3, 254, 9]);
    f.commit_all("edit");
    f.git(&["update-index", "--chmod=+x", "run.sh"]);
    f.git(&["commit", "-q", "-m", "mode"]);
    std::os::unix::fs::symlink("src/a.c", f.path("link")).unwrap();
    std::fs::remove_file(f.path("new.h")).unwrap();
    std::os::unix::fs::symlink("doc.txt", f.path("new.h")).unwrap();
    f.commit_all("symlink added, file turned into symlink");
    std::fs::remove_file(f.path("link")).unwrap();
    f.write("link", "a regular file now\n");
    f.write("src/a.c", common::lines("int a", 40));
    f.commit_all("symlink back to file; revert a.c");
    f
}

#[test]
fn digests_agree_with_git_on_every_kind_of_change() {
    let f = every_kind_of_change();
    let n = compare(&f.repo, "HEAD");
    assert!(n >= 14, "compared only {n} file changes");
}

#[test]
fn digests_agree_with_git_on_this_repository() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let n = compare(dir, "HEAD");
    assert!(n > 0, "no file changes compared in {}", dir.display());
}

/// On a big real history: `AIPROV_DIGEST_CORPUS=/path/to/git.git:v2.49.0..v2.50.0 cargo test
/// --release --test cli digest_vs_git:: -- --ignored`.
#[test]
#[ignore = "needs AIPROV_DIGEST_CORPUS=DIR:RANGE"]
fn digests_agree_with_git_on_a_real_history() {
    let spec = std::env::var("AIPROV_DIGEST_CORPUS").expect("set AIPROV_DIGEST_CORPUS=DIR:RANGE");
    let (dir, range) = spec.rsplit_once(':').expect("DIR:RANGE");
    let n = compare(Path::new(dir), range);
    eprintln!("compared {n} file changes");
    assert!(n > 0);
}
