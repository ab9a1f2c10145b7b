//! `aiprov approve REV|--mbox FILE`: a maintainer's signed approval of the AI use in a change,
//! bound to the change's file-change digests.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::error::CliError;
use super::signer::{load_signer, now};
use super::verify::read_mbox;
use super::Context;
use crate::change::Change;
use crate::dsse::{Envelope, INTOTO_PAYLOAD_TYPE};
use crate::git::{notes, Repo};
use crate::model::{Approval, ApprovalStatement, Subject, APPROVAL_PREDICATE_TYPE, STATEMENT_TYPE};
use crate::signing::{self, Signer};
use crate::trailers::Identity;

/// Approve, as a maintainer, the AI use in a commit or in the patches of an mbox
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The commit to approve
    #[arg(default_value = "HEAD", conflicts_with = "mbox")]
    rev: String,
    /// Approve the patches of an mbox instead: print one approval envelope per patch
    #[arg(long, value_name = "FILE")]
    mbox: Option<PathBuf>,
    /// Signing key (as for `aiprov attest`)
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// A note for the record, e.g. why the AI use is fine
    #[arg(long)]
    comment: Option<String>,
}

fn approval(
    change: &Change,
    approver: &Identity,
    comment: Option<&str>,
    signer: &dyn Signer,
) -> Result<Envelope, CliError> {
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

pub fn run(ctx: &Context, repo: &Repo, args: Args) -> Result<i32, CliError> {
    let approver = repo.user().ok_or_else(|| {
        CliError::msg("no approver identity: git's user.email is not set")
            .hint("git config user.email you@example.org")
    })?;
    if let Some(path) = &args.mbox {
        let mails = read_mbox(path)?;
        let signer = load_signer(repo, args.key.as_deref())?;
        for (_, mail) in mails.iter().filter(|(_, m)| !m.is_cover_letter()) {
            let envelope = approval(
                &mail.change()?,
                &approver,
                args.comment.as_deref(),
                signer.as_ref(),
            )?;
            println!("{}", envelope.to_json());
            ctx.out.status(format!("approved {}", mail.subject));
        }
        return Ok(0);
    }
    let id = repo.commit_id(&args.rev)?;
    let signer = load_signer(repo, args.key.as_deref())?;
    let change = repo.change(id, |_| true)?;
    let envelope = approval(&change, &approver, args.comment.as_deref(), signer.as_ref())?;
    notes::update_note(repo, &ctx.notes_ref, id, "aiprov approve", |old| {
        crate::note::with_envelope(old, &envelope)
    })?;
    ctx.out.status(format!(
        "approved {} {} as {}",
        id.short(),
        change.title(),
        approver.email
    ));
    Ok(0)
}
