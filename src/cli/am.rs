//! `aiprov am MBOX [-- git-am options]`: verify a patch series, apply it with `git am`, and attach
//! each patch's attestations as notes to the commit it produced.

use std::path::PathBuf;

use super::Context;
use crate::app::am::{apply_series, Options, Outcome};
use crate::app::verify::read_mbox;
use crate::app::Error;
use crate::git::Repo;

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
    match apply_series(repo, mails, &options, &ctx.out)? {
        Outcome::Refused { failed, of } => {
            ctx.out.warn(format!(
                "not applying: {failed} of {of} patches failed verification (use --softfail to apply anyway)"
            ));
            Ok(1)
        }
        Outcome::Applied { commits, failed } => {
            ctx.out.status(format!(
                "applied {} patches; their attestations are notes in {}",
                commits.len(),
                ctx.notes_ref
            ));
            Ok(i32::from(failed))
        }
    }
}
