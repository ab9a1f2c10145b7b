//! The automatic merges that only git can tell, made by `git merge-tree --stdin` in the
//! background: each merge is handed to it as soon as the in-process proof leaves it open, and
//! its tree is taken as git answers, while aiprov goes on verifying. A merge verified before
//! git has answered waits for that answer; one git could not answer is made alone. git keeps
//! every object it has read until it exits, so a process is given [`MERGES_PER_PROCESS`] merges
//! and then let finish while the next one takes the following merges. Each process writes its
//! objects into a directory of its own, removed once all of its merges have been verified.

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
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
    /// The git process each merge asked of git was given to, until it is verified.
    given_to: HashMap<Oid, usize>,
    processes: HashMap<usize, Process>,
    /// The number of the next git process.
    next_process: usize,
}

/// The objects one `git merge-tree` process wrote, and how many of its merges are still to be
/// verified.
struct Process {
    objects: PathBuf,
    left: usize,
    /// Whether it may still be given merges.
    open: bool,
}

impl State {
    /// Removes the objects of process `n` once nothing can need them.
    fn clean(&mut self, n: usize) {
        if self
            .processes
            .get(&n)
            .is_some_and(|p| !p.open && p.left == 0)
        {
            let process = self.processes.remove(&n).expect("the process is there");
            let _ = std::fs::remove_dir_all(process.objects);
        }
    }
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

    /// The directory of the objects git wrote for `merge`, if it was asked of git.
    pub fn objects_of(&self, merge: Oid) -> Option<PathBuf> {
        let state = self.lock();
        let n = state.given_to.get(&merge)?;
        state.processes.get(n).map(|p| p.objects.clone())
    }

    /// Says that `merge` has been verified: its tree, and the objects git wrote for it, are no
    /// longer needed.
    pub fn verified(&self, merge: Oid) {
        let mut state = self.lock();
        state.trees.remove(&merge);
        if let Some(n) = state.given_to.remove(&merge) {
            if let Some(p) = state.processes.get_mut(&n) {
                p.left -= 1;
            }
            state.clean(n);
        }
    }

    fn ask(&self, merge: Oid, process: usize) {
        let mut state = self.lock();
        state.asked.insert(merge);
        if state.given_to.insert(merge, process).is_none() {
            if let Some(p) = state.processes.get_mut(&process) {
                p.left += 1;
            }
        }
    }

    /// A new git process, numbered, with a directory of its own below `scratch` for its objects.
    fn open(&self, scratch: &Path) -> std::io::Result<(usize, PathBuf)> {
        let mut state = self.lock();
        let n = state.next_process;
        let objects = scratch.join(n.to_string());
        std::fs::create_dir(&objects)?;
        state.next_process += 1;
        let process = Process {
            objects: objects.clone(),
            left: 0,
            open: true,
        };
        state.processes.insert(n, process);
        Ok((n, objects))
    }

    fn close(&self, n: usize) {
        let mut state = self.lock();
        if let Some(p) = state.processes.get_mut(&n) {
            p.open = false;
        }
        state.clean(n);
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

/// How many merges one `git merge-tree --stdin` is given: on git's own history its memory grew by
/// about 80 KB a merge, to 330 MB over the 4,000 merges of a whole-history verification.
const MERGES_PER_PROCESS: usize = 256;

/// The writing end of the background `git merge-tree --stdin`; dropping it lets git finish.
pub(super) struct Batch {
    trees: Arc<Trees>,
    command: Box<dyn Fn(&Path) -> std::process::Command + Send>,
    /// Where each process's objects go: a directory per process below it.
    scratch: PathBuf,
    git: Option<Git>,
    /// The number of the running git, and how many merges it has been given.
    process: usize,
    given: usize,
}

/// One running `git merge-tree --stdin`.
struct Git {
    stdin: ChildStdin,
    /// The merges written to git and not yet answered, in the order written (git answers in it).
    order: Arc<Mutex<VecDeque<Oid>>>,
}

impl Batch {
    /// A batch of merges for `git merge-tree --write-tree` as `command` makes it (run with
    /// `--stdin`, writing into the object directory it is given), each git process with a
    /// thread that takes its answers. Fails when git cannot be started.
    pub fn start(
        trees: Arc<Trees>,
        command: impl Fn(&Path) -> std::process::Command + Send + 'static,
        scratch: &Path,
    ) -> std::io::Result<Batch> {
        let mut batch = Batch {
            trees,
            command: Box::new(command),
            scratch: scratch.to_path_buf(),
            git: None,
            process: 0,
            given: 0,
        };
        batch.git = Some(batch.spawn()?);
        Ok(batch)
    }

    /// Starts the next git process.
    fn spawn(&mut self) -> std::io::Result<Git> {
        let (n, objects) = self.trees.open(&self.scratch)?;
        self.process = n;
        let mut child = (self.command)(&objects)
            .args(["--stdin", "--no-messages", "--name-only"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdin = child.stdin.take().expect("stdin is piped");
        let order = Arc::new(Mutex::new(VecDeque::new()));
        // The reader holds the trees only: the scratch directory goes with the last handle.
        let (reader_trees, reader_order) = (self.trees.clone(), order.clone());
        std::thread::Builder::new()
            .name("git merge-tree".into())
            .spawn(move || read_answers(child, &reader_trees, &reader_order))?;
        Ok(Git { stdin, order })
    }

    /// Hands a merge to git. When git can no longer take it, the merge is left to be made alone.
    pub fn ask(&mut self, p: &Pending) {
        if self.given == MERGES_PER_PROCESS {
            // The running git finishes what it was given and exits: its memory goes with it.
            self.trees.close(self.process);
            self.given = 0;
            self.git = self.spawn().ok();
        }
        let Some(git) = self.git.as_mut() else {
            return;
        };
        let line = match p.base {
            Some(base) => format!("{base} -- {} {}\n", p.ours, p.theirs),
            None => format!("{} {}\n", p.ours, p.theirs),
        };
        self.trees.ask(p.merge, self.process);
        lock(&git.order).push_back(p.merge);
        self.given += 1;
        if git.stdin.write_all(line.as_bytes()).is_err() {
            self.git = None;
            // The reader answers (with nothing) what git was given and will not answer.
            self.trees.answer(p.merge, None);
        }
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        self.trees.close(self.process);
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
