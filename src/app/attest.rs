//! `attest`: sign AI-usage attestations for commits or ranges and store them as notes, all in
//! one notes commit.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::Path;

use super::parallel::in_parallel;
use super::records::RecordReader;
use super::signer::{identity_for_commits, load_signer, now};
use super::trust::load_rev_policy;
use super::{Error, WithHint};
use crate::attest::{
    check_declaration, plan, plan_from_records, statement, Plan, Rule, AI_USED_FOR_GRAMMAR,
    ASSISTED_BY_GRAMMAR,
};
use crate::change::Change;
use crate::dsse::INTOTO_PAYLOAD_TYPE;
use crate::git::{notes, CommitId, Repo, Target};
use crate::model::{Declared, Tool};
use crate::output::Output;
use crate::policy::{Convention, Policy};
use crate::signing;
use crate::trailers::{self, Identity, MessageTrailers};
use crate::verify::message::{check_against_attestation, signer_signed_off};

/// What to attest, and how.
pub struct Options<'a> {
    /// Commits (`REV`) and ranges (`A..B`, whose merges are left out).
    pub revs: &'a [String],
    pub key: Option<&'a Path>,
    /// `--ai` rules in order (later wins), then `--human` rules, which win over any `--ai`.
    pub rules: Vec<Rule>,
    /// `--from`: the records to declare AI use from, in order of preference.
    pub from: Vec<RecordSource>,
    /// `--strict`: records that disagree with the diff are an error.
    pub strict: bool,
    pub research: bool,
    pub tools: Vec<Tool>,
    pub fix_trailer: bool,
    /// Return the envelopes instead of storing them.
    pub to_stdout: bool,
    pub keyless: Option<Keyless<'a>>,
    /// Sign without asking, even on a terminal.
    pub yes: bool,
    pub notes_ref: &'a str,
    /// Threads planning the commits of a range.
    pub jobs: usize,
    /// `--signer EMAIL`: the identity to sign as.
    pub sign_as: Option<&'a str>,
}

/// `--from SOURCE`: where the AI tools' records are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordSource {
    /// Every source that has a record of the commit.
    Auto,
    /// `.agent-trace/traces.jsonl` of the work tree, or the file given.
    AgentTrace(Option<std::path::PathBuf>),
    /// git-ai's notes, `refs/notes/ai`.
    GitAi,
    /// The agent trailers of the commit message.
    Trailers,
}

impl std::str::FromStr for RecordSource {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s.split_once('=') {
            None if s == "auto" => Ok(RecordSource::Auto),
            None if s == "agent-trace" => Ok(RecordSource::AgentTrace(None)),
            Some(("agent-trace", file)) if !file.is_empty() => {
                Ok(RecordSource::AgentTrace(Some(file.into())))
            }
            None if s == "git-ai" => Ok(RecordSource::GitAi),
            None if s == "trailers" => Ok(RecordSource::Trailers),
            _ => Err(Error::msg(format!("--from {s}: not a source of records"))
                .hint("the sources are auto, agent-trace[=FILE], git-ai and trailers")),
        }
    }
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

/// What `attest` did: the attestations in the order of the commits, and the merges of ranges
/// left out.
pub struct Outcome {
    pub attested: Vec<Attested>,
    pub merges_skipped: usize,
}

/// One commit planned: its change, its trailers and the plan of its attestation.
struct Planned {
    id: CommitId,
    change: Change,
    trailers: MessageTrailers,
    plan: Plan,
    /// The disclosure trailer of the policy the commit will be judged by.
    convention: Convention,
}

