//! A finished command as one text block for an insta snapshot, as jj's CLI tests do: the exit
//! code, then stdout, then stderr, with what differs from run to run replaced by a placeholder.
//!
//! ```text
//! exit: 2
//! --- stdout
//! --- stderr
//! error: unknown revision 'nope'
//! ```
//!
//! Replaced: the fixture's temporary directory (`[TMP]`), the source tree (`[SRC]`), OpenSSH
//! public keys (`ssh-ed25519 [key]`), SSH fingerprints (`SHA256:[fingerprint]`), the random part
//! of libgit2's temporary file names (`tmp_object_git2_[random]`), and runs of 12
//! or more lowercase hex digits (`[id]`: commit, blob and key ids, digests; commits made with a
//! fresh key in their tree get new ids on every run). Shorter hex and runs of zeros (git's null
//! id) are left alone, so a revision a test made up (`deadbeef`) stays readable.

use std::path::Path;
use std::process::Output;
use std::sync::OnceLock;

use regex::Regex;

/// `out` rendered with `roots` (directories of this run, longest first wins) shown as `[TMP]`.
pub fn render(out: &Output, roots: &[&Path]) -> String {
    render_naming(out, roots, &[])
}

/// Like [`render`], but first each value of `names` (a limit, a commit id), as a whole word, is
/// shown as its `[name]`: the snapshot then says which value the output holds, and a different
/// value shows as itself.
pub fn render_naming(out: &Output, roots: &[&Path], names: &[(&str, &str)]) -> String {
    let mut text = raw(out);
    for (value, name) in names {
        let word = Regex::new(&format!(r"\b{}\b", regex::escape(value))).expect("a pattern");
        text = word
            .replace_all(&text, regex::NoExpand(&format!("[{name}]")))
            .into_owned();
    }
    stable(&text, roots)
}

fn raw(out: &Output) -> String {
    let code = match out.status.code() {
        Some(code) => code.to_string(),
        None => format!("killed ({})", out.status),
    };
    let mut text = format!("exit: {code}\n--- stdout\n");
    push_stream(&mut text, &out.stdout);
    text.push_str("--- stderr\n");
    push_stream(&mut text, &out.stderr);
    text
}

fn push_stream(text: &mut String, bytes: &[u8]) {
    let s = String::from_utf8_lossy(bytes);
    text.push_str(&s);
    if !s.is_empty() && !s.ends_with('\n') {
        text.push_str("\n[no newline at end]\n");
    }
}

/// `text` with the run's directories, ids, keys and fingerprints replaced.
pub fn stable(text: &str, roots: &[&Path]) -> String {
    let mut dirs: Vec<String> = Vec::new();
    for root in roots {
        dirs.push(root.display().to_string());
        if let Ok(real) = root.canonicalize() {
            dirs.push(real.display().to_string());
        }
    }
    // The longest first, so a directory inside another is not half replaced.
    dirs.sort_by_key(|d| std::cmp::Reverse(d.len()));
    let mut text = text.to_string();
    for dir in dirs.iter().filter(|d| d.len() > 1) {
        text = text.replace(dir.as_str(), "[TMP]");
    }
    text = text.replace(env!("CARGO_MANIFEST_DIR"), "[SRC]");
    for (pattern, replacement) in filters() {
        text = pattern
            .replace_all(&text, |c: &regex::Captures| {
                // git's null id (all zeros) is the same in every run, and tests forge it.
                if c[0].bytes().all(|b| b == b'0') {
                    c[0].to_string()
                } else {
                    replacement.to_string()
                }
            })
            .into_owned();
    }
    text
}

fn filters() -> &'static [(Regex, &'static str)] {
    static FILTERS: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    FILTERS.get_or_init(|| {
        [
            (r"ssh-ed25519 AAAA[A-Za-z0-9+/]+=*", "ssh-ed25519 [key]"),
            (r"SHA256:[A-Za-z0-9+/]{43}=?", "SHA256:[fingerprint]"),
            (r"_git2_[A-Za-z0-9]+", "_git2_[random]"),
            (r"[0-9a-f]{12,}", "[id]"),
        ]
        .into_iter()
        .map(|(p, r)| (Regex::new(p).expect("a valid pattern"), r))
        .collect()
    })
}

/// `outcome` with git's own advice (`hint:` lines naming `git am --…` or `git config advice.…`,
/// which differ from one git version to the next) as one `[git's advice]` line; aiprov's own hints
/// are kept.
pub fn without_git_advice(outcome: &str) -> String {
    static ADVICE: OnceLock<Regex> = OnceLock::new();
    ADVICE
        .get_or_init(|| Regex::new(r"(?m)(^hint: .*(git am --|advice\.).*\n)+").expect("a pattern"))
        .replace_all(outcome, "[git's advice]\n")
        .into_owned()
}
