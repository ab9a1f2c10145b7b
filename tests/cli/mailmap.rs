//! `.mailmap` in the DCO check: an author who signed off under another of their addresses is
//! not flagged when the trusted revision's `.mailmap` joins the two, read as git reads it.

use std::path::PathBuf;
use std::process::Command;

use crate::common;

use common::{lines, Fixture};
use serde_json::Value;

/// git's own `.mailmap`: `AIPROV_GIT_MAILMAP`, or fetched by `scripts/fetch-git-mailmap`.
fn gits_mailmap() -> PathBuf {
    if let Some(path) = std::env::var_os("AIPROV_GIT_MAILMAP") {
        return PathBuf::from(path);
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/fetch-git-mailmap");
    let out = Command::new(script)
        .output()
        .expect("run scripts/fetch-git-mailmap");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8(out.stdout).expect("a path").trim())
}

/// Every `Name <email>` a `.mailmap` could be asked about: each address it names with each name
/// on its line, with a name it does not know, and in capitals.
fn identities_in(text: &str) -> Vec<String> {
    let mut asked = Vec::new();
    for line in text
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default())
    {
        let mut names = vec!["Somebody Else".to_string()];
        let mut emails = Vec::new();
        let mut rest = line;
        while let Some(open) = rest.find('<') {
            let name = rest[..open].trim();
            if !name.is_empty() {
                names.push(name.to_string());
            }
            let Some(close) = rest[open..].find('>') else {
                break;
            };
            emails.push(rest[open + 1..open + close].to_string());
            rest = &rest[open + close + 1..];
        }
        for email in &emails {
            for name in &names {
                asked.push(format!("{name} <{email}>"));
            }
            asked.push(format!("{} <{}>", names[0], email.to_uppercase()));
        }
    }
    asked.sort();
    asked.dedup();
    asked
}

fn parse(identity: &str) -> aiprov::trailers::Identity {
    let (name, email) = identity.split_once(" <").expect("Name <email>");
    aiprov::trailers::Identity {
        name: name.to_string(),
        email: email.trim_end_matches('>').to_string(),
    }
}

#[test]
fn gits_own_mailmap_resolves_as_git_check_mailmap_resolves_it() {
    let path = gits_mailmap();
    let text = std::fs::read_to_string(&path).expect("git's .mailmap");
    let mailmap = aiprov::git::Mailmap::parse(text.as_bytes());
    let asked = identities_in(&text);
    assert!(asked.len() > 500, "{} identities", asked.len());
    let f = Fixture::new();
    let mut differ = Vec::new();
    for chunk in asked.chunks(200) {
        let out = common::git_cmd(&f.repo)
            .arg("-c")
            .arg(format!("mailmap.file={}", path.display()))
            .arg("check-mailmap")
            .args(chunk)
            .output()
            .expect("git check-mailmap");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let git_says = String::from_utf8(out.stdout).expect("UTF-8");
        for (identity, git) in chunk.iter().zip(git_says.lines()) {
            let git = parse(git);
            let ours = mailmap.resolve(&parse(identity));
            // Addresses are compared as the DCO check compares them, ignoring case.
            if ours.name != git.name || !ours.email.eq_ignore_ascii_case(&git.email) {
                differ.push(format!("{identity}: git {git:?}, aiprov {ours:?}"));
            }
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {}:\n{}",
        differ.len(),
        asked.len(),
        differ.join("\n")
    );
}

/// A repository whose base holds `mailmap` as `.mailmap`, and a change by Christian Couder
/// signed off under his other address, as five commits of git's v2.49.0..v2.50.0 are
/// (2c0dcb975495 among them).
fn dco_codes(mailmap: Option<&str>, mailmap_in_change: bool) -> Vec<String> {
    let f = Fixture::new();
    f.write("README", "readme\n");
    if let Some(text) = mailmap {
        f.write(".mailmap", text);
    }
    let base = f.commit_all("Base\n\nSigned-off-by: Alice Author <alice@example.org>");
    if mailmap_in_change {
        f.write(
            ".mailmap",
            std::fs::read(gits_mailmap()).expect("git's .mailmap"),
        );
    }
    f.write("promisor.c", lines("remote", 4));
    f.git(&["add", "-A"]);
    f.git(&[
        "commit",
        "-q",
        "--author",
        "Christian Couder <christian.couder@gmail.com>",
        "-m",
        "promisor-remote: refactor\n\nSigned-off-by: Christian Couder <chriscool@tuxfamily.org>",
    ]);
    let out = f
        .aiprov()
        .args(["verify", "--format", "json", &format!("{base}..HEAD")])
        .output()
        .expect("verify");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    doc["changes"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["code"].as_str())
        .filter(|c| c.starts_with("dco."))
        .map(str::to_string)
        .collect()
}

#[test]
fn an_author_signed_off_under_an_address_the_trusted_mailmap_joins_is_not_flagged() {
    let text = std::fs::read_to_string(gits_mailmap()).expect("git's .mailmap");
    assert_eq!(dco_codes(Some(&text), false), Vec::<String>::new());
    // Without a .mailmap, or with one the change brings itself (not trusted), the author is
    // flagged.
    assert_eq!(dco_codes(None, false), ["dco.author-not-signed-off"]);
    assert_eq!(dco_codes(None, true), ["dco.author-not-signed-off"]);
}
