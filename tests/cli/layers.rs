//! The module ladder of `ARCHITECTURE.md` ("Layers"): no module of `src/` uses one above it, and
//! within a directory that has a list of its own, no file uses one above it. The lists are read
//! from `ARCHITECTURE.md`, the one place they are written. Uses are read from each file's tokens
//! (`proc-macro2`), so comments and strings are not uses: every path that names a module
//! (`crate::x`, `super::x`, `self::x`, and `x::` for a module the file declares itself).

use std::collections::BTreeSet;
use std::path::Path;
use std::str::FromStr;

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};

/// Uses that break the ladder today, each removed on another branch under way. An entry is
/// `(module, module it uses, where)`. Each must still occur (take an entry off this list when its
/// use is gone: the test says so), and no other use may break the ladder.
const KNOWN_EXCEPTIONS: &[(&str, &str, &str)] = &[];

/// One list of `ARCHITECTURE.md`: the modules under `prefix` (a path from the crate root; empty
/// for `src/` itself), bottom first.
#[derive(Debug)]
struct Ladder {
    prefix: Vec<String>,
    rungs: Vec<String>,
}

impl Ladder {
    fn rung(&self, name: &str) -> Option<usize> {
        self.rungs.iter().position(|r| r == name)
    }

    fn dir(&self) -> String {
        let mut dir = String::from("src/");
        for p in &self.prefix {
            dir.push_str(p);
            dir.push('/');
        }
        dir
    }
}

/// The lists of the "Layers" section: each a fenced block whose first line names its directory
/// (`src/`, `src/verify/`) and whose other lines start with a module's name.
fn ladders(architecture: &str) -> Vec<Ladder> {
    let section = architecture
        .split("\n## ")
        .find(|s| s.starts_with("Layers\n"))
        .expect("ARCHITECTURE.md has a \"Layers\" section");
    let mut out = Vec::new();
    let mut block: Option<Vec<&str>> = None;
    for line in section.lines() {
        match (line.starts_with("```"), block.take()) {
            (true, None) => block = Some(Vec::new()),
            (true, Some(lines)) => {
                let (dir, modules) = lines.split_first().expect("a list names its directory");
                let prefix = dir
                    .trim()
                    .strip_prefix("src/")
                    .and_then(|d| d.strip_suffix('/').or(Some(d)))
                    .expect("a list's first line is its directory under src/");
                out.push(Ladder {
                    prefix: prefix
                        .split('/')
                        .filter(|p| !p.is_empty())
                        .map(String::from)
                        .collect(),
                    rungs: modules
                        .iter()
                        .filter_map(|l| l.split_whitespace().next())
                        .map(String::from)
                        .collect(),
                });
            }
            (false, Some(mut lines)) => {
                lines.push(line);
                block = Some(lines);
            }
            (false, None) => {}
        }
    }
    assert!(
        out.first().is_some_and(|l| l.prefix.is_empty()),
        "the first list of \"Layers\" is src/"
    );
    out
}

/// A path that names a module, from the crate root, where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Use {
    path: Vec<String>,
    line: usize,
}

/// The module path of a file under `src/`: `verify/sigstore.rs` is `verify::sigstore`,
/// `verify/mod.rs` is `verify`.
fn module_of(relative: &Path) -> Vec<String> {
    let mut path: Vec<String> = relative
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if path.last().is_some_and(|l| l == "mod") {
        path.pop();
    }
    path
}

/// The modules a file declares (`mod x;`), which it may name as `x::`.
fn declared(tokens: &[TokenTree]) -> BTreeSet<String> {
    tokens
        .windows(3)
        .filter_map(|w| match w {
            [TokenTree::Ident(m), TokenTree::Ident(name), TokenTree::Punct(semi)]
                if m == "mod" && semi.as_char() == ';' =>
            {
                Some(name.to_string())
            }
            _ => None,
        })
        .collect()
}

fn is_ident(t: Option<&TokenTree>, name: &str) -> bool {
    matches!(t, Some(TokenTree::Ident(i)) if i == name)
}

