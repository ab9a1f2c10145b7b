//! What git tells its hooks, and where it looks for them: the hooks directory as git resolves
//! it, HEAD's newest reflog entry (how the commit a post-commit hook runs for was made), and
//! the commits a rebase rewrote, as git lists them for the post-rewrite hook.

use std::path::PathBuf;

use super::{git_command, CommitId, GitError, Repo, Result};

/// HEAD's newest reflog entry: the commit HEAD moved from and to, and why (`commit: TITLE`,
/// `commit (amend): TITLE`, `rebase (pick): TITLE`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReflogEntry {
    /// `None` where HEAD pointed at nothing (the first commit).
    pub old: Option<CommitId>,
    pub new: CommitId,
    pub message: String,
}

impl Repo {
    /// The directory git runs this work tree's hooks from. Asked of git itself
    /// (`git rev-parse --git-path hooks`), which knows every rule: `core.hooksPath` (absolute,
    /// `~/`, or relative to the top of the work tree the hook runs in), else `hooks/` of the git
    /// directory all work trees share, never `.git/worktrees/NAME/hooks`.
    pub fn hooks_dir(&self) -> Result<PathBuf> {
        let dir = self.workdir().unwrap_or(self.git_dir());
        let failed = |reason: String| GitError::Git {
            what: "the hooks directory (git rev-parse --git-path hooks)".into(),
            reason,
        };
        let out = git_command()
            .current_dir(dir)
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .args(["rev-parse", "--path-format=absolute", "--git-path", "hooks"])
            .output()
            .map_err(|e| failed(format!("cannot run git: {e}")))?;
        if !out.status.success() {
            return Err(failed(
                String::from_utf8_lossy(&out.stderr).trim().to_string(),
            ));
        }
        let text =
            String::from_utf8(out.stdout).map_err(|_| failed("the path is not UTF-8".into()))?;
        Ok(PathBuf::from(text.trim_end_matches('\n')))
    }

    /// HEAD's newest reflog entry, if HEAD has a reflog (`core.logAllRefUpdates`, on in every
    /// work tree by default; a linked work tree has its own). Read from the end of the log:
    /// libgit2 would parse every entry, and a busy clone's log holds tens of thousands (a
    /// post-commit hook has milliseconds).
    pub fn head_reflog(&self) -> Result<Option<ReflogEntry>> {
        use std::io::{Read, Seek, SeekFrom};
        let path = self.git_dir().join("logs/HEAD");
        let unreadable = |e: std::io::Error| GitError::Git {
            what: path.display().to_string(),
            reason: e.to_string(),
        };
        let mut file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(unreadable(e)),
        };
        let len = file.metadata().map_err(unreadable)?.len();
        file.seek(SeekFrom::Start(len.saturating_sub(REFLOG_TAIL)))
            .map_err(unreadable)?;
        let mut tail = Vec::new();
        file.read_to_end(&mut tail).map_err(unreadable)?;
        let text = String::from_utf8_lossy(&tail);
        Ok(text
            .lines()
            .rev()
            .find(|l| !l.is_empty())
            .and_then(parse_reflog_line))
    }

    /// Whether a rebase is under way in this work tree (git keeps its state in `rebase-merge/`,
    /// or `rebase-apply/` with `--apply`, which `git am` also uses, without `rebasing`). It
    /// still is while the post-rewrite hook of its end runs.
    pub fn rebase_in_progress(&self) -> bool {
        let dir = self.git_dir();
        dir.join("rebase-merge").is_dir() || dir.join("rebase-apply/rebasing").exists()
    }

    /// The commits the rebase under way has rewritten so far, as `OLD NEW` pairs in the order
    /// it made them: the list git hands the post-rewrite hook when the rebase ends
    /// (`rebase-merge/rewritten-list`, `rebase-apply/rewritten`). Empty without a rebase.
    pub fn rebase_rewritten(&self) -> Result<Vec<(CommitId, CommitId)>> {
        let dir = self.git_dir();
        for file in ["rebase-merge/rewritten-list", "rebase-apply/rewritten"] {
            let path = dir.join(file);
            match std::fs::read(&path) {
                Ok(text) => {
                    return parse_rewritten(&text).map_err(|reason| GitError::Git {
                        what: path.display().to_string(),
                        reason,
                    })
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(GitError::Git {
                        what: path.display().to_string(),
                        reason: e.to_string(),
                    })
                }
            }
        }
        Ok(Vec::new())
    }
}

