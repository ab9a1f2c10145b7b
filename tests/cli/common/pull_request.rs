//! A pull request from a fork, built for the CI tests (`github_action.rs`, `gitlab_template.rs`):
//! a base repository whose keyring trusts the contributor (alice) and a maintainer (mara), who
//! maintains everything; a fork; the contributor's clone of it; the topics the tests verify;
//! what GitHub makes of a pull request (`refs/pull/N/head`, the test merge `refs/pull/N/merge`, the
//! workspace actions/checkout leaves, the `pull_request` event).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::{git, lines, Fixture};
use serde_json::Value;

const ALICE: &str = "Alice Author <alice@example.org>";
/// The pull (or merge) request's number.
pub const PR: u64 = 7;

/// GitHub's real `pull_request` `opened` payload: the first such example of
/// @octokit/webhooks-examples (`AIPROV_WEBHOOKS_EXAMPLES`, else `scripts/fetch-webhooks-examples`).
fn opened_event() -> Value {
    static EXAMPLES: OnceLock<PathBuf> = OnceLock::new();
    let path = EXAMPLES.get_or_init(|| {
        if let Some(path) = std::env::var_os("AIPROV_WEBHOOKS_EXAMPLES") {
            return PathBuf::from(path);
        }
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/fetch-webhooks-examples"
        );
        let out = Command::new(script).output().expect("run the script");
        assert!(
            out.status.success(),
            "scripts/fetch-webhooks-examples failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        PathBuf::from(String::from_utf8(out.stdout).expect("a path").trim())
    });
    let all: Vec<Value> =
        serde_json::from_slice(&std::fs::read(path).expect("index.json")).expect("JSON");
    let events = all
        .iter()
        .find(|e| e["name"] == "pull_request")
        .expect("pull_request examples");
    events["examples"]
        .as_array()
        .expect("examples")
        .iter()
        .find(|e| e["action"] == "opened")
        .expect("an opened example")
        .clone()
}

/// A pull request's repositories: the base repository and the fork (both bare), the
/// maintainer's clone of the base (`f.repo`) and the contributor's clone of the fork.
pub struct World {
    pub f: Fixture,
    pub base: PathBuf,
    pub fork: PathBuf,
    pub contributor: PathBuf,
    alice: PathBuf,
    mara: PathBuf,
    pub base_sha: String,
}

impl World {
    /// The base repository: a keyring trusting alice (contributor) and mara (maintainer), a
    /// MAINTAINERS naming mara for everything, `src/ring.c`; the fork, a clone of it, and the
    /// contributor's clone of the fork on a branch `topic`.
    pub fn new() -> World {
        let f = Fixture::new();
        let alice = f.keygen("alice");
        let mara = f.keygen("mara");
        f.init_trusting("alice@example.org", &alice);
        f.aiprov()
            .args(["keyring", "add", "mara@example.org"])
            .arg(mara.with_extension("pub"))
            .assert()
            .success();
        f.write(
            "MAINTAINERS",
            "THE REST\nM:\tMara Maintainer <mara@example.org>\nS:\tMaintained\nF:\t*\nF:\t*/\n",
        );
        f.write("src/ring.c", lines("int ring", 100));
        let base_sha = f.commit_all(&format!("Base\n\nSigned-off-by: {ALICE}"));
        let tmp = f.tmp.path();
        let base = tmp.join("base.git");
        let fork = tmp.join("fork.git");
        let contributor = tmp.join("contributor");
        git(tmp, &["clone", "-q", "--bare", path(&f.repo), path(&base)]);
        git(tmp, &["clone", "-q", "--bare", path(&base), path(&fork)]);
        git(tmp, &["clone", "-q", path(&fork), path(&contributor)]);
        git(&contributor, &["checkout", "-q", "-b", "topic"]);
        f.git(&["remote", "add", "origin", path(&base)]);
        World {
            f,
            base,
            fork,
            contributor,
            alice,
            mara,
            base_sha,
        }
    }

    /// Writes `files` in the contributor's clone and commits them with `message`; the id.
    pub fn commit(&self, files: &[(&str, String)], message: &str) -> String {
        for (name, content) in files {
            let p = self.contributor.join(name);
            std::fs::create_dir_all(p.parent().expect("a parent")).expect("mkdir");
            std::fs::write(p, content).expect("write");
        }
        git(&self.contributor, &["add", "-A"]);
        git(&self.contributor, &["commit", "-q", "-m", message]);
        git(&self.contributor, &["rev-parse", "HEAD"])
            .trim()
            .to_string()
    }

