//! The command line: clap definitions, one file per verb, each turning its arguments into the
//! options of an operation of `app/` and printing its result through `output/`. Flags that
//! several verbs share are defined once here and flattened into theirs.

mod am;
mod approve;
mod archive;
mod attest;
mod completions;
mod hook;
mod init;
mod keygen;
mod keyring;
mod policy;
mod report;
mod show;
mod sync;
mod verify;
#[cfg(feature = "sigstore")]
mod verify_bundle;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::app::Error;
use crate::git::Repo;
use crate::output::Output;
pub use crate::output::{ColorWhen, Format};

/// Signed, verifiable AI-usage attestations for git commits.
#[derive(Debug, Parser)]
#[command(name = "aiprov", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Run as if started in PATH
    #[arg(short = 'C', global = true, value_name = "PATH")]
    pub directory: Option<PathBuf>,
    /// Output format of results
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// When to use colours (NO_COLOR is honoured with auto)
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
    /// Print only errors and the final result
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Print more detail (repeatable)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// The notes ref that holds attestations
    #[arg(long, global = true, env = "AIPROV_NOTES_REF", default_value = crate::git::notes::DEFAULT_REF, value_name = "REF")]
    pub notes_ref: String,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Init(init::Args),
    Keygen(keygen::Args),
    #[command(subcommand)]
    Keyring(keyring::Command),
    Attest(attest::Args),
    #[command(subcommand)]
    Hook(hook::Command),
    Verify(verify::Args),
    Am(am::Args),
    Approve(approve::Args),
    Show(show::Args),
    Fetch(sync::FetchArgs),
    Push(sync::PushArgs),
    Archive(archive::Args),
    Report(report::Args),
    #[command(subcommand)]
    Policy(policy::Command),
    #[cfg(feature = "sigstore")]
    VerifyBundle(verify_bundle::Args),
    Completions(completions::Args),
    Man(completions::ManArgs),
}

impl Command {
    /// The command's name, as typed, and the output formats it has results in.
    fn formats(&self) -> (&'static str, &'static [Format]) {
        use Format::{
            Codequality, Cyclonedx, Github, Human, Json, Junit, Markdown, Sarif, Spdx, Vsa,
        };
        let both: &'static [Format] = &[Human, Json];
        match self {
            Command::Init(_) => ("init", both),
            Command::Keygen(_) => ("keygen", both),
            Command::Keyring(_) => ("keyring", both),
            Command::Attest(_) => ("attest", both),
            Command::Hook(_) => ("hook", both),
            // The reports for forges (docs/ci.md).
            Command::Verify(_) => ("verify", &[Human, Json, Sarif, Codequality, Junit, Github]),
            Command::Am(_) => ("am", both),
            Command::Approve(_) => ("approve", both),
            Command::Show(_) => ("show", both),
            Command::Fetch(_) => ("fetch", both),
            Command::Push(_) => ("push", both),
            Command::Archive(_) => ("archive", both),
            // Its human output is Markdown; a release also has supply-chain documents.
            Command::Report(_) => ("report", &[Human, Json, Markdown, Vsa, Cyclonedx, Spdx]),
            Command::Policy(_) => ("policy", both),
            // Its verdict is its exit code and one line on stderr.
            #[cfg(feature = "sigstore")]
            Command::VerifyBundle(_) => ("verify-bundle", &[Human]),
            // A shell script and a man page: nothing else to print them as.
            Command::Completions(_) => ("completions", &[Human]),
            Command::Man(_) => ("man", &[Human]),
        }
    }
}

/// Refuses a `--format` that means nothing for the command, rather than ignoring it.
fn check_format(command: &Command, format: Format) -> Result<(), Error> {
    use clap::ValueEnum;
    let (name, formats) = command.formats();
    if formats.contains(&format) {
        return Ok(());
    }
    let names = |f: &Format| {
        f.to_possible_value()
            .map(|v| v.get_name().to_string())
            .unwrap_or_default()
    };
    let has = one_of(&formats.iter().map(names).collect::<Vec<_>>());
    let hint = match format {
        Format::Markdown => "Markdown is the output of `aiprov report`".to_string(),
        Format::Vsa | Format::Cyclonedx | Format::Spdx => format!(
            "--format {} describes a release: `aiprov report RANGE --format {0}`",
            names(&format)
        ),
        Format::Sarif | Format::Codequality | Format::Junit | Format::Github => {
            "the reports for forges are outputs of `aiprov verify` (docs/ci.md)".to_string()
        }
        _ => format!("leave out --format, or use --format {has}"),
    };
    Err(Error::msg(format!(
        "`aiprov {name}` has no {} output (--format {})",
        names(&format),
        has
    ))
    .hint(hint))
}

