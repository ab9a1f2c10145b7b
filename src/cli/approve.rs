//! `aiprov approve [REV|RANGE]...|--mbox FILE`: a maintainer's signed approval of the AI use in a change,
//! bound to the change's file-change digests.

use std::io::Write;
use std::path::PathBuf;

use super::Context;
use crate::app::approve::{approve_commits, approve_series, Options};
use crate::app::verify::read_mbox;
use crate::app::Error;
use crate::git::Repo;

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
    if let Some(path) = &args.mbox {
        let mails = read_mbox(path)?;
        for (subject, envelope) in approve_series(repo, &mails, &options, &ctx.out)? {
            writeln!(ctx.out.stdout(), "{}", envelope.to_json())?;
            ctx.out.status(format!("approved {subject}"));
        }
        return Ok(0);
    }
    let approved = approve_commits(repo, &args.revs, &options, &ctx.out)?;
    for (id, title, replaced) in &approved.commits {
        let again = if *replaced {
            " (replacing your earlier approval; other maintainers' are kept)"
        } else {
            ""
        };
        ctx.out.status(format!(
            "approved {} {title} as {}{again}",
            id.short(),
            approved.approver.email
        ));
    }
    if approved.merges_skipped > 0 {
        ctx.out.status(format!(
            "left out {}: a merge with changes of its own is approved by naming it",
            crate::text::count(approved.merges_skipped, "merge", "merges"),
        ));
    }
    Ok(0)
}
