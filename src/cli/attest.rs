//! `aiprov attest [REV]`: sign an AI-usage attestation for a commit and store it as a note.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use super::error::{CliError, WithHint};
use super::signer::{load_signer, now};
use super::Context;
use crate::attest::{
    check_declaration, plan, statement, Plan, Rule, AI_USED_FOR_GRAMMAR, ASSISTED_BY_GRAMMAR,
};
use crate::dsse::INTOTO_PAYLOAD_TYPE;
use crate::git::{notes, Repo};
use crate::model::Tool;
use crate::policy::{Convention, Policy};
use crate::signing;
use crate::trailers::{self, MessageTrailers};

/// Sign an AI-usage attestation for a commit and store it in the notes
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The commit to attest
    #[arg(default_value = "HEAD")]
    rev: String,
    /// Signing key: an OpenSSH Ed25519 private key, or a public key held by ssh-agent
    /// [default: git's user.signingKey when gpg.format=ssh, else the aiprov key from `aiprov keygen`]
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// AI use in the files matching GLOB, e.g. 'tests/**=tests' or 'hw/*.c=code (refactoring)'
    #[arg(long = "ai", value_name = "GLOB=CATEGORY")]
    ai: Vec<String>,
    /// No AI use in the files matching GLOB
    #[arg(long = "human", value_name = "GLOB")]
    human: Vec<String>,
    /// AI was used for research, static analysis or debugging, none of its output included
    #[arg(long)]
    research: bool,
    /// An AI tool used, as NAME or NAME@VERSION (repeatable)
    #[arg(long = "tool", value_name = "NAME[@VERSION]")]
    tools: Vec<String>,
    /// Add or correct the commit's AI-used-for trailer to match (amends HEAD)
    #[arg(long)]
    fix_trailer: bool,
    /// Print the envelope instead of storing it
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
    /// Do not ask for confirmation on a terminal
    #[arg(short = 'y', long)]
    yes: bool,
}

