//! Attestations stored as git notes (`refs/notes/aiprov` by default), one envelope per line.
//!
//! The notes tree is read and written by git's rules (`notes_tree.rs`): every layout git reads
//! (flat, fanned out, mixed) is read, and the trees written are those `git notes` writes, so a
//! change rewrites only the trees on its path, whatever the number of notes.
//!
//! Writing never loses another writer's line: each edit is applied to the note as it is in the
//! commit the ref points to, and the ref is moved under its lock (git's `.lock` file). The new
//! notes commit is built first without the lock; when the ref moved meanwhile, it is built again
//! on the new tip while the lock is held, so a writer that has the lock always succeeds and
//! nobody retries for ever. A lock is waited for while it is fresh; one that stays longer than
//! [`STALE_LOCK`] is reported.

use std::time::{Duration, Instant, SystemTime};

use git2::{ErrorCode, Oid, Repository, Signature};

use super::notes_tree::{joined, NotesTree};
use super::{read, CommitId, GitError, Repo, Result};

/// Where aiprov keeps attestations unless told otherwise.
pub const DEFAULT_REF: &str = "refs/notes/aiprov";

/// How long a lock on the notes ref may stay before it is taken for a writer that died: a
/// writer holds it for as long as it takes to write a notes commit.
pub const STALE_LOCK: Duration = Duration::from_secs(10);

/// The largest note aiprov reads or writes: a few envelopes of the largest size
/// ([`crate::dsse::MAX_ENVELOPE_BYTES`]). Its size is read from the object header, so a larger
/// note is refused before it is inflated.
pub const MAX_NOTE_BYTES: usize = 64 << 20;

/// The content of the note of `commit`, whose blobs are `blobs` (two or more joined, as git
/// joins them), refused when over [`MAX_NOTE_BYTES`].
fn note_content(repo: &Repository, blobs: &[Oid], commit: CommitId) -> Result<Vec<u8>> {
    let odb = repo.odb().map_err(read("the object database"))?;
    let mut size = 0;
    for &id in blobs {
        let (len, _) = odb
            .read_header(id)
            .map_err(read(format!("the note of commit {commit}")))?;
        size += len;
    }
    if size > MAX_NOTE_BYTES {
        return Err(GitError::TooLarge {
            what: format!("the note of commit {commit}"),
            size,
            max: MAX_NOTE_BYTES,
        });
    }
    joined(repo, blobs)
}

fn key(commit: CommitId) -> [u8; 20] {
    let mut key = [0; 20];
    key.copy_from_slice(commit.to_git2().as_bytes());
    key
}

/// Whether the notes ref exists: notes travel apart from commits, and a clone has none until
/// they are fetched.
pub fn exists(repo: &Repo, notes_ref: &str) -> Result<bool> {
    Ok(current_tip(repo.raw(), notes_ref)?.is_some())
}

/// Where `git fetch` keeps `remote`'s notes of `notes_ref` (the refspec `aiprov init` adds):
/// `refs/notes/remotes/REMOTE/NAME`, the layout `git notes merge` documents.
pub fn tracking_ref(remote: &str, notes_ref: &str) -> String {
    let name = notes_ref.strip_prefix("refs/notes/").unwrap_or(notes_ref);
    format!("refs/notes/remotes/{remote}/{name}")
}

/// The note attached to `commit`, if any.
pub fn read_note(repo: &Repo, notes_ref: &str, commit: CommitId) -> Result<Option<Vec<u8>>> {
    Reader::new(repo, notes_ref)?.read(commit)
}

/// Reads many notes of one notes ref: the directories of the notes tree are read as the look-ups
/// reach them, and kept until they hold [`READER_ENTRIES`] entries; then they are let go and read
/// again as needed, so that memory stays bounded however many notes there are.
pub struct Reader<'r> {
    repo: &'r Repository,
    root: Option<Oid>,
    tree: std::cell::RefCell<NotesTree<'r>>,
    /// How many entries may stay loaded.
    keep: usize,
}

/// The most entries of the notes tree a [`Reader`] keeps loaded (about 10 MB): git's fan-out
/// puts a few hundred notes in a directory, so a look-up loads at most that many more.
const READER_ENTRIES: usize = 100_000;