/// Whether `tokens[i..]` starts with `::`.
fn is_path_sep(tokens: &[TokenTree], i: usize) -> bool {
    matches!(
        (tokens.get(i), tokens.get(i + 1)),
        (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
            if a.as_char() == ':' && a.spacing() == Spacing::Joint && b.as_char() == ':'
    )
}

/// Every module path of one file: `module` is the file's module, `source` its text.
fn uses_in(module: &[String], source: &str) -> Vec<Use> {
    let tokens: Vec<TokenTree> = TokenStream::from_str(source)
        .expect("a source file tokenizes")
        .into_iter()
        .collect();
    let children = declared(&tokens);
    let mut out = Vec::new();
    scan(&tokens, module, &children, 0, &mut out);
    out
}

/// Scans `tokens`, `depth` inline modules (`mod tests { ... }`) deep in the file.
fn scan(
    tokens: &[TokenTree],
    module: &[String],
    children: &BTreeSet<String>,
    depth: usize,
    out: &mut Vec<Use>,
) {
    let mut i = 0;
    while i < tokens.len() {
        let after_sep = i >= 2 && is_path_sep(tokens, i - 2);
        match &tokens[i] {
            TokenTree::Ident(m) if m == "mod" => {
                if let (Some(TokenTree::Ident(_)), Some(TokenTree::Group(g))) =
                    (tokens.get(i + 1), tokens.get(i + 2))
                {
                    if g.delimiter() == Delimiter::Brace {
                        let inner: Vec<TokenTree> = g.stream().into_iter().collect();
                        scan(&inner, module, children, depth + 1, out);
                        i += 3;
                        continue;
                    }
                }
            }
            // A module's face: `pub use child::...;` in the file that declares the child.
            TokenTree::Ident(p) if p == "pub" && depth == 0 => {
                let mut j = i + 1;
                if matches!(tokens.get(j), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis)
                {
                    j += 1;
                }
                if is_ident(tokens.get(j), "use")
                    && matches!(tokens.get(j + 1), Some(TokenTree::Ident(c)) if children.contains(&c.to_string()))
                {
                    while i < tokens.len()
                        && !matches!(&tokens[i], TokenTree::Punct(p) if p.as_char() == ';')
                    {
                        i += 1;
                    }
                    continue;
                }
            }
            TokenTree::Ident(c) if c == "crate" && !after_sep && is_path_sep(tokens, i + 1) => {
                let line = c.span().start().line;
                i = tail(tokens, i + 3, Vec::new(), line, out);
                continue;
            }
            TokenTree::Ident(s) if s == "super" && !after_sep && is_path_sep(tokens, i + 1) => {
                let line = s.span().start().line;
                let mut supers = 0;
                let mut j = i;
                while is_ident(tokens.get(j), "super") && is_path_sep(tokens, j + 1) {
                    supers += 1;
                    j += 3;
                }
                if supers > depth {
                    let up = supers - depth;
                    let base = module[..module.len().saturating_sub(up)].to_vec();
                    i = tail(tokens, j, base, line, out);
                } else {
                    i = j;
                }
                continue;
            }
            TokenTree::Ident(s)
                if s == "self" && !after_sep && depth == 0 && is_path_sep(tokens, i + 1) =>
            {
                let line = s.span().start().line;
                i = tail(tokens, i + 3, module.to_vec(), line, out);
                continue;
            }
            TokenTree::Ident(c)
                if depth == 0
                    && !after_sep
                    && children.contains(&c.to_string())
                    && is_path_sep(tokens, i + 1) =>
            {
                let line = c.span().start().line;
                i = tail(tokens, i, module.to_vec(), line, out);
                continue;
            }
            TokenTree::Group(g) => {
                let inner: Vec<TokenTree> = g.stream().into_iter().collect();
                scan(&inner, module, children, depth, out);
            }
            _ => {}
        }
        i += 1;
    }
}

/// Reads the rest of a path from `tokens[i]` on (`a::b`, `*`, `{a, b::{c}}`) below `base`;
/// returns the index after it.
fn tail(
    tokens: &[TokenTree],
    mut i: usize,
    base: Vec<String>,
    line: usize,
    out: &mut Vec<Use>,
) -> usize {
    let mut path = base;
    loop {
        match tokens.get(i) {
            Some(TokenTree::Ident(name)) if name != "self" => {
                path.push(name.to_string());
                i += 1;
                if !is_path_sep(tokens, i) {
                    break;
                }
                i += 2;
            }
            Some(TokenTree::Ident(_)) => {
                i += 1;
                break;
            }
            Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace => {
                let inner: Vec<TokenTree> = g.stream().into_iter().collect();
                for segment in
                    inner.split(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ','))
                {
                    if !segment.is_empty() {
                        tail(segment, 0, path.clone(), line, out);
                    }
                }
                return i + 1;
            }
            _ => break,
        }
    }
    out.push(Use { path, line });
    i
}

