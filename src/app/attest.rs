//! `attest`: sign an AI-usage attestation for a commit and store it as a note.

use std::io::Write;
use std::path::Path;

use super::signer::{self, load_signer, now};
use super::trust::load_rev_policy;
use super::{Error, WithHint};
use crate::attest::{
    check_declaration, plan, statement, Plan, Rule, AI_USED_FOR_GRAMMAR, ASSISTED_BY_GRAMMAR,
};
use crate::dsse::INTOTO_PAYLOAD_TYPE;
use crate::git::CommitId;
use crate::git::{notes, Repo};
use crate::model::Tool;
use crate::output::Output;
use crate::policy::{Convention, Policy};
use crate::signing;
use crate::trailers::{self, Identity, MessageTrailers};

/// What to attest, and how.
pub struct Options<'a> {
    pub rev: &'a str,
    pub key: Option<&'a Path>,
    /// `--ai` rules in order (later wins), then `--human` rules, which win over any `--ai`.
    pub rules: Vec<Rule>,
    pub research: bool,
    pub tools: Vec<Tool>,
    pub fix_trailer: bool,
    /// Return the envelope instead of storing it.
    pub to_stdout: bool,
    pub keyless: Option<Keyless<'a>>,
    /// Sign without asking, even on a terminal.
    pub yes: bool,
    pub notes_ref: &'a str,
    /// `--signer EMAIL`: the identity to sign as.
    pub sign_as: Option<&'a str>,
}

/// Keyless signing with Sigstore: the OIDC token, and the Fulcio and Rekor of another instance.
#[derive(Clone, Copy)]
pub struct Keyless<'a> {
    pub identity_token: Option<&'a str>,
    pub services: Option<(&'a str, &'a str)>,
}

/// A signed attestation.
pub struct Attested {
    /// The commit attested (amended, with `--fix-trailer`).
    pub commit: CommitId,
    pub title: String,
    pub files: usize,
    pub categories: Vec<String>,
    pub signer: String,
    /// The envelope line.
    pub line: String,
    /// Whether the line was stored in the commit's note.
    pub stored: bool,
}