impl<'r> Reader<'r> {
    pub fn new(repo: &'r Repo, notes_ref: &str) -> Result<Reader<'r>> {
        let repo = repo.raw();
        let tree = match current_tip(repo, notes_ref)? {
            Some(tip) => Some(
                repo.find_commit(tip)
                    .map(|c| c.tree_id())
                    .map_err(read(format!("notes commit {tip}")))?,
            ),
            None => None,
        };
        Ok(Reader {
            repo,
            root: tree,
            tree: std::cell::RefCell::new(NotesTree::load(repo, tree)?),
            keep: READER_ENTRIES,
        })
    }

    /// The note attached to `commit`, if any.
    pub fn read(&self, commit: CommitId) -> Result<Option<Vec<u8>>> {
        let mut tree = self.tree.borrow_mut();
        if tree.loaded() > self.keep {
            *tree = NotesTree::load(self.repo, self.root)?;
        }
        let blobs = tree.get(&key(commit))?;
        drop(tree);
        blobs
            .map(|blobs| note_content(self.repo, &blobs, commit))
            .transpose()
    }
}

/// Replaces the note of `commit` with `edit(current note)`, atomically; an empty result removes it.
pub fn update_note(
    repo: &Repo,
    notes_ref: &str,
    commit: CommitId,
    message: &str,
    edit: impl Fn(Option<&[u8]>) -> Vec<u8>,
) -> Result<()> {
    update_notes(repo, notes_ref, &[commit], message, |_, old| edit(old))
}

/// Replaces the note of each of `commits` with `edit(commit, current note)`, all in one notes
/// commit, atomically; an empty result removes the note.
pub fn update_notes(
    repo: &Repo,
    notes_ref: &str,
    commits: &[CommitId],
    message: &str,
    edit: impl Fn(CommitId, Option<&[u8]>) -> Vec<u8>,
) -> Result<()> {
    let git = repo.raw();
    let sig = git
        .signature()
        .or_else(|_| Signature::now("aiprov", "aiprov@localhost"))
        .map_err(write("notes commit signature"))?;
    let build = |tip: Option<Oid>| build(git, tip, commits, &edit, &sig, message);
    let mut waited = Waiting::default();
    loop {
        let tip = current_tip(git, notes_ref)?;
        let Some(new) = build(tip)? else {
            return Ok(());
        };
        let mut lock = git.transaction().map_err(write(notes_ref))?;
        match lock.lock_ref(notes_ref) {
            Ok(()) => {}
            Err(e) if e.code() == ErrorCode::Locked => {
                waited.wait(git, notes_ref, tip)?;
                continue;
            }
            Err(e) => return Err(write(&format!("notes ref {notes_ref}"))(e)),
        }
        // Nobody moves the ref while we hold its lock: built again on the new tip, the commit
        // goes in.
        let now = current_tip(git, notes_ref)?;
        let new = match now == tip {
            true => new,
            false => match build(now)? {
                Some(new) => new,
                None => return Ok(()),
            },
        };
        lock.set_target(notes_ref, new, Some(&sig), message)
            .and_then(|()| lock.commit())
            .map_err(write(&format!("notes ref {notes_ref}")))?;
        return Ok(());
    }
}

/// The notes commit that applies `edit` to each of `commits` on top of `tip`, or `None` when no
/// note changes.
fn build(
    git: &Repository,
    tip: Option<Oid>,
    commits: &[CommitId],
    edit: &impl Fn(CommitId, Option<&[u8]>) -> Vec<u8>,
    sig: &Signature<'_>,
    message: &str,
) -> Result<Option<Oid>> {
    let parent = match tip {
        Some(id) => Some(
            git.find_commit(id)
                .map_err(read(format!("notes commit {id}")))?,
        ),
        None => None,
    };
    let mut tree = NotesTree::load(git, parent.as_ref().map(|c| c.tree_id()))?;
    let mut changed = false;
    for &commit in commits {
        let old = match tree.get(&key(commit))? {
            Some(blobs) => Some(note_content(git, &blobs, commit)?),
            None => None,
        };
        let new = edit(commit, old.as_deref());
        if old.as_deref() == Some(new.as_slice()) || (old.is_none() && new.is_empty()) {
            continue;
        }
        if new.len() > MAX_NOTE_BYTES {
            return Err(GitError::TooLarge {
                what: format!("the note of commit {commit}"),
                size: new.len(),
                max: MAX_NOTE_BYTES,
            });
        }
        let blob = match new.is_empty() {
            true => None,
            false => Some(git.blob(&new).map_err(write("note blob"))?),
        };
        tree.set(&key(commit), blob)?;
        changed = true;
    }
    if !changed {
        return Ok(None);
    }
    let root = tree.write()?;
    let root = git.find_tree(root).map_err(read("notes tree"))?;
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    let commit = git
        .commit(None, sig, sig, message, &root, &parents)
        .map_err(write("notes commit"))?;
    Ok(Some(commit))
}

/// Waiting for another writer's lock on the notes ref to go.
#[derive(Default)]
struct Waiting {
    /// Since when the lock has been seen with the ref at `tip`.
    since: Option<(Instant, Option<Oid>)>,
    rounds: u32,
}

impl Waiting {
    /// Sleeps a little (longer each time, up to 20 ms, with a jitter so that writers do not
    /// wake together), or reports the lock when it has been there for [`STALE_LOCK`] by its age
    /// on disk, or when the ref has stayed at `tip` for three times that while this writer
    /// waited.
    fn wait(&mut self, git: &Repository, notes_ref: &str, tip: Option<Oid>) -> Result<()> {
        let lock = git.path().join(format!("{notes_ref}.lock"));
        let age = std::fs::metadata(&lock)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok());
        let since = match self.since {
            Some((since, seen)) if seen == tip => since,
            _ => self.since.insert((Instant::now(), tip)).0,
        };
        if age.is_some_and(|a| a > STALE_LOCK) || since.elapsed() > 3 * STALE_LOCK {
            return Err(GitError::NotesLocked {
                notes_ref: notes_ref.to_string(),
                lock,
            });
        }
        self.rounds += 1;
        let jitter = u64::from(std::process::id() ^ self.rounds.wrapping_mul(2654435761)) % 5;
        let ms = u64::from(self.rounds.min(20)) + jitter;
        std::thread::sleep(Duration::from_millis(ms));
        Ok(())
    }
}

