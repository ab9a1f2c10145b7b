//! A notes tree in memory, kept by git's rules (git's `notes.c`), so that aiprov reads every
//! layout git reads and writes exactly the trees `git notes` writes.
//!
//! Notes sit in a 16-way trie on the hex digits of the annotated object's id. A directory of the
//! notes tree stays one entry (a subtree) until a look-up or a change goes through it, so a
//! change loads and rewrites only the trees on its path. On writing, a level of two-hex-digit
//! directories is added below every even trie level whose 16 branches all hold more than one
//! note (git's `determine_fanout`), a directory not loaded is written back as it was, and one at
//! a level below the fan-out is loaded and flattened into its parent. Entries that are not notes
//! are kept at their paths. The same object annotated at two places of a mixed tree reads as the
//! two notes joined, as git joins them.

use std::collections::BTreeMap;

use git2::{ObjectType, Odb, Oid, Repository};

use super::{read, GitError, Result};

/// The bytes of an object id (SHA-1, the only format libgit2 reads here).
const RAW: usize = 20;
type Key = [u8; RAW];

const MODE_TREE: i32 = 0o040000;
const MODE_BLOB: i32 = 0o100644;

#[derive(Default)]
enum Slot {
    #[default]
    Empty,
    Node(Box<Node>),
    Note(Box<Note>),
    Subtree(Box<Subtree>),
}

#[derive(Default)]
struct Node([Slot; 16]);

/// The note of one object: its blobs, more than one when a mixed tree holds it twice.
struct Note {
    key: Key,
    blobs: Vec<Oid>,
}

/// A directory of the notes tree not loaded yet: the first `len` bytes of `prefix` name it.
struct Subtree {
    prefix: Key,
    len: usize,
    tree: Oid,
}

impl Subtree {
    fn holds(&self, key: &Key) -> bool {
        key[..self.len] == self.prefix[..self.len]
    }
}

enum Leaf {
    Note(Note),
    Subtree(Subtree),
}

impl Leaf {
    fn key(&self) -> &Key {
        match self {
            Leaf::Note(n) => &n.key,
            Leaf::Subtree(s) => &s.prefix,
        }
    }

    fn into_slot(self) -> Slot {
        match self {
            Leaf::Note(n) => Slot::Note(Box::new(n)),
            Leaf::Subtree(s) => Slot::Subtree(Box::new(s)),
        }
    }
}

/// What a second note of the same object does: when loading, the two are joined (git's
/// `combine_notes_concatenate`); when setting, the new one replaces the old.
#[derive(Clone, Copy, PartialEq)]
enum Combine {
    Join,
    Replace,
}

/// The `n`th hex digit of `key`.
fn nibble(n: usize, key: &Key) -> usize {
    let byte = key[n / 2];
    usize::from(if n % 2 == 0 { byte >> 4 } else { byte & 0x0f })
}

/// A notes tree, loaded lazily from the repository.
pub(super) struct NotesTree<'r> {
    repo: &'r Repository,
    root: Node,
    /// Entries that are not notes, by full path: written back where they were.
    non_notes: BTreeMap<Vec<u8>, (i32, Oid)>,
    /// How many entries the directories loaded so far held.
    loaded: usize,
}

