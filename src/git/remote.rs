//! Moving a notes ref between repositories, with git itself: `git fetch` into the remote's
//! tracking ref, `git notes merge -s cat_sort_uniq` into ours (every line of both sides kept,
//! each once: no writer's attestation is lost), and `git push` without force, so a ref that
//! moved on the remote is merged again rather than overwritten.

use super::command::git_command;
use super::error::{GitError, Result};
use super::{CommitId, Repo};

/// How a push of the notes ref went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pushed {
    /// The remote had it already.
    UpToDate,
    /// The remote's ref moved to ours (or was created).
    Updated,
    /// The remote refused: its ref has moved since we fetched it (git's reason).
    Rejected(String),
}

impl Repo {
    /// Runs `git ARGS` on this repository; its output, or git's message as the error. A remote
    /// comes after `--`, so a name such as `--upload-pack=CMD` is a remote git refuses, never an
    /// option that runs a command.
    fn run_git(&self, what: &str, args: &[&str]) -> Result<std::process::Output> {
        let out = git_command()
            .arg("--git-dir")
            .arg(self.git_dir())
            .args(args)
            .output()
            .map_err(|e| GitError::Git {
                what: what.into(),
                reason: format!("cannot run git: {e}"),
            })?;
        Ok(out)
    }

    /// The commit a ref points at, if it exists.
    pub fn ref_tip(&self, name: &str) -> Option<CommitId> {
        let out = self
            .run_git("a ref", &["rev-parse", "--verify", "-q", name])
            .ok()?;
        std::str::from_utf8(&out.stdout).ok()?.trim().parse().ok()
    }

    /// Fetches `remote`'s `notes_ref` (a remote's name or a URL) into the ref `into`, forced:
    /// it only mirrors the remote. `Ok(false)` when the remote has no such ref.
    pub fn fetch_notes(&self, remote: &str, notes_ref: &str, into: &str) -> Result<bool> {
        let refspec = format!("+{notes_ref}:{into}");
        let out = self.run_git(
            &format!("the notes of {remote}"),
            &[
                "fetch",
                "--quiet",
                "--no-tags",
                "--no-write-fetch-head",
                "--",
                remote,
                &refspec,
            ],
        )?;
        if out.status.success() {
            return Ok(true);
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        if stderr.contains("couldn't find remote ref") {
            return Ok(false);
        }
        Err(GitError::Git {
            what: format!("fetching {notes_ref} from {remote}"),
            reason: git_message(&stderr),
        })
    }

    /// Merges the notes of `from` into `notes_ref` as `git notes merge -s cat_sort_uniq` does:
    /// a commit with a note on both sides gets the lines of both, each once.
    pub fn merge_notes(&self, notes_ref: &str, from: &str) -> Result<()> {
        let out = self.run_git(
            "notes",
            &[
                "notes",
                &format!("--ref={notes_ref}"),
                "merge",
                "--quiet",
                "--strategy=cat_sort_uniq",
                from,
            ],
        )?;
        match out.status.success() {
            true => Ok(()),
            false => Err(GitError::Git {
                what: format!("merging {from} into {notes_ref}"),
                reason: git_message(&String::from_utf8_lossy(&out.stderr)),
            }),
        }
    }

    /// Pushes `notes_ref` to the same ref of `remote`, never forced.
    pub fn push_notes(&self, remote: &str, notes_ref: &str) -> Result<Pushed> {
        let refspec = format!("{notes_ref}:{notes_ref}");
        let out = self.run_git(
            &format!("the notes to {remote}"),
            &["push", "--porcelain", "--", remote, &refspec],
        )?;
        // `--porcelain`: one line per ref, `FLAG\tFROM:TO\tSUMMARY (REASON)`; `=` up to date,
        // `!` rejected, ` ` and `*` updated or created.
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout
            .lines()
            .find(|l| l.contains(&format!(":{notes_ref}\t")));
        match line.and_then(|l| l.chars().next()) {
            Some('=') => Ok(Pushed::UpToDate),
            Some(' ' | '*' | '+') if out.status.success() => Ok(Pushed::Updated),
            Some('!') => Ok(Pushed::Rejected(
                line.and_then(|l| l.split('\t').nth(2))
                    .unwrap_or("rejected")
                    .to_string(),
            )),
            _ => Err(GitError::Git {
                what: format!("pushing {notes_ref} to {remote}"),
                reason: git_message(&String::from_utf8_lossy(&out.stderr)),
            }),
        }
    }

    /// Deletes a ref aiprov made for itself (a URL's notes, fetched to be merged).
    pub fn delete_ref(&self, name: &str) -> Result<()> {
        let out = self.run_git("a ref", &["update-ref", "-d", name])?;
        match out.status.success() {
            true => Ok(()),
            false => Err(GitError::Git {
                what: format!("deleting {name}"),
                reason: git_message(&String::from_utf8_lossy(&out.stderr)),
            }),
        }
    }

    /// The remote the current branch pulls from (`branch.NAME.remote`).
    pub fn upstream_remote(&self) -> Option<String> {
        let head = self.raw().head().ok()?;
        let branch = head.shorthand()?;
        self.config_string(&format!("branch.{branch}.remote"))
    }
}

/// git's message, its `fatal: `/`error: ` prefixes and blank lines gone, for ours.
fn git_message(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(|l| {
            l.trim_start_matches("fatal: ")
                .trim_start_matches("error: ")
                .trim()
        })
        .filter(|l| !l.is_empty())
        .collect();
    match lines.is_empty() {
        true => "git failed and said nothing".into(),
        false => lines.join("; "),
    }
}
