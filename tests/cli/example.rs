//! The bundled example (examples/demo.bundle, signed with the TEST-ONLY keys/alice) verifies, and
//! the keys under keys/ are the ones its keyring trusts.

use crate::common;

use common::{git, Fixture};

#[test]
fn the_bundled_example_verifies() {
    let f = Fixture::new();
    let bundle = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/demo.bundle");
    let demo = f.tmp.path().join("demo");
    git(
        f.tmp.path(),
        &["clone", "-q", "-b", "main", bundle, demo.to_str().unwrap()],
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
    let root = git(&demo, &["rev-list", "--max-parents=0", "HEAD"]);
    let out = f
        .aiprov()
        .current_dir(&demo)
        .args([
            "verify",
            "--color",
            "never",
            &format!("{}..HEAD", root.trim()),
        ])
        .output()
        .unwrap();
    insta::assert_snapshot!(f.render(&out), @"
        exit: 0
        --- stdout
        PASS [id] hw/dev: check the register index (attested by alice@example.org)
        PASS [id] tests: cover out-of-range register reads (attested by alice@example.org)
        PASS [id] hw/dev: comment the range check (attested by alice@example.org)
        verified: 3 passed, 0 failed
        --- stderr
        ");
    let keyring = git(
        &demo,
        &["show", &format!("{}:.aiprov/keyring.toml", root.trim())],
    );
    let alice =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/keys/alice.pub")).unwrap();
    let key = alice.split_whitespace().nth(1).unwrap();
    assert!(keyring.contains(key), "the demo trusts keys/alice.pub");
}

#[test]
fn the_bundled_patch_series_verifies_without_a_repository() {
    let f = Fixture::new();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
    let out = f
        .aiprov()
        .current_dir(f.tmp.path())
        .env("GIT_CEILING_DIRECTORIES", f.tmp.path())
        .args([
            "verify",
            "--color",
            "never",
            "--mbox",
            &format!("{dir}/series.mbox"),
            "--keyring",
            &format!("{dir}/keyring"),
        ])
        .output()
        .unwrap();
    insta::assert_snapshot!(f.render(&out), @"
        exit: 0
        --- stdout
        PASS patch 1/3 hw/dev: check the register index (attested by alice@example.org)
        PASS patch 2/3 tests: cover out-of-range register reads (attested by alice@example.org)
        PASS patch 3/3 hw/dev: comment the range check (attested by alice@example.org)
        verified: 3 passed, 0 failed
        --- stderr
        skipping cover letter: [PATCH 0/3] *** SUBJECT HERE ***
        ");
    // One changed byte in the series is caught.
    let mbox = std::fs::read_to_string(format!("{dir}/series.mbox")).unwrap();
    let tampered = f.tmp.path().join("tampered.mbox");
    std::fs::write(
        &tampered,
        mbox.replacen("+        return 0;", "+        return 1;", 1),
    )
    .unwrap();
    let out = f
        .aiprov()
        .current_dir(f.tmp.path())
        .args([
            "verify",
            "--mbox",
            tampered.to_str().unwrap(),
            "--keyring",
            &format!("{dir}/keyring"),
        ])
        .output()
        .unwrap();
    insta::assert_snapshot!(f.render(&out), @"
        exit: 1
        --- stdout
        FAIL patch 1/3 hw/dev: check the register index (attested by alice@example.org)
            error [coverage.digest-mismatch] hw/dev.c: the changed lines differ from those alice@example.org attested
        PASS patch 2/3 tests: cover out-of-range register reads (attested by alice@example.org)
        PASS patch 3/3 hw/dev: comment the range check (attested by alice@example.org)
        verification failed: 2 passed, 1 failed
        --- stderr
        skipping cover letter: [PATCH 0/3] *** SUBJECT HERE ***
        ");
}
