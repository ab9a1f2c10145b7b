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
    /// Files to check against the tarball digests the summary records (`--tarball`).
    pub tarballs: &'a [std::path::PathBuf],
}

/// The SHA-256 of a file, lowercase hex, read in pieces.
pub fn sha256_file(path: &Path) -> Result<String, Error> {
    use sha2::Digest as _;
    use std::io::Read as _;
    let err = |e: std::io::Error| Error::msg(format!("cannot read {}: {e}", path.display()));
    let mut file = std::fs::File::open(path).map_err(err)?;
    let mut hash = sha2::Sha256::new();
    let mut buf = vec![0; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(err)?;
        if n == 0 {
            break;
        }
        hash.update(&buf[..n]);
    }
    Ok(hex::encode(hash.finalize()))
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
    if source.trust_ref.is_none() && archive.claimed_summary().is_none() {
        return Err(Error::msg(format!(
            "{} has no release summary, so it names no release base whose keyring to trust",
            path.display()
        ))
        .hint("pass --trust-ref REV (the release base) or --keyring DIR"));
    }
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
    // Read the tarballs first: a file that cannot be read is an error before the long part.
    let tarballs = req
        .tarballs
        .iter()
        .map(|t| Ok((t.display().to_string(), sha256_file(t)?)))
        .collect::<Result<Vec<_>, Error>>()?;
    let claimed = archive.claimed_summary();
    let source = req.options.trust;
    if claimed.is_none() {
        return Ok(without_summary(repo.is_some(), &archive, req.path, ui));
    }
    let tip = claimed
        .as_ref()
        .and_then(|s| s.predicate.release.commit.parse::<CommitId>().ok());
    // The repository verifies each change again only when it has the release commit; it
    // still gives the keyring (`--trust-ref`, or the release base) when it does not.
    let has_release = match (&repo, tip) {
        (Some(r), Some(tip)) if r.commit_id(&tip.to_string()).is_ok() => true,
        (Some(_), Some(tip)) => {
            ui.warn(format!(
                "this repository does not have the release commit {tip}: checking the archive on its own"
            ));
            false
        }
        _ => false,
    };
    let mut trust = Trust::new(repo.as_ref(), ui, source.keyring)?;
    let keyring = keyring_for_archive(&mut trust, repo.as_ref(), &archive, req.path, source)?;
    let checked = archive::check(&archive, keyring);
    let verified = checked.summary.clone();
    let mut report = ArchiveReport::new(checked, has_release);
    if let (Some(repo), Some(summary), true) = (&repo, verified, has_release) {
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
    if !tarballs.is_empty() {
        report.check_tarballs(&tarballs);
    }
    Ok(report)
}

/// An archive without its summary: nothing says which release it is or whose keyring to
/// trust, so only that is reported (`archive.summary-missing`), with a hint for where it runs.
fn without_summary(
    in_repository: bool,
    archive: &Archive,
    path: &Path,
    ui: &Output,
) -> ArchiveReport {
    let checked = archive::check(archive, &crate::keyring::Keyring::default());
    let hint = if in_repository {
        format!(
            "the summary is the last line `aiprov archive` writes; in this repository, `aiprov archive BASE..RELEASE -o {}` writes the archive again from its notes",
            path.display()
        )
    } else {
        "the summary is the last line `aiprov archive` writes; ask for the archive as it was published (it is kept beside the release tarball)".to_string()
    };
    ui.warn(format!(
        "{} has no release summary: it names no release, and nothing in it can be checked (hint: {hint})",
        path.display()
    ));
    let mut report = ArchiveReport::new(checked, false);
    report.settle();
    report
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
    let derived = release::record(ui, repo, trust, &range, options, &note_of, &mut |_| Ok(()))?;
    let derived: HashMap<String, _> = derived.into_iter().map(|c| (c.commit.clone(), c)).collect();
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
