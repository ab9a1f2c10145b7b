//! Verifying many commits on several threads, results in order.

use std::collections::BTreeMap;
use std::sync::{mpsc, Condvar, Mutex};

use super::Error;
use crate::git::{notes, CommitId, Repo, Target};

/// Runs `work` on each of `targets` on `jobs` threads (each with its own repository handle and
/// notes reader), handing the results to `emit` in the order of `targets` as soon as each one
/// and all before it are done. The targets are taken [`CHUNK`] at a time: the automatic merges
/// of the merge commits of the next chunk are worked out ([`Repo::prepare_merges`]) before this
/// one is verified, so that the background git always has merges to make and never more than
/// two chunks' worth (their objects are removed as the merges are verified). A merge whose tree
/// git is still making is put off until git has answered, or nothing else is left. At most
/// [`WINDOW`] results wait for one before them, so memory does not grow with the number of
/// targets.
pub fn in_parallel<T: Send>(
    repo: &Repo,
    targets: &[Target],
    notes_ref: &str,
    jobs: usize,
    work: &(dyn Fn(&Repo, &Target, &notes::Reader<'_>) -> Result<T, Error> + Sync),
    emit: impl FnMut(T) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut ordered = Ordered::new(emit);
    let chunks: Vec<&[Target]> = targets.chunks(CHUNK).collect();
    let prepare = |chunk: &[Target]| {
        let commits: Vec<CommitId> = chunk.iter().map(|t| t.commit).collect();
        repo.prepare_merges(&commits, jobs)
    };
    if let Some(first) = chunks.first() {
        prepare(first)?;
    }
    for (k, chunk) in chunks.iter().enumerate() {
        if let Some(next) = chunks.get(k + 1) {
            prepare(next)?;
        }
        // Every chunk before this one has been handed on whole.
        let first = k * CHUNK;
        let mut done = |i: usize, result: T| Ok(ordered.done(first + i, result)? - first);
        verify_chunk(repo, chunk, notes_ref, jobs, work, &mut done)?;
    }
    Ok(())
}

/// How many targets are verified together (see [`in_parallel`]).
const CHUNK: usize = 4096;

/// Verifies one chunk of targets, handing each result to `done` with its place in the chunk;
/// `done` says how many results of the chunk have been handed on.
fn verify_chunk<T: Send>(
    repo: &Repo,
    targets: &[Target],
    notes_ref: &str,
    jobs: usize,
    work: &(dyn Fn(&Repo, &Target, &notes::Reader<'_>) -> Result<T, Error> + Sync),
    done: &mut dyn FnMut(usize, T) -> Result<usize, Error>,
) -> Result<(), Error> {
    let queue = Queue::default();
    if jobs <= 1 || targets.len() < 2 {
        let notes = notes::Reader::new(repo, notes_ref)?;
        while let Some(i) = queue.next(repo, targets) {
            let result = work(repo, &targets[i], &notes)?;
            repo.merge_verified(targets[i].commit);
            queue.emitted(done(i, result)?);
        }
        return Ok(());
    }
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel();
        for _ in 0..jobs.min(targets.len()) {
            let tx = tx.clone();
            let queue = &queue;
            let repo = repo.reopen()?;
            scope.spawn(move || {
                let notes = match notes::Reader::new(&repo, notes_ref) {
                    Ok(n) => n,
                    Err(e) => return drop(tx.send((0, Err(e.into())))),
                };
                while let Some(i) = queue.next(&repo, targets) {
                    let result = work(&repo, &targets[i], &notes);
                    repo.merge_verified(targets[i].commit);
                    let failed = result.is_err();
                    if tx.send((i, result)).is_err() || failed {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let all = rx.into_iter().try_for_each(|(i, result)| {
            queue.emitted(done(i, result?)?);
            Ok(())
        });
        // The other threads stop at their next target (a failure ends the verification).
        queue.close();
        all
    })
}

/// How far the threads may go past the first target whose result is not handed on yet.
const WINDOW: usize = 2048;

/// Which target to verify next: the range's order, except that a merge whose tree the
/// background git is still making is put off, and taken up once git has answered it (or when
/// nothing else may be taken, waiting then). No target more than [`WINDOW`] past the first one
/// not handed on is taken: a thread waits for the results before it instead.
#[derive(Default)]
struct Queue {
    state: Mutex<QueueState>,
    progress: Condvar,
}

#[derive(Default)]
struct QueueState {
    /// The next target not yet taken.
    next: usize,
    /// Targets put off, in order.
    put_off: Vec<usize>,
    /// How many results have been handed on.
    emitted: usize,
    closed: bool,
}

impl Queue {
    fn next(&self, repo: &Repo, targets: &[Target]) -> Option<usize> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let QueueState {
                next,
                put_off,
                emitted,
                closed,
            } = &mut *state;
            if *closed {
                return None;
            }
            if let Some(at) = put_off
                .iter()
                .position(|&i| !repo.merge_pending(targets[i].commit))
            {
                return Some(put_off.remove(at));
            }
            while *next < targets.len().min(*emitted + WINDOW) {
                *next += 1;
                if !repo.merge_pending(targets[*next - 1].commit) {
                    return Some(*next - 1);
                }
                put_off.push(*next - 1);
            }
            if !put_off.is_empty() {
                return Some(put_off.remove(0));
            }
            if *next == targets.len() {
                return None;
            }
            state = self.progress.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Says that `n` results in all have been handed on.
    fn emitted(&self, n: usize) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).emitted = n;
        self.progress.notify_all();
    }

    /// Ends the verification: no target is handed out any more.
    fn close(&self) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).closed = true;
        self.progress.notify_all();
    }
}

/// Results handed on in the order of their targets, each as soon as all before it are.
struct Ordered<T, E> {
    waiting: BTreeMap<usize, T>,
    next: usize,
    emit: E,
}

impl<T, E: FnMut(T) -> Result<(), Error>> Ordered<T, E> {
    fn new(emit: E) -> Self {
        Ordered {
            waiting: BTreeMap::new(),
            next: 0,
            emit,
        }
    }

    /// Takes the result of target `i`; returns how many results have been handed on.
    fn done(&mut self, i: usize, result: T) -> Result<usize, Error> {
        self.waiting.insert(i, result);
        while let Some(result) = self.waiting.remove(&self.next) {
            (self.emit)(result)?;
            self.next += 1;
        }
        Ok(self.next)
    }
}

/// The number of threads: `--jobs`, else the number of cores.
pub fn jobs(jobs: Option<usize>) -> usize {
    jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
}
