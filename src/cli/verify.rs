//! `aiprov verify [REV|RANGE]... [--mbox FILE|-]`: verify the attestations of commits or of
//! patch mails.

use std::path::PathBuf;

use super::{Context, JobsArg, TrustArgs};
use crate::app::verify::{read_mbox, verify_range, verify_series, Options};
use crate::app::Error;
use crate::finding::{Code, Severity};
use crate::git::{notes, Repo};
use crate::model::{ChangeReport, Verdict};
use crate::output::forge::{ReportFile, Reports};
use crate::output::Format;

/// Verify the attestations of commits or patch mails: signatures, coverage, trailers, sign-offs
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Commits (`REV`) or ranges (`A..B`); default HEAD
    #[arg(value_name = "REV|RANGE", conflicts_with = "mbox")]
    revs: Vec<String>,
    /// Verify the patch mails of an mbox or .patch file (`-` for standard input) instead of commits
    #[arg(long, value_name = "FILE")]
    mbox: Option<PathBuf>,
    /// Verify a release archive (`aiprov archive`): on its own, or change by change inside the repository
    #[arg(long, value_name = "FILE", conflicts_with_all = ["revs", "mbox"])]
    archive: Option<PathBuf>,
    /// With --archive: check a release tarball against the SHA-256 digests the archive's
    /// summary records (repeatable)
    #[arg(long, value_name = "FILE", requires = "archive")]
    tarball: Vec<PathBuf>,
    /// Let through a change whose only errors are a missing maintainer's approval
    /// (`policy.approval-missing`, with the category or size finding it comes with), with a note
    /// on stderr naming who could give it: what a contributor checks before sending
    #[arg(long, conflicts_with = "archive")]
    allow_unapproved: bool,
    /// Also write the report as FORMAT (json, sarif, codequality, junit, markdown) to PATH,
    /// besides what --format prints (repeatable); markdown, the table for a CI job summary, is
    /// appended to PATH
    #[arg(long, value_name = "FORMAT=PATH", conflicts_with = "archive")]
    report_file: Vec<ReportFile>,
    #[command(flatten)]
    trust: TrustArgs,
    #[command(flatten)]
    jobs: JobsArg,
}

pub fn run(ctx: &Context, repo: Result<Repo, Error>, args: Args) -> Result<i32, Error> {
    if let Some(path) = &args.archive {
        return verify_archive(ctx, repo.ok(), path, &args);
    }
    let options = Options {
        trust: args.trust.options(),
        jobs: args.jobs.jobs,
        notes_ref: &ctx.notes_ref,
    };
    let specs = if args.revs.is_empty() {
        vec!["HEAD".to_string()]
    } else {
        args.revs.clone()
    };
    let title = match &args.mbox {
        Some(path) => format!("aiprov verify --mbox {}", path.display()),
        None => format!("aiprov verify {}", specs.join(" ")),
    };
    let mut reports = Reports::new(&ctx.out, &title, &args.report_file)?;
    let mut unapproved = Vec::new();
    let mut let_through = |mut r: ChangeReport| {
        if args.allow_unapproved && awaits_approval(&mut r) {
            unapproved.push(r.clone());
        }
        r
    };
    if let Some(path) = &args.mbox {
        // Mails verified against an explicit keyring directory need no repository.
        let repo = match repo {
            Ok(r) => Some(r),
            Err(_) if args.trust.keyring.is_some() => None,
            Err(e) => return Err(e),
        };
        let mails = read_mbox(path)?;
        verify_series(repo.as_ref(), &mails, &options, &ctx.out, |r| {
            Ok(reports.add(let_through(r))?)
        })?;
    } else {
        let repo = repo?;
        let mut missing = 0;
        verify_range(&repo, &specs, &options, &ctx.out, |r| {
            missing += usize::from(r.findings.iter().any(|f| f.code == Code::SignatureMissing));
            Ok(reports.add(let_through(r))?)
        })?;
        if missing > 0 && !notes::exists(&repo, &ctx.notes_ref)? {
            ctx.out.warn(no_notes_hint(&repo, &ctx.notes_ref));
        }
        if reports.is_empty() {
            ctx.out.warn(format!(
                "{} names no commits: nothing was verified",
                specs.join(" ")
            ));
        }
    }
    let code = reports.finish()?;
    if !unapproved.is_empty() {
        note_unapproved(ctx, &unapproved)?;
    }
    Ok(code)
}

