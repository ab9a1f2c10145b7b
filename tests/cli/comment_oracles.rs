//! The comment detector against oracles nobody here wrote (issue 13, class 4): for C, the
//! preprocessor's own comment stripping (`cpp -fpreprocessed -P -dD`); for Python, the standard
//! `tokenize` module. Each edit of a real file is judged both ways: aiprov's "same code" (the
//! change is comment-only) must be the oracle's "same output".
//!
//! The files are QEMU's (`AIPROV_QEMU_SOURCE`, as for the MAINTAINERS comparison), each edited
//! in places chosen without aiprov's lexer. `real_history_agrees_with_cpp` (ignored: it needs a
//! clone) does the same for every C file change of a real range:
//! `AIPROV_ORACLE_REPO=/path/to/git.git AIPROV_ORACLE_RANGE=v2.45.0..v2.50.0 cargo test --test
//! cli comment_oracles:: -- --ignored`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use aiprov::policy::comments::{lex, same_code, Language};
use common::qemu_tree;

use crate::common;

/// Files under `dir` ending in `ext`, sorted.
fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

/// Whitespace runs as one space, blank lines dropped: how the two outputs are compared.
fn normalized(text: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(text)
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect()
}

/// What `cpp -fpreprocessed` keeps of a C file (its code, comments stripped), or `None` when
/// it refuses the file.
fn cpp(text: &[u8]) -> Option<Vec<String>> {
    let mut child = Command::new("cpp")
        .args(["-fpreprocessed", "-P", "-dD", "-w", "-x", "c", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("cpp (gcc) is installed by scripts/test");
    let mut stdin = child.stdin.take().expect("stdin");
    let text = text.to_vec();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let _ = stdin.write_all(&text);
    });
    let out = child.wait_with_output().expect("cpp output");
    writer.join().expect("writer");
    out.status.success().then(|| normalized(&out.stdout))
}

/// The lines of a text that end in a backslash. `cpp -fpreprocessed` takes its input as
/// already spliced (a backslash-newline joins no lines there, in a comment or out of it), so an
/// edit that changes which lines are spliced is beyond this oracle.
fn spliced(text: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(text)
        .lines()
        .filter(|l| l.ends_with('\\'))
        .map(String::from)
        .collect()
}

/// Edits of a file made without a lexer: text inserted after comment markers (a comment or a
/// string, whichever it is), at line ends, and a changed byte.
fn edits(text: &str, seed: usize) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let pick = |k: usize| (seed * 7919 + k * 104_729) % lines.len().max(1);
    let with = |at: usize, line: String| {
        let mut l: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
        l[at] = line;
        l.join("\n") + if text.ends_with('\n') { "\n" } else { "" }
    };
    if lines.is_empty() {
        return out;
    }
    if let Some(at) = lines.iter().position(|l| l.contains("/*")) {
        out.push(with(at, lines[at].replacen("/*", "/* edited", 1)));
    }
    if let Some(at) = lines.iter().rposition(|l| l.contains("//")) {
        out.push(with(at, lines[at].replacen("//", "// edited", 1)));
    }
    let at = pick(1);
    out.push(with(at, format!("{} /* note */", lines[at])));
    let at = pick(2);
    if let Some(i) = lines[at].find(|c: char| c.is_ascii_alphabetic()) {
        let mut l = lines[at].to_string();
        l.replace_range(i..i + 1, "Q");
        out.push(with(at, l));
    }
    let at = pick(3);
    out.push(with(at, format!("  {}  ", lines[at])));
    out
}

#[derive(Default, Debug)]
struct Tally {
    compared: usize,
    comment_only: usize,
    skipped: usize,
    unsure: usize,
    disagreements: Vec<String>,
}

impl Tally {
    fn judge_c(&mut self, what: &str, old: &[u8], new: &[u8]) {
        let splices_comment = |t: &[u8]| {
            spliced(t)
                .iter()
                .any(|l| l.contains("//") || l.contains("/*") || l.contains("*/"))
        };
        if old == new
            || spliced(old) != spliced(new)
            || splices_comment(old)
            || splices_comment(new)
        {
            self.skipped += 1;
            return;
        }
        let (Some(a), Some(b)) = (cpp(old), cpp(new)) else {
            self.skipped += 1;
            return;
        };
        self.record(what, a == b, Language::C, old, new);
    }

    fn record(&mut self, what: &str, oracle: bool, language: Language, old: &[u8], new: &[u8]) {
        let aiprov = same_code(language, old, new);
        self.compared += 1;
        self.comment_only += usize::from(oracle);
        // Where the lexer is not sure, it takes the change for code: more careful than the
        // oracle, never less.
        if !aiprov && oracle && !(lex(language, old).sure && lex(language, new).sure) {
            self.unsure += 1;
        } else if aiprov != oracle {
            self.disagreements.push(format!(
                "{what}: oracle says same code {oracle}, aiprov {aiprov}"
            ));
        }
    }

    fn assert_agrees(&self) {
        eprintln!("{self:?}");
        assert!(
            self.comment_only > 0 && self.comment_only < self.compared,
            "{self:?}"
        );
        assert!(self.disagreements.is_empty(), "{:#?}", self.disagreements);
    }
}

