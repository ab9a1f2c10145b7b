//! `aiprov am MBOX [-- git-am options]`: verify a patch series, apply it with `git am`, and attach
//! each patch's attestations as notes to the commit it produced.

use std::path::PathBuf;

use super::Context;
use crate::app::am::{apply_series, Options, Outcome};
use crate::app::verify::read_mbox;
use crate::app::Error;
use crate::git::Repo;
use crate::output::am::Applied;

/// Verify a patch series, apply it with git am, and attach its attestations as notes
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The mbox or .patch file (`-` for standard input)
    mbox: PathBuf,
    /// Apply even when verification fails (the findings are still reported)
    #[arg(long)]
    softfail: bool,
    #[command(flatten)]
    trust: super::TrustArgs,
    /// Options passed to git am, after `--` (e.g. `-- -3 -s`)
    #[arg(last = true, value_name = "GIT_AM_OPTIONS")]
    git_am: Vec<String>,
}

pub fn run(ctx: &Context, repo: &Repo, args: Args) -> Result<i32, Error> {
    let mails = read_mbox(&args.mbox)?;
    let options = Options {
        trust_ref: args.trust.trust_ref.as_deref(),
        keyring: args.trust.keyring.as_deref(),
        notes_ref: &ctx.notes_ref,
        softfail: args.softfail,
        git_am: &args.git_am,
    };
    let (result, code) = match apply_series(repo, mails, &options, &ctx.out)? {
        Outcome::Refused { failed, of, report } => (
            Applied {
                schema_version: 1,
                applied: false,
                notes_ref: ctx.notes_ref.clone(),
                commits: Vec::new(),
                report,
                failed,
                patches: of,
            },
            1,
        ),
        Outcome::Applied {
            commits,
            failed,
            report,
        } => (
            Applied {
                schema_version: 1,
                applied: true,
                notes_ref: ctx.notes_ref.clone(),
                patches: commits.len(),
                commits: commits.iter().map(ToString::to_string).collect(),
                report,
                failed: 0,
            },
            i32::from(failed),
        ),
    };
    ctx.out.result(&result)?;
    Ok(code)
}
