//! `aiprov policy show|check`: the effective policy (the profile a policy file names, with its
//! overrides), and a lint of a policy file whose errors point at the file and line.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::Context;
use crate::app::Error;
use crate::git::Repo;
use crate::output::{BOLD, ERROR, GOOD};
use crate::policy::{Policy, PolicyError, Profile, POLICY_PATH};
use crate::text::printable;

/// Show the effective policy, or check a policy file
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Print the effective policy: its profile with the policy file's overrides, every rule
    /// spelled, as a policy file
    Show(ShowArgs),
    /// Check a policy file: every mistake, with its file, line and column (exit 1 when there
    /// is one)
    Check(CheckArgs),
}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The policy file [default: .aiprov/policy.toml in the work tree]
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
    /// The policy of this revision, as verification with --trust-ref REV reads it
    #[arg(long, value_name = "REV", conflicts_with_all = ["file", "profile"])]
    rev: Option<String>,
    /// A built-in profile as it is
    #[arg(long, value_name = "NAME", value_parser = profile_name, conflicts_with = "file")]
    profile: Option<Profile>,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The policy file [default: .aiprov/policy.toml in the work tree]
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
}

fn profile_name(name: &str) -> Result<Profile, String> {
    Profile::named(name).ok_or_else(|| {
        let all: Vec<&str> = Profile::ALL.iter().map(|p| p.name()).collect();
        format!("the profiles are {}", all.join(", "))
    })
}

pub fn run(ctx: &Context, repo: Result<Repo, Error>, command: Command) -> Result<i32, Error> {
    match command {
        Command::Show(args) => show(ctx, repo, args),
        Command::Check(args) => check(ctx, repo, args),
    }
}

/// A policy file's text and the name it goes by: the path given, or `.aiprov/policy.toml` of
/// the work tree (`None` when the work tree has none).
fn read(
    repo: Result<Repo, Error>,
    file: Option<PathBuf>,
) -> Result<Option<(Vec<u8>, String)>, Error> {
    let (path, name, optional) = match file {
        Some(path) => {
            let name = path.display().to_string();
            (path, name, false)
        }
        None => {
            let repo = repo?;
            let root = repo
                .workdir()
                .ok_or_else(|| Error::msg("the repository has no work tree; name a policy file"))?;
            (root.join(POLICY_PATH), POLICY_PATH.to_string(), true)
        }
    };
    match read_bounded(&path) {
        Ok(text) => Ok(Some((text, name))),
        Err(e) if optional && e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::msg(format!("cannot read {name}: {e}"))),
    }
}

fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    crate::limits::read_file_bounded(path, crate::git::MAX_TRUST_FILE_BYTES, "a policy file")
}

/// A policy file's mistake as the command's error (printed with the line marked).
fn policy_error(e: PolicyError) -> Error {
    Error::from(e).hint("`aiprov policy check` lists every mistake of the file")
}

fn show(ctx: &Context, repo: Result<Repo, Error>, args: ShowArgs) -> Result<i32, Error> {
    let (policy, origin) = if let Some(profile) = args.profile {
        (Policy::profile(profile), None)
    } else if let Some(rev) = &args.rev {
        let repo = repo?;
        let id = repo.commit_id(rev)?;
        let policy = crate::app::trust::load_rev_policy(&repo, id)?;
        let has_file = repo.file_at(id, POLICY_PATH)?.is_some();
        (policy, has_file.then(|| format!("{POLICY_PATH} at {rev}")))
    } else {
        match read(repo, args.file)? {
            Some((text, name)) => (
                Policy::parse(&text, &name).map_err(policy_error)?,
                Some(name),
            ),
            None => (Policy::default(), None),
        }
    };
    let effective = policy.effective();
    if ctx.out.json() {
        ctx.out.print_json(&serde_json::json!({
            "file": origin,
            "profile": {"name": policy.profile.name(), "source": policy.profile.source()},
            "policy": effective,
        }))?;
        return Ok(0);
    }
    let text = policy.effective_toml();
    let mut out = ctx.out.stdout();
    writeln!(
        out,
        "# profile {}: {}",
        policy.profile.name(),
        policy.profile.source()
    )?;
    match &origin {
        Some(name) => writeln!(out, "# with the overrides of {}", printable(name))?,
        None => writeln!(out, "# as it is (no policy file)")?,
    }
    if policy.human_messages {
        writeln!(
            out,
            "# human-messages: commit messages and cover letters are to be written by people; nothing in a commit shows who wrote its message, so this is shown, not checked"
        )?;
    }
    write!(out, "{text}")?;
    Ok(0)
}

fn check(ctx: &Context, repo: Result<Repo, Error>, args: CheckArgs) -> Result<i32, Error> {
    let Some((text, name)) = read(repo, args.file)? else {
        return Err(Error::msg(format!("there is no {POLICY_PATH} in the work tree")).hint(
            "without one, verification uses the built-in `qemu` profile (`aiprov policy show --profile qemu`)",
        ));
    };
    let result = Policy::lint(&text, &name);
    let errors = result.as_ref().err().cloned().unwrap_or_default();
    let mut warnings = Vec::new();
    let names_profile = toml::from_str::<toml::Table>(&String::from_utf8_lossy(&text))
        .map(|t| t.contains_key("profile"))
        .unwrap_or(true);
    if !names_profile {
        warnings.push(format!(
            "{name}: names no profile, so it starts from `qemu` ({}), whose rules move with QEMU's draft; name the profile, e.g. `profile = \"qemu\"` or `profile = \"qemu-2026-05\"`",
            Profile::Qemu.source()
        ));
    }
    if ctx.out.json() {
        let errors: Vec<_> = errors
            .iter()
            .map(|e| {
                serde_json::json!({
                    "line": e.at.as_ref().map(|a| a.line),
                    "column": e.at.as_ref().map(|a| a.column),
                    "message": e.message,
                })
            })
            .collect();
        ctx.out.print_json(&serde_json::json!({
            "file": name,
            "valid": errors.is_empty(),
            "profile": result.as_ref().ok().map(|p| p.profile.name()),
            "errors": errors,
            "warnings": warnings,
        }))?;
        return Ok(i32::from(!errors.is_empty()));
    }
    for w in &warnings {
        ctx.out.warn(printable(w));
    }
    let mut out = ctx.out.stdout();
    for e in &errors {
        writeln!(
            out,
            "{ERROR}error:{ERROR:#} {BOLD}{}{BOLD:#}",
            printable(&e.to_string())
        )?;
        if let Some(excerpt) = e.excerpt() {
            writeln!(out, "{excerpt}")?;
        }
    }
    match &result {
        Ok(policy) => writeln!(
            out,
            "{GOOD}ok:{GOOD:#} {} (profile {})",
            printable(&name),
            policy.profile.name()
        )?,
        Err(_) => writeln!(
            out,
            "{} in {}",
            crate::text::count(errors.len(), "error", "errors"),
            printable(&name)
        )?,
    }
    Ok(i32::from(!errors.is_empty()))
}