    /// `aiprov attest` of the contributor's HEAD, as alice.
    pub fn attest(&self) {
        self.f
            .aiprov()
            .current_dir(&self.contributor)
            .args(["attest", "-y", "--key"])
            .arg(&self.alice)
            .assert()
            .success();
    }

    /// The contributor pushes `topic` and the notes to the fork.
    pub fn push_to_fork(&self) {
        git(&self.contributor, &["push", "-q", "origin", "topic"]);
        self.f
            .aiprov()
            .current_dir(&self.contributor)
            .args(["push", "origin"])
            .assert()
            .success();
    }

    /// What GitHub does when the pull request is opened: the head in the base repository as
    /// `refs/pull/N/head`, and the test merge of it into the base branch as `refs/pull/N/merge`
    /// (its first parent the base, its second the head). The merge commit's id.
    pub fn open_pull_request(&self) -> String {
        let head = format!("refs/pull/{PR}/head");
        git(
            &self.contributor,
            &["push", "-q", path(&self.base), &format!("topic:{head}")],
        );
        let scratch = self.f.tmp.path().join("github-merge");
        git(
            self.f.tmp.path(),
            &[
                "clone",
                "-q",
                "--no-checkout",
                path(&self.base),
                path(&scratch),
            ],
        );
        git(&scratch, &["fetch", "-q", "origin", &head]);
        git(&scratch, &["checkout", "-q", "--detach", "origin/main"]);
        git(
            &scratch,
            &[
                "merge",
                "-q",
                "--no-ff",
                "-m",
                "Merge into main",
                "FETCH_HEAD",
            ],
        );
        git(
            &scratch,
            &[
                "push",
                "-q",
                "origin",
                &format!("HEAD:refs/pull/{PR}/merge"),
            ],
        );
        git(&scratch, &["rev-parse", "HEAD"]).trim().to_string()
    }

    /// The maintainer approves `rev` (fetched from the fork's branch) and pushes the approval
    /// to the base repository's notes: only there, not to the fork.
    pub fn approve_in_base(&self, rev: &str) {
        self.f.git(&["fetch", "-q", path(&self.fork), "topic"]);
        self.f
            .aiprov()
            .args(["approve", "--key"])
            .arg(&self.mara)
            .arg(rev)
            .env("GIT_COMMITTER_EMAIL", "mara@example.org")
            .assert()
            .success();
        self.f.aiprov().args(["push", "origin"]).assert().success();
    }

    /// The workspace as actions/checkout leaves it for a pull request with `fetch-depth: 0`:
    /// every branch and tag of the base repository fetched, the merge ref fetched to
    /// `refs/remotes/pull/N/merge` and checked out, detached; no notes.
    pub fn checkout(&self) -> PathBuf {
        self.checkout_at_depth(None)
    }

    /// The workspace as actions/checkout leaves it by default (`fetch-depth: 1`): the merge
    /// commit alone, shallow.
    pub fn shallow_checkout(&self) -> PathBuf {
        self.checkout_at_depth(Some(1))
    }

    fn checkout_at_depth(&self, depth: Option<u32>) -> PathBuf {
        let ws = self.f.tmp.path().join("workspace");
        std::fs::create_dir_all(&ws).expect("mkdir");
        git(&ws, &["init", "-q"]);
        git(&ws, &["remote", "add", "origin", path(&self.base)]);
        let merge = format!("+refs/pull/{PR}/merge:refs/remotes/pull/{PR}/merge");
        match depth {
            None => {
                git(
                    &ws,
                    &[
                        "fetch",
                        "-q",
                        "--prune",
                        "--no-recurse-submodules",
                        "origin",
                        "+refs/heads/*:refs/remotes/origin/*",
                        "+refs/tags/*:refs/tags/*",
                    ],
                );
                git(&ws, &["fetch", "-q", "origin", &merge]);
            }
            Some(depth) => {
                // A local path would ignore --depth: the URL form makes it shallow for real.
                let url = format!("file://{}", path(&self.base));
                git(&ws, &["remote", "set-url", "origin", &url]);
                git(
                    &ws,
                    &[
                        "fetch",
                        "-q",
                        "--no-tags",
                        "--prune",
                        &format!("--depth={depth}"),
                        "origin",
                        &merge,
                    ],
                );
            }
        }
        git(
            &ws,
            &[
                "checkout",
                "-q",
                "--force",
                &format!("refs/remotes/pull/{PR}/merge"),
            ],
        );
        ws
    }

