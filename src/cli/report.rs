//! `aiprov report RANGE|--archive FILE`: where AI was used across a release, by category,
//! top-level directory, MAINTAINERS section and month; Markdown, JSON, or an HTML page.

use std::io::Write;
use std::path::PathBuf;

use super::{Context, JobsArg, TrustArgs};
use crate::app::release;
use crate::app::trust::Trust;
use crate::app::verify_archive::{keyring_for_archive, read_archive};
use crate::app::Error;
use crate::archive;
use crate::git::Repo;
use crate::report::{html, write_markdown, AiReport};

/// Report where AI was used across a release range or a release archive
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The release range (`v1.0..v1.1`)
    #[arg(
        value_name = "RANGE",
        required_unless_present = "archive",
        conflicts_with = "archive"
    )]
    range: Option<String>,
    /// Report on a release archive (`aiprov archive`) instead, once it verifies
    #[arg(long, value_name = "FILE")]
    archive: Option<PathBuf>,
    /// Also write the report as one self-contained HTML page
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    #[command(flatten)]
    trust: TrustArgs,
    #[command(flatten)]
    jobs: JobsArg,
}

pub fn run(ctx: &Context, repo: Result<Repo, Error>, args: Args) -> Result<i32, Error> {
    let report = match (&args.archive, &args.range) {
        (Some(path), _) => from_archive(ctx, repo.ok(), path, &args)?,
        (None, Some(range)) => from_range(ctx, &repo?, range, &args)?,
        (None, None) => return Err(Error::msg("name a release range or --archive FILE")),
    };
    if let Some(path) = &args.html {
        std::fs::write(path, html::render(&report))
            .map_err(|e| Error::msg(format!("cannot write {}: {e}", path.display())))?;
        ctx.out.status(format!("wrote {}", path.display()));
    }
    if ctx.out.json() {
        ctx.out.print_json(&report)?;
    } else {
        let mut out = ctx.out.stdout();
        write_markdown(&mut out, &report)?;
        out.flush()?;
    }
    Ok(0)
}

fn from_range(ctx: &Context, repo: &Repo, spec: &str, args: &Args) -> Result<AiReport, Error> {
    let range = release::resolve(repo, spec)?;
    let options = release::Options {
        trust: args.trust.options(),
        jobs: args.jobs.jobs,
        notes_ref: &ctx.notes_ref,
    };
    let changes = release::record_release(repo, &range, &options, &ctx.out, &mut |_| Ok(()))?;
    Ok(AiReport::new(range.release, &changes))
}

/// The report of an archive's summary, once its signature, digests and consistency verify.
fn from_archive(
    ctx: &Context,
    repo: Option<Repo>,
    path: &std::path::Path,
    args: &Args,
) -> Result<AiReport, Error> {
    let archive = read_archive(path)?;
    let mut trust = Trust::new(repo.as_ref(), &ctx.out, args.trust.keyring.as_deref())?;
    let keyring = keyring_for_archive(
        &mut trust,
        repo.as_ref(),
        &archive,
        path,
        args.trust.options(),
    )?;
    let checked = archive::check(&archive, keyring);
    let problems = checked.findings.len() + checked.changes.iter().map(Vec::len).sum::<usize>();
    match checked.summary {
        Some(summary) if problems == 0 => Ok(AiReport::new(
            summary.predicate.release,
            &summary.predicate.changes,
        )),
        _ => Err(Error::msg(format!(
            "{} does not verify ({})",
            path.display(),
            crate::text::count(problems, "problem", "problems")
        ))
        .hint(format!(
            "`aiprov verify --archive {}` lists them",
            path.display()
        ))),
    }
}
