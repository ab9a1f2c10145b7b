//! `aiprov verify [REV|RANGE]... [--mbox FILE|-]`: verify the attestations of commits or of
//! patch mails.

use std::io::Write;
use std::path::PathBuf;

use super::error::CliError;
use super::trust::Trust;
use super::Context;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use crate::git::{notes, CommitId, Repo, Target};
use crate::mail::{mbox, PatchMail};
use crate::output::report::{write_change, write_summary};
use crate::verify::{
    verify_commit, verify_mail, ChangeReport, MailBlobs, Report, Trusted, Verdict,
};

/// Verify the attestations of commits or patch mails: signatures, coverage, trailers, sign-offs
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Commits (`REV`) or ranges (`A..B`); default HEAD
    #[arg(value_name = "REV|RANGE", conflicts_with = "mbox")]
    revs: Vec<String>,
    /// Verify the patch mails of an mbox or .patch file (`-` for standard input) instead of commits
    #[arg(long, value_name = "FILE")]
    mbox: Option<PathBuf>,
    /// Verify a release archive (`aiprov archive`): on its own, or change by change inside the repository
    #[arg(long, value_name = "FILE", conflicts_with_all = ["revs", "mbox"])]
    archive: Option<PathBuf>,
    /// Read the keyring from this revision [default: the range base or parent; HEAD for --mbox]
    #[arg(long, value_name = "REV")]
    trust_ref: Option<String>,
    /// Read the keyring from this directory (laid out like .aiprov/) instead of a revision
    #[arg(long, value_name = "DIR", conflicts_with = "trust_ref")]
    keyring: Option<PathBuf>,
    /// Threads verifying commits [default: the number of cores]
    #[arg(short, long, value_name = "N", env = "AIPROV_JOBS")]
    jobs: Option<usize>,
}

pub fn run(ctx: &Context, repo: Result<Repo, CliError>, args: Args) -> Result<i32, CliError> {
    if let Some(path) = &args.archive {
        let request = super::verify_archive::Request {
            path,
            keyring: args.keyring.as_deref(),
            trust_ref: args.trust_ref.as_deref(),
            jobs: args.jobs,
        };
        return super::verify_archive::run(ctx, repo.ok(), request);
    }
    // Mails verified against an explicit keyring directory need no repository.
    let repo = match repo {
        Ok(r) => Some(r),
        Err(_) if args.mbox.is_some() && args.keyring.is_some() => None,
        Err(e) => return Err(e),
    };
    if let Some(n) = repo.as_ref().map(Repo::replace_refs).filter(|&n| n > 0) {
        ctx.out.warn(format!(
            "the repository has {n} replace refs (refs/replace/); aiprov verifies the history as \
             recorded and ignores them, but other git commands show the replacements \
             (compare with `git --no-replace-objects log`)"
        ));
    }
    let mut trust = Trust::new(repo.as_ref(), &ctx.out, args.keyring.as_deref())?;
    let trust_ref = match (&repo, &args.trust_ref) {
        (Some(r), Some(rev)) => Some(r.commit_id(rev)?),
        _ => None,
    };
    let mut printer = Printer::new(ctx);
    if let Some(path) = &args.mbox {
        let mails = read_mbox(path)?;
        if mails.iter().all(|(_, m)| m.is_cover_letter()) {
            return Err(CliError::msg(format!(
                "{} holds no patch: git am would apply nothing from it",
                path.display()
            )));
        }
        // Mails are verified before they are applied: trust comes from HEAD unless told otherwise.
        let trusted = match (&repo, trust_ref) {
            (_, Some(t)) => Some(t),
            (Some(r), None) if args.keyring.is_none() => Some(r.commit_id("HEAD")?),
            _ => None,
        };
        let blobs = MailBlobs::new(repo.as_ref());
        for (i, (raw, mail)) in mails.iter().enumerate() {
            if mail.is_cover_letter() {
                ctx.out.status(format!(
                    "skipping cover letter: {}",
                    crate::output::printable(&mail.subject)
                ));
                continue;
            }
            let patatt = trust.patatt(trusted)?.clone();
            let trusted = trust.trusted_for(&format!("mail {}", i + 1), trusted)?;
            printer.add(verify_mail(
                mail,
                raw,
                &blobs,
                &trusted,
                Some(&patatt),
                &ctx.notes_ref,
            )?)?;
        }
        return printer.finish();
    }
    let repo = repo
        .as_ref()
        .expect("a repository unless verifying mails with --keyring");
    let specs = if args.revs.is_empty() {
        vec!["HEAD".to_string()]
    } else {
        args.revs
    };
    let mut targets = Vec::new();
    for spec in &specs {
        targets.extend(repo.targets(spec)?);
    }
    for target in &targets {
        let what = format!("the root commit {}", target.commit.short());
        trust.load(&what, trust_ref.or(target.trusted))?;
    }
    let trusted: HashMap<Option<CommitId>, Trusted<'_>> = targets
        .iter()
        .map(|t| trust_ref.or(t.trusted))
        .map(|rev| (rev, trust.get(rev)))
        .collect();
    let work = |repo: &Repo, t: &Target, notes: &notes::Reader<'_>| {
        Ok(verify_commit(
            repo,
            t,
            &trusted[&trust_ref.or(t.trusted)],
            notes,
        )?)
    };
    in_parallel(
        repo,
        &targets,
        &ctx.notes_ref,
        jobs(args.jobs),
        &work,
        |report| printer.add(report),
    )?;
    printer.finish()
}

