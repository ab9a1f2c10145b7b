//! `approve`: a maintainer's signed approval of the AI use in a change, bound to the change's
//! file-change digests.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::signer::{identity, identity_for_commits, load_signer, now};
use super::trust::{Source, Trust};
use super::Error;
use crate::change::Change;
use crate::dsse::{Envelope, INTOTO_PAYLOAD_TYPE};
use crate::git::CommitId;
use crate::git::{notes, Repo};
use crate::mail::PatchMail;
use crate::model::{Approval, ApprovalStatement, Subject, APPROVAL_PREDICATE_TYPE, STATEMENT_TYPE};
use crate::output::Output;
use crate::signing::{self, Signer};
use crate::trailers::Identity;

/// A maintainer's approval of `change`, signed.
pub(super) fn approval(
    change: &Change,
    approver: &Identity,
    comment: Option<&str>,
    signer: &dyn Signer,
) -> Result<Envelope, Error> {
    let subject = change
        .files
        .iter()
        .map(|f| Subject {
            name: f.path.clone(),
            digest: BTreeMap::from([("sha256".to_string(), f.digest.clone().unwrap_or_default())]),
        })
        .collect();
    let statement = ApprovalStatement {
        type_: STATEMENT_TYPE.into(),
        subject,
        predicate_type: APPROVAL_PREDICATE_TYPE.into(),
        predicate: Approval {
            title: change.title(),
            author: change.author.clone(),
            approver: approver.clone(),
            comment: comment.map(str::to_string),
            created_at: now()?.to_string(),
        },
    };
    let payload = serde_json::to_vec(&statement)?;
    Ok(signing::sign_envelope(
        INTOTO_PAYLOAD_TYPE,
        &payload,
        signer,
    )?)
}

/// Who approves, with which key, and why.
pub struct Options<'a> {
    pub key: Option<&'a Path>,
    /// `--signer EMAIL`: the identity to approve as.
    pub sign_as: Option<&'a str>,
    pub comment: Option<&'a str>,
    pub notes_ref: &'a str,
}

/// What `approve_commits` did: each commit approved with its title, the approver, and the
/// merges of ranges left out.
pub struct Approved {
    /// Each commit, its title, and whether the approver's own earlier approval was replaced.
    pub commits: Vec<(CommitId, String, bool)>,
    pub approver: Identity,
    pub merges_skipped: usize,
}

/// Approves the AI use in commits (`REV`, or the commits of a range `A..B` but its merges): the
/// approvals are stored in their notes, all in one notes commit.
pub fn approve_commits(
    repo: &Repo,
    revs: &[String],
    options: &Options<'_>,
    ui: &Output,
) -> Result<Approved, Error> {
    let (ids, merges_skipped) = super::attest::commits(repo, revs)?;
    let signer = load_signer(repo, options.key, ui)?;
    // Verified against the keyring of each commit's parent, as its attestation is.
    let parents = ids
        .iter()
        .map(|&id| Ok(repo.parents(id)?.first().copied()))
        .collect::<Result<Vec<_>, Error>>()?;
    let approver = identity_for_commits(
        repo,
        ui,
        signer.public_key(),
        parents.clone(),
        options.sign_as,
    )?;
    let mut envelopes = HashMap::new();
    let mut commits = Vec::with_capacity(ids.len());
    let mut trust = Trust::new(Some(repo), ui, None)?;
    let mut no_maintainers = Vec::new();
    for (&id, &parent) in ids.iter().zip(&parents) {
        let change = repo.change(id, |_| true)?;
        let what = format!("{} {}", id.short(), change.title());
        no_maintainers.extend(warn_unless_counted(
            &mut trust, parent, &what, &change, &approver, ui,
        )?);
        let envelope = approval(&change, &approver, options.comment, signer.as_ref())?;
        envelopes.insert(id, envelope);
        commits.push((id, change.title()));
    }
    warn_no_maintainers(ui, &approver, &no_maintainers);
    // Only the approver's own earlier approval is replaced; another maintainer's stays.
    let replaced = std::sync::Mutex::new(std::collections::BTreeSet::new());
    notes::update_notes(
        repo,
        options.notes_ref,
        &ids,
        "aiprov approve",
        |id, old| {
            let envelope = &envelopes[&id];
            if crate::note::replaces(old, envelope.to_json().as_bytes(), &envelope.payload) {
                replaced.lock().expect("not poisoned").insert(id);
            }
            crate::note::with_envelope(old, envelope)
        },
    )?;
    let replaced = replaced.into_inner().expect("not poisoned");
    Ok(Approved {
        commits: commits
            .into_iter()
            .map(|(id, title)| (id, title, replaced.contains(&id)))
            .collect(),
        approver,
        merges_skipped,
    })
}

