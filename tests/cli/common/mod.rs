//! Shared by the end-to-end tests: hermetic git, fixture repositories, running the binary.
#![allow(dead_code)]

pub mod pull_request;
pub mod release;
pub mod snapshot;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A git command isolated from the user's and the system's configuration.
pub fn git_cmd(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir);
    hermetic(&mut c, dir);
    c
}

/// Fixed identities and dates, no global or system config, HOME inside the test directory.
pub fn hermetic(c: &mut Command, dir: &Path) {
    let home = dir.parent().unwrap_or(dir).join("home");
    std::fs::create_dir_all(&home).expect("create test HOME");
    c.env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Alice Author")
        .env("GIT_AUTHOR_EMAIL", "alice@example.org")
        .env("GIT_COMMITTER_NAME", "Alice Author")
        .env("GIT_COMMITTER_EMAIL", "alice@example.org")
        .env("GIT_AUTHOR_DATE", "2026-01-01T12:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T12:00:00Z")
        .env_remove("SSH_AUTH_SOCK")
        .env_remove("NO_COLOR")
        .env_remove("AIPROV_NOTES_REF")
        .env_remove("AIPROV_KEY_PASSPHRASE")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE");
}

/// Runs git and returns stdout; panics with stderr on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_cmd(dir).args(args).output().expect("run git");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs git and returns stdout as bytes; panics with stderr on failure.
pub fn git_bytes(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = git_cmd(dir).args(args).output().expect("run git");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs git with stdin.
pub fn git_stdin(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = git_cmd(dir)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run git");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    child.wait_with_output().expect("wait for git")
}

/// A temporary directory holding a work tree `repo/` and a `home/`.
pub struct Fixture {
    pub tmp: tempfile::TempDir,
    pub repo: PathBuf,
}

impl Fixture {
    pub fn new() -> Fixture {
        let tmp = tempfile::tempdir().expect("tempdir");
        let repo = tmp.path().join("repo");
        std::fs::create_dir_all(&repo).expect("create repo dir");
        git(&repo, &["init", "-q", "-b", "main"]);
        Fixture { tmp, repo }
    }

    pub fn home(&self) -> PathBuf {
        self.tmp.path().join("home")
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.repo.join(rel)
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
        let p = self.path(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("create parent dir");
        }
        std::fs::write(p, content).expect("write file");
    }

    pub fn git(&self, args: &[&str]) -> String {
        git(&self.repo, args)
    }

    /// Stages everything and commits with the given message; returns the commit id.
    pub fn commit_all(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "HEAD"]).trim().to_string()
    }

    /// Makes a key pair with `aiprov keygen` beside the repository; returns the private key's path.
    pub fn keygen(&self, name: &str) -> PathBuf {
        let path = self.tmp.path().join(format!("keys/{name}"));
        self.aiprov()
            .args(["keygen", "-f"])
            .arg(&path)
            .assert()
            .success();
        path
    }

    /// `aiprov init`, then trusts `key` (a private key path; its `.pub` is added) for `email`.
    pub fn init_trusting(&self, email: &str, key: &Path) {
        self.aiprov().arg("init").assert().success();
        self.aiprov()
            .args(["keyring", "add", email])
            .arg(key.with_extension("pub"))
            .assert()
            .success();
    }

    /// Whether a git command fails.
    pub fn git_cmd_fails(&self, args: &[&str]) -> bool {
        !git_cmd(&self.repo)
            .args(args)
            .output()
            .expect("run git")
            .status
            .success()
    }

    /// The aiprov binary, run in the repository, hermetic like git.
    pub fn aiprov(&self) -> assert_cmd::Command {
        let mut c = assert_cmd::Command::cargo_bin("aiprov").expect("aiprov binary");
        c.current_dir(&self.repo);
        let mut std = Command::new("true");
        hermetic(&mut std, &self.repo);
        for (k, v) in std.get_envs() {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
        }
        c.env("AIPROV_NOW", "2026-01-02T00:00:00Z");
        c
    }

    /// Runs `cmd` (from [`Fixture::aiprov`]) and renders its exit code, stdout and stderr for a
    /// snapshot (`common::snapshot`).
    pub fn outcome(&self, cmd: &mut assert_cmd::Command) -> String {
        self.render(&cmd.output().expect("run aiprov"))
    }

    /// A finished command's exit code, stdout and stderr for a snapshot, this fixture's
    /// temporary directory shown as `[TMP]` (`common::snapshot`).
    pub fn render(&self, out: &Output) -> String {
        snapshot::render(out, &[self.tmp.path()])
    }
}

