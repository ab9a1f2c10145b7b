//! A release range verified and recorded change by change, for `aiprov archive` and
//! `aiprov report`; and the release's MAINTAINERS sections.

use std::collections::HashMap;

use super::parallel::{in_parallel, jobs};
use super::trust::{Source, Trust};
use super::Error;
use crate::archive::record_change;
use crate::git::{notes, CommitId, Repo, Target};
use crate::model::{Release, ReleaseChange};
use crate::output::Output;
use crate::policy::maintainers::Maintainers;
use crate::verify::{verify_commit_change, Trusted};

/// Where a commit's envelope lines come from: the notes ref, or an archive.
pub type NoteSource<'a> =
    dyn Fn(&notes::Reader<'_>, CommitId) -> Result<Option<Vec<u8>>, Error> + Sync + 'a;

/// Takes each change's envelope lines as the change is recorded, oldest first (`archive`
/// writes them to the archive file then), so that they are not all held at once.
pub type LinesOf<'a> = dyn FnMut(&[Vec<u8>]) -> Result<(), Error> + 'a;

/// A release range's commits and the revision their trust is read from.
pub struct Range {
    pub release: Release,
    pub tip: CommitId,
    /// The name the release commit goes by (the range's right side, e.g. a tag).
    pub tip_name: String,
    pub targets: Vec<Target>,
}

/// Resolves `A..B`: a release is the commits after the previous release, up to this one.
pub fn resolve(repo: &Repo, spec: &str) -> Result<Range, Error> {
    let Some((a, b)) = spec.split_once("..") else {
        return Err(Error::msg(format!("'{spec}' is not a range"))
            .hint("name the previous release and this one, e.g. v1.0..v1.1"));
    };
    let targets = repo.targets(spec)?;
    let tip_name = if b.is_empty() { "HEAD" } else { b }.to_string();
    let tip = repo.commit_id(&tip_name)?;
    let base = repo.commit_id(if a.is_empty() { "HEAD" } else { a })?;
    Ok(Range {
        release: Release {
            range: spec.to_string(),
            commit: tip.to_string(),
            base: Some(base.to_string()),
        },
        tip,
        tip_name,
        targets,
    })
}

/// The MAINTAINERS file of a revision, if it has one, in the dialect its policy names.
pub fn maintainers_at(repo: &Repo, rev: CommitId) -> Result<Option<Maintainers>, Error> {
    let dialect = super::trust::load_rev_policy(repo, rev)?.maintainers;
    super::trust::load_maintainers(Some(repo), None, Some(rev), dialect)
}

/// Verifies every commit of `range` as `aiprov verify` does, with the envelopes `note_of`
/// gives (the notes ref's, or an archive's), and records each for the summary, oldest first,
/// handing its envelope lines to `lines_of`. Trust is read from `trust_ref`, else the range
/// base, unless `trust` has a `--keyring` directory.
pub fn record(
    ui: &Output,
    repo: &Repo,
    trust: &mut Trust<'_>,
    range: &Range,
    options: &Options<'_>,
    note_of: &NoteSource<'_>,
    lines_of: &mut LinesOf<'_>,
) -> Result<Vec<ReleaseChange>, Error> {
    let trust_ref = options
        .trust
        .trust_ref
        .map(|r| repo.commit_id(r))
        .transpose()?;
    for t in &range.targets {
        let what = format!("the root commit {}", &t.commit.to_string()[..12]);
        trust.load(&what, trust_ref.or(t.trusted))?;
    }
    let trusted: HashMap<Option<CommitId>, Trusted<'_>> = range
        .targets
        .iter()
        .map(|t| trust_ref.or(t.trusted))
        .map(|rev| (rev, trust.get(rev)))
        .collect();
    let sections = maintainers_at(repo, range.tip)?;
    let work = |repo: &Repo, t: &crate::git::Target, notes: &notes::Reader<'_>| {
        let note = note_of(notes, t.commit)?;
        let trust = &trusted[&trust_ref.or(t.trusted)];
        let (report, change) = verify_commit_change(repo, t, trust, note.as_deref())?;
        let lines = note.as_deref().map(crate::note::lines).unwrap_or_default();
        let record = record_change(repo, t.commit, &report, change, &lines, sections.as_ref())?;
        Ok((
            record,
            lines.into_iter().map(<[u8]>::to_vec).collect::<Vec<_>>(),
        ))
    };
    let bar = ui.progress(range.targets.len(), "verifying");
    let mut out = Vec::with_capacity(range.targets.len());
    in_parallel(
        repo,
        &range.targets,
        options.notes_ref,
        jobs(options.jobs),
        &work,
        |(record, lines)| {
            bar.inc(1);
            lines_of(&lines)?;
            out.push(record);
            Ok(())
        },
    )?;
    bar.finish_and_clear();
    Ok(out)
}

/// What `archive`, `report` and `verify --archive` ask of a range: where trust comes from,
/// how many threads, and the notes ref.
pub struct Options<'a> {
    pub trust: Source<'a>,
    pub jobs: Option<usize>,
    pub notes_ref: &'a str,
}

/// Verifies and records every commit of `range` with the envelopes of its notes.
pub fn record_release(
    repo: &Repo,
    range: &Range,
    options: &Options<'_>,
    ui: &Output,
    lines_of: &mut LinesOf<'_>,
) -> Result<Vec<ReleaseChange>, Error> {
    let mut trust = Trust::new(Some(repo), ui, options.trust.keyring)?;
    let from_notes = |notes: &notes::Reader<'_>, commit| Ok(notes.read(commit)?);
    record(ui, repo, &mut trust, range, options, &from_notes, lines_of)
}
