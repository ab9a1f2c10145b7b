//! aiprov's MAINTAINERS matcher against QEMU's own `scripts/get_maintainer.pl`, on QEMU 7.2's
//! full MAINTAINERS file and source tree (fetched and checked by `scripts/fetch-qemu-source`, or
//! taken from `AIPROV_QEMU_SOURCE`): for hundreds of files spread over the whole tree, both must
//! name the same maintainers.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use aiprov::policy::maintainers::Maintainers;
use common::qemu_tree;

use crate::common;

/// How many files of QEMU's own code, and of the firmware trees under `roms/`, are compared.
const SAMPLE: usize = 600;
const SAMPLE_ROMS: usize = 100;

/// Every file of the tree, relative to it, sorted.
fn files(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            files(root, &entry.path(), out);
        } else if kind.is_file() {
            let rel = entry.path().strip_prefix(root).unwrap().to_owned();
            out.push(rel.to_str().unwrap().to_string());
        }
    }
}

/// The addresses get_maintainer.pl lists as maintainers of `path` (`M:` only: no reviewers,
/// lists, git history, keywords in the file's text, or .mailmap rewriting).
fn get_maintainer(tree: &Path, path: &str) -> BTreeSet<String> {
    let out = Command::new("perl")
        .current_dir(tree)
        .args([
            "scripts/get_maintainer.pl",
            "--no-git",
            "--no-git-fallback",
            "--no-r",
        ])
        .args([
            "--no-l",
            "--no-s",
            "--no-rolestats",
            "--no-keywords",
            "--no-mailmap",
        ])
        .args(["-f", path])
        .output()
        .expect("run perl");
    assert!(
        out.status.success(),
        "get_maintainer.pl -f {path}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| match l.rsplit_once('<') {
            Some((_, addr)) => addr.trim_end_matches('>').to_lowercase(),
            None => l.trim().to_lowercase(),
        })
        .collect()
}

#[test]
fn maintainers_agree_with_get_maintainer_pl_on_qemu() {
    let tree = qemu_tree();
    let text = std::fs::read_to_string(tree.join("MAINTAINERS")).unwrap();
    assert!(text.lines().count() > 3000, "a full-size MAINTAINERS");
    let maintainers = Maintainers::parse_in_tree(&text, &|p| tree.join(p).is_dir()).unwrap();

    let mut all = Vec::new();
    files(&tree, &tree, &mut all);
    all.retain(|p| p != ".complete");
    all.sort();
    let (roms, own): (Vec<&String>, Vec<&String>) =
        all.iter().partition(|p| p.starts_with("roms/"));
    let spread = |files: &[&String], n: usize| -> Vec<String> {
        files
            .iter()
            .step_by(files.len() / n)
            .map(|p| p.to_string())
            .collect()
    };
    let mut sample = spread(&own, SAMPLE);
    sample.extend(spread(&roms, SAMPLE_ROMS));

    let ours = |path: &str| -> BTreeSet<String> {
        maintainers
            .maintainers_for(path)
            .iter()
            .map(|p| p.email.to_lowercase())
            .collect()
    };
    // get_maintainer.pl is a process per file: share the work between two threads.
    let (left, right) = sample.split_at(sample.len() / 2);
    let run = |part: &[String]| {
        part.iter()
            .map(|p| get_maintainer(&tree, p))
            .collect::<Vec<_>>()
    };
    let theirs: Vec<BTreeSet<String>> = std::thread::scope(|s| {
        let a = s.spawn(|| run(left));
        let b = run(right);
        let mut a = a.join().unwrap();
        a.extend(b);
        a
    });

    let mut differ = Vec::new();
    let (mut with_maintainers, mut several) = (0, 0);
    for (path, theirs) in sample.iter().zip(&theirs) {
        let ours = ours(path);
        with_maintainers += usize::from(!theirs.is_empty());
        several += usize::from(theirs.len() > 1);
        if &ours != theirs {
            differ.push(format!(
                "{path}: aiprov {ours:?}, get_maintainer.pl {theirs:?}"
            ));
        }
    }
    eprintln!(
        "{} files of {}: {with_maintainers} with maintainers, {several} with more than one, {} differ",
        sample.len(),
        all.len(),
        differ.len()
    );
    assert!(sample.len() >= SAMPLE + SAMPLE_ROMS && with_maintainers > SAMPLE / 2);
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}
