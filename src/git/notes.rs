//! Attestations stored as git notes (`refs/notes/aiprov` by default), one envelope per line.
//!
//! Writing is compare-and-swap on the notes ref: the new notes commit is built on the ref's current
//! value and the ref only moves if nobody else moved it meanwhile; otherwise the edit is retried on
//! top of the other writer's note, so no writer's line is ever lost.

use git2::{ErrorCode, FileMode, Oid, Repository, Signature, Tree};

use super::{read, CommitId, GitError, Repo, Result};

/// Where aiprov keeps attestations unless told otherwise.
pub const DEFAULT_REF: &str = "refs/notes/aiprov";

const MAX_ATTEMPTS: u32 = 32;

/// The largest note aiprov reads or writes: a few envelopes of the largest size
/// ([`crate::dsse::MAX_ENVELOPE_BYTES`]). Its size is read from the object header, so a larger
/// note is refused before it is inflated.
pub const MAX_NOTE_BYTES: usize = 64 << 20;

/// The content of the note blob `id` of `commit`, refused when over [`MAX_NOTE_BYTES`].
fn note_blob(repo: &Repository, id: Oid, commit: CommitId, path: &str) -> Result<Vec<u8>> {
    let (size, _) = repo
        .odb()
        .and_then(|odb| odb.read_header(id))
        .map_err(read(format!("note {path}")))?;
    if size > MAX_NOTE_BYTES {
        return Err(GitError::TooLarge {
            what: format!("the note of commit {commit}"),
            size,
            max: MAX_NOTE_BYTES,
        });
    }
    let blob = repo.find_blob(id).map_err(read(format!("note {path}")))?;
    Ok(blob.content().to_vec())
}

/// The note attached to `commit`, if any.
pub fn read_note(repo: &Repo, notes_ref: &str, commit: CommitId) -> Result<Option<Vec<u8>>> {
    Reader::new(repo, notes_ref)?.read(commit)
}

/// Reads many notes of one notes ref: the notes trees are parsed once and kept (libgit2 caches
/// no tree over 4 KiB, and a notes tree of a few thousand notes is far larger).
pub struct Reader<'r> {
    repo: &'r Repository,
    root: Option<Tree<'r>>,
    subtrees: std::cell::RefCell<std::collections::HashMap<Oid, Tree<'r>>>,
}

