//! A release history for the archive and report tests: between the tags `v1.0` and `v1.1`,
//! 32 commits over four months: human changes, AI tests, AI docs, small AI fixes, a large AI
//! change a maintainer approved, AI research, one unattested commit, and a topic branch merged
//! by a merge commit without attestation.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::{lines, Fixture};

pub const SOB_ALICE: &str = "Signed-off-by: Alice Author <alice@example.org>";

/// The release history and what the tests know of it.
pub struct ReleaseRepo {
    pub f: Fixture,
    pub alice: PathBuf,
    pub rita: PathBuf,
    pub bob: PathBuf,
    /// Per commit of the release (oldest first): the files declared as AI's.
    pub ai_files: Vec<(String, Vec<String>)>,
    /// The commit left without an attestation.
    pub unattested: String,
}

fn month_date(i: usize) -> String {
    let month = 9 + i / 10;
    format!("2026-{month:02}-{:02}T10:00:00Z", 1 + i % 10)
}

impl ReleaseRepo {
    pub fn new() -> ReleaseRepo {
        let f = Fixture::new();
        let alice = f.keygen("alice");
        let rita = f.keygen("rita");
        let bob = f.keygen("bob");
        f.init_trusting("alice@example.org", &alice);
        for (email, key) in [("rita@example.org", &rita), ("bob@example.org", &bob)] {
            f.aiprov()
                .args(["keyring", "add", email])
                .arg(key.with_extension("pub"))
                .assert()
                .success();
        }
        f.write(
            "MAINTAINERS",
            "Network devices\nM:\tBob Maintainer <bob@example.org>\nS:\tMaintained\nF:\thw/net/\n\n\
             Block layer\nM:\tAlice Author <alice@example.org>\nF:\tblock/\n\n\
             Documentation\nM:\tAlice Author <alice@example.org>\nF:\tdocs/\n",
        );
        f.write("hw/net/e1000.c", lines("e1000", 40));
        f.write("block/io.c", lines("io", 30));
        f.write("docs/index.md", "# Index\n");
        f.write("README", "The project\n");
        f.commit_all(&format!("Trust rita and bob; MAINTAINERS\n\n{SOB_ALICE}"));
        f.git(&["tag", "v1.0"]);
        let mut repo = ReleaseRepo {
            f,
            alice,
            rita,
            bob,
            ai_files: Vec::new(),
            unattested: String::new(),
        };
        for i in 0..30 {
            repo.change(i);
        }
        // A topic branch merged with a merge commit, which has no attestation of its own.
        repo.f.git(&["checkout", "-q", "-b", "topic", "HEAD~1"]);
        repo.change(30);
        repo.f.git(&["checkout", "-q", "main"]);
        let date = month_date(31);
        super::git_cmd(&repo.f.repo)
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .args([
                "merge",
                "-q",
                "--no-ff",
                "-m",
                "Merge branch 'topic'",
                "topic",
            ])
            .output()
            .expect("git merge");
        repo.f.git(&["tag", "v1.1"]);
        repo
    }

