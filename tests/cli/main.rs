//! The integration tests, in one test binary, so the crate is built and linked into one test
//! executable, not one per file. Each file here is a module named as the file; `common` holds
//! what they share. `cargo test --test cli <module>::` runs one module's tests. A new test file
//! must be declared below, or it is not built.

mod common;

mod adversarial_history;
mod adversarial_keys;
mod adversarial_mail;
mod adversarial_policy;
mod adversarial_trailers;
mod am_session;
mod archive;
mod attest_cli;
mod attest_range;
mod cli_errors;
mod cli_reference;
mod comment_oracles;
mod digest_stability;
mod digest_vs_git;
mod docs_examples;
mod example;
mod faults;
mod forge_formats;
mod fuzz_corpus;
mod fuzz_regressions;
mod github_action;
mod gitlab_template;
mod hooks;
mod interop_b4;
mod interop_patatt;
mod interop_securesystemslib;
mod json_output;
mod kernel_checkpatch;
mod layers;
mod limits;
mod mail_vs_mailinfo;
mod mail_workflow;
mod mailmap;
mod maintainers_trust;
mod maintainers_vs_get_maintainer;
mod mutation;
mod notes;
mod notes_rewrite;
mod notes_sync;
mod patch_apply;
mod paths;
mod personas;
mod policy;
mod policy_cli;
mod policy_series;
mod records;
mod report;
mod report_export;
mod scaling;
mod signer_identity;
mod sigstore_bundles;
mod sigstore_conformance;
mod ssh_keys;
mod ui;
mod verify_core;
mod wycheproof;

/// Every file of `tests/cli/` is declared above: one that is not is never built, and its tests
/// never run.
#[test]
fn every_test_file_is_a_module_of_this_binary() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli");
    let main = std::fs::read_to_string(dir.join("main.rs")).expect("main.rs");
    let declared: std::collections::BTreeSet<&str> = main
        .lines()
        .filter_map(|l| l.strip_prefix("mod ")?.strip_suffix(';'))
        .collect();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("tests/cli") {
        let path = entry.expect("an entry").path();
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let module = path.extension().is_some_and(|e| e == "rs") || path.join("mod.rs").exists();
        if module && name != "main" && !declared.contains(name) {
            missing.push(name.to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "not declared in tests/cli/main.rs: {missing:?}"
    );
}