/// Approves the AI use in each patch of a series (cover letters skipped): one envelope each,
/// with the patch's subject, for the maintainer to send back or keep.
pub fn approve_series(
    repo: &Repo,
    mails: &[(Vec<u8>, PatchMail)],
    options: &Options<'_>,
    ui: &Output,
) -> Result<Vec<(String, Envelope)>, Error> {
    let signer = load_signer(repo, options.key, ui)?;
    // Mails are verified against the keyring at HEAD.
    let head = repo.commit_id("HEAD").ok();
    let approver = identity(
        repo,
        ui,
        signer.public_key(),
        Source::default(),
        head,
        options.sign_as,
    )?;
    let mut trust = Trust::new(Some(repo), ui, None)?;
    let mut no_maintainers = Vec::new();
    let approved = mails
        .iter()
        .filter(|(_, m)| !m.is_cover_letter())
        .map(|(_, mail)| {
            let change = mail.change()?;
            no_maintainers.extend(warn_unless_counted(
                &mut trust,
                head,
                &mail.subject,
                &change,
                &approver,
                ui,
            )?);
            let envelope = approval(&change, &approver, options.comment, signer.as_ref())?;
            Ok((mail.subject.clone(), envelope))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    warn_no_maintainers(ui, &approver, &no_maintainers);
    Ok(approved)
}

/// Warns when the approval will not count for some of the change's files: its approver is
/// not a maintainer of them in MAINTAINERS at the trusted revision (or there is none), naming
/// who is, as `get_maintainer.pl` lists them.
fn warn_unless_counted(
    trust: &mut Trust<'_>,
    trusted: Option<CommitId>,
    what: &str,
    change: &Change,
    approver: &Identity,
    ui: &Output,
) -> Result<Option<String>, Error> {
    trust.load(what, trusted)?;
    let at = trusted.map_or_else(|| "the trusted revision".to_string(), |t| t.short());
    let email = &approver.email;
    let Some(maintainers) = trust.get(trusted).maintainers else {
        return Ok(Some(at));
    };
    let not_counted: Vec<String> = change
        .files
        .iter()
        .filter(|f| !maintainers.is_maintainer(&f.path, email))
        .map(|f| {
            let who = maintainers.maintainers_of(&f.path);
            let who = if who.is_empty() {
                "nobody".to_string()
            } else {
                who.join(", ")
            };
            format!("{} (maintained by {who})", crate::text::printable(&f.path))
        })
        .collect();
    if !not_counted.is_empty() {
        ui.warn(format!(
            "{email} is not a maintainer of {} of {what} in MAINTAINERS at {at}: the approval will not count for {}: {}",
            crate::text::count(not_counted.len(), "file", "files"),
            if not_counted.len() == 1 { "it" } else { "them" },
            not_counted.join("; ")
        ));
    }
    Ok(None)
}

/// Says once that approvals will not count where the trusted revision has no MAINTAINERS file
/// (`at`: where that is, for each such change).
fn warn_no_maintainers(ui: &Output, approver: &Identity, at: &[String]) {
    let email = &approver.email;
    match at {
        [] => {}
        [one] => ui.warn(format!(
            "there is no MAINTAINERS file at {one}: this approval by {email} will not count (an approval counts from a maintainer of the file)"
        )),
        many => ui.warn(format!(
            "there is no MAINTAINERS file at the trusted revisions of {} changes: their approvals by {email} will not count (an approval counts from a maintainer of the file)",
            many.len()
        )),
    }
}
