//! `aiprov attest [REV|RANGE]...`: sign AI-usage attestations for commits and store them as
//! notes, all in one notes commit.

use std::path::PathBuf;

use super::Context;
use crate::app::attest::{attest, Keyless, Options};
use crate::app::parallel::jobs;
use crate::app::Error;
use crate::attest::Rule;
use crate::git::Repo;
use crate::model::Tool;
use crate::output::signed::{Attestations, AttestedCommit};

/// Sign an AI-usage attestation for a commit, or each commit of a series, and store them in the
/// notes
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The commits to attest: REV, or a range A..B (its merges left out); all stored in one
    /// notes commit
    #[arg(default_value = "HEAD", value_name = "REV|RANGE")]
    revs: Vec<String>,
    /// Signing key: an OpenSSH Ed25519 private key, or a public key held by ssh-agent
    /// [default: git's user.signingKey when gpg.format=ssh, else the aiprov key from `aiprov keygen`]
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// AI use in the files matching GLOB, e.g. 'tests/**=tests' or 'hw/*.c=code (refactoring)'
    #[arg(long = "ai", value_name = "GLOB=CATEGORY")]
    ai: Vec<String>,
    /// Declare AI use from the AI tools' own records: auto (every record found),
    /// agent-trace[=FILE] (.agent-trace/traces.jsonl), git-ai (refs/notes/ai) or trailers (the
    /// agent trailers of the message); repeatable, earlier sources first
    #[arg(long = "from", value_name = "SOURCE")]
    from: Vec<String>,
    /// With --from: fail where the records and the diff disagree, instead of asking
    #[arg(long, requires = "from")]
    strict: bool,
    /// No AI use in the files matching GLOB
    #[arg(long = "human", value_name = "GLOB")]
    human: Vec<String>,
    /// AI was used for research, static analysis or debugging, none of its output included
    #[arg(long)]
    research: bool,
    /// An AI tool used, as NAME or NAME@VERSION (repeatable)
    #[arg(long = "tool", value_name = "NAME[@VERSION]")]
    tools: Vec<String>,
    /// Add or correct the commit's AI-used-for trailer to match (amends HEAD; one commit only)
    #[arg(long)]
    fix_trailer: bool,
    /// Print the envelopes instead of storing them, one line per commit
    #[arg(long)]
    stdout: bool,
    /// Sign keylessly with Sigstore instead of a key: an OIDC identity (--identity-token, a CI
    /// workload's, or the browser flow), a short-lived Fulcio certificate, a Rekor log entry
    /// (builds with the `keyless` feature)
    #[arg(long, conflicts_with = "key")]
    sigstore: bool,
    /// The OIDC identity token for --sigstore (a JWT)
    #[arg(
        long,
        value_name = "JWT",
        env = "SIGSTORE_ID_TOKEN",
        hide_env_values = true,
        requires = "sigstore"
    )]
    identity_token: Option<String>,
    /// Fulcio of another Sigstore instance [default: the public-good instance]
    #[arg(long, value_name = "URL", requires_all = ["sigstore", "rekor_url"])]
    fulcio_url: Option<String>,
    /// Rekor of another Sigstore instance [default: the public-good instance]
    #[arg(long, value_name = "URL", requires_all = ["sigstore", "fulcio_url"])]
    rekor_url: Option<String>,
    /// Sign as EMAIL [default: the identity the keyring at the commit's parent trusts the key
    /// for, else git's user.email]
    #[arg(long, value_name = "EMAIL")]
    signer: Option<String>,
    /// Do not ask for confirmation on a terminal
    #[arg(short = 'y', long)]
    yes: bool,
    /// Threads reading the commits of a range [default: the number of cores]
    #[arg(short, long, value_name = "N", env = "AIPROV_JOBS")]
    jobs: Option<usize>,
}

pub fn run(ctx: &Context, repo: &Repo, args: Args) -> Result<i32, Error> {
    // --ai rules in order (later wins), then --human rules, which win over any --ai.
    let mut rules = Vec::new();
    for r in &args.ai {
        rules.push(Rule::ai(r)?);
    }
    for g in &args.human {
        rules.push(Rule::human(g)?);
    }
    let tools = args
        .tools
        .iter()
        .map(|t| match t.split_once('@') {
            Some((n, v)) => Tool {
                name: n.into(),
                version: Some(v.into()),
            },
            None => Tool {
                name: t.clone(),
                version: None,
            },
        })
        .collect();
    let keyless = args.sigstore.then(|| Keyless {
        identity_token: args.identity_token.as_deref(),
        services: args.fulcio_url.as_deref().zip(args.rekor_url.as_deref()),
    });
    let options = Options {
        revs: &args.revs,
        key: args.key.as_deref(),
        rules,
        from: args
            .from
            .iter()
            .map(|s| s.parse())
            .collect::<Result<_, _>>()?,
        strict: args.strict,
        research: args.research,
        tools,
        fix_trailer: args.fix_trailer,
        to_stdout: args.stdout,
        keyless,
        yes: args.yes,
        notes_ref: &ctx.notes_ref,
        sign_as: args.signer.as_deref(),
        jobs: jobs(args.jobs),
    };
    let outcome = attest(repo, options, &ctx.out)?;
    let stored = outcome.attested.first().is_none_or(|a| a.stored);
    ctx.out.result(&Attestations {
        schema_version: 1,
        stored,
        notes_ref: ctx.notes_ref.clone(),
        attested: outcome
            .attested
            .into_iter()
            .map(|done| AttestedCommit {
                commit: done.commit.to_string(),
                short: done.commit.short(),
                title: done.title,
                signer: done.signer,
                files: done.files,
                ai_used_for: done.categories,
                envelope: serde_json::from_str(&done.line).unwrap_or(serde_json::Value::Null),
                line: done.line,
            })
            .collect(),
        merges_skipped: outcome.merges_skipped,
    })?;
    Ok(0)
}
