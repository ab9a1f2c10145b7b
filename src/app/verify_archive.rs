//! `aiprov verify --archive FILE`: a release archive checked on its own (signatures, the
//! summary's envelope digests, its consistency) and, inside the repository, change by change.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use super::release::{self, Range};
use super::trust::{Source, Trust};
use super::Error;
use crate::archive::{self, compare_records, Archive, ArchiveReport, MAX_ARCHIVE_BYTES};
use crate::finding::{Code, Finding};
use crate::git::{CommitId, Repo};
use crate::model::ReleaseStatement;
use crate::output::Output;

/// What `aiprov verify --archive` was asked: the archive, and how to verify its changes again.
pub struct Request<'a> {
    pub path: &'a Path,
    pub options: release::Options<'a>,
}

/// The archive's file, read within its limit.
pub fn read_archive(path: &Path) -> Result<Archive, Error> {
    let data = crate::limits::read_file_bounded(path, MAX_ARCHIVE_BYTES, "a release archive")
        .map_err(|e| Error::msg(format!("cannot read {}: {e}", path.display())))?;
    Archive::parse(&data).map_err(|e| {
        Error::from(
            anyhow::Error::new(e).context(format!("{} is not a release archive", path.display())),
        )
    })
}

/// The keyring an archive is checked with: the `--keyring` directory's, else the repository's
/// at `--trust-ref` or at the release base the summary names.
pub fn keyring_for_archive<'t>(
    trust: &'t mut Trust<'_>,
    repo: Option<&Repo>,
    archive: &Archive,
    path: &Path,
    source: Source<'_>,
) -> Result<&'t crate::keyring::Keyring, Error> {
    let Some(repo) = repo.filter(|_| source.keyring.is_none()) else {
        if source.keyring.is_none() {
            return Err(Error::msg(format!("no keyring to check {} with", path.display()))
                .hint("pass --keyring DIR (the release base's .aiprov/ directory), or run inside the repository (-C PATH)"));
        }
        return trust.keyring_for("the release summary", None);
    };
    let trusted = match source.trust_ref {
        Some(rev) => Some(repo.commit_id(rev)?),
        None => archive
            .claimed_summary()
            .and_then(|s| s.predicate.release.base)
            .and_then(|b| b.parse::<CommitId>().ok()),
    };
    trust.keyring_for("the release summary", trusted)
}

/// Checks a release archive on its own and, when `repo` has the release commit, change by
/// change against the repository.
pub fn verify_archive(
    repo: Option<Repo>,
    req: &Request<'_>,
    ui: &Output,
) -> Result<ArchiveReport, Error> {
    let archive = read_archive(req.path)?;
    let claimed = archive.claimed_summary();
    let tip = claimed
        .as_ref()
        .and_then(|s| s.predicate.release.commit.parse::<CommitId>().ok());
    // The repository takes part only when it has the release commit.
    let repo = match (repo, tip) {
        (Some(r), Some(tip)) if r.commit_id(&tip.to_string()).is_ok() => Some(r),
        (Some(_), Some(tip)) => {
            ui.warn(format!(
                "this repository does not have the release commit {tip}: checking the archive on its own"
            ));
            None
        }
        _ => None,
    };
    let source = req.options.trust;
    let mut trust = Trust::new(repo.as_ref(), ui, source.keyring)?;
    let keyring = keyring_for_archive(&mut trust, repo.as_ref(), &archive, req.path, source)?;
    let checked = archive::check(&archive, keyring);
    let verified = checked.summary.clone();
    let mut report = ArchiveReport::new(checked, repo.is_some());
    if let (Some(repo), Some(summary)) = (&repo, verified) {
        rederive(
            ui,
            repo,
            &mut trust,
            &archive,
            &summary,
            &req.options,
            &mut report,
        )?;
        report.settle();
    }
    Ok(report)
}

/// Verifies each change again in the repository, with the archive's envelopes, and compares
/// the result with the summary's record; the range's commits must be the summary's.
fn rederive(
    ui: &Output,
    repo: &Repo,
    trust: &mut Trust<'_>,
    archive: &Archive,
    summary: &ReleaseStatement,
    options: &release::Options<'_>,
    report: &mut ArchiveReport,
) -> Result<(), Error> {
    let release = &summary.predicate.release;
    let spec = match &release.base {
        Some(base) => format!("{base}..{}", release.commit),
        None => return Ok(()),
    };
    let range = Range {
        release: release.clone(),
        tip: repo.commit_id(&release.commit)?,
        tip_name: release.commit.clone(),
        targets: repo.targets(&spec)?,
    };
    let in_range: BTreeSet<String> = range.targets.iter().map(|t| t.commit.to_string()).collect();
    let recorded: HashMap<&str, _> = summary
        .predicate
        .changes
        .iter()
        .map(|c| (c.commit.as_str(), c))
        .collect();
    for c in &range.targets {
        if !recorded.contains_key(c.commit.to_string().as_str()) {
            report.findings.push(Finding::new(
                Code::ArchiveSummaryMismatch,
                format!(
                    "commit {} of the release range is not in the summary",
                    c.commit
                ),
            ));
        }
    }
    let by_digest = archive.by_digest();
    let notes: HashMap<String, Vec<u8>> = summary
        .predicate
        .changes
        .iter()
        .map(|c| (c.commit.clone(), archive.note_of(c, &by_digest).0))
        .collect();
    let note_of = |_: &crate::git::notes::Reader<'_>, commit: CommitId| {
        Ok(notes
            .get(&commit.to_string())
            .filter(|n| !n.is_empty())
            .cloned())
    };
    let derived = release::record(ui, repo, trust, &range, options, &note_of)?;
    let derived: HashMap<String, _> = derived
        .into_iter()
        .map(|(c, _)| (c.commit.clone(), c))
        .collect();
    for change in &mut report.changes {
        let incomplete = change
            .findings
            .iter()
            .any(|f| f.code == Code::ArchiveEnvelopeMissing);
        match derived.get(&change.commit) {
            Some(_) if incomplete => {}
            Some(d) => change
                .findings
                .extend(compare_records(recorded[change.commit.as_str()], d)),
            None if !in_range.contains(&change.commit) => change.findings.push(Finding::new(
                Code::ArchiveSummaryMismatch,
                format!(
                    "the summary lists commit {}, which is not in the range {spec}",
                    change.commit
                ),
            )),
            None => {}
        }
    }
    Ok(())
}