    /// GitHub's `opened` payload with this pull request's repositories and commits: the
    /// numbers, refs, SHAs, clone URLs (local paths) and names; everything else as GitHub sent it.
    pub fn event(&self, head_sha: &str, merge_sha: &str) -> PathBuf {
        let mut e = opened_event();
        e["number"] = PR.into();
        let pr = &mut e["pull_request"];
        pr["number"] = PR.into();
        pr["merge_commit_sha"] = merge_sha.into();
        pr["base"]["ref"] = "main".into();
        pr["base"]["label"] = "aiprov:main".into();
        pr["base"]["sha"] = self.base_sha.as_str().into();
        pr["base"]["repo"]["clone_url"] = path(&self.base).into();
        pr["base"]["repo"]["full_name"] = "aiprov/ring".into();
        pr["head"]["ref"] = "topic".into();
        pr["head"]["label"] = "alice:topic".into();
        pr["head"]["sha"] = head_sha.into();
        pr["head"]["repo"]["clone_url"] = path(&self.fork).into();
        pr["head"]["repo"]["full_name"] = "alice/ring".into();
        pr["head"]["repo"]["fork"] = true.into();
        e["repository"] = pr["base"]["repo"].clone();
        let file = self.f.tmp.path().join("event.json");
        std::fs::write(&file, serde_json::to_vec_pretty(&e).expect("JSON")).expect("write");
        file
    }
}

pub fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// A topic whose two commits pass once the maintainer's approval in the base repository
/// is counted: a 60-line AI fix of `src/ring.c` (over the small-fix limit: it needs mara's
/// approval) and AI documentation, pushed to the fork; with `approve`, mara's approval of the fix
/// pushed to the base repository. The head's id.
pub fn approved_topic(w: &World, approve: bool) -> String {
    let fix = w.commit(
        &[(
            "src/ring.c",
            lines("int ring", 40) + &lines("int ring fixed", 60),
        )],
        &format!("ring: fix the bounds\n\nAI-used-for: code\nSigned-off-by: {ALICE}"),
    );
    w.attest();
    let head = w.commit(
        &[(
            "docs/ring.md",
            "# Rings\n\nHow the ring bounds work.\n".into(),
        )],
        &format!("docs: describe the ring\n\nAI-used-for: docs\nSigned-off-by: {ALICE}"),
    );
    w.attest();
    w.push_to_fork();
    if approve {
        w.approve_in_base(&fix);
    }
    head
}

/// A topic of a commit carrying another commit's attestation (`ring: tidy`) and an unattested
/// one (`net: add a driver`), pushed to the fork. The head's id.
pub fn bad_topic(w: &World) -> String {
    let tidy = w.commit(
        &[("src/ring.c", lines("int ring", 98) + "int ring tidied\n")],
        &format!("ring: tidy\n\nAI-used-for: code\nSigned-off-by: {ALICE}"),
    );
    w.attest();
    // The same message and the attestation of `tidy` on a change with other lines.
    git(&w.contributor, &["reset", "-q", "--hard", "HEAD~1"]);
    let forged = w.commit(
        &[("src/ring.c", lines("int ring", 98) + "int ring forged\n")],
        &format!("ring: tidy\n\nAI-used-for: code\nSigned-off-by: {ALICE}"),
    );
    git(
        &w.contributor,
        &["notes", "--ref=aiprov", "copy", &tidy, &forged],
    );
    let head = w.commit(
        &[("src/net.c", lines("int net", 5))],
        &format!("net: add a driver\n\nSigned-off-by: {ALICE}"),
    );
    w.push_to_fork();
    head
}

/// A topic whose one finding is a warning: an attested commit that also carries an
/// `Assisted-by:` trailer, another convention's (`trailer.foreign`). The head's id.
pub fn warning_topic(w: &World) -> String {
    let head = w.commit(
        &[("docs/ring.md", "# Rings\n".into())],
        &format!(
            "docs: describe the ring\n\nAI-used-for: docs\nAssisted-by: Claude:claude-opus-4\n\
             Signed-off-by: {ALICE}"
        ),
    );
    w.attest();
    w.push_to_fork();
    head
}

/// `text` with every commit id (a run of 12 or more hexadecimal digits) shown as `[id]`: the
/// keys are made anew each run, so the keyring, and every commit after it, has another id.
pub fn hide_ids(text: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once('\n')) {
        if c.is_ascii_hexdigit() && !c.is_ascii_uppercase() {
            run.push(c);
            continue;
        }
        out.push_str(if run.len() >= 12 { "[id]" } else { &run });
        run.clear();
        out.push(c);
    }
    out.pop();
    out
}

/// The directory of the debug build of aiprov, for the front of `PATH`.
pub fn debug_build_dir() -> PathBuf {
    assert_cmd::cargo::cargo_bin("aiprov")
        .parent()
        .expect("a directory")
        .to_path_buf()
}