/// Plans the attestation of each commit from its trailer, the rules and the policy of its
/// parent (the revision it will be verified against), asks on a terminal, signs them and stores
/// them all in one notes commit. A range is planned on several threads; one commit that cannot
/// be attested stops the whole, before anything is stored.
pub fn attest(repo: &Repo, options: Options<'_>, ui: &Output) -> Result<Outcome, Error> {
    let (ids, merges_skipped) = commits(repo, options.revs)?;
    if options.fix_trailer && ids.len() != 1 {
        return Err(Error::msg(format!(
            "--fix-trailer amends HEAD, so it attests one commit, and {} were given",
            ids.len()
        ))
        .hint("fix the trailers of a series commit by commit: git rebase --exec 'aiprov attest --fix-trailer -y' BASE"));
    }
    let keyless = options.keyless;
    if keyless.is_some() && !cfg!(feature = "keyless") {
        return Err(no_keyless());
    }
    let signer = match keyless {
        Some(_) => None,
        None => Some(load_signer(repo, options.key, ui)?),
    };
    let records = match options.from.is_empty() {
        true => None,
        false => Some(RecordReader::new(repo, &options.from)?),
    };
    let records = records.as_ref();
    let planned = match &ids[..] {
        [id] => vec![plan_one(repo, *id, &options, records, ui)?],
        _ => plan_many(repo, &ids, &options, records, ui)?,
    };
    // Each commit is verified against its parent's keyring.
    let identity = match &signer {
        Some(key) => {
            let parents = planned
                .iter()
                .map(|p| {
                    p.change
                        .parent
                        .as_deref()
                        .map(|r| repo.commit_id(r))
                        .transpose()
                })
                .collect::<Result<Vec<_>, _>>()?;
            identity_for_commits(repo, ui, key.public_key(), parents, options.sign_as)?
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
    let unsigned: Vec<&Planned> = planned
        .iter()
        .filter(|p| !signer_signed_off(&p.trailers, &identity.email))
        .collect();
    if let [first, ..] = unsigned.as_slice() {
        let which = match unsigned.len() {
            1 if planned.len() == 1 => "the commit's".to_string(),
            1 => format!("{}'s", first.id.short()),
            n => format!("{n} of the commits' (the first {})", first.id.short()),
        };
        ui.warn(format!(
            "{} is not among {which} Signed-off-by identities: verify will report signature.signer-not-signed-off (hint: sign off as {0}, e.g. `git commit --amend --no-edit --trailer \"Signed-off-by: {} <{0}>\"`)",
            identity.email, identity.name
        ));
    }
    if planned.len() > 1 {
        warn_unmatched(ui, &options.rules, &planned);
        confirm_many(ui, &planned, options.yes)?;
    }
    let now = now()?;
    let mut attested = Vec::with_capacity(planned.len());
    let mut payloads = Vec::with_capacity(planned.len());
    for p in planned {
        let mut tools = options.tools.clone();
        for t in &p.plan.tools {
            if !tools.iter().any(|have| have.name == t.name) {
                tools.push(t.clone());
            }
        }
        let statement = statement(
            &p.change,
            &p.trailers,
            &p.plan,
            identity.clone(),
            tools,
            now,
        );
        if p.convention == Convention::AiUsedFor {
            // What verify will say of the trailer against this declaration, said now, while
            // --fix-trailer can still put it right.
            for finding in check_against_attestation(&p.trailers, &statement.predicate) {
                ui.warn(format!(
                    "{}: verify will report {}: {} (hint: --fix-trailer writes the AI-used-for trailer to match)",
                    p.id.short(),
                    finding.code,
                    finding.message
                ));
            }
        }
        let payload = serde_json::to_vec(&statement)?;
        let line = match &signer {
            Some(signer) => {
                signing::sign_envelope(INTOTO_PAYLOAD_TYPE, &payload, signer.as_ref())?.to_json()
            }
            None => sign_keyless(ui, keyless, &payload)?,
        };
        if line.len() > crate::dsse::MAX_ENVELOPE_BYTES {
            return Err(Error::msg(format!(
                "the attestation of {} is {} bytes ({}), over the envelope limit of {} bytes",
                p.id.short(),
                line.len(),
                crate::text::count(p.change.files.len(), "file", "files"),
                crate::dsse::MAX_ENVELOPE_BYTES
            ))
            .hint("split the commit: verifiers refuse envelopes over the limit"));
        }
        payloads.push(payload);
        attested.push(Attested {
            commit: p.id,
            title: p.change.title(),
            files: p.change.files.len(),
            categories: p.plan.categories().iter().map(|c| c.to_string()).collect(),
            signer: identity.email.clone(),
            line,
            stored: !options.to_stdout,
        });
    }
    if !options.to_stdout {
        let lines: HashMap<CommitId, (&[u8], &[u8])> = attested
            .iter()
            .zip(&payloads)
            .map(|(a, p)| (a.commit, (a.line.as_bytes(), p.as_slice())))
            .collect();
        let ids: Vec<CommitId> = attested.iter().map(|a| a.commit).collect();
        notes::update_notes(repo, options.notes_ref, &ids, "aiprov attest", |id, old| {
            let (line, payload) = lines[&id];
            crate::note::with_line(old, line, payload)
        })?;
    }
    Ok(Outcome {
        attested,
        merges_skipped,
    })
}

/// The commits that `revs` name, each once, in order: a `REV` as it is, a range's commits
/// oldest first without its merges (whose own changes, if any, are attested by naming them).
/// Returns them and the number of merges left out.
pub(super) fn commits(repo: &Repo, revs: &[String]) -> Result<(Vec<CommitId>, usize), Error> {
    let mut seen = HashSet::new();
    let mut ids = Vec::new();
    let mut merges = 0;
    for rev in revs {
        if rev.contains("..") {
            for target in repo.targets(rev)? {
                if repo.is_merge(target.commit)? {
                    merges += 1;
                } else if seen.insert(target.commit) {
                    ids.push(target.commit);
                }
            }
        } else {
            let id = repo.commit_id(rev)?;
            if seen.insert(id) {
                ids.push(id);
            }
        }
    }
    if ids.is_empty() {
        return Err(Error::msg(format!("no commit in {}", revs.join(" ")))
            .hint("a range A..B names the commits reachable from B and not from A"));
    }
    Ok((ids, merges))
}

/// A commit's change, trailers and plan, and the policy of its parent.
fn plan_commit(
    repo: &Repo,
    id: CommitId,
    options: &Options<'_>,
    records: Option<&RecordReader>,
) -> Result<(Planned, Policy), Error> {
    let change = repo.change(id, |_| true)?;
    // The policy the commit will be judged by: its parent's (the trusted revision).
    let policy = match &change.parent {
        Some(parent) => load_rev_policy(repo, repo.commit_id(parent)?)?,
        None => Policy::default(),
    };
    let trailers = MessageTrailers::from_message(&change.message);
    let found = match records {
        Some(reader) => {
            let auto = options.from.contains(&RecordSource::Auto);
            reader.records(repo, id, change.parent.as_deref(), &trailers, auto)?
        }
        None => Vec::new(),
    };
    let plan = if found.is_empty() {
        let mut plan = plan(
            &change,
            &trailers,
            &options.rules,
            options.research,
            &policy.classes,
        );
        if records.is_some() {
            // Asked for records and found none: say where each declaration came from all the same.
            for f in &mut plan.files {
                f.source = Some(
                    match (&f.ai, options.rules.iter().any(|r| r.matches(&f.path))) {
                        (_, true) => Declared::Rules,
                        (Some(_), false) => Declared::AiUsedFor,
                        (None, false) => Declared::Unrecorded,
                    },
                );
            }
        }
        plan
    } else {
        let sides = |f: &crate::change::FileChange| {
            let side = |blob: &Option<String>| match blob {
                Some(id) => repo.blob(id),
                None => Some(Vec::new()),
            };
            Some((side(&f.old_blob)?, side(&f.new_blob)?))
        };
        plan_from_records(
            &change,
            &found,
            &options.rules,
            options.research,
            &policy.classes,
            &sides,
        )
    };
    let planned = Planned {
        id,
        change,
        trailers,
        plan,
        convention: policy.convention,
    };
    Ok((planned, policy))
}

/// One commit planned, its trailer fixed with `--fix-trailer` (HEAD amended), after asking on a
/// terminal.
fn plan_one(
    repo: &Repo,
    id: CommitId,
    options: &Options<'_>,
    records: Option<&RecordReader>,
    ui: &Output,
) -> Result<Planned, Error> {
    let (mut p, policy) = plan_commit(repo, id, options, records)?;
    disagreements(ui, std::slice::from_ref(&p), options)?;
    let fix = match options.fix_trailer {
        true => fixed_message(
            &p.change.message,
            &p.trailers,
            &p.plan,
            !options.rules.is_empty(),
            &policy,
        )?,
        false => None,
    };
    let signed_trailers = match &fix {
        Some((message, _)) => MessageTrailers::from_message(message),
        None => p.trailers.clone(),
    };
    check_declaration(&signed_trailers, &p.plan, policy.convention)
        .hint(declaration_hint(policy.convention, true))?;
    warn_unmatched(ui, &options.rules, std::slice::from_ref(&p));
    confirm(ui, &p.change.title(), &p.plan, options.yes)?;
    if let Some((message, what)) = fix {
        p.id = repo.amend_message(p.id, &message).hint(
            "--fix-trailer rewrites the commit, so it only works on HEAD; use `git rebase -i` for older commits",
        )?;
        ui.status(format!("amended {}: {what}", p.id.short()));
        p.change = repo.change(p.id, |_| true)?;
        p.trailers = MessageTrailers::from_message(&p.change.message);
    }
    Ok(p)
}

/// Many commits planned on `options.jobs` threads, in order, each declaration checked; the
/// first that fails is the error, naming its commit.
fn plan_many(
    repo: &Repo,
    ids: &[CommitId],
    options: &Options<'_>,
    records: Option<&RecordReader>,
    ui: &Output,
) -> Result<Vec<Planned>, Error> {
    let targets: Vec<Target> = ids
        .iter()
        .map(|&commit| Target {
            commit,
            trusted: None,
        })
        .collect();
    let work = |repo: &Repo, target: &Target, _: &notes::Reader<'_>| {
        let id = target.commit;
        let (p, policy) =
            plan_commit(repo, id, options, records).map_err(|e| about(e, id, None))?;
        check_declaration(&p.trailers, &p.plan, policy.convention)
            .hint(declaration_hint(policy.convention, false))
            .map_err(|e| about(e, id, Some(&p.change.title())))?;
        Ok(p)
    };
    let mut planned = Vec::with_capacity(ids.len());
    in_parallel(
        repo,
        &targets,
        options.notes_ref,
        options.jobs,
        &work,
        |p| {
            planned.push(p);
            Ok(())
        },
    )?;
    disagreements(ui, &planned, options)?;
    Ok(planned)
}

/// Where the records and the diffs disagree: an error with `--strict`; otherwise said, and
/// on a terminal asked about before anything is signed (a record never silently widens or
/// narrows a declaration).
fn disagreements(ui: &Output, planned: &[Planned], options: &Options<'_>) -> Result<(), Error> {
    let said: Vec<String> = planned
        .iter()
        .flat_map(|p| {
            let name = (planned.len() > 1).then(|| format!("{} ", p.id.short()));
            p.plan
                .disagreements
                .iter()
                .map(move |d| format!("{}{d}", name.clone().unwrap_or_default()))
        })
        .collect();
    if said.is_empty() {
        return Ok(());
    }
    let hint = "say what AI did in those files with --ai GLOB=CATEGORY or --human GLOB (they win over the records), or record them again";
    if options.strict {
        return Err(Error::msg(format!(
            "the records and the diff disagree (--strict):\n  {}",
            said.join("\n  ")
        ))
        .hint(hint));
    }
    for d in &said {
        ui.warn(format!("records and diff disagree: {d}"));
    }
    if options.yes || !ui.interactive() {
        return Ok(());
    }
    match ui.confirm("Sign the declaration as planned?")? {
        Some(false) => Err(Error::msg("not signed").hint(hint)),
        _ => Ok(()),
    }
}

/// `error` said of the commit `id` (with its title when known).
fn about(error: Error, id: CommitId, title: Option<&str>) -> Error {
    let what = match title {
        Some(title) => format!("cannot attest {} {title}", id.short()),
        None => format!("cannot attest {}", id.short()),
    };
    Error {
        error: error.error.context(what),
        hint: error.hint,
    }
}

/// On a terminal, lists the commits with their AI use and asks once before signing them all.
fn confirm_many(ui: &Output, planned: &[Planned], yes: bool) -> Result<(), Error> {
    if yes || !ui.interactive() {
        return Ok(());
    }
    let mut e = ui.stderr();
    writeln!(e, "Attesting {} commits:", planned.len())?;
    for p in planned {
        let categories: Vec<String> = p.plan.categories().iter().map(|c| c.to_string()).collect();
        let what = match categories.is_empty() {
            true => "no AI".to_string(),
            false => format!("AI used for {}", categories.join(", ")),
        };
        writeln!(e, "  {} {}: {what}", p.id.short(), p.change.title())?;
    }
    drop(e);
    match ui.confirm("Sign these attestations?")? {
        Some(false) => {
            Err(Error::msg("not signed").hint("use --ai and --human to say which files AI touched"))
        }
        _ => Ok(()),
    }
}

/// How to fix a commit whose trailers the plan would understate (`alone`: attested on its own,
/// where --fix-trailer applies).
fn declaration_hint(convention: Convention, alone: bool) -> String {
    match convention {
        Convention::AiUsedFor if alone => format!(
            "the trailer reads {AI_USED_FOR_GRAMMAR}; correct it with `git commit --amend`, or say with --ai GLOB=CATEGORY what AI did and add --fix-trailer"
        ),
        Convention::AiUsedFor => format!(
            "the trailer reads {AI_USED_FOR_GRAMMAR}; correct it with `git commit --amend`, or attest this commit on its own with --ai GLOB=CATEGORY for what AI did"
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
    for f in &plan.files {
        let what = f.ai.as_ref().map_or("no AI".to_string(), |a| a.to_string());
        let from = f
            .source
            .map(|s| format!(" [{}]", s.as_str()))
            .unwrap_or_default();
        writeln!(e, "  {}: {what}{from}", f.path)?;
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

/// Warns of each rule about no file of the planned changes: most likely a mistyped glob.
fn warn_unmatched(ui: &Output, rules: &[Rule], planned: &[Planned]) {
    for rule in rules {
        let matched = planned
            .iter()
            .any(|p| p.change.files.iter().any(|f| rule.matches(&f.path)));
        if !matched {
            let of = match planned {
                [one] => format!("the change of {}", one.id.short()),
                all => format!("the changes of the {} commits", all.len()),
            };
            ui.warn(format!("{rule} matches no file of {of}"));
        }
    }
}
