//! A release range verified and recorded change by change, for `aiprov archive` and
//! `aiprov report`; and the release's MAINTAINERS sections.

use std::collections::HashMap;
use std::io::IsTerminal;

use super::error::CliError;
use super::trust::Trust;
use super::verify::{in_parallel, jobs};
use super::Context;
use crate::archive::record_change;
use crate::git::{notes, CommitId, Repo, Target};
use crate::model::{Release, ReleaseChange};
use crate::policy::maintainers::Maintainers;
use crate::verify::{verify_commit_note, Trusted};

/// Where a commit's envelope lines come from: the notes ref, or an archive.
pub type NoteSource<'a> =
    dyn Fn(&notes::Reader<'_>, CommitId) -> Result<Option<Vec<u8>>, CliError> + Sync + 'a;

/// Each change's record and its envelope lines, oldest first.
pub type Recorded = Vec<(ReleaseChange, Vec<Vec<u8>>)>;

/// A release range's commits and the revision their trust is read from.
pub struct Range {
    pub release: Release,
    pub tip: CommitId,
    /// The name the release commit goes by (the range's right side, e.g. a tag).
    pub tip_name: String,
    pub targets: Vec<Target>,
}

/// Resolves `A..B`: a release is the commits after the previous release, up to this one.
pub fn resolve(repo: &Repo, spec: &str) -> Result<Range, CliError> {
    let Some((a, b)) = spec.split_once("..") else {
        return Err(CliError::msg(format!("'{spec}' is not a range"))
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

/// The MAINTAINERS file of a revision, if it has one.
pub fn maintainers_at(repo: &Repo, rev: CommitId) -> Result<Option<Maintainers>, CliError> {
    let Some(text) = repo.file_at(rev, "MAINTAINERS")? else {
        return Ok(None);
    };
    let is_dir = |p: &str| repo.is_dir_at(rev, p);
    Ok(Some(Maintainers::parse_in_tree(
        &String::from_utf8_lossy(&text),
        &is_dir,
    )?))
}

/// A progress bar on stderr for long runs, only on a terminal and never with JSON or `-q`.
pub fn progress(ctx: &Context, len: usize, what: &str) -> indicatif::ProgressBar {
    if ctx.out.json() || ctx.out.quiet || !std::io::stderr().is_terminal() || len < 2 {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    let style = indicatif::ProgressStyle::with_template(&format!(
        "{what} {{bar:40}} {{pos}}/{{len}} {{eta}}"
    ))
    .expect("a valid progress template");
    bar.set_style(style);
    bar
}

/// Verifies every commit of `range` as `aiprov verify` does, with the envelopes `note_of`
/// gives (the notes ref's, or an archive's), and records each for the summary. Trust is read
/// from `trust_ref`, else the range base, unless `trust` has a `--keyring` directory.
pub fn record(
    ctx: &Context,
    repo: &Repo,
    trust: &mut Trust<'_>,
    range: &Range,
    trust_ref: Option<CommitId>,
    jobs_wanted: Option<usize>,
    note_of: &NoteSource<'_>,
) -> Result<Recorded, CliError> {
    for t in &range.targets {
        let what = format!("the root commit {}", t.commit.short());
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
        let report = verify_commit_note(repo, t, trust, note.as_deref())?;
        let lines = note.as_deref().map(crate::note::lines).unwrap_or_default();
        let record = record_change(repo, t.commit, &report, &lines, sections.as_ref())?;
        Ok((record, lines.into_iter().map(<[u8]>::to_vec).collect()))
    };
    let bar = progress(ctx, range.targets.len(), "verifying");
    let mut out = Vec::with_capacity(range.targets.len());
    in_parallel(
        repo,
        &range.targets,
        &ctx.notes_ref,
        jobs(jobs_wanted),
        &work,
        |done| {
            bar.inc(1);
            out.push(done);
            Ok(())
        },
    )?;
    bar.finish_and_clear();
    Ok(out)
}

/// What `archive` and `report` ask of a range: where trust comes from, and how many threads.
pub struct Options<'a> {
    pub trust_ref: Option<&'a str>,
    pub keyring: Option<&'a std::path::Path>,
    pub jobs: Option<usize>,
}

/// Verifies and records every commit of `range` with the envelopes of its notes.
pub fn record_notes(
    ctx: &Context,
    repo: &Repo,
    range: &Range,
    options: &Options<'_>,
) -> Result<Recorded, CliError> {
    let trust_ref = options.trust_ref.map(|r| repo.commit_id(r)).transpose()?;
    let mut trust = Trust::new(Some(repo), &ctx.out, options.keyring)?;
    let from_notes = |notes: &notes::Reader<'_>, commit| Ok(notes.read(commit)?);
    record(
        ctx,
        repo,
        &mut trust,
        range,
        trust_ref,
        options.jobs,
        &from_notes,
    )
}
