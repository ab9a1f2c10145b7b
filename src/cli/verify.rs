//! `aiprov verify [REV|RANGE]...`: verify commits' attestations.

use std::io::Write;
use std::path::PathBuf;

use super::error::CliError;
use super::trust::Trust;
use super::Context;
use crate::git::Repo;
use crate::output::report::{write_change, write_summary};
use crate::verify::{verify_commit, Report, Verdict};

/// Verify the attestations of commits: signatures, coverage, trailers and sign-offs
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Commits (`REV`) or ranges (`A..B`); default HEAD
    #[arg(value_name = "REV|RANGE")]
    revs: Vec<String>,
    /// Read the keyring from this revision instead of the range base or parent
    #[arg(long, value_name = "REV")]
    trust_ref: Option<String>,
    /// Read the keyring from this directory (laid out like .aiprov/) instead of a revision
    #[arg(long, value_name = "DIR", conflicts_with = "trust_ref")]
    keyring: Option<PathBuf>,
}

pub fn run(ctx: &Context, repo: &Repo, args: Args) -> Result<i32, CliError> {
    let specs = if args.revs.is_empty() {
        vec!["HEAD".to_string()]
    } else {
        args.revs
    };
    let mut targets = Vec::new();
    for spec in &specs {
        targets.extend(repo.targets(spec)?);
    }
    let trust_ref = args
        .trust_ref
        .as_deref()
        .map(|r| repo.commit_id(r))
        .transpose()?;
    let mut trust = Trust::new(repo, &ctx.out, args.keyring.as_deref())?;
    let mut changes = Vec::with_capacity(targets.len());
    let mut out = ctx.out.stdout();
    for target in &targets {
        let keyring = trust.keyring(target.commit, trust_ref.or(target.trusted))?;
        let report = verify_commit(repo, target, keyring, &ctx.notes_ref)?;
        if !ctx.out.json() && (!ctx.out.quiet || report.verdict == Verdict::Fail) {
            write_change(&mut out, &report, ctx.out.verbose)?;
        }
        changes.push(report);
    }
    let report = Report::new(changes);
    if ctx.out.json() {
        ctx.out.print_json(&report)?;
    } else {
        write_summary(&mut out, &report)?;
        out.flush()?;
    }
    Ok(if report.verdict == Verdict::Fail {
        1
    } else {
        0
    })
}
