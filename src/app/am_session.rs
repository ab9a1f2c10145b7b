//! The quarantine `aiprov am` applies a series in, and what it keeps when `git am` stops on a
//! conflict, so that `aiprov am --continue|--skip|--abort` can finish the series as `git am`'s
//! own do. Everything is under the repository's git directory, in `aiprov-am/` (as git am keeps
//! `rebase-apply/`): `tree/`, a work tree on a detached HEAD (`git worktree add --detach`) where
//! git am runs; `series.mbox`, the patches it applies; `state.json`, the rest.

use std::path::{Path, PathBuf};

use super::Error;
use crate::git::CommitId;

/// The directory of a session, under the common git directory.
pub const SESSION_DIR: &str = "aiprov-am";

/// What a stopped series needs to be finished. Patches are numbered from 0, in the order git am
/// applies them (cover letters left out).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Saved {
    pub version: u32,
    /// The work tree `aiprov am` was run in: its branch moves when the series is done.
    pub workdir: PathBuf,
    /// Its HEAD when the series started: the quarantine's start.
    pub base: String,
    /// The revision trust is read from.
    pub trusted: String,
    pub keyring: Option<PathBuf>,
    pub notes_ref: String,
    pub softfail: bool,
    /// Patches that failed verification were applied anyway (`--softfail`).
    pub softfailed: bool,
    pub git_am: Vec<String>,
    /// Note lines each patch gets besides those its mail carries (approvals), by patch.
    pub extra_notes: Vec<Vec<String>>,
    /// The patches git am stopped on and that were then applied by hand (`--continue`).
    pub by_hand: Vec<usize>,
    /// The patches dropped with `--skip`.
    pub skipped: Vec<usize>,
}

pub const SAVED_VERSION: u32 = 1;

/// A session's directory and quarantine work tree. The work tree and the directory are removed
/// when it is dropped, unless [`Session::keep`] was called.
pub struct Session {
    dir: PathBuf,
    repo_workdir: PathBuf,
    keep: bool,
}

fn git_in(dir: &Path) -> std::process::Command {
    let mut c = crate::git::git_command();
    c.current_dir(dir);
    c
}

impl Session {
    /// The session directory of the repository whose common git directory is `common`.
    pub fn dir_of(common: &Path) -> PathBuf {
        common.join(SESSION_DIR)
    }

    /// Refused while a session is in progress.
    pub fn refuse_if_in_progress(common: &Path) -> Result<(), Error> {
        let dir = Self::dir_of(common);
        if dir.exists() {
            return Err(in_progress(&dir));
        }
        Ok(())
    }