/// How much of the end of HEAD's reflog is read for its newest entry: a line is two ids, an
/// identity, a time and a one-line message.
const REFLOG_TAIL: u64 = 64 << 10;

/// A reflog line, `OLD NEW NAME <EMAIL> TIME TZ<TAB>MESSAGE`, as git's files backend writes it;
/// `None` for one that is not (or is cut short).
fn parse_reflog_line(line: &str) -> Option<ReflogEntry> {
    let (who, message) = line.split_once('\t').unwrap_or((line, ""));
    let mut words = who.split(' ');
    let old: CommitId = words.next()?.parse().ok()?;
    let new = words.next()?.parse().ok()?;
    let zero = CommitId::from_git2(git2::Oid::zero());
    Some(ReflogEntry {
        old: (old != zero).then_some(old),
        new,
        message: message.to_string(),
    })
}

/// The rewritten commits as git lists them for the post-rewrite hook (githooks(5)): a line
/// `OLD NEW` or `OLD NEW EXTRA` per commit, full ids. Blank lines are skipped; anything else is
/// refused, naming the line.
pub fn parse_rewritten(text: &[u8]) -> std::result::Result<Vec<(CommitId, CommitId)>, String> {
    let text = std::str::from_utf8(text).map_err(|_| "the list is not UTF-8".to_string())?;
    let mut pairs = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut words = line.split_whitespace();
        let (Some(old), Some(new)) = (words.next(), words.next()) else {
            if line.trim().is_empty() {
                continue;
            }
            return Err(format!("line {}: expected OLD NEW, got '{line}'", n + 1));
        };
        let id = |text: &str| {
            text.parse::<CommitId>()
                .map_err(|e| format!("line {}: {e}", n + 1))
        };
        pairs.push((id(old)?, id(new)?));
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reflog_line_is_read_as_git_writes_it() {
        let (a, b) = ("1".repeat(40), "2".repeat(40));
        let line = format!("{a} {b} Alice Author <alice@example.org> 1767268800 +0000\tcommit (amend): Fix: the parser");
        assert_eq!(
            parse_reflog_line(&line),
            Some(ReflogEntry {
                old: Some(a.parse().unwrap()),
                new: b.parse().unwrap(),
                message: "commit (amend): Fix: the parser".into()
            })
        );
        let first = format!(
            "{} {b} A <a@b> 1 +0000\tcommit (initial): A",
            "0".repeat(40)
        );
        assert_eq!(parse_reflog_line(&first).unwrap().old, None);
        assert_eq!(parse_reflog_line(&b[5..]), None, "cut short");
    }

    #[test]
    fn the_rewritten_list_is_read_as_git_writes_it() {
        let a = "1".repeat(40);
        let b = "2".repeat(40);
        let text = format!("{a} {b}\n\n{b} {a} extra info\n");
        let pairs = parse_rewritten(text.as_bytes()).expect("a list");
        assert_eq!(
            pairs,
            vec![
                (a.parse().unwrap(), b.parse().unwrap()),
                (b.parse().unwrap(), a.parse().unwrap())
            ]
        );
        assert_eq!(
            parse_rewritten(format!("{a}\n").as_bytes()).unwrap_err(),
            format!("line 1: expected OLD NEW, got '{a}'")
        );
        assert!(parse_rewritten(format!("{a} 1234\n").as_bytes())
            .unwrap_err()
            .starts_with("line 1: '1234' is not a full commit id"));
    }
}
