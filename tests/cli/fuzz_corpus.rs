//! Every committed fuzz seed (`fuzz/corpus/<target>/`) and crash regression
//! (`fuzz/regressions/<target>/`) through the fuzz targets' own checks (`fuzz/checks.rs`, the same
//! parser calls and properties), so that `cargo test` guards them without a fuzzer. Seeds named
//! `ok-*` must be accepted by the target's parser, `bad-*` rejected; regressions must not panic.

#[path = "../../fuzz/checks.rs"]
mod checks;

use std::path::Path;

use checks::Outcome;

type Check = fn(&[u8]) -> Outcome;

const TARGETS: [(&str, Check); 7] = [
    ("envelope", checks::envelope),
    ("statement", checks::statement),
    ("trailers", checks::trailers),
    ("mail", checks::mail),
    ("policy", checks::policy),
    ("maintainers", checks::maintainers),
    ("records", checks::records),
];

/// The files of one folder, sorted; none if it does not exist.
fn inputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(String, Vec<u8>)> = entries
        .map(|e| e.expect("readable folder entry").path())
        .filter(|p| p.is_file())
        .map(|p| {
            let name = p
                .file_name()
                .expect("a file name")
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read(&p).expect("readable input"))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_seed_gives_its_expected_outcome() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    for (target, check) in TARGETS {
        let seeds = inputs(&fuzz.join("corpus").join(target));
        assert!(seeds.len() >= 5, "{target}: only {} seeds", seeds.len());
        let (mut ok, mut bad) = (0, 0);
        for (name, data) in &seeds {
            let got = check(data);
            if name.starts_with("ok-") {
                assert_eq!(got, Outcome::Accepted, "{target}/{name}");
                ok += 1;
            } else if name.starts_with("bad-") {
                assert_eq!(got, Outcome::Rejected, "{target}/{name}");
                bad += 1;
            }
        }
        assert!(ok >= 3 && bad >= 1, "{target}: {ok} ok-, {bad} bad- seeds");
    }
}

#[test]
fn every_regression_input_runs_without_panicking() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    for (target, check) in TARGETS {
        for (_name, data) in inputs(&fuzz.join("regressions").join(target)) {
            check(&data);
        }
    }
}