    /// Starts a session: the quarantine work tree at `base`. Refused while another one is in
    /// progress.
    pub fn create(common: &Path, workdir: &Path, base: CommitId) -> Result<Session, Error> {
        let dir = Self::dir_of(common);
        if dir.exists() {
            return Err(in_progress(&dir));
        }
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::msg(format!("cannot create {}: {e}", dir.display())))?;
        let session = Session {
            dir,
            repo_workdir: workdir.to_path_buf(),
            keep: false,
        };
        let out = git_in(workdir)
            .args(["worktree", "add", "--quiet", "--detach"])
            .arg(session.tree())
            .arg(base.to_string())
            .output()
            .map_err(|e| Error::msg(format!("cannot run git worktree: {e}")))?;
        if !out.status.success() {
            return Err(Error::msg(format!(
                "cannot make a scratch work tree to apply the series in: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(session)
    }

    /// The session in progress, with what was saved of it; an error when there is none.
    pub fn open(common: &Path) -> Result<(Session, Saved), Error> {
        let dir = Self::dir_of(common);
        if !dir.exists() {
            return Err(Error::msg("no aiprov am in progress")
                .hint("`aiprov am MBOX` applies a series; --continue, --skip and --abort finish one that stopped"));
        }
        let path = dir.join("state.json");
        let saved: Saved = std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
            .map_err(|e| {
                Error::msg(format!("cannot read {}: {e}", path.display()))
                    .hint("`aiprov am --abort` removes what is left of the session")
            })?;
        let session = Session {
            dir,
            repo_workdir: saved.workdir.clone(),
            keep: true,
        };
        Ok((session, saved))
    }

    /// Removes a session whose state cannot be read (`--abort`): its work tree, if git knows it,
    /// and its directory.
    pub fn discard(common: &Path, workdir: &Path) -> bool {
        let dir = Self::dir_of(common);
        let existed = dir.exists();
        drop(Session {
            dir,
            repo_workdir: workdir.to_path_buf(),
            keep: false,
        });
        existed
    }

    /// Where git am runs, and where a conflict is resolved.
    pub fn tree(&self) -> PathBuf {
        self.dir.join("tree")
    }

    pub fn series_path(&self) -> PathBuf {
        self.dir.join("series.mbox")
    }

    pub fn save(&mut self, saved: &Saved) -> Result<(), Error> {
        let path = self.dir.join("state.json");
        let json = serde_json::to_vec_pretty(saved)?;
        std::fs::write(&path, json)
            .map_err(|e| Error::msg(format!("cannot write {}: {e}", path.display())))?;
        self.keep = true;
        Ok(())
    }

    /// Keeps the session when dropped (git am stopped: the user finishes it).
    pub fn keep(&mut self) {
        self.keep = true;
    }

    /// Removes the session when dropped (it is finished or given up).
    pub fn end(&mut self) {
        self.keep = false;
    }

    /// The quarantine's HEAD.
    pub fn head(&self) -> Result<CommitId, Error> {
        let out = git_in(&self.tree())
            .args(["rev-parse", "--verify", "HEAD"])
            .output()
            .map_err(|e| Error::msg(format!("cannot run git rev-parse: {e}")))?;
        std::str::from_utf8(&out.stdout)
            .ok()
            .and_then(|s| s.trim().parse::<CommitId>().ok())
            .filter(|_| out.status.success())
            .ok_or_else(|| Error::msg("cannot read the commit git am made"))
    }

    /// The patch git am stopped on (from 0, as in the series it was given), while it is stopped.
    pub fn stopped_at(&self) -> Option<usize> {
        let out = git_in(&self.tree())
            .args(["rev-parse", "--git-path", "rebase-apply"])
            .output()
            .ok()?;
        let dir = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
        let dir = if dir.is_absolute() {
            dir
        } else {
            self.tree().join(dir)
        };
        let next = std::fs::read_to_string(dir.join("next")).ok()?;
        next.trim().parse::<usize>().ok()?.checked_sub(1)
    }

    /// Runs git am in the quarantine with `args`; whether it finished the series.
    /// With `json`, standard output holds aiprov's JSON document alone: git am's `Applying:`
    /// lines go to standard error.
    pub fn git_am(
        &self,
        args: &[&std::ffi::OsStr],
        options: &[String],
        json: bool,
    ) -> Result<bool, Error> {
        let mut git_am = git_in(&self.tree());
        // The resolution is aiprov's (see `am::stopped_hint`), not git am's own.
        git_am
            .args(["-c", "advice.mergeConflict=false", "am"])
            .arg("--resolvemsg=finish with aiprov am --continue, --skip or --abort")
            .args(options)
            .args(args);
        if json {
            git_am.stdout(std::io::stderr());
        }
        let status = git_am
            .status()
            .map_err(|e| Error::msg(format!("cannot run git am: {e}")))?;
        Ok(status.success())
    }
}

fn in_progress(dir: &Path) -> Error {
    Error::msg(format!(
        "an aiprov am is in progress (its patches are applied in {})",
        dir.join("tree").display()
    ))
    .hint(
        "finish it with `aiprov am --continue` or `--skip`, or give it up with `aiprov am --abort`",
    )
}

impl Drop for Session {
    fn drop(&mut self) {
        if self.keep {
            return;
        }
        let _ = git_in(&self.repo_workdir)
            .args(["worktree", "remove", "--force", "--force"])
            .arg(self.tree())
            .stderr(std::process::Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
        let _ = git_in(&self.repo_workdir)
            .args(["worktree", "prune"])
            .stderr(std::process::Stdio::null())
            .status();
    }
}
