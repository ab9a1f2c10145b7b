//! `aiprov report RANGE|--archive FILE`: where AI was used across a release, by category,
//! top-level directory, MAINTAINERS section and month; Markdown, JSON, or an HTML page; or, for
//! the supply chain, SLSA verification summaries of its revisions and BOMs of its AI tools.

use std::io::Write;
use std::path::PathBuf;

use super::{Context, Format, JobsArg, TrustArgs};
use crate::app::release;
use crate::app::signer::{load_signer, now, open_signer};
use crate::app::trust::Trust;
use crate::app::verify_archive::{keyring_for_archive, read_archive};
use crate::app::Error;
use crate::archive;
use crate::dsse::INTOTO_PAYLOAD_TYPE;
use crate::git::Repo;
use crate::model::{Release, ReleaseChange};
use crate::report::origin::{release_name, repository_url, Origin, Policy};
use crate::report::{cyclonedx, html, spdx, vsa, write_markdown, AiReport};
use crate::signing::{self, KeySource, Signer};

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
    /// The repository's URL, as VSAs and BOMs name it [default: the URL of the remote
    /// `origin`, or of the only remote]
    #[arg(long, value_name = "URL")]
    repository: Option<String>,
    /// Sign each VSA (--format vsa) with the release manager's key: one DSSE envelope a line
    #[arg(long)]
    sign: bool,
    /// The key --sign signs with [default: git's user.signingKey when gpg.format=ssh, else the
    /// aiprov key]
    #[arg(long, value_name = "FILE", requires = "sign")]
    key: Option<PathBuf>,
    #[command(flatten)]
    trust: TrustArgs,
    #[command(flatten)]
    jobs: JobsArg,
}

pub fn run(ctx: &Context, repo: Result<Repo, Error>, args: Args) -> Result<i32, Error> {
    let format = ctx.out.format;
    if args.sign && format != Format::Vsa {
        return Err(Error::msg("--sign signs verification summaries")
            .hint("add --format vsa, or leave out --sign"));
    }
    let repo = match (&args.archive, repo) {
        (Some(_), repo) => repo.ok(),
        (None, repo) => Some(repo?),
    };
    // Fail on a missing key before the long part.
    let signer = match (args.sign, &repo) {
        (false, _) => None,
        (true, Some(repo)) => Some(load_signer(repo, args.key.as_deref(), &ctx.out)?),
        (true, None) => match &args.key {
            Some(key) => Some(open_signer(KeySource::from_path(key)?, &ctx.out)?),
            None => {
                return Err(
                    Error::msg("no signing key outside a repository").hint("pass --key FILE")
                )
            }
        },
    };
    let (release, changes) = match (&args.archive, &args.range, &repo) {
        (Some(path), _, _) => from_archive(ctx, repo.as_ref(), path, &args)?,
        (None, Some(range), Some(repo)) => from_range(ctx, repo, range, &args)?,
        _ => return Err(Error::msg("name a release range or --archive FILE")),
    };
    if let Some(path) = &args.html {
        let report = AiReport::new(release.clone(), &changes);
        std::fs::write(path, html::render(&report))
            .map_err(|e| Error::msg(format!("cannot write {}: {e}", path.display())))?;
        ctx.out.status(format!("wrote {}", path.display()));
    }
    let origin = || origin(repo.as_ref(), &release, &args);
    let not_recorded = |e: crate::report::NotRecorded| {
        Error::msg(e)
            .hint("the archive was written by an older aiprov: `aiprov archive` writes it again")
    };
    match format {
        Format::Vsa => {
            let lines = vsa::statements(&release, &changes, &origin()?).map_err(vsa_error)?;
            write_lines(ctx, &lines, signer.as_deref())?;
        }
        Format::Cyclonedx => {
            let bom = cyclonedx::bom(&release, &changes, &origin()?).map_err(not_recorded)?;
            ctx.out.print_json(&bom)?;
        }
        Format::Spdx => {
            let doc = spdx::document(&release, &changes, &origin()?).map_err(not_recorded)?;
            ctx.out.print_json(&doc)?;
        }
        Format::Json => ctx.out.print_json(&AiReport::new(release, &changes))?,
        Format::Human | Format::Markdown => {
            let mut out = ctx.out.stdout();
            write_markdown(&mut out, &AiReport::new(release, &changes))?;
            out.flush()?;
        }
        // `aiprov verify`'s, refused before the command runs (`Command::formats`).
        Format::Sarif | Format::Codequality | Format::Junit | Format::Github => {
            return Err(Error::msg(
                "`aiprov report` has no report for forges: they are `aiprov verify`'s",
            ));
        }
    }
    Ok(0)
}