/// Why a use of `used` in `module` breaks a ladder, if it does.
fn breach(ladders: &[Ladder], module: &[String], used: &[String]) -> Option<String> {
    // The deepest list that holds both: the crate's for different modules, a directory's for
    // two files of it.
    let ladder = ladders
        .iter()
        .filter(|l| module.starts_with(&l.prefix) && used.starts_with(&l.prefix))
        .filter(|l| module.len() >= l.prefix.len() && used.len() > l.prefix.len())
        .max_by_key(|l| l.prefix.len())?;
    let depth = ladder.prefix.len();
    let from = module.get(depth).map_or("mod", String::as_str);
    let to = used[depth].as_str();
    if from == to {
        return None;
    }
    let dir = ladder.dir();
    let rung = |name: &str| {
        ladder
            .rung(name)
            .ok_or_else(|| format!("{dir}{name} is not on the ladder of {dir}"))
    };
    // A name below a directory that is no file of it is an item of its `mod.rs`.
    let to = match rung(to) {
        Err(_) if depth > 0 => "mod",
        _ => to,
    };
    let (from_rung, to_rung) = match (rung(from), rung(to)) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(e), _) | (_, Err(e)) => return Some(e),
    };
    (to_rung > from_rung).then(|| format!("{dir}: {from} uses {to}, which is above it"))
}

