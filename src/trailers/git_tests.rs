//! The parser checked against the real `git` binary: a table of edge cases of
//! `trailer.c`, and every commit message of a real history.
//!
//! Compiled only for tests: the parent declares this module under `#[cfg(test)]`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::git::parse_as_pretty_format;
use super::{parse, trailer_block, Trailer};

/// A `git` command insulated from the user's and the system's configuration
/// (a configured `trailer.*` or `core.commentChar` would change the rules).
fn git() -> Command {
    let mut cmd = Command::new("git");
    cmd.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE");
    cmd
}

/// What `git interpret-trailers --parse` prints for `message`.
pub(super) fn git_interpret_trailers(message: &str) -> String {
    let mut child = git()
        .args(["interpret-trailers", "--parse"])
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot run `git` from PATH");
    // git reads all of its input before writing anything, so this cannot block.
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(message.as_bytes())
        .expect("writing to git interpret-trailers");
    let out = child.wait_with_output().expect("waiting for git");
    assert!(
        out.status.success(),
        "git interpret-trailers failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Trailers in git's output format, `key: value` lines.
pub(super) fn render(trailers: &[Trailer]) -> String {
    trailers
        .iter()
        .map(|t| format!("{}: {}\n", t.key, t.value))
        .collect()
}

/// (name, message, what `git interpret-trailers --parse` prints)
const CASES: &[(&str, &str, &str)] = &[
    ("empty message", "", ""),
    ("subject only, no newline", "Subject", ""),
    ("single paragraph of trailers", "Foo: bar\nBaz: qux\n", ""),
    ("subject glued to trailers", "Subject\nFoo: bar\n", ""),
    (
        "simple block",
        "Subject\n\nFoo: a\nBar: b\n",
        "Foo: a\nBar: b\n",
    ),
    ("no final newline", "Subject\n\nFoo: a", "Foo: a\n"),
    (
        "only the last paragraph",
        "Subject\n\nFoo: a\n\nBar: b\nBaz: c\n",
        "Bar: b\nBaz: c\n",
    ),
    (
        "blank line inside the block",
        "Subject\n\nBody.\n\nFoo: a\n\nBar: b\n",
        "Bar: b\n",
    ),
    (
        "free text in block without git prefix",
        "Subject\n\nFoo: a\nsome text\n",
        "",
    ),
    (
        "25% rule met (1 of 4 with Signed-off-by)",
        "Subject\n\nSigned-off-by: A <a@x>\nline one\nline two\nline three\n",
        "Signed-off-by: A <a@x>\n",
    ),
    (
        "25% rule missed (1 of 5 with Signed-off-by)",
        "Subject\n\nSigned-off-by: A <a@x>\nl1\nl2\nl3\nl4\n",
        "",
    ),
    (
        "25% rule with cherry-pick line",
        "Subject\n\ntext one\ntext two\n(cherry picked from commit abc)\nAcked-by: x\n",
        "Acked-by: x\n",
    ),
    (
        "25% rule missed with cherry-pick line",
        "Subject\n\na\nb\nc\nd\n(cherry picked from commit abc)\n",
        "",
    ),
    (
        "cherry-pick line alone",
        "Subject\n\n(cherry picked from commit abc)\n",
        "",
    ),
    (
        "git prefix needs the space",
        "Subject\n\nSigned-off-by:A\nl1\nl2\n",
        "",
    ),
    (
        "git prefix is case-sensitive",
        "Subject\n\nsigned-off-by: a\ntext\n",
        "",
    ),
    (
        "folded values",
        "Subject\n\nFoo: a\n  b\n\tc\nBar: d\n",
        "Foo: a b c\nBar: d\n",
    ),
    (
        "indented line with no trailer before it",
        "Subject\n\n  indented\nFoo: a\n",
        "",
    ),
    (
        "indented line before Signed-off-by",
        "Subject\n\n  indented\nSigned-off-by: A <a@x>\n",
        "Signed-off-by: A <a@x>\n",
    ),
    (
        "indented line after a comment",
        "Subject\n\nSigned-off-by: A\n# note\n  indented\n",
        "Signed-off-by: A\n",
    ),
    ("divider", "Subject\n\nFoo: a\n---\nBar: b\n", "Foo: a\n"),
    (
        "divider with text after",
        "Subject\n\nFoo: a\n--- a/file\n+++ b/file\n",
        "Foo: a\n",
    ),
    (
        "divider with tab",
        "Subject\n\nFoo: a\n---\tx\nBar: b\n",
        "Foo: a\n",
    ),
    (
        "final --- is completed to a divider",
        "Subject\n\nFoo: a\n---",
        "Foo: a\n",
    ),
    (
        "four dashes are no divider",
        "Subject\n\nFoo: a\n----\n",
        "",
    ),
    (
        "--- glued to text is no divider",
        "Subject\n\nFoo: a\n---x\nBar: b\n",
        "",
    ),
    ("divider as first line", "---\nSubject\n\nFoo: a\n", ""),
    ("non-ASCII key", "Subject\n\nRéviewed-by: x\n", ""),
    (
        "non-ASCII key spoils the block",
        "Subject\n\nFoo: a\nRéviewed-by: x\n",
        "",
    ),
    (
        "non-ASCII value",
        "Subject\n\nReviewed-by: Jürgen Ö <j@ö.de>\n",
        "Reviewed-by: Jürgen Ö <j@ö.de>\n",
    ),
    (
        "whitespace before the colon",
        "Subject\n\nKey : v\nKey2\t: w\n",
        "Key: v\nKey2: w\n",
    ),
    ("two words before the colon", "Subject\n\nKey x: v\n", ""),
    (
        "no space after the colon",
        "Subject\n\nKey:value\n",
        "Key: value\n",
    ),
    ("underscore in key", "Subject\n\nFoo_bar: x\n", ""),
    ("colon first", "Subject\n\n: foo\n", ""),
    (
        "empty values",
        "Subject\n\nFoo:\nBar:   \n",
        "Foo: \nBar: \n",
    ),
    (
        "comment lines",
        "# c\nSubject\n\n# comment\nFoo: a\n# another\nBar: b\n# trailing\n",
        "Foo: a\nBar: b\n",
    ),
    ("comment-only message", "# one\n# two\n", ""),
    (
        "CRLF line endings",
        "Subject\r\n\r\nFoo: a\r\nBar: b\r\n",
        "Foo: a\nBar: b\n",
    ),
    (
        "CRLF folded value",
        "Subject\r\n\r\nFoo: a\r\n  b\r\n",
        "Foo: a\r b\n",
    ),
    (
        "trailing blank lines",
        "Subject\n\nFoo: a\n\n\n",
        "Foo: a\n",
    ),
    (
        "trailing whitespace-only lines",
        "Subject\n\nFoo: a\n  \n\t\n",
        "Foo: a\n",
    ),
    (
        "values with colons and URLs",
        "Subject\n\nLink: https://example.com/a:b?c=d#x\nFixes: 1234abcd (\"x: y\")\n",
        "Link: https://example.com/a:b?c=d#x\nFixes: 1234abcd (\"x: y\")\n",
    ),
    (
        "scissors line",
        "Subject\n\nFoo: a\n# ------------------------ >8 ------------------------\nBar: b\n",
        "Foo: a\n",
    ),
    (
        "old-style conflicts block",
        "Subject\n\nFoo: a\n\nConflicts:\n\tfile.c\n",
        "Foo: a\n",
    ),
    ("leading blank lines", "\n\nFoo: a\n", "Foo: a\n"),
    (
        "digits and dashes in key",
        "Subject\n\nX-Some-1: v\n",
        "X-Some-1: v\n",
    ),
    (
        "NUL ends the message",
        "Subject\n\nFoo: a\n\0Bar: b\n",
        "Foo: a\n",
    ),
];

#[test]
fn edge_cases_match_expectations_and_git() {
    for (name, message, expected) in CASES {
        let ours = render(&parse(message));
        assert_eq!(&ours, expected, "case {name:?}: parse() is wrong");
        let theirs = git_interpret_trailers(message);
        assert_eq!(
            &theirs, expected,
            "case {name:?}: git interpret-trailers disagrees with the table"
        );
    }
}

#[test]
fn raw_final_dashes_are_no_divider() {
    // trailer.c itself needs a character after `---`; only interpret-trailers'
    // newline completion turns a final `---` into a divider.
    let raw = parse_as_pretty_format("Subject\n\nFoo: a\n---");
    assert_eq!(render(&raw), "");
    assert_eq!(render(&parse("Subject\n\nFoo: a\n---")), "Foo: a\n");
}

#[test]
fn block_offsets() {
    let msg = "Subject\n\nBody.\n\nFoo: a\n  b\nBar: c\n---\nnotes\n";
    let block = trailer_block(msg);
    assert_eq!(&msg[block.start..block.end], "Foo: a\n  b\nBar: c\n");
    assert!(block.blank_line_before);
    let ranges: Vec<&str> = block
        .entries
        .iter()
        .map(|e| &msg[e.range.clone()])
        .collect();
    assert_eq!(ranges, ["Foo: a\n  b\n", "Bar: c\n"]);

    let none = trailer_block("Subject\n\nBody.\n\n# comment\n");
    assert!(!none.exists());
    assert_eq!(none.start, "Subject\n\nBody.\n".len());

    // The newline git appends is clamped away.
    let msg = "Subject\n\nFoo: a";
    let block = trailer_block(msg);
    assert_eq!(block.end, msg.len());
    assert_eq!(block.entries[0].range, 9..msg.len());
}

/// The repository whose history is compared: `AIPROV_TRAILER_CORPUS`, else
/// the one containing this crate.
fn corpus() -> PathBuf {
    std::env::var_os("AIPROV_TRAILER_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// (commit, message, `%(trailers:only,unfold)`) for every commit of HEAD.
fn history(repo: &Path) -> Vec<(String, String, String)> {
    let out = git()
        .arg("-C")
        .arg(repo)
        .args([
            "log",
            "--no-show-signature",
            "--format=%H%x00%B%x00%(trailers:only,unfold)%x00",
        ])
        .output()
        .expect("cannot run `git` from PATH");
    assert!(
        out.status.success(),
        "`git log` failed in {} (set AIPROV_TRAILER_CORPUS to a git repository): {}",
        repo.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    // Neither %B nor %(trailers) can contain NUL, so fields split cleanly;
    // each record is followed by a newline.
    let fields: Vec<&[u8]> = out.stdout.split(|&b| b == 0).collect();
    let mut commits = Vec::new();
    for record in fields.chunks_exact(3) {
        let hash = String::from_utf8_lossy(record[0]).trim_start().to_owned();
        assert!(
            matches!(hash.len(), 40 | 64) && hash.bytes().all(|b| b.is_ascii_hexdigit()),
            "unexpected `git log` output near {hash:?}"
        );
        commits.push((
            hash,
            String::from_utf8_lossy(record[1]).into_owned(),
            String::from_utf8_lossy(record[2]).into_owned(),
        ));
    }
    assert_eq!(
        fields.len(),
        commits.len() * 3 + 1,
        "truncated `git log` output"
    );
    commits
}

/// How many messages to also feed to `git interpret-trailers` one by one
/// (`AIPROV_TRAILER_SAMPLE`, a number or `all`; default 60).
fn sample_size(total: usize) -> usize {
    match std::env::var("AIPROV_TRAILER_SAMPLE").as_deref() {
        Ok("all") => total,
        Ok(n) => n.parse().expect("AIPROV_TRAILER_SAMPLE: a number or `all`"),
        Err(_) => 60,
    }
}

#[test]
fn agrees_with_git_on_real_history() {
    let repo = corpus();
    let commits = history(&repo);
    assert!(
        !commits.is_empty(),
        "no commit messages found in {}",
        repo.display()
    );

    // 1. Every message: our parser in `%(trailers)` mode against git log.
    let mut mismatches = Vec::new();
    for (hash, message, expected) in &commits {
        let ours = render(&parse_as_pretty_format(message));
        if &ours != expected {
            mismatches.push(format!(
                "{hash} (%(trailers)):\n--- message\n{message}--- git\n{expected}--- ours\n{ours}"
            ));
        }
    }

    // 2. `parse` against interpret-trailers: every message where the two
    // entry points differ, plus an evenly spread sample.
    let want = sample_size(commits.len());
    let step = (commits.len() / want.max(1)).max(1);
    let picked: Vec<&(String, String, String)> = commits
        .iter()
        .enumerate()
        .filter(|(i, (_, message, expected))| {
            (i % step == 0 && i / step < want) || render(&parse(message)) != *expected
        })
        .map(|(_, c)| c)
        .collect();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = picked.len().div_ceil(threads).max(1);
    let interpret_mismatches: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = picked
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .filter_map(|(hash, message, _)| {
                            let expected = git_interpret_trailers(message);
                            let ours = render(&parse(message));
                            (ours != expected).then(|| {
                                format!(
                                    "{hash} (interpret-trailers):\n--- message\n{message}--- git\n{expected}--- ours\n{ours}"
                                )
                            })
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("comparison thread panicked"))
            .collect()
    });
    mismatches.extend(interpret_mismatches);

    eprintln!(
        "compared {} commit messages of {} with git log %(trailers), {} with git interpret-trailers; {} disagreements",
        commits.len(),
        repo.display(),
        picked.len(),
        mismatches.len()
    );
    assert!(
        mismatches.is_empty(),
        "{} disagreements with git, first ones:\n{}",
        mismatches.len(),
        mismatches
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
