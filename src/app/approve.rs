//! `approve`: a maintainer's signed approval of the AI use in a change, bound to the change's
//! file-change digests.

use std::collections::BTreeMap;
use std::path::Path;

use super::signer::{identity, load_signer, now};
use super::trust::Source;
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

fn approval(
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

/// Approves the AI use in a commit: the approval is stored in its note.
pub fn approve_commit(
    repo: &Repo,
    rev: &str,
    options: &Options<'_>,
    ui: &Output,
) -> Result<(CommitId, String, Identity), Error> {
    let id = repo.commit_id(rev)?;
    let signer = load_signer(repo, options.key)?;
    let change = repo.change(id, |_| true)?;
    // Verified against the keyring of the commit's parent, as its attestation is.
    let trusted = change
        .parent
        .as_deref()
        .map(|p| repo.commit_id(p))
        .transpose()?;
    let approver = identity(
        repo,
        ui,
        signer.public_key(),
        Source::default(),
        trusted,
        options.sign_as,
    )?;
    let envelope = approval(&change, &approver, options.comment, signer.as_ref())?;
    notes::update_note(repo, options.notes_ref, id, "aiprov approve", |old| {
        crate::note::with_envelope(old, &envelope)
    })?;
    Ok((id, change.title(), approver))
}

/// Approves the AI use in each patch of a series (cover letters skipped): one envelope each,
/// with the patch's subject, for the maintainer to send back or keep.
pub fn approve_series(
    repo: &Repo,
    mails: &[(Vec<u8>, PatchMail)],
    options: &Options<'_>,
    ui: &Output,
) -> Result<Vec<(String, Envelope)>, Error> {
    let signer = load_signer(repo, options.key)?;
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
    mails
        .iter()
        .filter(|(_, m)| !m.is_cover_letter())
        .map(|(_, mail)| {
            let envelope = approval(&mail.change()?, &approver, options.comment, signer.as_ref())?;
            Ok((mail.subject.clone(), envelope))
        })
        .collect()
}