/// Names as a choice: `human or json`, `human, json, sarif or junit`.
fn one_of(names: &[String]) -> String {
    match names.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// Parses the process's command line. A mistake in it is reported as clap reports it (exit
/// code 2), or with `--format json` as a JSON error like every other error of the command.
pub fn parse() -> Cli {
    let err = match Cli::try_parse() {
        Ok(cli) => return cli,
        Err(err) => err,
    };
    if !err.use_stderr() || !asks_for_json(std::env::args_os().skip(1)) {
        err.exit();
    }
    let text = err.render().to_string();
    let message = text
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .to_string();
    let hint = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("tip: "))
        .or_else(|| text.lines().find(|l| l.starts_with("Usage: ")))
        .map(str::to_string);
    let out = Output::new(Format::Json, ColorWhen::Never, false, 0);
    out.print_error(&crate::output::ErrorReport {
        chain: vec![message],
        at: None,
        hint,
    });
    std::process::exit(2);
}

/// Whether arguments that clap could not parse ask for JSON (`--format json`, `--format=json`).
fn asks_for_json(args: impl Iterator<Item = std::ffi::OsString>) -> bool {
    let mut previous_was_format = false;
    for arg in args {
        if arg == "--" {
            return false;
        }
        if arg == "--format=json" || (previous_was_format && arg == "json") {
            return true;
        }
        previous_was_format = arg == "--format";
    }
    false
}

/// Runs a parsed command line; returns the process exit code for results (0 or 1).
pub fn run(cli: Cli) -> Result<i32, Error> {
    check_format(&cli.command, cli.format)?;
    let out = Output::new(cli.format, cli.color, cli.quiet, cli.verbose);
    let cwd = match &cli.directory {
        Some(dir) => dir.clone(),
        None => std::env::current_dir()
            .map_err(|e| Error::msg(format!("cannot read the current directory: {e}")))?,
    };
    let repo = || Repo::discover(&cwd).map_err(Error::from);
    let ctx = Context {
        out,
        notes_ref: cli.notes_ref.clone(),
    };
    match cli.command {
        Command::Init(args) => init::run(&ctx, &repo()?, args),
        Command::Keygen(args) => keygen::run(&ctx, repo().ok(), args),
        Command::Keyring(cmd) => keyring::run(&ctx, &repo()?, cmd),
        Command::Attest(args) => attest::run(&ctx, &repo()?, args),
        Command::Hook(cmd) => hook::run(&ctx, repo(), cmd),
        Command::Verify(args) => verify::run(&ctx, repo(), args),
        Command::Am(args) => am::run(&ctx, &repo()?, args),
        Command::Approve(args) => approve::run(&ctx, &repo()?, args),
        Command::Show(args) => show::run(&ctx, &repo()?, args),
        Command::Fetch(args) => sync::run_fetch(&ctx, &repo()?, args),
        Command::Push(args) => sync::run_push(&ctx, &repo()?, args),
        Command::Archive(args) => archive::run(&ctx, &repo()?, args),
        Command::Report(args) => report::run(&ctx, repo(), args),
        Command::Policy(cmd) => policy::run(&ctx, repo(), cmd),
        #[cfg(feature = "sigstore")]
        Command::VerifyBundle(args) => verify_bundle::run(&ctx, args),
        Command::Completions(args) => completions::run(&ctx, args),
        Command::Man(args) => completions::man(&ctx, args),
    }
}

/// What every subcommand gets.
pub struct Context {
    pub out: Output,
    pub notes_ref: String,
}

/// Where trust comes from, for the verbs that verify.
#[derive(Debug, Clone, clap::Args)]
pub struct TrustArgs {
    /// Read the keyring and policy from this revision [default: the range base or the parent;
    /// HEAD for mails]
    #[arg(long, value_name = "REV")]
    pub trust_ref: Option<String>,
    /// Read the keyring and policy from this directory (laid out like .aiprov/) instead of a
    /// revision
    #[arg(long, value_name = "DIR", conflicts_with = "trust_ref")]
    pub keyring: Option<PathBuf>,
}

impl TrustArgs {
    pub fn options(&self) -> crate::app::trust::Source<'_> {
        crate::app::trust::Source {
            trust_ref: self.trust_ref.as_deref(),
            keyring: self.keyring.as_deref(),
        }
    }
}

/// How many threads verify.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct JobsArg {
    /// Threads verifying commits [default: the number of cores]
    #[arg(short, long, value_name = "N", env = "AIPROV_JOBS")]
    pub jobs: Option<usize>,
}
