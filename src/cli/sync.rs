//! `aiprov fetch [REMOTE...]` and `aiprov push [REMOTE]`: the attestation notes moved between
//! repositories, merged so that no writer's line is lost.

use super::Context;
use crate::app::sync::{default_remote, fetch, push};
use crate::app::Error;
use crate::git::Repo;
use crate::output::sync::{SyncReport, Synced};

/// Fetch the attestation notes of remotes and merge them into yours (no line of either lost)
#[derive(Debug, clap::Args)]
pub struct FetchArgs {
    /// Remotes (names or URLs) to fetch from, in order [default: the current branch's upstream
    /// remote, else origin]
    #[arg(value_name = "REMOTE")]
    remotes: Vec<String>,
}

/// Push your attestation notes, after merging the remote's (never forced)
#[derive(Debug, clap::Args)]
pub struct PushArgs {
    /// The remote (name or URL) [default: the current branch's upstream remote, else origin]
    #[arg(value_name = "REMOTE")]
    remote: Option<String>,
}

pub fn run_fetch(ctx: &Context, repo: &Repo, args: FetchArgs) -> Result<i32, Error> {
    let remotes = match args.remotes.is_empty() {
        true => vec![default_remote(repo)?],
        false => args.remotes,
    };
    let mut report = SyncReport {
        schema_version: 1,
        command: "fetch",
        notes_ref: ctx.notes_ref.clone(),
        remotes: Vec::new(),
    };
    for remote in &remotes {
        let fetched = fetch(repo, remote, &ctx.notes_ref)?;
        report.remotes.push(Synced {
            fetched,
            pushed: None,
        });
    }
    ctx.out.result(&report)?;
    Ok(0)
}

pub fn run_push(ctx: &Context, repo: &Repo, args: PushArgs) -> Result<i32, Error> {
    let remote = match args.remote {
        Some(r) => r,
        None => default_remote(repo)?,
    };
    let synced = push(repo, &remote, &ctx.notes_ref)?;
    ctx.out.result(&SyncReport {
        schema_version: 1,
        command: "push",
        notes_ref: ctx.notes_ref.clone(),
        remotes: vec![synced],
    })?;
    Ok(0)
}