/// The modules (files and directories) directly under `dir`, as the ladder names them.
fn modules_in(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .expect("readable source directory")
        .map(|e| e.expect("readable entry").path())
        .filter_map(|p| {
            let name = p.file_name()?.to_string_lossy().into_owned();
            if p.is_dir() {
                Some(name)
            } else {
                name.strip_suffix(".rs").map(String::from)
            }
        })
        .filter(|n| n != "lib" && n != "main")
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source directory") {
        let path = entry.expect("readable entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn the_ladders() -> Vec<Ladder> {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    ladders(&text)
}

#[test]
fn every_module_is_on_its_ladder_once() {
    for ladder in the_ladders() {
        let dir = root().join(ladder.dir());
        let mut have = modules_in(&dir);
        if !ladder.prefix.is_empty() {
            have.insert("mod".into());
        }
        let listed: BTreeSet<String> = ladder.rungs.iter().cloned().collect();
        assert_eq!(
            listed.len(),
            ladder.rungs.len(),
            "{}: a module listed twice",
            ladder.dir()
        );
        let missing: Vec<_> = have.difference(&listed).collect();
        let stale: Vec<_> = listed.difference(&have).collect();
        assert!(
            missing.is_empty() && stale.is_empty(),
            "the ladder of {} in ARCHITECTURE.md: not on it {missing:?}, not in the source {stale:?}",
            ladder.dir()
        );
    }
}

#[test]
fn no_module_uses_one_above_it() {
    let ladders = the_ladders();
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut breaches = Vec::new();
    let mut excepted = BTreeSet::new();
    for file in files {
        let relative = file.strip_prefix(&src).expect("a file under src/");
        if relative == Path::new("lib.rs") || relative == Path::new("main.rs") {
            continue;
        }
        let module = module_of(relative);
        let source = std::fs::read_to_string(&file).expect("a readable source file");
        let shown = Path::new("src").join(relative);
        for u in uses_in(&module, &source) {
            let Some(why) = breach(&ladders, &module, &u.path) else {
                continue;
            };
            let known = KNOWN_EXCEPTIONS.iter().find(|(from, to, at)| {
                module[0] == *from && u.path[0] == *to && shown == Path::new(at)
            });
            match known {
                Some(k) => {
                    excepted.insert(*k);
                }
                None => breaches.push(format!(
                    "{}:{}: {why} ({})",
                    shown.display(),
                    u.line,
                    u.path.join("::")
                )),
            }
        }
    }
    let fixed: Vec<String> = KNOWN_EXCEPTIONS
        .iter()
        .filter(|k| !excepted.contains(*k))
        .map(|(from, to, at)| {
            format!("{from} no longer uses {to} in {at}: take it off KNOWN_EXCEPTIONS")
        })
        .collect();
    assert!(
        breaches.is_empty() && fixed.is_empty(),
        "the ladder of ARCHITECTURE.md (\"Layers\"):\n{}",
        breaches
            .iter()
            .chain(&fixed)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The checks above on sources written here, so that each kind of use is seen to count.
mod reading {
    use super::*;

    fn ladder() -> Vec<Ladder> {
        ladders(
            "# x\n\n## Layers\n\n```text\nsrc/\ntext  t\nchange  c\nverify  v\ncli  c\n```\n\n\
             ```text\nsrc/verify/\nsigstore  s\nenvelopes  e\nmod  m\nsources  s\n```\n\n## Next\n",
        )
    }

    fn breaches(file: &str, source: &str) -> Vec<String> {
        let module = module_of(Path::new(file));
        uses_in(&module, source)
            .iter()
            .filter_map(|u| breach(&ladder(), &module, &u.path))
            .collect()
    }

    #[test]
    fn uses_below_pass_and_uses_above_fail() {
        assert_eq!(
            breaches("change.rs", "use crate::text::printable;"),
            Vec::<String>::new()
        );
        assert_eq!(
            breaches("change.rs", "use crate::verify::Verdict;"),
            ["src/: change uses verify, which is above it"]
        );
        assert_eq!(
            breaches("change.rs", "use crate::{text::{self, printable}, cli};"),
            ["src/: change uses cli, which is above it"]
        );
        assert_eq!(
            breaches("change.rs", "fn f() { let x = crate::cli::run(); }"),
            ["src/: change uses cli, which is above it"]
        );
        assert_eq!(
            breaches("change.rs", "use crate::nowhere;"),
            ["src/nowhere is not on the ladder of src/"]
        );
    }

    #[test]
    fn comments_strings_and_inline_modules_do_not_count() {
        let source = "//! [`crate::cli`]\n/// crate::verify\nconst S: &str = \"crate::cli\";\n\
                      mod tests { use super::*; use super::super::text; }";
        assert_eq!(breaches("change.rs", source), Vec::<String>::new());
        assert_eq!(
            breaches("change.rs", "mod tests { use super::super::cli; }"),
            ["src/: change uses cli, which is above it"]
        );
    }

    #[test]
    fn files_of_a_directory_keep_their_order() {
        assert_eq!(
            breaches("verify/sigstore.rs", "use super::envelopes::SignedBy;"),
            ["src/verify/: sigstore uses envelopes, which is above it"]
        );
        assert_eq!(
            breaches("verify/sigstore.rs", "use crate::verify::sources::x;"),
            ["src/verify/: sigstore uses sources, which is above it"]
        );
        // An item of `mod.rs` (a re-export) is `mod`; `super::` from `mod.rs` is the crate.
        assert_eq!(
            breaches("verify/envelopes.rs", "use super::Verdict;"),
            ["src/verify/: envelopes uses mod, which is above it"]
        );
        assert_eq!(
            breaches("verify/sources.rs", "use super::{verify_change, Verdict};"),
            Vec::<String>::new()
        );
        assert_eq!(
            breaches("verify/mod.rs", "use super::cli::x;"),
            ["src/: verify uses cli, which is above it"]
        );
        // `mod.rs` names its files directly; `pub use` of them is its face, not a use.
        assert_eq!(
            breaches("verify/mod.rs", "mod sources;\nmod envelopes;\npub use sources::verify_commit;\nfn f() { envelopes::check(); }"),
            Vec::<String>::new()
        );
        assert_eq!(
            breaches(
                "verify/mod.rs",
                "mod sources;\nfn f() { sources::verify_commit(); }"
            ),
            ["src/verify/: mod uses sources, which is above it"]
        );
    }
}
