//! `aiprov hook post-commit|post-rewrite`: what the git hooks `aiprov init --hooks` installs
//! run, and the pre-commit framework's entries (`.pre-commit-hooks.yaml`).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use super::Context;
use crate::app::rewrite::{post_commit, post_rewrite, Action, Options, Outcome, Rewrite};
use crate::app::Error;
use crate::git::{parse_rewritten, CommitId, Repo};
use crate::output::hook::{HookAttestation, HookCommit, HookRun};
use crate::output::ERROR;

/// What git's post-commit and post-rewrite hooks run: attest new commits, attest rewritten
/// ones again (git ignores these hooks' exit codes: the commit is made whatever they say)
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Attest HEAD from the AI tools' records (as `attest --from auto`), if it is a new commit:
    /// one that `git commit --amend` or `git rebase` made is left to post-rewrite
    PostCommit(KeyArg),
    /// Attest again the commits git rewrote (OLD NEW lines on standard input, as git gives
    /// them) whose note no longer declares them, never declaring less than the old note did
    PostRewrite(PostRewriteArgs),
}

#[derive(Debug, clap::Args)]
pub struct KeyArg {
    /// Signing key [default: as for attest: git's user.signingKey when gpg.format=ssh, else
    /// the aiprov key from `aiprov keygen`]
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct PostRewriteArgs {
    /// The command that rewrote them, git's first argument to the hook (the pre-commit
    /// framework sets PRE_COMMIT_REWRITE_COMMAND instead). Without the list on standard input,
    /// it is read where git keeps it: HEAD's reflog for amend, the rebase's rewritten list for
    /// rebase
    #[arg(value_enum, env = "PRE_COMMIT_REWRITE_COMMAND")]
    command: RewriteCommand,
    #[command(flatten)]
    key: KeyArg,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum RewriteCommand {
    Amend,
    Rebase,
}

/// The most standard input post-rewrite reads: a line is 82 bytes, so a rebase of ten million
/// commits.
const MAX_PAIRS_BYTES: usize = 1 << 30;

pub fn run(ctx: &Context, repo: Result<Repo, Error>, command: Command) -> Result<i32, Error> {
    let hook = match &command {
        Command::PostCommit(_) => "post-commit",
        Command::PostRewrite(_) => "post-rewrite",
    };
    match repo.and_then(|repo| run_hook(ctx, &repo, command)) {
        Ok(code) => Ok(code),
        // With JSON, the error document; for people, one line, as for a commit.
        Err(e) if ctx.out.json() => Err(e),
        Err(e) => {
            let _ = writeln!(
                ctx.out.stderr(),
                "{ERROR}aiprov {hook}:{ERROR:#} {}",
                e.one_line()
            );
            Ok(2)
        }
    }
}

fn run_hook(ctx: &Context, repo: &Repo, command: Command) -> Result<i32, Error> {
    let (hook, rewritten_by, outcomes) = match command {
        Command::PostCommit(args) => {
            let options = Options {
                key: args.key.as_deref(),
                notes_ref: &ctx.notes_ref,
            };
            let outcome = post_commit(repo, &options, &ctx.out)?;
            ("post-commit", None, vec![outcome])
        }
        Command::PostRewrite(args) => {
            let options = Options {
                key: args.key.key.as_deref(),
                notes_ref: &ctx.notes_ref,
            };
            let (rewrite, name) = match args.command {
                RewriteCommand::Amend => (Rewrite::Amend, "amend"),
                RewriteCommand::Rebase => (Rewrite::Rebase, "rebase"),
            };
            let pairs = rewritten(repo, rewrite)?;
            let outcomes = post_rewrite(repo, &options, rewrite, &pairs, &ctx.out)?;
            ("post-rewrite", Some(name.to_string()), outcomes)
        }
    };
    let failed = outcomes.iter().any(|o| o.action == Action::Failed);
    ctx.out.result(&HookRun {
        schema_version: 1,
        hook: hook.into(),
        rewritten_by,
        notes_ref: ctx.notes_ref.clone(),
        commits: outcomes.into_iter().map(commit).collect(),
    })?;
    Ok(if failed { 1 } else { 0 })
}

/// The rewritten commits: standard input as git gives it, unless it is a terminal or empty (the
/// pre-commit framework hands its hooks none); then where git keeps them while the hook runs:
/// the amend's entry in HEAD's reflog, or the rebase's rewritten list.
fn rewritten(repo: &Repo, rewrite: Rewrite) -> Result<Vec<(CommitId, CommitId)>, Error> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let text = crate::limits::read_bounded(stdin.lock(), MAX_PAIRS_BYTES, "standard input")?;
        let pairs = parse_rewritten(&text)
            .map_err(|e| Error::msg(format!("the rewritten commits on standard input: {e}")))?;
        if !pairs.is_empty() {
            return Ok(pairs);
        }
    }
    match rewrite {
        Rewrite::Rebase => Ok(repo.rebase_rewritten()?),
        Rewrite::Amend => {
            let head = repo.commit_id("HEAD")?;
            Ok(repo
                .head_reflog()?
                .filter(|e| e.new == head)
                .and_then(|e| Some((e.old?, e.new)))
                .into_iter()
                .collect())
        }
    }
}

fn commit(o: Outcome) -> HookCommit {
    HookCommit {
        commit: o.commit.to_string(),
        short: o.commit.short(),
        title: o.title,
        rewritten_from: o.rewritten_from.iter().map(|c| c.to_string()).collect(),
        action: match o.action {
            Action::Attested => "attested",
            Action::Reattested => "reattested",
            Action::Kept => "kept",
            Action::Skipped => "skipped",
            Action::Failed => "failed",
        },
        reason: o.reason,
        attestation: o.attested.map(|a| HookAttestation {
            signer: a.signer,
            files: a.files,
            ai_used_for: a.categories,
            envelope: serde_json::from_str(&a.line).unwrap_or(serde_json::Value::Null),
        }),
    }
}