/// `n` commits on `main` made by git fast-import (fixed dates, so fixed ids), each changing
/// `f.txt`; their ids, oldest first.
pub fn fast_history(f: &Fixture, n: usize) -> Vec<String> {
    let mut stream = String::new();
    for i in 1..=n {
        let msg = format!("commit {i}\n\nSigned-off-by: Alice Author <alice@example.org>\n");
        stream.push_str(&format!(
            "commit refs/heads/main\nmark :{i}\ncommitter Alice Author <alice@example.org> 1767268800 +0000\ndata {}\n{msg}",
            msg.len()
        ));
        if i > 1 {
            stream.push_str(&format!("from :{}\n", i - 1));
        }
        stream.push_str(&format!(
            "M 644 inline f.txt\ndata {}\n{i}\n\n",
            format!("{i}\n").len()
        ));
    }
    let out = git_stdin(&f.repo, &["fast-import", "--quiet"], stream.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    f.git(&["reset", "-q", "--hard", "main"]);
    f.git(&["rev-list", "--reverse", "main"])
        .lines()
        .map(str::to_string)
        .collect()
}

/// Lines of C-like source text, for fixtures.
pub fn lines(prefix: &str, n: usize) -> String {
    (1..=n).map(|i| format!("{prefix} line {i}\n")).collect()
}

/// Asserts that `doc` validates against `schema/<schema_name>`.
pub fn assert_schema_valid(schema_name: &str, doc: &serde_json::Value) {
    let errors: Vec<String> = schema_validator(schema_name)
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{schema_name}: {errors:#?}\n{doc:#}");
}

/// The validator of `schema/<schema_name>`, with every schema of `schema/` known by its `$id`,
/// so that one may refer to another (`am`'s document holds a verification report).
pub fn schema_validator(schema_name: &str) -> jsonschema::Validator {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema");
    let read = |path: &Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(path).expect("schema file"))
            .expect("schema JSON")
    };
    let mut options = jsonschema::options();
    for entry in std::fs::read_dir(&dir).expect("schema/") {
        let path = entry.expect("an entry").path();
        if path.to_string_lossy().ends_with(".schema.json") {
            let doc = read(&path);
            let id = doc["$id"]
                .as_str()
                .expect("a schema with an $id")
                .to_string();
            let resource = jsonschema::Resource::from_contents(doc).expect("a schema resource");
            options = options.with_resource(id, resource);
        }
    }
    options
        .build(&read(&dir.join(schema_name)))
        .expect("valid schema")
}

/// QEMU 7.2's source tree: `AIPROV_QEMU_SOURCE`, or fetched by `scripts/fetch-qemu-source`,
/// once for the whole test binary (the tests that need it run side by side, and two fetches at
/// once would write the same files).
pub fn qemu_tree() -> PathBuf {
    if let Ok(dir) = std::env::var("AIPROV_QEMU_SOURCE") {
        return PathBuf::from(dir);
    }
    static FETCHED: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    FETCHED
        .get_or_init(|| {
            let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/fetch-qemu-source");
            let out = Command::new(&script)
                .output()
                .expect("run scripts/fetch-qemu-source");
            assert!(
                out.status.success(),
                "scripts/fetch-qemu-source failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
        })
        .clone()
}

/// Attests HEAD as `email` with `key` the way someone going around aiprov's checks would: the
/// statement `aiprov attest` makes, signed with `key` whatever the keyring says of it, added to
/// HEAD's note. For testing what verify makes of signatures that `aiprov attest` refuses to write.
pub fn attest_unchecked(f: &Fixture, key: &Path, email: &str, extra: &[&str]) {
    let throwaway = f.tmp.path().join("keys/unchecked");
    if !throwaway.exists() {
        f.keygen("unchecked");
    }
    let out = f
        .aiprov()
        .args(["attest", "--stdout", "-y", "--signer", email, "--key"])
        .arg(&throwaway)
        .args(extra)
        .output()
        .expect("run aiprov attest");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let envelope = aiprov::dsse::Envelope::parse(&out.stdout).expect("an envelope");
    let signer = aiprov::signing::KeySource::from_path(key)
        .expect("a key")
        .signer(None)
        .expect("an unencrypted key");
    let line = aiprov::signing::sign_envelope(
        aiprov::dsse::INTOTO_PAYLOAD_TYPE,
        &envelope.payload,
        signer.as_ref(),
    )
    .expect("signed")
    .to_json();
    let old = git_cmd(&f.repo)
        .args(["notes", "--ref=aiprov", "show", "HEAD"])
        .output()
        .expect("run git");
    let mut note = String::from_utf8_lossy(&old.stdout).trim_end().to_string();
    if !note.is_empty() {
        note.push('\n');
    }
    note.push_str(&line);
    let file = f.tmp.path().join("unchecked-note");
    std::fs::write(&file, note + "\n").expect("write note");
    f.git(&[
        "notes",
        "--ref=aiprov",
        "add",
        "-f",
        "-F",
        file.to_str().expect("path"),
        "HEAD",
    ]);
}

/// Linux's or Xen's tree as `scripts/fetch-maintainers-tree PROJECT` makes it (its directories,
/// its files empty but `MAINTAINERS` and `scripts/get_maintainer.pl`), or `AIPROV_LINUX_SOURCE`
/// / `AIPROV_XEN_SOURCE`. One test asks for each.
pub fn skeleton_tree(project: &str) -> PathBuf {
    if let Ok(dir) = std::env::var(format!("AIPROV_{}_SOURCE", project.to_uppercase())) {
        return PathBuf::from(dir);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/fetch-maintainers-tree");
    let out = Command::new(&script)
        .arg(project)
        .output()
        .expect("run scripts/fetch-maintainers-tree");
    assert!(
        out.status.success(),
        "scripts/fetch-maintainers-tree {project} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

/// A program of the Python venv the interop tests use (`AIPROV_PYTHON`'s directory, else this
/// checkout's `.venv`, which scripts/setup-python makes): `python`, `b4`, `patatt`, `pre-commit`,
/// `agent-trace`. A missing one is a failure that says how to install it, never a skip.
pub fn venv_bin(name: &str) -> PathBuf {
    let python = std::env::var_os("AIPROV_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/python")));
    let path = python.with_file_name(name);
    assert!(
        path.exists(),
        "{} does not exist: run scripts/setup-python (scripts/test does) to install the interop tools",
        path.display()
    );
    path
}
