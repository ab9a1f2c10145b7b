//! Verifying many commits on several threads, results in order.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use super::Error;
use crate::git::{notes, CommitId, Repo, Target};

/// Runs `work` on each of `targets` on `jobs` threads (each with its own repository handle and
/// notes reader), handing the results to `emit` in the order of `targets` as soon as each one
/// and all before it are done. The automatic merges of the merge commits among them are worked
/// out first, all together ([`Repo::prepare_merges`]).
pub fn in_parallel<T: Send>(
    repo: &Repo,
    targets: &[Target],
    notes_ref: &str,
    jobs: usize,
    work: &(dyn Fn(&Repo, &Target, &notes::Reader<'_>) -> Result<T, Error> + Sync),
    mut emit: impl FnMut(T) -> Result<(), Error>,
) -> Result<(), Error> {
    let commits: Vec<CommitId> = targets.iter().map(|t| t.commit).collect();
    repo.prepare_merges(&commits, jobs)?;
    if jobs <= 1 || targets.len() < 2 {
        let notes = notes::Reader::new(repo, notes_ref)?;
        for t in targets {
            emit(work(repo, t, &notes)?)?;
        }
        return Ok(());
    }
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel();
        for _ in 0..jobs.min(targets.len()) {
            let tx = tx.clone();
            let next = &next;
            let repo = repo.reopen()?;
            scope.spawn(move || {
                let notes = match notes::Reader::new(&repo, notes_ref) {
                    Ok(n) => n,
                    Err(e) => return drop(tx.send((0, Err(e.into())))),
                };
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(t) = targets.get(i) else { break };
                    let result = work(&repo, t, &notes);
                    let failed = result.is_err();
                    if tx.send((i, result)).is_err() || failed {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut pending = BTreeMap::new();
        let mut want = 0;
        for (i, result) in rx {
            pending.insert(i, result?);
            while let Some(done) = pending.remove(&want) {
                emit(done)?;
                want += 1;
            }
        }
        Ok(())
    })
}

/// The number of threads: `--jobs`, else the number of cores.
pub fn jobs(jobs: Option<usize>) -> usize {
    jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
}
