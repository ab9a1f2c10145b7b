//! `aiprov approve [REV|RANGE]...|--mbox FILE`: a maintainer's signed approval of the AI use in a change,
//! bound to the change's file-change digests.

use std::path::PathBuf;

use super::Context;
use crate::app::approve::{approve_commits, approve_series, Options};
use crate::app::verify::read_mbox;
use crate::app::Error;
use crate::dsse::Envelope;
use crate::git::Repo;
use crate::model::ApprovalStatement;
use crate::output::signed::{Approvals, ApprovedChange};
use crate::trailers::Identity;

/// Approve, as a maintainer, the AI use in commits or in the patches of an mbox
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The commits to approve: REV, or a range A..B (its merges left out); all stored in one
    /// notes commit
    #[arg(
        default_value = "HEAD",
        value_name = "REV|RANGE",
        conflicts_with = "mbox"
    )]
    revs: Vec<String>,
    /// Approve the patches of an mbox instead: print one approval envelope per patch
    #[arg(long, value_name = "FILE")]
    mbox: Option<PathBuf>,
    /// Signing key (as for `aiprov attest`)
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// Approve as EMAIL [default: the identity the keyring at the trusted revision trusts the
    /// key for, else git's user.email]
    #[arg(long, value_name = "EMAIL")]
    signer: Option<String>,
    /// A note for the record, e.g. why the AI use is fine
    #[arg(long)]
    comment: Option<String>,
}

pub fn run(ctx: &Context, repo: &Repo, args: Args) -> Result<i32, Error> {
    let options = Options {
        key: args.key.as_deref(),
        sign_as: args.signer.as_deref(),
        comment: args.comment.as_deref(),
        notes_ref: &ctx.notes_ref,
    };
    let approvals = if let Some(path) = &args.mbox {
        let mails = read_mbox(path)?;
        let approved: Vec<ApprovedChange> = approve_series(repo, &mails, &options, &ctx.out)?
            .into_iter()
            .map(|(subject, envelope)| {
                let line = envelope.to_json();
                ApprovedChange {
                    commit: None,
                    short: String::new(),
                    title: subject,
                    envelope: serde_json::from_str(&line).ok(),
                    line,
                    replaced: false,
                }
            })
            .collect();
        Approvals {
            schema_version: 1,
            stored: false,
            notes_ref: ctx.notes_ref.clone(),
            approver: approved.first().and_then(|a| approver_of(&a.line)),
            approved,
            merges_skipped: 0,
        }
    } else {
        let approved = approve_commits(repo, &args.revs, &options, &ctx.out)?;
        Approvals {
            schema_version: 1,
            stored: true,
            notes_ref: ctx.notes_ref.clone(),
            approved: approved
                .commits
                .iter()
                .map(|(id, title, replaced)| ApprovedChange {
                    commit: Some(id.to_string()),
                    short: id.short(),
                    title: title.clone(),
                    envelope: None,
                    line: String::new(),
                    replaced: *replaced,
                })
                .collect(),
            approver: Some(approved.approver),
            merges_skipped: approved.merges_skipped,
        }
    };
    ctx.out.result(&approvals)?;
    Ok(0)
}

/// The approver an approval envelope names.
fn approver_of(line: &str) -> Option<Identity> {
    let envelope = Envelope::of_line(line.as_bytes()).ok()?;
    let statement: ApprovalStatement = serde_json::from_slice(&envelope.payload).ok()?;
    Some(statement.predicate.approver)
}
