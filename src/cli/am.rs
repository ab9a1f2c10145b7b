//! `aiprov am MBOX [-- git-am options]`: verify a patch series, apply it with `git am`, and attach
//! each patch's attestations (and approvals) as notes to the commit it produced;
//! `aiprov am --continue|--skip|--abort` finishes a series git am stopped on.

use std::path::PathBuf;

use super::Context;
use crate::app::am::{apply_series, resume, Options, Outcome, Resume};
use crate::app::verify::read_mbox;
use crate::app::Error;
use crate::git::Repo;
use crate::model::Report;
use crate::output::am::Applied;

/// Verify a patch series, apply it with git am, and attach its attestations as notes
#[derive(Debug, clap::Args)]
#[command(group(
    clap::ArgGroup::new("resume")
        .args(["continue_", "skip", "abort"])
        .conflicts_with_all(["mbox", "softfail", "approvals", "approve", "key", "trust_ref", "keyring", "git_am"])
))]
pub struct Args {
    /// The mbox or .patch file (`-` for standard input)
    #[arg(required_unless_present = "resume")]
    mbox: Option<PathBuf>,
    /// After git am stopped on a patch and you applied it by hand (`git add`), commit it and go
    /// on; its attestation is attached if the commit makes the changes it attests
    #[arg(long = "continue")]
    continue_: bool,
    /// Drop the patch git am stopped on and go on
    #[arg(long)]
    skip: bool,
    /// Give up the series git am stopped on (your branch never moved)
    #[arg(long)]
    abort: bool,
    /// Apply even when verification fails (the findings are still reported)
    #[arg(long)]
    softfail: bool,
    /// Maintainers' approvals to attach, one envelope per line (what `aiprov approve --mbox`
    /// prints); each goes with the patch whose changes it approves
    #[arg(long, value_name = "FILE")]
    approvals: Option<PathBuf>,
    /// When the series lacks only approvals, approve them as yourself without asking (on a
    /// terminal aiprov asks); you must be a maintainer of the files with a trusted key
    #[arg(long)]
    approve: bool,
    /// Signing key for the approvals you give (as for `aiprov approve`)
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    #[command(flatten)]
    trust: super::TrustArgs,
    /// Options passed to git am, after `--` (e.g. `-- -3 -s`)
    #[arg(last = true, value_name = "GIT_AM_OPTIONS")]
    git_am: Vec<String>,
}

pub fn run(ctx: &Context, repo: &Repo, args: Args) -> Result<i32, Error> {
    let action = match (args.continue_, args.skip, args.abort) {
        (true, _, _) => Some(Resume::Continue),
        (_, true, _) => Some(Resume::Skip),
        (_, _, true) => Some(Resume::Abort),
        _ => None,
    };
    let outcome = match (action, &args.mbox) {
        (Some(action), _) => resume(repo, action, &ctx.out)?,
        (None, Some(mbox)) => {
            let mails = read_mbox(mbox)?;
            let options = Options {
                trust_ref: args.trust.trust_ref.as_deref(),
                keyring: args.trust.keyring.as_deref(),
                notes_ref: &ctx.notes_ref,
                softfail: args.softfail,
                git_am: &args.git_am,
                approvals: args.approvals.as_deref(),
                approve: args.approve,
                key: args.key.as_deref(),
            };
            apply_series(repo, mails, &options, &ctx.out)?
        }
        (None, None) => return Err(Error::msg("no mbox given")),
    };
    let document = |applied, commits: Vec<String>, report| Applied {
        schema_version: 1,
        applied,
        notes_ref: ctx.notes_ref.clone(),
        commits,
        report,
        unattested: Vec::new(),
        aborted: false,
        approvals_only: false,
        failed: 0,
        patches: 0,
    };
    let (result, code) = match outcome {
        Outcome::Refused {
            failed,
            of,
            approvals_only,
            report,
        } => (
            Applied {
                failed,
                patches: of,
                approvals_only,
                ..document(false, Vec::new(), report)
            },
            1,
        ),
        Outcome::Applied {
            commits,
            failed,
            unattested,
            report,
        } => (
            Applied {
                unattested,
                ..document(
                    true,
                    commits.iter().map(ToString::to_string).collect(),
                    report,
                )
            },
            i32::from(failed),
        ),
        Outcome::Stopped { patch, title, tree } => {
            return Err(Error::msg(format!(
                "git am stopped at {patch} ({}); nothing is applied to your branch yet",
                crate::text::printable(&title)
            ))
            .hint(stopped_hint(&tree)))
        }
        Outcome::Aborted => (
            Applied {
                aborted: true,
                ..document(false, Vec::new(), Report::new(Vec::new()))
            },
            0,
        ),
    };
    ctx.out.result(&result)?;
    Ok(code)
}

/// What to do when git am stops, and what becomes of the attestations.
fn stopped_hint(tree: &std::path::Path) -> String {
    format!(
        "resolve it in {} (edit the files, `git add` them), then run `aiprov am --continue`; \
         `aiprov am --skip` drops this patch, `aiprov am --abort` gives up the series. \
         Your branch moves when the series is done. A patch applied by hand gets its \
         attestation as a note only if its commit makes the changes the attestation names; \
         otherwise aiprov warns and attaches none",
        tree.display()
    )
}