/// Runs `work` on each of `targets` on `jobs` threads (each with its own repository handle and
/// notes reader), handing the results to `emit` in the order of `targets` as soon as each one
/// and all before it are done. The automatic merges of the merge commits among them are worked
/// out first, all together ([`Repo::prepare_merges`]).
pub(super) fn in_parallel<T: Send>(
    repo: &Repo,
    targets: &[Target],
    notes_ref: &str,
    jobs: usize,
    work: &(dyn Fn(&Repo, &Target, &notes::Reader<'_>) -> Result<T, CliError> + Sync),
    mut emit: impl FnMut(T) -> Result<(), CliError>,
) -> Result<(), CliError> {
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
pub(super) fn jobs(jobs: Option<usize>) -> usize {
    jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// Reads and parses the patch mails of an mbox, `.patch` file or standard input, each with its
/// raw bytes.
pub fn read_mbox(path: &std::path::Path) -> Result<Vec<(Vec<u8>, PatchMail)>, CliError> {
    let (max, what) = (mbox::MAX_MBOX_BYTES, "an mbox");
    let data = if path.as_os_str() == "-" {
        crate::limits::read_bounded(std::io::stdin().lock(), max, what)
    } else {
        crate::limits::read_file_bounded(path, max, what)
    }
    .map_err(|e| CliError::msg(format!("cannot read {}: {e}", path.display())))?;
    let raw = mbox::split(&data).map_err(|e| {
        CliError::from(anyhow::Error::new(e).context(format!("splitting {}", path.display())))
    })?;
    if raw.is_empty() {
        return Err(CliError::msg(format!("{} holds no mail", path.display())));
    }
    // git mailinfo reads each mail: a process each, two at a time.
    let parsed: Vec<Result<PatchMail, crate::mail::MailError>> = std::thread::scope(|scope| {
        let half = raw.len().div_ceil(2);
        let (first, second) = raw.split_at(half);
        let other = scope.spawn(|| {
            second
                .iter()
                .map(|m| PatchMail::parse(m))
                .collect::<Vec<_>>()
        });
        let mut all: Vec<_> = first.iter().map(|m| PatchMail::parse(m)).collect();
        all.extend(other.join().expect("mail reader thread"));
        all
    });
    raw.into_iter()
        .zip(parsed)
        .enumerate()
        .map(|(i, (m, mail))| {
            let mail = mail.map_err(|e| {
                CliError::from(anyhow::Error::new(e).context(format!(
                    "mail {} of {}",
                    i + 1,
                    path.display()
                )))
            })?;
            Ok((m, mail))
        })
        .collect()
}

/// Prints each change as it is verified (human) or the whole report at the end (JSON).
pub struct Printer<'c> {
    ctx: &'c Context,
    changes: Vec<ChangeReport>,
}

impl<'c> Printer<'c> {
    pub fn new(ctx: &'c Context) -> Self {
        Printer {
            ctx,
            changes: Vec::new(),
        }
    }

    pub fn add(&mut self, report: ChangeReport) -> Result<(), CliError> {
        let out = &self.ctx.out;
        if !out.json() && (!out.quiet || report.verdict == Verdict::Fail) {
            write_change(&mut out.stdout(), &report, out.verbose)?;
        }
        self.changes.push(report);
        Ok(())
    }

    pub fn finish(self) -> Result<i32, CliError> {
        let report = Report::new(self.changes);
        if self.ctx.out.json() {
            self.ctx.out.print_json(&report)?;
        } else {
            let mut out = self.ctx.out.stdout();
            write_summary(&mut out, &report)?;
            out.flush()?;
        }
        Ok(if report.verdict == Verdict::Fail {
            1
        } else {
            0
        })
    }
}
