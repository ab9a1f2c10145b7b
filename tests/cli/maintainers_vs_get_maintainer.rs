//! aiprov's MAINTAINERS matcher against each project's own `scripts/get_maintainer.pl`, on its
//! own full MAINTAINERS file and tree: QEMU 7.2 (the whole source, from
//! `scripts/fetch-qemu-source`), Linux 6.12 and Xen 4.17 (the tree's skeleton, from
//! `scripts/fetch-maintainers-tree`: every directory and file, empty but for MAINTAINERS and the
//! script, which is all the script reads here). For hundreds of files spread over each tree,
//! aiprov must list the maintainers the script lists, and accept as approvers exactly them (and
//! their other addresses): Xen's script drops its catch-all `THE REST` when a more specific
//! section covers the file, so THE REST's maintainers must not approve such a file either.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use aiprov::policy::maintainers::{Dialect, MaintainerLookup, Maintainers};
use common::{qemu_tree, skeleton_tree};

use crate::common;

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

/// `n` files spread evenly over `files`.
fn spread(files: &[&String], n: usize) -> Vec<String> {
    files
        .iter()
        .step_by((files.len() / n).max(1))
        .map(|p| p.to_string())
        .collect()
}

/// The addresses get_maintainer.pl lists as maintainers of `path` (`M:` only: no reviewers,
/// lists, git history, keywords in the file's text, or .mailmap rewriting), with `extra`
/// options; `HOME` is the tree, so that no `~/.get_maintainer.conf` takes part.
fn get_maintainer(tree: &Path, extra: &[&str], path: &str) -> BTreeSet<String> {
    let out = Command::new("perl")
        .current_dir(tree)
        .env("HOME", tree)
        .args(["scripts/get_maintainer.pl", "--no-git", "--no-git-fallback"])
        .args(["--no-r", "--no-l", "--no-s", "--no-rolestats"])
        .args(["--no-keywords", "--no-mailmap"])
        .args(extra)
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

/// One project's comparison: what differs, for each of `sample`, between aiprov and the
/// script; a summary on stderr.
fn compare(project: &str, tree: &Path, dialect: Dialect, extra: &[&str], sample: &[String]) {
    let text = std::fs::read_to_string(tree.join("MAINTAINERS")).unwrap();
    assert!(
        text.lines().count() > 500,
        "a full-size MAINTAINERS (Xen 4.17: 596 lines)"
    );
    assert_eq!(Dialect::detect(&text), dialect, "{project}'s dialect");
    let m = Maintainers::parse_in_tree(&text, None, &|p| tree.join(p).is_dir());
    for w in &m.warnings {
        eprintln!("{project} MAINTAINERS {w}");
    }

    // get_maintainer.pl is a process per file: share the work between two threads.
    let (left, right) = sample.split_at(sample.len() / 2);
    let run = |part: &[String]| {
        part.iter()
            .map(|p| get_maintainer(tree, extra, p))
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
    let (mut with_maintainers, mut several, mut narrowed) = (0, 0, 0);
    for (path, theirs) in sample.iter().zip(&theirs) {
        let listed = m.maintainers_for(path);
        let ours: BTreeSet<String> = listed.iter().map(|p| p.email.to_lowercase()).collect();
        with_maintainers += usize::from(!theirs.is_empty());
        several += usize::from(theirs.len() > 1);
        let approvers = m.approvers(path);
        let approves = |email: &str| {
            approvers
                .iter()
                .any(|a| a.email.eq_ignore_ascii_case(email))
        };
        narrowed += usize::from(
            m.sections_for(path)
                .iter()
                .flat_map(|s| &s.maintainers)
                .any(|p| !p.email.is_empty() && !approves(&p.email)),
        );
        if &ours != theirs {
            differ.push(format!(
                "{path}: aiprov lists {ours:?}, the script {theirs:?}"
            ));
        }
        // The approvers: everyone listed, and others only as another address of someone listed.
        for a in &approvers {
            let alias = listed
                .iter()
                .any(|p| !a.name.is_empty() && p.name.eq_ignore_ascii_case(&a.name));
            if !theirs.contains(&a.email.to_lowercase()) && !alias {
                differ.push(format!("{path}: {} would approve, unlisted", a.email));
            }
        }
        for email in theirs {
            if !m.is_maintainer(path, email) {
                differ.push(format!("{path}: {email} is listed but cannot approve"));
            }
        }
    }
    eprintln!(
        "{project}: {} files sampled: {with_maintainers} with maintainers, {several} with more \
         than one, {narrowed} where a covering section's maintainers cannot approve, {} differ",
        sample.len(),
        differ.len()
    );
    assert!(with_maintainers > sample.len() / 2);
    assert!(differ.is_empty(), "{project}:\n{}", differ.join("\n"));
}

/// How many files of QEMU's own code, and of the firmware trees under `roms/`, are compared.
const QEMU_SAMPLE: usize = 600;
const QEMU_SAMPLE_ROMS: usize = 100;

#[test]
fn maintainers_agree_with_get_maintainer_pl_on_qemu() {
    let tree = qemu_tree();
    let mut all = Vec::new();
    files(&tree, &tree, &mut all);
    all.retain(|p| p != ".complete");
    all.sort();
    let (roms, own): (Vec<&String>, Vec<&String>) =
        all.iter().partition(|p| p.starts_with("roms/"));
    let mut sample = spread(&own, QEMU_SAMPLE);
    sample.extend(spread(&roms, QEMU_SAMPLE_ROMS));
    assert!(sample.len() >= QEMU_SAMPLE + QEMU_SAMPLE_ROMS);
    compare("QEMU 7.2", &tree, Dialect::Qemu, &[], &sample);
}

/// Linux's script leaves out Linus Torvalds, the maintainer of `THE REST` (which covers every
/// file), unless asked for him; aiprov lets him approve like any maintainer, so the script is
/// asked for him.
#[test]
fn maintainers_agree_with_get_maintainer_pl_on_linux() {
    let tree = skeleton_tree("linux");
    let mut all = Vec::new();
    files(&tree, &tree, &mut all);
    all.retain(|p| p != ".complete");
    all.sort();
    let sample = spread(&all.iter().collect::<Vec<_>>(), 400);
    assert!(sample.len() >= 400);
    compare(
        "Linux 6.12",
        &tree,
        Dialect::Linux,
        &["--git-chief-penguins"],
        &sample,
    );
}

#[test]
fn maintainers_agree_with_get_maintainer_pl_on_xen() {
    let tree = skeleton_tree("xen");
    let mut all = Vec::new();
    files(&tree, &tree, &mut all);
    all.retain(|p| p != ".complete");
    all.sort();
    let mut sample = spread(&all.iter().collect::<Vec<_>>(), 400);
    // Files of the brace patterns (`F: xen/common/{kexec,kimage}.c`), and ones only THE REST covers.
    for path in [
        "xen/common/kexec.c",
        "xen/common/kimage.c",
        "xen/include/xen/kexec.h",
        "xen/include/xen/kimage.h",
        "README",
        "tools/xenstore/xenstored_core.c",
    ] {
        assert!(tree.join(path).is_file(), "{path}");
        sample.push(path.to_string());
    }
    assert!(sample.len() >= 400);
    compare("Xen 4.17", &tree, Dialect::Xen, &[], &sample);
    let m = Maintainers::parse(&std::fs::read_to_string(tree.join("MAINTAINERS")).unwrap());
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    assert!(
        !m.is_maintainer("xen/common/kexec.c", "jbeulich@suse.com"),
        "THE REST's maintainers do not approve what KEXEC maintains"
    );
    assert!(m.is_maintainer("xen/common/kexec.c", "andrew.cooper3@citrix.com"));
    assert!(m.is_maintainer("README", "jbeulich@suse.com"));
}