#[test]
fn c_files_of_qemu_agree_with_cpp() {
    let mut c = Vec::new();
    files(&qemu_tree().join("hw"), "c", &mut c);
    let mut tally = Tally::default();
    for (n, path) in c.iter().step_by(12).take(150).enumerate() {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        for (k, edited) in edits(&text, n).into_iter().enumerate() {
            tally.judge_c(
                &format!("{} edit {k}", path.display()),
                text.as_bytes(),
                edited.as_bytes(),
            );
        }
    }
    assert!(tally.compared > 400, "{tally:?}");
    tally.assert_agrees();
}

#[test]
fn the_reported_attacks_agree_with_cpp() {
    let mut tally = Tally::default();
    for (old, new) in [
        // Code added above a comment, after a string continued by a splice.
        (
            "s = \"a\\\nb\";\n/* c */\nx();\n",
            "s = \"a\\\nb\";\nevil();\n/* c */\nx();\n",
        ),
        ("return x; /* a */\n", "return x; /* b */\n"),
        ("return x; /* a */\n", "return y; /* a */\n"),
        (
            "char *s = \"/*\"; f(); /* */\n",
            "char *s = \"/*\"; g(); /* */\n",
        ),
        ("c = '\"'; f(); // x\n", "c = '\"'; g(); // x\n"),
    ] {
        tally.judge_c(old, old.as_bytes(), new.as_bytes());
    }
    tally.assert_agrees();
}

/// Python's own tokenizer: the tokens of each version, comments and blank lines left out.
const TOKENS: &str = r#"
import io, sys, tokenize
def code(path):
    with open(path, 'rb') as f:
        toks = tokenize.tokenize(io.BytesIO(f.read()).readline)
        return [(t.type, t.string) for t in toks
                if t.type not in (tokenize.COMMENT, tokenize.NL, tokenize.ENCODING)]
for old, new in zip(sys.argv[1::2], sys.argv[2::2]):
    try:
        print(int(code(old) == code(new)))
    except Exception:
        print(-1)
"#;

#[test]
fn python_files_of_qemu_agree_with_tokenize() {
    let python = std::env::var_os("AIPROV_PYTHON").unwrap_or_else(|| "python3".into());
    let mut py = Vec::new();
    files(&qemu_tree().join("scripts"), "py", &mut py);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut pairs = Vec::new();
    for (n, path) in py.iter().step_by(2).take(100).enumerate() {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let text = text.replace("/*", "#");
        for (k, edited) in edits(&text.replace("//", "# "), n).into_iter().enumerate() {
            let edited = edited.replace("/* note */", "# note").replace("/*", "#");
            let old = dir.path().join(format!("{n}-{k}-old.py"));
            let new = dir.path().join(format!("{n}-{k}-new.py"));
            std::fs::write(&old, &text).expect("write");
            std::fs::write(&new, &edited).expect("write");
            pairs.push((path.display().to_string(), old, new));
        }
    }
    let out = Command::new(&python)
        .arg("-c")
        .arg(TOKENS)
        .args(pairs.iter().flat_map(|(_, o, n)| [o, n]))
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verdicts: Vec<i32> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.parse().expect("verdict"))
        .collect();
    assert_eq!(verdicts.len(), pairs.len());
    let mut tally = Tally::default();
    for ((what, old, new), oracle) in pairs.iter().zip(verdicts) {
        let (old, new) = (
            std::fs::read(old).expect("read"),
            std::fs::read(new).expect("read"),
        );
        if oracle < 0 || old == new {
            tally.skipped += 1;
            continue;
        }
        tally.record(what, oracle == 1, Language::Python, &old, &new);
    }
    assert!(tally.compared > 100, "{tally:?}");
    tally.assert_agrees();
}

#[test]
#[ignore = "needs a clone: AIPROV_ORACLE_REPO and AIPROV_ORACLE_RANGE"]
fn real_history_agrees_with_cpp() {
    let repo = std::env::var("AIPROV_ORACLE_REPO").expect("AIPROV_ORACLE_REPO");
    let range = std::env::var("AIPROV_ORACLE_RANGE").unwrap_or("v2.45.0..v2.50.0".into());
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .arg("--git-dir")
            .arg(&repo)
            .args(args)
            .output()
            .expect("git");
        assert!(out.status.success(), "git {args:?}");
        out.stdout
    };
    let log = git(&[
        "log",
        "--no-merges",
        "--format=%H",
        "--raw",
        "--no-abbrev",
        "--no-renames",
        &range,
    ]);
    let mut tally = Tally::default();
    for line in String::from_utf8_lossy(&log).lines() {
        // :old-mode new-mode old-id new-id status\tpath
        let Some((meta, path)) = line.strip_prefix(':').and_then(|l| l.split_once('\t')) else {
            continue;
        };
        let f: Vec<&str> = meta.split(' ').collect();
        if !(path.ends_with(".c") || path.ends_with(".h")) || f.len() < 5 || f[4] != "M" {
            continue;
        }
        let (old, new) = (
            git(&["cat-file", "blob", f[2]]),
            git(&["cat-file", "blob", f[3]]),
        );
        tally.judge_c(
            &format!("{path} {}..{}", &f[2][..8], &f[3][..8]),
            &old,
            &new,
        );
    }
    tally.assert_agrees();
}