/// The findings a missing approval brings: the approval itself, and the rule it would lift.
fn lifted_by_approval(code: Code) -> bool {
    matches!(
        code,
        Code::ApprovalMissing | Code::CategoryNotAllowed | Code::FixTooLarge
    )
}

/// `--allow-unapproved`: a change that fails only for want of a maintainer's approval passes, its
/// errors made warnings. Returns whether it was let through.
fn awaits_approval(report: &mut ChangeReport) -> bool {
    let errors = || {
        report
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
    };
    let only_approval = errors().all(|f| lifted_by_approval(f.code))
        && errors().any(|f| f.code == Code::ApprovalMissing);
    if report.verdict != Verdict::Fail || !only_approval {
        return false;
    }
    for f in &mut report.findings {
        f.severity = Severity::Warning;
    }
    report.verdict = Verdict::Pass;
    true
}

/// Says on stderr, even with `-q`, what was let through and who could approve it.
fn note_unapproved(ctx: &Context, reports: &[ChangeReport]) -> std::io::Result<()> {
    use std::io::Write;
    let mut e = ctx.out.stderr();
    writeln!(
        e,
        "note: {} only a maintainer's approval of {} AI use (policy.approval-missing), which only a maintainer can give; let through:",
        crate::text::count(reports.len(), "change lacks", "changes lack"),
        if reports.len() == 1 { "its" } else { "their" },
    )?;
    for r in reports {
        writeln!(e, "  {}", crate::text::printable(&r.title))?;
        for f in r
            .findings
            .iter()
            .filter(|f| f.code == Code::ApprovalMissing)
        {
            writeln!(e, "    {}", crate::text::printable(&f.message))?;
        }
    }
    writeln!(
        e,
        "hint: send it as it is; a maintainer listed above approves it with `aiprov approve` when applying it"
    )
}

/// `verify --archive FILE`.
fn verify_archive(
    ctx: &Context,
    repo: Option<Repo>,
    path: &std::path::Path,
    args: &Args,
) -> Result<i32, Error> {
    if !matches!(ctx.out.format, Format::Human | Format::Json) {
        return Err(Error::msg(
            "`aiprov verify --archive` has no report for forges: its report is a release's (--format human or json)",
        )
        .hint("verify the range itself for SARIF, Code Quality, JUnit or GitHub annotations: `aiprov verify A..B --format sarif`"));
    }
    let request = crate::app::verify_archive::Request {
        path,
        options: crate::app::release::Options {
            trust: args.trust.options(),
            jobs: args.jobs.jobs,
            notes_ref: &ctx.notes_ref,
        },
        tarballs: &args.tarball,
    };
    let report = crate::app::verify_archive::verify_archive(repo, &request, &ctx.out)?;
    if ctx.out.json() {
        ctx.out.print_json(&report)?;
    } else {
        crate::output::archive::write_archive_report(&mut ctx.out.stdout(), &report, path)?;
    }
    Ok(if report.verdict == crate::model::Verdict::Fail {
        1
    } else {
        0
    })
}

/// What to say when attestations are missing and the repository has no notes at all: notes
/// travel apart from commits, and a clone has none until they are fetched, or, fetched beside
/// them by the refspec `aiprov init` adds, merged.
fn no_notes_hint(repo: &Repo, notes_ref: &str) -> String {
    let mut remotes = repo.remote_names();
    if let Some(at) = remotes.iter().position(|r| r == "origin") {
        remotes.swap(0, at);
    }
    let fetched = remotes.iter().find_map(|remote| {
        let tracking = notes::tracking_ref(remote, notes_ref);
        notes::exists(repo, &tracking)
            .ok()?
            .then_some((remote, tracking))
    });
    let hint = match (fetched, remotes.first()) {
        (Some((remote, tracking)), _) => {
            format!("`aiprov fetch {remote}`: they were fetched into {tracking}, not merged")
        }
        (None, Some(remote)) => format!("`aiprov fetch {remote}`"),
        (None, None) => "`aiprov fetch URL` from where they were pushed".to_string(),
    };
    format!(
        "this repository has no attestation notes ({notes_ref} does not exist): they travel apart from commits, and a clone has none until they are fetched (hint: {hint})"
    )
}
