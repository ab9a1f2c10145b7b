//! The docs work as written: every command block of README.md and docs/*.md (a fenced `sh` or
//! `console` block) runs in a scratch world (`docs_world.sh`: a project with an origin, releases,
//! attestations, a patch mail, the TEST-ONLY keys), offline, and a command that exits non-zero
//! fails the test with the file and line of its block. The blocks of one file run in order in
//! one world, so a guide's steps build on each other, as a reader's would.
//!
//! Markings, in the markdown, never implicit:
//! - ```` ```sh no-run ```` : the block is not run (it needs the network, a browser, a nightly
//!   toolchain, or runs the whole test suite); the test prints every such block, and the reason
//!   belongs in the text around it.
//! - `<!-- docs-test: setup: COMMANDS -->` right above a block: COMMANDS run first, in the same
//!   shell (what a reader has done by then: a change staged, a release tagged); printed too.
//!
//! A `console` block's commands are its lines that start with `$ `; the other lines are output,
//! not checked.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A command block of a document.
#[derive(Debug)]
struct Block {
    file: String,
    /// 1-based line of its opening fence.
    line: usize,
    commands: String,
    setup: Option<String>,
    no_run: bool,
}

/// The `sh` and `console` blocks of a markdown text, with their markings.
fn blocks(file: &str, text: &str) -> Vec<Block> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(info) = lines[i].strip_prefix("```") else {
            i += 1;
            continue;
        };
        let mut words = info.split_whitespace();
        let lang = words.next().unwrap_or("");
        let no_run = words.any(|w| w == "no-run");
        let start = i;
        let mut body = Vec::new();
        i += 1;
        while i < lines.len() && !lines[i].starts_with("```") {
            body.push(lines[i]);
            i += 1;
        }
        i += 1;
        let commands = match lang {
            "sh" => body.join("\n"),
            "console" => body
                .iter()
                .filter_map(|l| l.strip_prefix("$ "))
                .collect::<Vec<_>>()
                .join("\n"),
            _ => continue,
        };
        out.push(Block {
            file: file.to_string(),
            line: start + 1,
            commands,
            setup: setup_above(&lines[..start]),
            no_run,
        });
    }
    out
}

/// The `<!-- docs-test: setup: ... -->` comment right above a fence (blank lines between
/// allowed), which may span lines.
fn setup_above(before: &[&str]) -> Option<String> {
    let mut end = before.len();
    while end > 0 && before[end - 1].trim().is_empty() {
        end -= 1;
    }
    if end == 0 || !before[end - 1].trim_end().ends_with("-->") {
        return None;
    }
    let mut start = end - 1;
    while !before[start].contains("<!--") {
        start = start.checked_sub(1)?;
    }
    let comment = before[start..end].join("\n");
    let inner = comment
        .trim()
        .strip_prefix("<!--")?
        .strip_suffix("-->")?
        .trim();
    Some(inner.strip_prefix("docs-test: setup:")?.trim().to_string())
}

/// The documents whose blocks run: README.md and docs/*.md.
fn documents(root: &Path) -> Vec<PathBuf> {
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    docs.insert(0, root.join("README.md"));
    docs
}

/// A command in the scratch world: aiprov and the world's helpers on PATH, HOME in the world,
/// no system or user git config but the world's, no agent, a fixed editor.
fn in_world(world: &Path, dir: &Path) -> Command {
    let aiprov = assert_cmd::cargo::cargo_bin("aiprov");
    let bin = aiprov.parent().expect("the binary's directory");
    let path = format!(
        "{}:{}:{}",
        bin.display(),
        world.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let home = world.join("home");
    let mut c = Command::new("sh");
    c.current_dir(dir)
        .env_clear()
        .env("PATH", path)
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_CONFIG_GLOBAL", home.join(".gitconfig"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_EDITOR", world.join("bin/editor"))
        .env("DOCS_WORLD", world)
        .env("LANG", "C.UTF-8")
        .env("TERM", "dumb");
    c
}

fn world(root: &Path) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = in_world(tmp.path(), tmp.path())
        .arg(root.join("tests/cli/docs_world.sh"))
        .arg(tmp.path())
        .arg(root)
        .output()
        .expect("run docs_world.sh");
    assert!(
        out.status.success(),
        "docs_world.sh failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    tmp
}

#[test]
fn every_command_block_of_the_docs_runs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (mut ran, mut skipped, mut set_up) = (Vec::new(), Vec::new(), Vec::new());
    let mut failures = Vec::new();
    for doc in documents(root) {
        let name = doc
            .strip_prefix(root)
            .expect("under the root")
            .display()
            .to_string();
        let text = std::fs::read_to_string(&doc).expect("read the document");
        let blocks = blocks(&name, &text);
        if blocks.iter().all(|b| b.no_run) {
            skipped.extend(blocks.iter().map(|b| format!("{}:{}", b.file, b.line)));
            continue;
        }
        let world = world(root);
        let repo = world.path().join("repo");
        for b in &blocks {
            let at = format!("{}:{}", b.file, b.line);
            if b.no_run {
                skipped.push(at);
                continue;
            }
            let mut script = String::from("set -e\n");
            if let Some(setup) = &b.setup {
                set_up.push(format!("{at}: {setup}"));
                script.push_str(setup);
                script.push('\n');
            }
            script.push_str(&b.commands);
            script.push('\n');
            let out = in_world(world.path(), &repo)
                .args(["-c", &script])
                .output()
                .expect("run sh");
            if !out.status.success() {
                failures.push(format!(
                    "{at} exited {:?}:\n{}\n--- stdout\n{}--- stderr\n{}",
                    out.status.code(),
                    b.commands,
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
            ran.push(at);
        }
    }
    // What was not run, or run after a set-up, is said every time, never left out silently.
    println!(
        "docs: ran {} command blocks; {} after a marked set-up:",
        ran.len(),
        set_up.len()
    );
    for s in &set_up {
        println!("  {s}");
    }
    println!("docs: skipped {} blocks marked no-run:", skipped.len());
    for s in &skipped {
        println!("  {s}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(ran.len() >= 15, "only {} blocks ran", ran.len());
}

#[test]
fn blocks_and_their_markings_are_read_as_written() {
    let text = "intro\n\n<!-- docs-test: setup: git tag v1\n  && true -->\n\n```sh\naiprov verify\n```\n\n```sh no-run\nb4 am <msgid>\n```\n```toml\nx = 1\n```\n```console\n$ aiprov show\nPASS\n```\n";
    let got: Vec<(usize, String, Option<String>, bool)> = blocks("x.md", text)
        .into_iter()
        .map(|b| (b.line, b.commands, b.setup, b.no_run))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                6,
                "aiprov verify".to_string(),
                Some("git tag v1\n  && true".to_string()),
                false
            ),
            (10, "b4 am <msgid>".to_string(), None, true),
            (16, "aiprov show".to_string(), None, false),
        ]
    );
}
