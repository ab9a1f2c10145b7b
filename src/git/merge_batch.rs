//! The automatic merges that only git can tell, made by one `git merge-tree --stdin` in the
//! background: each merge is handed to it as soon as the in-process proof leaves it open, and
//! its tree is taken as git answers, while aiprov goes on verifying. A merge verified before
//! git has answered waits for that answer; one git could not answer is made alone.

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use git2::Oid;

/// A merge left to git: the commit, its two parents, and their merge base when there is exactly
/// one (git then need not look for it again).
pub(super) struct Pending {
    pub merge: Oid,
    pub ours: Oid,
    pub theirs: Oid,
    pub base: Option<Oid>,
}

/// The trees merges are measured from, and the merges asked of git and not yet answered.
#[derive(Default)]
pub(super) struct Trees {
    state: Mutex<State>,
    answered: Condvar,
}

#[derive(Default)]
struct State {
    trees: HashMap<Oid, Oid>,
    asked: HashSet<Oid>,
}

impl Trees {
    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// The tree of `merge` when known, waiting for git's answer while it is asked of git.
    pub fn get(&self, merge: Oid) -> Option<Oid> {
        let mut state = self.lock();
        while state.asked.contains(&merge) {
            state = self.answered.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        state.trees.get(&merge).copied()
    }

    /// Whether the tree of `merge` is known or asked of git.
    pub fn has(&self, merge: Oid) -> bool {
        let state = self.lock();
        state.trees.contains_key(&merge) || state.asked.contains(&merge)
    }

    /// Whether `merge` is asked of git and not yet answered.
    pub fn pending(&self, merge: Oid) -> bool {
        self.lock().asked.contains(&merge)
    }

    pub fn insert(&self, merge: Oid, tree: Oid) {
        self.lock().trees.insert(merge, tree);
    }

    fn ask(&self, merge: Oid) {
        self.lock().asked.insert(merge);
    }

    fn answer(&self, merge: Oid, tree: Option<Oid>) {
        let mut state = self.lock();
        state.asked.remove(&merge);
        if let Some(tree) = tree {
            state.trees.insert(merge, tree);
        }
        self.answered.notify_all();
    }
}

/// The writing end of the background `git merge-tree --stdin`; dropping it lets git finish.
pub(super) struct Batch {
    trees: Arc<Trees>,
    stdin: Option<ChildStdin>,
    /// The merges written to git and not yet answered, in the order written (git answers in it).
    order: Arc<Mutex<VecDeque<Oid>>>,
}

impl Batch {
    /// Starts `command` (`git merge-tree --write-tree` made by the repository) with `--stdin`,
    /// and a thread that takes its answers.
    pub fn start(trees: Arc<Trees>, mut command: std::process::Command) -> std::io::Result<Batch> {
        let mut child = command
            .args(["--stdin", "--no-messages", "--name-only"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdin = child.stdin.take();
        let order = Arc::new(Mutex::new(VecDeque::new()));
        // The reader holds the trees only: the scratch directory goes with the last handle.
        let (reader_trees, reader_order) = (trees.clone(), order.clone());
        std::thread::Builder::new()
            .name("git merge-tree".into())
            .spawn(move || read_answers(child, &reader_trees, &reader_order))?;
        Ok(Batch {
            trees,
            stdin,
            order,
        })
    }

    /// Hands a merge to git. When git can no longer take it, the merge is left to be made alone.
    pub fn ask(&mut self, p: &Pending) {
        let Some(stdin) = self.stdin.as_mut() else {
            return;
        };
        let line = match p.base {
            Some(base) => format!("{base} -- {} {}\n", p.ours, p.theirs),
            None => format!("{} {}\n", p.ours, p.theirs),
        };
        self.trees.ask(p.merge);
        lock(&self.order).push_back(p.merge);
        if stdin.write_all(line.as_bytes()).is_err() {
            self.stdin = None;
            // The reader answers (with nothing) what git was given and will not answer.
            self.trees.answer(p.merge, None);
        }
    }
}

/// A lock that a thread panicking while holding it leaves usable: every change made under these
/// locks is one insert or removal, so what they guard is whole.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Takes git's answers, each `status NUL tree NUL`, the conflicted paths each followed by NUL,
/// then NUL; on the end of its output (or output it cannot read), what it did not answer is
/// answered with nothing.
fn read_answers(mut child: Child, trees: &Trees, order: &Mutex<VecDeque<Oid>>) {
    if let Some(stdout) = child.stdout.take() {
        let mut fields = BufReader::new(stdout).split(0);
        let mut next = || fields.next().and_then(|f| f.ok());
        while let (Some(status), Some(tree)) = (next(), next()) {
            let tree = std::str::from_utf8(&tree)
                .ok()
                .and_then(|t| Oid::from_str(t).ok())
                .filter(|_| matches!(status.as_slice(), b"0" | b"1"));
            // The conflicted paths, up to an empty field.
            while next().is_some_and(|f| !f.is_empty()) {}
            let Some(merge) = lock(order).pop_front() else {
                break;
            };
            trees.answer(merge, tree);
            if tree.is_none() {
                break;
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    for merge in lock(order).drain(..) {
        trees.answer(merge, None);
    }
}
