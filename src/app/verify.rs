//! `verify`: the commits of ranges, or the patch mails of a series.

use crate::git::{notes, CommitId, Repo, Target};
use crate::mail::{mbox, PatchMail};
use crate::model::ChangeReport;
use crate::output::Output;
use crate::text::printable;
use crate::verify::{verify_commit, verify_mail, MailBlobs, Trusted};
use std::collections::HashMap;

use super::parallel::{in_parallel, jobs};
use super::series::{self, Gate};
use super::trust::{Source, Trust};
use super::Error;

/// What to verify commits with.
pub struct Options<'a> {
    pub trust: Source<'a>,
    pub jobs: Option<usize>,
    pub notes_ref: &'a str,
}

/// Says that replace refs exist and are ignored, so that what other git commands show is not a
/// surprise.
fn warn_replace_refs(repo: Option<&Repo>, ui: &Output) {
    if let Some(n) = repo.map(Repo::replace_refs).filter(|&n| n > 0) {
        ui.warn(format!(
            "the repository has {} (refs/replace/); aiprov verifies the history as \
             recorded and ignores them, but other git commands show the replacements \
             (compare with `git --no-replace-objects log`)",
            crate::text::count(n, "replace ref", "replace refs")
        ));
    }
}

/// Verifies every commit of `specs` (revisions or ranges), handing each report to `emit` in
/// order, as soon as it and all before it are done.
pub fn verify_range(
    repo: &Repo,
    specs: &[String],
    options: &Options<'_>,
    ui: &Output,
    emit: impl FnMut(ChangeReport) -> Result<(), Error>,
) -> Result<(), Error> {
    warn_replace_refs(Some(repo), ui);
    let mut trust = Trust::new(Some(repo), ui, options.trust.keyring)?;
    let trust_ref = options
        .trust
        .trust_ref
        .map(|r| repo.commit_id(r))
        .transpose()?;
    let mut targets = Vec::new();
    let mut listed = Vec::new();
    for spec in specs {
        let first = targets.len();
        targets.extend(repo.targets(spec)?);
        listed.push((spec, first..targets.len()));
    }
    for target in &targets {
        let what = format!("the root commit {}", &target.commit.to_string()[..12]);
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
    let policy_of = |i: usize| trusted[&trust_ref.or(targets[i].trusted)].policy;
    let find_topics = || {
        let mut topics = Vec::with_capacity(targets.len());
        for (spec, range) in &listed {
            topics.extend(series::topics(
                repo,
                spec,
                &targets[range.clone()],
                range.start,
            )?);
        }
        Ok(topics)
    };
    let mut gate = Gate::new(find_topics, &policy_of, emit);
    in_parallel(
        repo,
        &targets,
        options.notes_ref,
        jobs(options.jobs),
        &work,
        |report| gate.push(report),
    )?;
    gate.finish()
}

/// Verifies the patch mails of a series (cover letters skipped) before they are applied, each
/// with the attestations it carries, handing each report to `emit`. Trust comes from HEAD
/// unless `--trust-ref` or `--keyring` says otherwise; without a repository only a `--keyring`
/// directory can give it.
pub fn verify_series(
    repo: Option<&Repo>,
    mails: &[(Vec<u8>, PatchMail)],
    options: &Options<'_>,
    ui: &Output,
    emit: impl FnMut(ChangeReport) -> Result<(), Error>,
) -> Result<(), Error> {
    if mails.iter().all(|(_, m)| m.is_cover_letter()) {
        return Err(Error::msg(
            "the mails hold no patch: git am would apply nothing from them",
        ));
    }
    warn_replace_refs(repo, ui);
    let mut trust = Trust::new(repo, ui, options.trust.keyring)?;
    let trusted = match (repo, options.trust.trust_ref) {
        (Some(r), Some(rev)) => Some(r.commit_id(rev)?),
        (Some(r), None) if options.trust.keyring.is_none() => Some(r.commit_id("HEAD")?),
        _ => None,
    };
    let blobs = MailBlobs::new(repo);
    // The patches are one series: their reports are checked together before any is handed on.
    let mut reports = Vec::new();
    let mut policy = None;
    for (i, (raw, mail)) in mails.iter().enumerate() {
        if mail.is_cover_letter() {
            ui.status(format!(
                "skipping cover letter: {}",
                printable(&mail.subject)
            ));
            continue;
        }
        let patatt = trust.patatt(trusted)?.clone();
        let trust = trust.trusted_for(&format!("mail {}", i + 1), trusted)?;
        policy.get_or_insert_with(|| trust.policy.clone());
        reports.push(verify_mail(
            mail,
            raw,
            &blobs,
            &trust,
            Some(&patatt),
            options.notes_ref,
        )?);
    }
    if let Some(policy) = &policy {
        series::check(&mut reports.iter_mut().collect::<Vec<_>>(), policy);
    }
    reports.into_iter().try_for_each(emit)
}

/// Reads and parses the patch mails of an mbox, `.patch` file or standard input, each with its
/// raw bytes.
pub fn read_mbox(path: &std::path::Path) -> Result<Vec<(Vec<u8>, PatchMail)>, Error> {
    let (max, what) = (mbox::MAX_MBOX_BYTES, "an mbox");
    let data = if path.as_os_str() == "-" {
        crate::limits::read_bounded(std::io::stdin().lock(), max, what)
    } else {
        crate::limits::read_file_bounded(path, max, what)
    }
    .map_err(|e| Error::msg(format!("cannot read {}: {e}", path.display())))?;
    let raw = mbox::split(&data).map_err(|e| {
        Error::from(anyhow::Error::new(e).context(format!("splitting {}", path.display())))
    })?;
    if raw.is_empty() {
        return Err(Error::msg(format!("{} holds no mail", path.display())));
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
                Error::from(anyhow::Error::new(e).context(format!(
                    "mail {} of {}",
                    i + 1,
                    path.display()
                )))
            })?;
            Ok((m, mail))
        })
        .collect()
}