impl<'r> NotesTree<'r> {
    /// The notes tree `tree` (none: empty), its root directory loaded.
    pub(super) fn load(repo: &'r Repository, tree: Option<Oid>) -> Result<NotesTree<'r>> {
        let mut notes = NotesTree {
            repo,
            root: Node::default(),
            non_notes: BTreeMap::new(),
            loaded: 0,
        };
        if let Some(tree) = tree {
            let root = Subtree {
                prefix: [0; RAW],
                len: 0,
                tree,
            };
            let mut node = Node::default();
            notes.load_subtree(&root, &mut node, 0)?;
            notes.root = node;
        }
        Ok(notes)
    }

    /// The blobs of the note of `key` (several to be joined, in a mixed tree), if any.
    pub(super) fn get(&mut self, key: &Key) -> Result<Option<Vec<Oid>>> {
        let mut root = std::mem::take(&mut self.root);
        let found = self.find(&mut root, 0, key);
        self.root = root;
        found
    }

    /// How many entries the directories loaded so far held: what the tree holds in memory.
    pub(super) fn loaded(&self) -> usize {
        self.loaded
    }

    /// Sets the note of `key` to the blob `note`, or with `None` removes it.
    pub(super) fn set(&mut self, key: &Key, note: Option<Oid>) -> Result<()> {
        let mut root = std::mem::take(&mut self.root);
        let done = match note {
            Some(blob) => {
                let leaf = Leaf::Note(Note {
                    key: *key,
                    blobs: vec![blob],
                });
                self.insert(&mut root, 0, leaf, Combine::Replace)
            }
            None => self.remove(&mut root, 0, key).map(drop),
        };
        self.root = root;
        done
    }

    /// Writes the trees of the notes, with git's fan-out, and returns the root tree's id.
    pub(super) fn write(&mut self) -> Result<Oid> {
        let mut entries = BTreeMap::new();
        let mut root = std::mem::take(&mut self.root);
        let collected = self.collect(&mut root, 0, 0, &mut entries);
        self.root = root;
        collected?;
        for (path, entry) in &self.non_notes {
            // git prefers a note to an entry that is not one at the same path.
            entries.entry(path.clone()).or_insert(*entry);
        }
        let mut dir = Dir::default();
        for (path, (mode, id)) in entries {
            dir.insert(&path, mode, id)?;
        }
        let odb = self.repo.odb().map_err(write_error)?;
        dir.write(&odb)
    }

    /// git's `load_subtree`: the entries of `subtree`'s directory inserted under `node` (at
    /// trie level `n`), joining a note the trie already has for the same object.
    fn load_subtree(&mut self, subtree: &Subtree, node: &mut Node, n: usize) -> Result<()> {
        let len = subtree.len;
        let dir = hex_path(&subtree.prefix[..len]);
        let tree = self.repo.find_tree(subtree.tree).map_err(read(format!(
            "notes tree {}",
            String::from_utf8_lossy(&dir)
        )))?;
        self.loaded += tree.len();
        for entry in tree.iter() {
            let name = entry.name_bytes();
            let mode = entry.filemode();
            let mut key = subtree.prefix;
            let leaf = if name.len() == 2 * (RAW - len) {
                // The rest of an object id: a note, when it is a file.
                let is_file = mode & 0o170000 == 0o100000;
                is_file
                    .then(|| hex_into(name, &mut key[len..]))
                    .flatten()
                    .map(|()| {
                        Leaf::Note(Note {
                            key,
                            blobs: vec![entry.id()],
                        })
                    })
            } else if name.len() == 2 && mode == MODE_TREE {
                hex_into(name, &mut key[len..len + 1]).map(|()| {
                    Leaf::Subtree(Subtree {
                        prefix: key,
                        len: len + 1,
                        tree: entry.id(),
                    })
                })
            } else {
                None
            };
            match leaf {
                Some(leaf) => self.insert(node, n, leaf, Combine::Join)?,
                None => {
                    let path = [dir.as_slice(), name].concat();
                    self.non_notes.insert(path, (mode, entry.id()));
                }
            }
        }
        Ok(())
    }

    /// Loads the subtree in `node`'s slot `i` when it holds `key`; returns whether it did.
    fn unpack(&mut self, node: &mut Node, n: usize, i: usize, key: &Key) -> Result<bool> {
        match std::mem::take(&mut node.0[i]) {
            Slot::Subtree(s) if s.holds(key) => {
                self.load_subtree(&s, node, n)?;
                Ok(true)
            }
            other => {
                node.0[i] = other;
                Ok(false)
            }
        }
    }

    /// git's `note_tree_search` up to the slot of `key` under `node`: the subtrees on the way
    /// loaded, the levels of internal nodes descended. Returns the node's level and slot, and
    /// calls `at` on them.
    fn search<T>(
        &mut self,
        node: &mut Node,
        n: usize,
        key: &Key,
        at: &mut dyn FnMut(&mut Self, &mut Node, usize, usize) -> Result<T>,
    ) -> Result<T> {
        // A subtree whose prefix ends at this level sits in slot 0 (its key is padded with zeros).
        if self.unpack(node, n, 0, key)? {
            return self.search(node, n, key, at);
        }
        let i = nibble(n, key);
        if self.unpack(node, n, i, key)? {
            return self.search(node, n, key, at);
        }
        if let Slot::Node(child) = &mut node.0[i] {
            return self.search(child, n + 1, key, at);
        }
        at(self, node, n, i)
    }

    fn find(&mut self, node: &mut Node, n: usize, key: &Key) -> Result<Option<Vec<Oid>>> {
        self.search(node, n, key, &mut |_, node, _, i| {
            Ok(match &node.0[i] {
                Slot::Note(note) if note.key == *key => Some(note.blobs.clone()),
                _ => None,
            })
        })
    }

    /// git's `note_tree_insert`.
    fn insert(&mut self, node: &mut Node, n: usize, leaf: Leaf, combine: Combine) -> Result<()> {
        let key = *leaf.key();
        let mut leaf = Some(leaf);
        self.search(node, n, &key, &mut |this, node, n, i| {
            let leaf = leaf.take().expect("the search reaches one slot");
            let slot = &mut node.0[i];
            match (slot, leaf) {
                (slot @ Slot::Empty, leaf) => *slot = leaf.into_slot(),
                (Slot::Note(old), Leaf::Note(new)) if old.key == new.key => match combine {
                    Combine::Replace => old.blobs = new.blobs,
                    // git skips a note identical to the one it has, else joins them.
                    Combine::Join if old.blobs == new.blobs => {}
                    Combine::Join => old.blobs.extend(new.blobs),
                },
                (Slot::Note(old), Leaf::Subtree(new)) if new.holds(&old.key) => {
                    this.load_subtree(&new, node, n)?;
                }
                (slot, leaf) => {
                    // Two different entries in one slot: both one level down.
                    let old = match std::mem::take(slot) {
                        Slot::Note(note) => Leaf::Note(*note),
                        Slot::Subtree(s) => Leaf::Subtree(*s),
                        Slot::Empty | Slot::Node(_) => unreachable!("a leaf is in the slot"),
                    };
                    let mut child = Node::default();
                    this.insert(&mut child, n + 1, old, combine)?;
                    this.insert(&mut child, n + 1, leaf, combine)?;
                    node.0[i] = Slot::Node(Box::new(child));
                }
            }
            Ok(())
        })
    }

    /// git's `note_tree_remove`: removes the note of `key`, then folds each node on its path
    /// that is left with one note (or none) into its parent, from the bottom up, as far as that
    /// goes. Returns whether the node at level `n` may be folded into its parent.
    fn remove(&mut self, node: &mut Node, n: usize, key: &Key) -> Result<bool> {
        if self.unpack(node, n, 0, key)? {
            return self.remove(node, n, key);
        }
        let i = nibble(n, key);
        if self.unpack(node, n, i, key)? {
            return self.remove(node, n, key);
        }
        match &mut node.0[i] {
            Slot::Node(child) => {
                if !self.remove(child, n + 1, key)? {
                    return Ok(false);
                }
                let mut used = child.0.iter().filter(|s| !matches!(s, Slot::Empty));
                let only = used.next();
                let foldable = used.next().is_none() && matches!(only, None | Some(Slot::Note(_)));
                if foldable {
                    let note = child
                        .0
                        .iter_mut()
                        .map(std::mem::take)
                        .find(|s| matches!(s, Slot::Note(_)));
                    node.0[i] = note.unwrap_or_default();
                }
                Ok(foldable && n > 0)
            }
            Slot::Note(note) if note.key == *key => {
                node.0[i] = Slot::Empty;
                Ok(n > 0)
            }
            _ => Ok(false),
        }
    }

    /// git's `for_each_note_helper` as `write_notes_tree` runs it: each note and each subtree
    /// kept, by its path with the fan-out of its place.
    fn collect(
        &mut self,
        node: &mut Node,
        n: usize,
        fanout: usize,
        out: &mut BTreeMap<Vec<u8>, (i32, Oid)>,
    ) -> Result<()> {
        let fanout = determine_fanout(node, n, fanout);
        for i in 0..16 {
            loop {
                match std::mem::take(&mut node.0[i]) {
                    Slot::Empty => {}
                    Slot::Node(mut child) => {
                        let done = self.collect(&mut child, n + 1, fanout, out);
                        node.0[i] = Slot::Node(child);
                        done?;
                    }
                    Slot::Subtree(s) if n < 2 * fanout => {
                        let mut path = fanout_path(&s.prefix, fanout);
                        path.truncate(2 * s.len + fanout);
                        if path.last() == Some(&b'/') {
                            path.pop();
                        }
                        out.insert(path, (MODE_TREE, s.tree));
                        node.0[i] = Slot::Subtree(s);
                    }
                    Slot::Subtree(s) => {
                        // Below the fan-out: flattened into this level.
                        self.load_subtree(&s, node, n)?;
                        continue;
                    }
                    Slot::Note(mut note) => {
                        if note.blobs.len() > 1 {
                            let joined = joined(self.repo, &note.blobs)?;
                            note.blobs = vec![self.repo.blob(&joined).map_err(write_error)?];
                        }
                        out.insert(fanout_path(&note.key, fanout), (MODE_BLOB, note.blobs[0]));
                        node.0[i] = Slot::Note(note);
                    }
                }
                break;
            }
        }
        Ok(())
    }
}

/// git's `determine_fanout`: one more level of directories below an even trie level whose 16
/// slots all hold an internal node or a subtree.
fn determine_fanout(node: &Node, n: usize, fanout: usize) -> usize {
    if n % 2 == 1 || n > 2 * fanout {
        return fanout;
    }
    let full = node
        .0
        .iter()
        .all(|s| matches!(s, Slot::Node(_) | Slot::Subtree(_)));
    fanout + usize::from(full)
}

/// The path of `key` with `fanout` levels of directories: `ab/cd/ef01...` for 2.
fn fanout_path(key: &Key, fanout: usize) -> Vec<u8> {
    let hex = hex_path(&key[..fanout]);
    let rest: String = key[fanout..].iter().map(|b| format!("{b:02x}")).collect();
    [hex, rest.into_bytes()].concat()
}

/// `ab/cd/` for the bytes `ab cd`.
fn hex_path(bytes: &[u8]) -> Vec<u8> {
    bytes
        .iter()
        .flat_map(|b| format!("{b:02x}/").into_bytes())
        .collect()
}

/// Decodes hex digits (either case, as git reads them) into `out`; `None` when `hex` is not.
fn hex_into(hex: &[u8], out: &mut [u8]) -> Option<()> {
    let digit = |c: u8| char::from(c).to_digit(16).map(|d| d as u8);
    for (o, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        *o = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(())
}

/// The note whose blobs are `blobs`, joined as git joins two notes of one object: a blank line
/// between them, empty ones left out.
pub(super) fn joined(repo: &Repository, blobs: &[Oid]) -> Result<Vec<u8>> {
    let mut out: Vec<u8> = Vec::new();
    for &id in blobs {
        let blob = repo
            .find_blob(id)
            .map_err(read(format!("note blob {id}")))?;
        let content = blob.content();
        if content.is_empty() {
            continue;
        }
        if !out.is_empty() {
            if out.last() == Some(&b'\n') {
                out.pop();
            }
            out.extend_from_slice(b"\n\n");
        }
        out.extend_from_slice(content);
    }
    Ok(out)
}

fn write_error(source: git2::Error) -> GitError {
    GitError::Write {
        what: "notes tree".into(),
        source: source.into(),
    }
}

/// The directories of the notes tree being written.
#[derive(Default)]
struct Dir(BTreeMap<Vec<u8>, DirEntry>);

enum DirEntry {
    Object(i32, Oid),
    Dir(Dir),
}

impl Dir {
    fn insert(&mut self, path: &[u8], mode: i32, id: Oid) -> Result<()> {
        let conflict = || {
            write_error(git2::Error::from_str(&format!(
                "'{}' is both a directory of notes and an entry that is not a note",
                String::from_utf8_lossy(path)
            )))
        };
        match path.iter().position(|&b| b == b'/') {
            None => match self.0.insert(path.to_vec(), DirEntry::Object(mode, id)) {
                Some(DirEntry::Dir(_)) => Err(conflict()),
                _ => Ok(()),
            },
            Some(slash) => {
                let entry = self
                    .0
                    .entry(path[..slash].to_vec())
                    .or_insert_with(|| DirEntry::Dir(Dir::default()));
                match entry {
                    DirEntry::Dir(dir) => dir.insert(&path[slash + 1..], mode, id),
                    DirEntry::Object(..) => Err(conflict()),
                }
            }
        }
    }

    /// Writes this directory and those below it as tree objects, entries in git's order.
    fn write(&self, odb: &Odb<'_>) -> Result<Oid> {
        let mut entries = Vec::with_capacity(self.0.len());
        for (name, entry) in &self.0 {
            let (mode, id, sort) = match entry {
                DirEntry::Object(mode, id) => (*mode, *id, name.clone()),
                DirEntry::Dir(dir) => (MODE_TREE, dir.write(odb)?, [name, &b"/"[..]].concat()),
            };
            entries.push((sort, name, mode, id));
        }
        // git sorts a directory's name as if it ended with '/'.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut buf = Vec::with_capacity(entries.len() * 64);
        for (_, name, mode, id) in entries {
            buf.extend_from_slice(format!("{mode:o} ").as_bytes());
            buf.extend_from_slice(name);
            buf.push(0);
            buf.extend_from_slice(id.as_bytes());
        }
        odb.write(ObjectType::Tree, &buf).map_err(write_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(hex: &str) -> Key {
        let mut key = [0; RAW];
        hex_into(hex.as_bytes(), &mut key).expect("hex");
        key
    }

    const ID: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn paths_have_one_directory_per_level_of_fan_out() {
        let k = key(ID);
        let path = |f| String::from_utf8(fanout_path(&k, f)).expect("ASCII");
        assert_eq!(path(0), ID);
        assert_eq!(path(1), format!("01/{}", &ID[2..]));
        assert_eq!(path(2), format!("01/23/{}", &ID[4..]));
        assert_eq!(hex_path(&k[..2]), b"01/23/");
    }

    #[test]
    fn hex_digits_are_read_in_either_case_and_nothing_else() {
        let mut out = [0; 2];
        assert_eq!(hex_into(b"aB0f", &mut out), Some(()));
        assert_eq!(out, [0xab, 0x0f]);
        assert_eq!(hex_into(b"zz00", &mut out), None);
        assert_eq!(nibble(0, &key(ID)), 0);
        assert_eq!(nibble(3, &key(ID)), 3);
        assert_eq!(nibble(39, &key(ID)), 7);
    }

    #[test]
    fn a_level_fans_out_when_all_16_branches_hold_more_than_one_note() {
        let mut node = Node::default();
        for (i, slot) in node.0.iter_mut().enumerate() {
            *slot = match i {
                0 => Slot::Subtree(Box::new(Subtree {
                    prefix: [0; RAW],
                    len: 1,
                    tree: Oid::zero(),
                })),
                _ => Slot::Node(Box::default()),
            };
        }
        assert_eq!(determine_fanout(&node, 0, 0), 1);
        assert_eq!(determine_fanout(&node, 2, 1), 2);
        // Only at even levels, and only one level more than the level above has.
        assert_eq!(determine_fanout(&node, 1, 0), 0);
        assert_eq!(determine_fanout(&node, 2, 0), 0);
        node.0[5] = Slot::Note(Box::new(Note {
            key: key(ID),
            blobs: vec![Oid::zero()],
        }));
        assert_eq!(determine_fanout(&node, 0, 0), 0);
    }
}