pub fn run(ctx: &Context, repo: &Repo, args: Args) -> Result<i32, CliError> {
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
    let mut id = repo.commit_id(&args.rev)?;
    let keyless = args.sigstore;
    if keyless && !cfg!(feature = "keyless") {
        return Err(no_keyless());
    }
    let signer = if keyless {
        None
    } else {
        Some(load_signer(repo, args.key.as_deref())?)
    };
    let identity = repo.user().ok_or_else(|| {
        CliError::msg("no signer identity: git's user.email is not set")
            .hint("git config user.email you@example.org")
    })?;

    let mut change = repo.change(id, |_| true)?;
    // The policy the commit will be judged by: its parent's (the trusted revision).
    let policy = match &change.parent {
        Some(parent) => super::trust::load_rev_policy(repo, repo.commit_id(parent)?)?,
        None => crate::policy::Policy::default(),
    };
    let mut trailers = MessageTrailers::from_message(&change.message);
    let plan = plan(&change, &trailers, &rules, args.research, &policy.classes);
    let fix = match args.fix_trailer {
        true => fixed_message(
            &change.message,
            &trailers,
            &plan,
            !rules.is_empty(),
            &policy,
        )?,
        false => None,
    };
    let signed_trailers = match &fix {
        Some((message, _)) => MessageTrailers::from_message(message),
        None => trailers.clone(),
    };
    check_declaration(&signed_trailers, &plan, policy.convention)
        .hint(declaration_hint(policy.convention))?;
    confirm(ctx, &change.title(), &plan, args.yes)?;
    if let Some((message, what)) = fix {
        id = repo.amend_message(id, &message).hint(
            "--fix-trailer rewrites the commit, so it only works on HEAD; use `git rebase -i` for older commits",
        )?;
        ctx.out
            .status(format!("amended {}: {what}", &id.to_string()[..12]));
        change = repo.change(id, |_| true)?;
        trailers = MessageTrailers::from_message(&change.message);
    }

    let now = now()?;
    let statement = statement(&change, &trailers, &plan, identity.clone(), tools, now);
    let payload = serde_json::to_vec(&statement)?;
    let line = match &signer {
        Some(signer) => {
            signing::sign_envelope(INTOTO_PAYLOAD_TYPE, &payload, signer.as_ref())?.to_json()
        }
        None => sign_keyless(ctx, &args, &payload)?,
    };
    if line.len() > crate::dsse::MAX_ENVELOPE_BYTES {
        return Err(CliError::msg(format!(
            "the attestation of {} is {} bytes ({} files), over the envelope limit of {} bytes",
            &id.to_string()[..12],
            line.len(),
            change.files.len(),
            crate::dsse::MAX_ENVELOPE_BYTES
        ))
        .hint("split the commit: verifiers refuse envelopes over the limit"));
    }
    if args.stdout {
        println!("{line}");
        return Ok(0);
    }
    notes::update_note(repo, &ctx.notes_ref, id, "aiprov attest", |old| {
        crate::note::with_line(old, line.as_bytes(), &payload)
    })?;
    let categories = plan.categories();
    let what = if categories.is_empty() {
        "no AI use".to_string()
    } else {
        format!(
            "AI used for {}",
            categories
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    ctx.out.status(format!(
        "attested {} {} ({what}; {} files) as {}",
        &id.to_string()[..12],
        change.title(),
        change.files.len(),
        identity.email
    ));
    Ok(0)
}

/// How to fix a commit whose trailers the plan would understate.
fn declaration_hint(convention: Convention) -> String {
    match convention {
        Convention::AiUsedFor => format!(
            "the trailer reads {AI_USED_FOR_GRAMMAR}; correct it with `git commit --amend`, or say with --ai GLOB=CATEGORY what AI did and add --fix-trailer"
        ),
        Convention::AssistedBy => format!(
            "the trailer reads {ASSISTED_BY_GRAMMAR}; correct it with `git commit --amend`, and say with --ai GLOB=CATEGORY what AI did"
        ),
    }
}

/// For `--fix-trailer`: the message with the `AI-used-for` trailer the plan calls for, and what
/// changed, or `None` when the message already carries it. The fix only adds, corrects towards
/// the plan, or moves the trailer: it never removes or narrows a declaration of AI use, and a
/// malformed trailer is corrected only towards what `explicit` rules say.
fn fixed_message(
    message: &str,
    trailers: &MessageTrailers,
    plan: &Plan,
    explicit: bool,
    policy: &Policy,
) -> Result<Option<(String, String)>, CliError> {
    if policy.convention == Convention::AssistedBy {
        return Err(CliError::msg(
            "--fix-trailer writes QEMU's AI-used-for trailer, and this project's policy uses the kernel's Assisted-by",
        )
        .hint(format!("add the trailer by hand: {ASSISTED_BY_GRAMMAR}")));
    }
    let old: Vec<String> = trailers
        .trailers
        .iter()
        .filter(|t| t.is(trailers::AI_USED_FOR))
        .map(|t| format!("`{}: {}`", t.key, t.value))
        .collect();
    let Some(mut wanted) = plan.trailer_value() else {
        if old.is_empty() && trailers.foreign.is_empty() {
            return Ok(None);
        }
        return Err(CliError::msg(format!(
            "--fix-trailer would remove the commit's declaration of AI use ({}), and the attestation would declare none",
            old.iter().chain(trailers.foreign.iter().map(|f| &f.trailer.value)).cloned().collect::<Vec<_>>().join(", ")
        ))
        .hint("if AI was used, say where with --ai GLOB=CATEGORY; if it was not, edit the trailer yourself (`git commit --amend`)"));
    };
    if wanted.explanation.is_none() {
        // Keep the contributor's explanation when the rules give none.
        wanted.explanation = trailers
            .ai_used_for
            .iter()
            .find_map(|t| t.as_ref().ok()?.explanation.clone());
    }
    if let Some(Err(e)) = trailers.ai_used_for.iter().find(|t| t.is_err()) {
        if !explicit {
            return Err(CliError::msg(format!(
                "--fix-trailer cannot tell what the malformed trailer means ({e})"
            ))
            .hint("say what AI did with --ai GLOB=CATEGORY, and --fix-trailer writes the trailer for it"));
        }
    }
    let current: Vec<&trailers::AiUsedFor> = trailers
        .ai_used_for
        .iter()
        .filter_map(|t| t.as_ref().ok())
        .collect();
    let all_parsed = current.len() == trailers.ai_used_for.len();
    if all_parsed && current == [&wanted] && !trailers.ai_used_for_misplaced {
        return Ok(None);
    }
    let lost: Vec<&str> = trailers
        .ai_categories()
        .difference(&wanted.categories)
        .map(|c| c.as_str())
        .collect();
    if !lost.is_empty() {
        return Err(CliError::msg(format!(
            "--fix-trailer would remove {} from the commit's AI-used-for trailer ({})",
            lost.join(", "),
            old.join(", ")
        ))
        .hint("if AI was used for it, say where with --ai GLOB=CATEGORY; if it was not, edit the trailer yourself (`git commit --amend`)"));
    }
    let new = format!("`{}: {wanted}`", trailers::AI_USED_FOR);
    let what = if old.is_empty() {
        format!("added {new}")
    } else if old == [new.clone()] {
        format!("moved {new} above the Signed-off-by lines")
    } else {
        format!("replaced {} with {new}", old.join(", "))
    };
    Ok(Some((trailers::set_ai_used_for(message, &wanted), what)))
}

/// On a terminal, shows the plan and asks before signing.
fn confirm(ctx: &Context, title: &str, plan: &Plan, yes: bool) -> Result<(), CliError> {
    if yes || !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return Ok(());
    }
    let mut e = ctx.out.stderr();
    writeln!(e, "Attesting: {title}")?;
    for (path, ai) in &plan.files {
        let what = ai.as_ref().map_or("no AI".to_string(), |a| a.to_string());
        writeln!(e, "  {path}: {what}")?;
    }
    if plan.research {
        writeln!(e, "  research: AI used, none of its output included")?;
    }
    write!(e, "Sign this attestation? [Y/n] ")?;
    e.flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    match answer.trim().to_ascii_lowercase().as_str() {
        "" | "y" | "yes" => Ok(()),
        _ => {
            Err(CliError::msg("not signed")
                .hint("use --ai and --human to say which files AI touched"))
        }
    }
}

/// A Sigstore bundle of `payload`, as one line of JSON.
#[cfg(feature = "keyless")]
fn sign_keyless(ctx: &Context, args: &Args, payload: &[u8]) -> Result<String, CliError> {
    let services = args.fulcio_url.as_deref().zip(args.rekor_url.as_deref());
    ctx.out.status(format!(
        "signing with Sigstore ({})",
        services.map_or("public-good instance".to_string(), |(f, _)| f.to_string())
    ));
    crate::sigstore::sign_statement(payload, args.identity_token.as_deref(), services).map_err(
        |e| {
            CliError::msg(e.to_string())
                .hint("pass an OIDC token with --identity-token, or sign with a key (--key)")
        },
    )
}

#[cfg(not(feature = "keyless"))]
fn sign_keyless(_: &Context, _: &Args, _: &[u8]) -> Result<String, CliError> {
    Err(no_keyless())
}

fn no_keyless() -> CliError {
    CliError::msg("this build of aiprov cannot sign keylessly with Sigstore").hint(
        "install a build with keyless signing (`cargo install --locked aiprov --features keyless`), or sign with a key (--key)",
    )
}