impl<'r> Reader<'r> {
    pub fn new(repo: &'r Repo, notes_ref: &str) -> Result<Reader<'r>> {
        let repo = repo.raw();
        let root = match current_tip(repo, notes_ref)? {
            Some(tip) => Some(
                repo.find_commit(tip)
                    .and_then(|c| c.tree())
                    .map_err(read(format!("notes commit {tip}")))?,
            ),
            None => None,
        };
        Ok(Reader {
            repo,
            root,
            subtrees: Default::default(),
        })
    }

    /// The note attached to `commit`, if any.
    pub fn read(&self, commit: CommitId) -> Result<Option<Vec<u8>>> {
        let Some(root) = &self.root else {
            return Ok(None);
        };
        let subtree = |id: Oid, path: &str| -> Result<Tree<'r>> {
            let mut cache = self.subtrees.borrow_mut();
            if let Some(t) = cache.get(&id) {
                return Ok(t.clone());
            }
            let tree = self
                .repo
                .find_tree(id)
                .map_err(read(format!("notes tree {path}")))?;
            cache.insert(id, tree.clone());
            Ok(tree)
        };
        let Some((path, blob)) = locate(root, commit, subtree)? else {
            return Ok(None);
        };
        Ok(Some(note_blob(self.repo, blob, commit, &path)?))
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
    let git = repo.raw();
    let write = |what: &str| {
        let what = what.to_string();
        move |source: git2::Error| GitError::Write {
            what,
            source: source.into(),
        }
    };
    let sig = git
        .signature()
        .or_else(|_| Signature::now("aiprov", "aiprov@localhost"))
        .map_err(write("notes commit signature"))?;
    let mut locked = 0;
    for attempt in 0..MAX_ATTEMPTS {
        let tip = current_tip(git, notes_ref)?;
        let parent = match tip {
            Some(id) => Some(
                git.find_commit(id)
                    .map_err(read(format!("notes commit {id}")))?,
            ),
            None => None,
        };
        let tree = match &parent {
            Some(c) => Some(c.tree().map_err(read("notes tree"))?),
            None => None,
        };
        let (path, old) = match &tree {
            Some(t) => match locate(t, commit, |id, path| {
                git.find_tree(id)
                    .map_err(read(format!("notes tree {path}")))
            })? {
                Some((path, id)) => {
                    let old = note_blob(git, id, commit, &path)?;
                    (path, Some(old))
                }
                None => (new_note_path(t, commit), None),
            },
            None => (commit.to_string(), None),
        };
        let new = edit(old.as_deref());
        if old.as_deref() == Some(new.as_slice()) {
            return Ok(());
        }
        if new.len() > MAX_NOTE_BYTES {
            return Err(GitError::TooLarge {
                what: format!("the note of commit {commit}"),
                size: new.len(),
                max: MAX_NOTE_BYTES,
            });
        }
        let blob = if new.is_empty() {
            None
        } else {
            Some(git.blob(&new).map_err(write("note blob"))?)
        };
        let parts: Vec<&str> = path.split('/').collect();
        let new_tree = set_path(git, tree.as_ref(), &parts, blob).map_err(write("notes tree"))?;
        let new_tree = git.find_tree(new_tree).map_err(read("notes tree"))?;
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        let new_commit = git
            .commit(None, &sig, &sig, message, &new_tree, &parents)
            .map_err(write("notes commit"))?;
        // Compare-and-swap under the ref's lock; a zero id means the ref must not exist yet
        // (`reference` with `force` false checks that before taking the lock, so two first
        // writers could both pass and the second overwrite the first).
        let expected = tip.unwrap_or_else(git2::Oid::zero);
        let moved = git.reference_matching(notes_ref, new_commit, true, expected, message);
        match moved {
            Ok(_) => return Ok(()),
            // Another writer moved the ref (or holds its lock): rebuild on top of theirs.
            Err(e) if e.code() == ErrorCode::Locked => {
                // The lock is held while the other writer moves the ref: wait a little longer
                // each time (32 attempts take about half a second).
                locked += 1;
                std::thread::sleep(std::time::Duration::from_millis(u64::from(attempt)));
                continue;
            }
            Err(e) if matches!(e.code(), ErrorCode::Modified | ErrorCode::Exists) => {
                std::thread::yield_now();
                continue;
            }
            Err(e) => return Err(write(&format!("notes ref {notes_ref}"))(e)),
        }
    }
    if locked == MAX_ATTEMPTS {
        return Err(GitError::NotesLocked {
            notes_ref: notes_ref.to_string(),
            lock: git.path().join(format!("{notes_ref}.lock")),
        });
    }
    Err(GitError::NotesContention {
        notes_ref: notes_ref.to_string(),
        attempts: MAX_ATTEMPTS,
    })
}

fn current_tip(repo: &Repository, notes_ref: &str) -> Result<Option<Oid>> {
    match repo.refname_to_id(notes_ref) {
        Ok(id) => Ok(Some(id)),
        Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
        Err(e) => Err(read(format!("notes ref {notes_ref}"))(e)),
    }
}

/// Finds the note for `commit` in a notes tree, whatever its fan-out (`ab/cdef...`, `ab/cd/ef...`);
/// `subtree` reads a fan-out tree by id (and its path, for errors).
fn locate<'t>(
    tree: &Tree<'t>,
    commit: CommitId,
    mut subtree: impl FnMut(Oid, &str) -> Result<Tree<'t>>,
) -> Result<Option<(String, Oid)>> {
    let hex = commit.to_string();
    let mut tree = tree.clone();
    let mut path = String::new();
    let mut rest = hex.as_str();
    loop {
        if let Some(e) = tree.get_name(rest) {
            if e.kind() == Some(git2::ObjectType::Blob) {
                return Ok(Some((format!("{path}{rest}"), e.id())));
            }
        }
        let dir = rest
            .get(..2)
            .and_then(|d| tree.get_name(d))
            .filter(|e| e.kind() == Some(git2::ObjectType::Tree))
            .map(|e| e.id());
        let Some(id) = dir.filter(|_| rest.len() > 2) else {
            return Ok(None);
        };
        path.push_str(&rest[..2]);
        path.push('/');
        tree = subtree(id, &path)?;
        rest = &rest[2..];
    }
}

/// Where a new note goes: at the fan-out level the tree already uses.
fn new_note_path(tree: &Tree<'_>, commit: CommitId) -> String {
    let hex = commit.to_string();
    let fanned = tree.iter().any(|e| {
        e.kind() == Some(git2::ObjectType::Tree) && e.name().is_some_and(|n| n.len() == 2)
    });
    if fanned {
        format!("{}/{}", &hex[..2], &hex[2..])
    } else {
        hex
    }
}

/// Writes (or with `None`, removes) the blob at `parts` under `tree`, returning the new tree id.
fn set_path(
    repo: &Repository,
    tree: Option<&Tree<'_>>,
    parts: &[&str],
    blob: Option<Oid>,
) -> std::result::Result<Oid, git2::Error> {
    let mut builder = repo.treebuilder(tree)?;
    match parts {
        [] => {}
        [name] => match blob {
            Some(id) => {
                builder.insert(name, id, FileMode::Blob.into())?;
            }
            None => {
                if builder.get(name)?.is_some() {
                    builder.remove(name)?;
                }
            }
        },
        [dir, rest @ ..] => {
            let sub = match builder.get(dir)? {
                Some(e) => Some(repo.find_tree(e.id())?),
                None => None,
            };
            let sub_id = set_path(repo, sub.as_ref(), rest, blob)?;
            if repo.find_tree(sub_id)?.is_empty() {
                if builder.get(dir)?.is_some() {
                    builder.remove(dir)?;
                }
            } else {
                builder.insert(dir, sub_id, FileMode::Tree.into())?;
            }
        }
    }
    builder.write()
}