    /// Commits and attests the i-th change of the release.
    fn change(&mut self, i: usize) {
        let f = &self.f;
        let key = self.alice.clone();
        let (path, content, trailer, attest): (String, String, &str, Vec<String>) = match i % 6 {
            0 => (
                format!("tests/test-{i}.c"),
                lines(&format!("test {i}"), 12),
                "AI-used-for: tests\n",
                vec!["--ai".into(), "tests/**=tests".into()],
            ),
            1 => (
                format!("docs/page-{i}.md"),
                lines(&format!("doc {i}"), 8),
                "AI-used-for: docs\n",
                vec!["--ai".into(), "docs/**=docs".into()],
            ),
            2 => (
                format!("block/io-{i}.c"),
                lines(&format!("fix {i}"), 5),
                "AI-used-for: code (small fix)\n",
                vec!["--ai".into(), "block/**=code (small fix)".into()],
            ),
            3 => (
                format!("block/human-{i}.c"),
                lines(&format!("human {i}"), 20),
                "",
                vec!["--human".into(), "**".into()],
            ),
            4 => (
                format!("README-{i}"),
                lines(&format!("notes {i}"), 3),
                "AI-used-for: research\n",
                vec!["--human".into(), "**".into(), "--research".into()],
            ),
            _ => (
                format!("hw/net/part-{i}.c"),
                lines(&format!("net {i}"), 10),
                "",
                vec!["--human".into(), "**".into()],
            ),
        };
        // One large AI change in hw/net/, which needs bob's approval.
        let (path, content, trailer, attest) = if i == 11 {
            (
                "hw/net/rewrite.c".to_string(),
                lines("rewrite", 60),
                "AI-used-for: code\n",
                vec!["--ai".into(), "hw/**=code".into()],
            )
        } else {
            (path, content, trailer, attest)
        };
        f.write(&path, content);
        let date = month_date(i);
        f.git(&["add", "-A"]);
        super::git_cmd(&f.repo)
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .args(["commit", "-q", "-m"])
            .arg(format!("change {i}: {path}\n\n{trailer}{SOB_ALICE}"))
            .output()
            .expect("git commit");
        let id = f.git(&["rev-parse", "HEAD"]).trim().to_string();
        if i == 17 {
            self.unattested = id;
            return;
        }
        f.aiprov()
            .args(["attest", "-y", "--key"])
            .arg(&key)
            .args(&attest)
            .assert()
            .success();
        if i == 11 {
            f.aiprov()
                .args(["approve", "--key"])
                .arg(&self.bob)
                .env("GIT_COMMITTER_EMAIL", "bob@example.org")
                .assert()
                .success();
        }
        let ai = if attest.iter().any(|a| a == "--ai") {
            vec![path]
        } else {
            Vec::new()
        };
        self.ai_files.push((id, ai));
    }

    /// Added plus removed lines per commit and path, as `git log --numstat` counts them.
    pub fn numstat(&self) -> BTreeMap<(String, String), u64> {
        let log = self
            .f
            .git(&["log", "--numstat", "--format=commit %H", "v1.0..v1.1"]);
        let mut out = BTreeMap::new();
        let mut commit = String::new();
        for line in log.lines() {
            if let Some(id) = line.strip_prefix("commit ") {
                commit = id.to_string();
            } else if let [a, r, path] = line.split('\t').collect::<Vec<_>>()[..] {
                let n = a.parse::<u64>().unwrap_or(0) + r.parse::<u64>().unwrap_or(0);
                out.insert((commit.clone(), path.to_string()), n);
            }
        }
        out
    }

    /// Writes the release archive with rita's key, naming the tarball `project-1.1.tar`;
    /// returns the archive's path.
    pub fn archive(&self) -> PathBuf {
        let path = self.f.tmp.path().join("v1.1.intoto.jsonl");
        let tarball = self.f.tmp.path().join("project-1.1.tar");
        std::fs::write(&tarball, self.f.git(&["archive", "v1.1"])).expect("write tarball");
        self.f
            .aiprov()
            .args(["archive", "v1.0..v1.1", "-o"])
            .arg(&path)
            .arg("--tarball")
            .arg(&tarball)
            .arg("--key")
            .arg(&self.rita)
            .env("GIT_COMMITTER_EMAIL", "rita@example.org")
            .env("GIT_COMMITTER_NAME", "Rita Release")
            .assert()
            .success();
        path
    }

    /// The keyring of the release base, extracted as a directory (what a release manager keeps
    /// beside the archive).
    pub fn keyring_dir(&self) -> PathBuf {
        let dir = self.f.tmp.path().join("keyring-v1.0");
        std::fs::create_dir_all(&dir).expect("create keyring dir");
        let text = self.f.git(&["show", "v1.0:.aiprov/keyring.toml"]);
        std::fs::write(dir.join("keyring.toml"), text).expect("write keyring");
        dir
    }
}
