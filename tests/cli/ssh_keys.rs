//! Keys as OpenSSH makes and uses them: `aiprov keygen` output read by `ssh-keygen`, keys made by
//! `ssh-keygen` used by aiprov, signing through a real ssh-agent, and git's `user.signingKey`.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::{lines, snapshot, Fixture};

const SOB: &str = "Signed-off-by: Alice Author <alice@example.org>";

fn ssh_keygen(args: &[&str], key: &Path) -> std::process::Output {
    Command::new("ssh-keygen")
        .args(args)
        .arg(key)
        .output()
        .expect("run ssh-keygen")
}

#[test]
fn ssh_keygen_reads_keys_that_aiprov_makes() {
    let f = Fixture::new();
    for pass in [None, Some("correct horse")] {
        let key = f.tmp.path().join(format!("k{}", pass.is_some()));
        let mut cmd = f.aiprov();
        cmd.args(["keygen", "-f"]).arg(&key);
        if let Some(p) = pass {
            cmd.args(["-N", p]);
        }
        cmd.assert().success();
        let mode = std::fs::metadata(&key).unwrap().permissions();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
            0o600
        );
        let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
        let derived = ssh_keygen(&["-y", "-P", pass.unwrap_or(""), "-f"], &key);
        assert!(
            derived.status.success(),
            "{}",
            String::from_utf8_lossy(&derived.stderr)
        );
        let derived = String::from_utf8(derived.stdout).unwrap();
        let fields = |s: &str| {
            s.split_whitespace()
                .take(2)
                .map(String::from)
                .collect::<Vec<_>>()
        };
        assert_eq!(fields(&derived), fields(&public));
        if pass.is_some() {
            assert!(!ssh_keygen(&["-y", "-P", "wrong", "-f"], &key)
                .status
                .success());
        }
    }
    // Never overwrites.
    let outcome = f.outcome(
        f.aiprov()
            .args(["keygen", "-f"])
            .arg(f.tmp.path().join("kfalse")),
    );
    insta::assert_snapshot!(outcome, @"
        exit: 2
        --- stdout
        --- stderr
        error: [TMP]/kfalse already exists; not overwriting it
        ");
}

/// A repository with alice's key (made by ssh-keygen) trusted, and one change to attest.
fn repo_trusting(key: &Path) -> (Fixture, String) {
    let f = Fixture::new();
    f.init_trusting("alice@example.org", key);
    f.write("a.c", lines("a", 5));
    let base = f.commit_all(&format!("Base\n\n{SOB}"));
    f.write("a.c", lines("a", 6));
    f.commit_all(&format!("Change\n\n{SOB}"));
    (f, base)
}

fn make_ssh_key(dir: &Path, name: &str, kind: &str) -> PathBuf {
    let key = dir.join(name);
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", kind, "-N", "", "-C", "alice@example.org", "-f"])
        .arg(&key)
        .output()
        .expect("run ssh-keygen");
    assert!(out.status.success());
    key
}

#[test]
fn aiprov_signs_with_keys_that_ssh_keygen_makes_and_rejects_other_types() {
    let tmp = tempfile::tempdir().unwrap();
    let key = make_ssh_key(tmp.path(), "ed", "ed25519");
    let (f, base) = repo_trusting(&key);
    f.aiprov()
        .args(["attest", "--key"])
        .arg(&key)
        .assert()
        .success();
    f.aiprov()
        .args(["verify", &format!("{base}..HEAD")])
        .assert()
        .success();

    let ecdsa = make_ssh_key(tmp.path(), "ec", "ecdsa");
    let out = f
        .aiprov()
        .args(["attest", "--key"])
        .arg(&ecdsa)
        .output()
        .unwrap();
    insta::assert_snapshot!(snapshot::render(&out, &[f.tmp.path(), tmp.path()]), @"
        exit: 2
        --- stdout
        --- stderr
        error: ecdsa-sha2-nistp256 keys are not supported; aiprov signs with Ed25519 keys (ssh-keygen -t ed25519)
        ");
}

/// A real ssh-agent on a private socket, killed when dropped.
struct Agent {
    child: Child,
    socket: PathBuf,
}

impl Agent {
    fn start(dir: &Path) -> Agent {
        let socket = dir.join("agent.sock");
        let child = Command::new("ssh-agent")
            .args(["-D", "-a"])
            .arg(&socket)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start ssh-agent");
        for _ in 0..200 {
            if socket.exists() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(socket.exists(), "ssh-agent did not create its socket");
        Agent { child, socket }
    }

    fn add(&self, key: &Path) {
        let out = Command::new("ssh-add")
            .arg(key)
            .env("SSH_AUTH_SOCK", &self.socket)
            .output()
            .expect("run ssh-add");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn signing_through_ssh_agent_and_git_user_signing_key() {
    let tmp = tempfile::tempdir().unwrap();
    let key = make_ssh_key(tmp.path(), "agent", "ed25519");
    let agent = Agent::start(tmp.path());
    let (f, base) = repo_trusting(&key);
    let pubkey = key.with_extension("pub");

    // The agent does not hold the key yet: a clear error.
    let out = f
        .aiprov()
        .args(["attest", "--key"])
        .arg(&pubkey)
        .env("SSH_AUTH_SOCK", &agent.socket)
        .output()
        .unwrap();
    insta::assert_snapshot!(snapshot::render(&out, &[f.tmp.path(), tmp.path()]), @"
        exit: 2
        --- stdout
        --- stderr
        error: ssh-agent: the agent does not hold key [id] (add it with ssh-add)
        ");
    agent.add(&key);
    f.aiprov()
        .args(["attest", "--key"])
        .arg(&pubkey)
        .env("SSH_AUTH_SOCK", &agent.socket)
        .assert()
        .success();
    f.aiprov()
        .args(["verify", &format!("{base}..HEAD")])
        .assert()
        .success();

    // git's user.signingKey as a literal public key (held by the agent) ...
    let literal = std::fs::read_to_string(&pubkey).unwrap();
    f.git(&["config", "gpg.format", "ssh"]);
    f.git(&[
        "config",
        "user.signingKey",
        &format!("key::{}", literal.trim()),
    ]);
    f.git(&[
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        &format!("Empty\n\n{SOB}"),
    ]);
    f.aiprov()
        .arg("attest")
        .env("SSH_AUTH_SOCK", &agent.socket)
        .assert()
        .success();
    // ... and as the path of a private key file, without any agent.
    f.git(&["config", "user.signingKey", key.to_str().unwrap()]);
    f.git(&[
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        &format!("Empty again\n\n{SOB}"),
    ]);
    f.aiprov().arg("attest").assert().success();
    f.aiprov()
        .args(["verify", &format!("{base}..HEAD")])
        .assert()
        .success();
}