/// Plans the attestation of a commit from its trailer, the rules and the policy of its parent
/// (the revision it will be verified against), asks on a terminal, signs and stores it.
pub fn attest(repo: &Repo, options: Options<'_>, ui: &Output) -> Result<Attested, Error> {
    let rules = &options.rules;
    let mut id = repo.commit_id(options.rev)?;
    let keyless = options.keyless;
    if keyless.is_some() && !cfg!(feature = "keyless") {
        return Err(no_keyless());
    }
    let signer = match keyless {
        Some(_) => None,
        None => Some(load_signer(repo, options.key)?),
    };
    let mut change = repo.change(id, |_| true)?;
    // The policy and keyring the commit will be judged by: its parent's (the trusted revision).
    let trusted = change
        .parent
        .as_deref()
        .map(|p| repo.commit_id(p))
        .transpose()?;
    let policy = match trusted {
        Some(parent) => load_rev_policy(repo, parent)?,
        None => crate::policy::Policy::default(),
    };
    let identity = match &signer {
        Some(key) => {
            let source = Default::default();
            signer::identity(repo, ui, key.public_key(), source, trusted, options.sign_as)?
        }
        None => options
            .sign_as
            .map(|email| Identity {
                name: String::new(),
                email: email.to_string(),
            })
            .or_else(|| repo.user())
            .ok_or_else(|| {
                Error::msg("no signer identity: git's user.email is not set")
                    .hint("pass --signer EMAIL, or git config user.email you@example.org")
            })?,
    };
    let mut trailers = MessageTrailers::from_message(&change.message);
    let plan = plan(&change, &trailers, rules, options.research, &policy.classes);
    let fix = match options.fix_trailer {
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
    if !crate::verify::message::signer_signed_off(&signed_trailers, &identity.email) {
        ui.warn(format!(
            "{} is not among the commit's Signed-off-by identities: verify will report signature.signer-not-signed-off (hint: sign off as {0}, e.g. `git commit --amend --no-edit --trailer \"Signed-off-by: {} <{0}>\"`)",
            identity.email, identity.name
        ));
    }
    confirm(ui, &change.title(), &plan, options.yes)?;
    if let Some((message, what)) = fix {
        id = repo.amend_message(id, &message).hint(
            "--fix-trailer rewrites the commit, so it only works on HEAD; use `git rebase -i` for older commits",
        )?;
        ui.status(format!("amended {}: {what}", &id.to_string()[..12]));
        change = repo.change(id, |_| true)?;
        trailers = MessageTrailers::from_message(&change.message);
    }

    let now = now()?;
    let statement = statement(
        &change,
        &trailers,
        &plan,
        identity.clone(),
        options.tools,
        now,
    );
    let payload = serde_json::to_vec(&statement)?;
    let line = match &signer {
        Some(signer) => {
            signing::sign_envelope(INTOTO_PAYLOAD_TYPE, &payload, signer.as_ref())?.to_json()
        }
        None => sign_keyless(ui, keyless, &payload)?,
    };
    if line.len() > crate::dsse::MAX_ENVELOPE_BYTES {
        return Err(Error::msg(format!(
            "the attestation of {} is {} bytes ({} files), over the envelope limit of {} bytes",
            &id.to_string()[..12],
            line.len(),
            change.files.len(),
            crate::dsse::MAX_ENVELOPE_BYTES
        ))
        .hint("split the commit: verifiers refuse envelopes over the limit"));
    }
    if !options.to_stdout {
        notes::update_note(repo, options.notes_ref, id, "aiprov attest", |old| {
            crate::note::with_line(old, line.as_bytes(), &payload)
        })?;
    }
    Ok(Attested {
        commit: id,
        title: change.title(),
        files: change.files.len(),
        categories: plan.categories().iter().map(|c| c.to_string()).collect(),
        signer: identity.email,
        line,
        stored: !options.to_stdout,
    })
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
) -> Result<Option<(String, String)>, Error> {
    if policy.convention == Convention::AssistedBy {
        return Err(Error::msg(
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
        return Err(Error::msg(format!(
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
            return Err(Error::msg(format!(
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
        return Err(Error::msg(format!(
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
fn confirm(ui: &Output, title: &str, plan: &Plan, yes: bool) -> Result<(), Error> {
    if yes || !ui.interactive() {
        return Ok(());
    }
    let mut e = ui.stderr();
    writeln!(e, "Attesting: {title}")?;
    for (path, ai) in &plan.files {
        let what = ai.as_ref().map_or("no AI".to_string(), |a| a.to_string());
        writeln!(e, "  {path}: {what}")?;
    }
    if plan.research {
        writeln!(e, "  research: AI used, none of its output included")?;
    }
    drop(e);
    match ui.confirm("Sign this attestation?")? {
        Some(false) => {
            Err(Error::msg("not signed").hint("use --ai and --human to say which files AI touched"))
        }
        _ => Ok(()),
    }
}

/// A Sigstore bundle of `payload`, as one line of JSON.
#[cfg(feature = "keyless")]
fn sign_keyless(
    ui: &Output,
    keyless: Option<Keyless<'_>>,
    payload: &[u8],
) -> Result<String, Error> {
    let Keyless {
        identity_token,
        services,
    } = keyless.expect("keyless signing asked for");
    ui.status(format!(
        "signing with Sigstore ({})",
        services.map_or("public-good instance".to_string(), |(f, _)| f.to_string())
    ));
    crate::sigstore::sign_statement(payload, identity_token, services).map_err(|e| {
        Error::msg(e.to_string())
            .hint("pass an OIDC token with --identity-token, or sign with a key (--key)")
    })
}

#[cfg(not(feature = "keyless"))]
fn sign_keyless(_: &Output, _: Option<Keyless<'_>>, _: &[u8]) -> Result<String, Error> {
    Err(no_keyless())
}

pub fn no_keyless() -> Error {
    Error::msg("this build of aiprov cannot sign keylessly with Sigstore").hint(
        "install a build with keyless signing (`cargo install --locked aiprov --features keyless`), or sign with a key (--key)",
    )
}