fn vsa_error(e: vsa::VsaError) -> Error {
    let hint = match e {
        vsa::VsaError::NoRepository => {
            "name it with --repository URL (e.g. https://host/project.git)"
        }
        vsa::VsaError::NoPolicy => {
            "name the revision the changes were verified with: --trust-ref REV"
        }
        vsa::VsaError::NoParents | vsa::VsaError::ParentAfter { .. } => {
            "the archive was written by an older aiprov: `aiprov archive` writes it again"
        }
    };
    Error::msg(e).hint(hint)
}

/// The statements, one a line, each signed when there is a signer.
fn write_lines(ctx: &Context, lines: &[Vec<u8>], signer: Option<&dyn Signer>) -> Result<(), Error> {
    let mut out = ctx.out.stdout();
    for line in lines {
        match signer {
            Some(signer) => {
                let envelope = signing::sign_envelope(INTOTO_PAYLOAD_TYPE, line, signer)?;
                writeln!(out, "{}", envelope.to_json())?;
            }
            None => {
                out.write_all(line)?;
                writeln!(out)?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// Where the release comes from: the repository's URL (`--repository`, else its remote), the
/// revision or directory whose policy judged the changes, the refs naming the release commit,
/// and now.
fn origin(repo: Option<&Repo>, release: &Release, args: &Args) -> Result<Origin, Error> {
    let repository = match &args.repository {
        Some(url) => Some(repository_url(url).ok_or_else(|| {
            Error::msg(format!("--repository '{url}' is not a URL"))
                .hint("give the URL others clone it from, e.g. https://host/project.git")
        })?),
        None => repo.and_then(remote_url).and_then(|r| repository_url(&r)),
    };
    let policy = match (&args.trust.keyring, &args.trust.trust_ref, repo) {
        (Some(dir), _, _) => Some(Policy::Directory(std::path::absolute(dir)?)),
        (None, Some(rev), Some(repo)) => Some(Policy::Revision(repo.commit_id(rev)?.to_string())),
        _ => release.base.clone().map(Policy::Revision),
    };
    let name = release_name(release);
    let release_refs = match repo {
        Some(repo) => repo.full_ref_name(&name).into_iter().collect(),
        None if name.starts_with("refs/") => vec![name],
        None => Vec::new(),
    };
    Ok(Origin {
        repository,
        policy,
        release_refs,
        time_verified: now()?.to_string(),
    })
}

/// The URL of the remote `origin`, else of the repository's only remote.
fn remote_url(repo: &Repo) -> Option<String> {
    let remotes = repo.remote_names();
    let name = match remotes.as_slice() {
        [only] => only.as_str(),
        _ => "origin",
    };
    repo.config_string(&format!("remote.{name}.url"))
}

/// A release range's records.
fn from_range(
    ctx: &Context,
    repo: &Repo,
    spec: &str,
    args: &Args,
) -> Result<(Release, Vec<ReleaseChange>), Error> {
    let range = release::resolve(repo, spec)?;
    let options = release::Options {
        trust: args.trust.options(),
        jobs: args.jobs.jobs,
        notes_ref: &ctx.notes_ref,
    };
    let changes = release::record_release(repo, &range, &options, &ctx.out, &mut |_| Ok(()))?;
    Ok((range.release, changes))
}

/// An archive's release and records, once its signature, digests and consistency verify.
fn from_archive(
    ctx: &Context,
    repo: Option<&Repo>,
    path: &std::path::Path,
    args: &Args,
) -> Result<(Release, Vec<ReleaseChange>), Error> {
    let archive = read_archive(path)?;
    let mut trust = Trust::new(repo, &ctx.out, args.trust.keyring.as_deref())?;
    let keyring = keyring_for_archive(&mut trust, repo, &archive, path, args.trust.options())?;
    let checked = archive::check(&archive, keyring);
    let problems = checked.findings.len() + checked.changes.iter().map(Vec::len).sum::<usize>();
    match checked.summary {
        Some(summary) if problems == 0 => {
            Ok((summary.predicate.release, summary.predicate.changes))
        }
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