fn write(what: &str) -> impl Fn(git2::Error) -> GitError {
    let what = what.to_string();
    move |source| GitError::Write {
        what: what.clone(),
        source: source.into(),
    }
}

fn current_tip(repo: &Repository, notes_ref: &str) -> Result<Option<Oid>> {
    match repo.refname_to_id(notes_ref) {
        Ok(id) => Ok(Some(id)),
        Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
        Err(e) => Err(read(format!("notes ref {notes_ref}"))(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A repository with `n` commits, each with a note naming it, written in one notes commit
    /// (which fans out as git's does).
    fn annotated(n: usize) -> (tempfile::TempDir, Repo, Vec<CommitId>) {
        let dir = tempfile::tempdir().expect("a scratch directory");
        let git = Repository::init_bare(dir.path()).expect("a repository");
        let sig = Signature::now("A", "a@example.org").expect("a signature");
        let tree = git
            .find_tree(
                git.treebuilder(None)
                    .and_then(|b| b.write())
                    .expect("a tree"),
            )
            .expect("the tree");
        let mut parent = None;
        let mut commits = Vec::new();
        for i in 0..n {
            let parents: Vec<git2::Commit<'_>> = parent.iter().cloned().collect();
            let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
            let id = git
                .commit(None, &sig, &sig, &format!("commit {i}"), &tree, &parents)
                .expect("a commit");
            parent = Some(git.find_commit(id).expect("the commit"));
            commits.push(CommitId::from_git2(id));
        }
        let repo = Repo::discover(dir.path()).expect("the repository");
        update_notes(&repo, "refs/notes/test", &commits, "notes", |c, _| {
            format!("note of {c}\n").into_bytes()
        })
        .expect("the notes");
        (dir, repo, commits)
    }

    #[test]
    fn a_reader_that_lets_its_directories_go_reads_every_note_the_same() {
        let (_dir, repo, commits) = annotated(600);
        let mut reader = Reader::new(&repo, "refs/notes/test").expect("a reader");
        reader.keep = 40;
        let mut most = 0;
        for c in commits.iter().chain(commits.iter().rev()) {
            let note = reader.read(*c).expect("the note");
            assert_eq!(note, Some(format!("note of {c}\n").into_bytes()));
            most = most.max(reader.tree.borrow().loaded());
        }
        // The root (256 directories at this size) and a directory of a few notes at most.
        assert!(most <= 40 + 256 + 16, "{most} entries were kept");
        let all = Reader::new(&repo, "refs/notes/test").expect("a reader");
        for c in &commits {
            all.read(*c).expect("the note");
        }
        assert!(
            all.tree.borrow().loaded() >= 600,
            "a reader without a bound keeps every note"
        );
    }
}
