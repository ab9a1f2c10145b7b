//! `aiprov report RANGE|--archive FILE`: where AI was used across a release, by category,
//! top-level directory, MAINTAINERS section and month; Markdown, JSON, or an HTML page.

use std::io::Write;
use std::path::PathBuf;

use super::error::CliError;
use super::release;
use super::trust::Trust;
use super::verify_archive::{keyring_for_archive, read_archive};
use super::Context;
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
    /// Read the keyring from this revision [default: the range base]
    #[arg(long, value_name = "REV")]
    trust_ref: Option<String>,
    /// Read the keyring from this directory (laid out like .aiprov/) instead of a revision
    #[arg(long, value_name = "DIR", conflicts_with = "trust_ref")]
    keyring: Option<PathBuf>,
    /// Threads verifying commits [default: the number of cores]
    #[arg(short, long, value_name = "N", env = "AIPROV_JOBS")]
    jobs: Option<usize>,
}

pub fn run(ctx: &Context, repo: Result<Repo, CliError>, args: Args) -> Result<i32, CliError> {
    let report = match (&args.archive, &args.range) {
        (Some(path), _) => from_archive(ctx, repo.ok(), path, &args)?,
        (None, Some(range)) => from_range(ctx, &repo?, range, &args)?,
        (None, None) => return Err(CliError::msg("name a release range or --archive FILE")),
    };
    if let Some(path) = &args.html {
        std::fs::write(path, html::render(&report))
            .map_err(|e| CliError::msg(format!("cannot write {}: {e}", path.display())))?;
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

fn from_range(ctx: &Context, repo: &Repo, spec: &str, args: &Args) -> Result<AiReport, CliError> {
    let range = release::resolve(repo, spec)?;
    let options = release::Options {
        trust_ref: args.trust_ref.as_deref(),
        keyring: args.keyring.as_deref(),
        jobs: args.jobs,
    };
    let recorded = release::record_notes(ctx, repo, &range, &options)?;
    let changes: Vec<_> = recorded.into_iter().map(|(c, _)| c).collect();
    Ok(AiReport::new(range.release, &changes))
}

/// The report of an archive's summary, once its signature, digests and consistency verify.
fn from_archive(
    ctx: &Context,
    repo: Option<Repo>,
    path: &std::path::Path,
    args: &Args,
) -> Result<AiReport, CliError> {
    let archive = read_archive(path)?;
    let mut trust = Trust::new(repo.as_ref(), &ctx.out, args.keyring.as_deref())?;
    let keyring = keyring_for_archive(
        &mut trust,
        repo.as_ref(),
        &archive,
        path,
        args.keyring.as_deref(),
        args.trust_ref.as_deref(),
    )?;
    let checked = archive::check(&archive, keyring);
    let problems = checked.findings.len() + checked.changes.iter().map(Vec::len).sum::<usize>();
    match checked.summary {
        Some(summary) if problems == 0 => Ok(AiReport::new(
            summary.predicate.release,
            &summary.predicate.changes,
        )),
        _ => Err(CliError::msg(format!(
            "{} does not verify ({problems} problems)",
            path.display()
        ))
        .hint(format!(
            "`aiprov verify --archive {}` lists them",
            path.display()
        ))),
    }
}
