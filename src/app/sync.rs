//! `aiprov fetch` and `aiprov push`: the attestation notes moved between repositories in one
//! command, merged with `cat_sort_uniq` semantics (every writer's lines kept, each once) and
//! never pushed with force, so nobody needs to remember refspecs or `git notes merge`.

use super::Error;
use crate::git::{notes, Pushed, Repo};
use crate::output::sync::{Fetched, PushState, Synced};

/// How many times a push that the remote refused (its notes moved meanwhile) is fetched,
/// merged and tried again.
const PUSH_ATTEMPTS: usize = 3;

/// The remote to use when none is named: the current branch's upstream remote, else `origin`,
/// else the only remote.
pub fn default_remote(repo: &Repo) -> Result<String, Error> {
    if let Some(r) = repo.upstream_remote() {
        return Ok(r);
    }
    let names = repo.remote_names();
    if names.iter().any(|n| n == "origin") {
        return Ok("origin".into());
    }
    match names.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Error::msg("this repository has no remote")
            .hint("name one: aiprov fetch URL, or git remote add origin URL")),
        many => Err(Error::msg(format!(
            "which remote? this repository has {}",
            many.join(", ")
        ))
        .hint("name it: aiprov fetch REMOTE")),
    }
}

/// Fetches `remote`'s notes (a remote's name or a URL) and merges them into `notes_ref`.
pub fn fetch(repo: &Repo, remote: &str, notes_ref: &str) -> Result<Fetched, Error> {
    let named = repo.remote_names().iter().any(|n| n == remote);
    // A named remote's notes stay in its tracking ref (where `git fetch` puts them after
    // `aiprov init`); a URL's go to a ref of aiprov's own, removed once merged.
    let tracking = match named {
        true => notes::tracking_ref(remote, notes_ref),
        false => notes::tracking_ref("aiprov-fetch", notes_ref),
    };
    let found = repo.fetch_notes(remote, notes_ref, &tracking)?;
    let before = repo.ref_tip(notes_ref);
    if found {
        let merged = repo.merge_notes(notes_ref, &tracking);
        if !named {
            repo.delete_ref(&tracking)?;
        }
        merged?;
    }
    let after = repo.ref_tip(notes_ref);
    Ok(Fetched {
        remote: remote.into(),
        tracking_ref: named.then_some(tracking),
        found,
        before: before.map(|c| c.to_string()),
        after: after.map(|c| c.to_string()),
    })
}

/// Fetches and merges `remote`'s notes, then pushes `notes_ref` there; a push refused because
/// the remote's notes moved meanwhile is fetched, merged and tried again.
pub fn push(repo: &Repo, remote: &str, notes_ref: &str) -> Result<Synced, Error> {
    if repo.ref_tip(notes_ref).is_none() {
        return Err(Error::msg(format!(
            "there are no attestations to push: {notes_ref} does not exist here"
        ))
        .hint("attest a commit first (aiprov attest), or fetch the project's (aiprov fetch)"));
    }
    let mut last_reason = String::new();
    for _ in 0..PUSH_ATTEMPTS {
        let fetched = fetch(repo, remote, notes_ref)?;
        match repo.push_notes(remote, notes_ref)? {
            Pushed::UpToDate => return Ok(synced(fetched, PushState::UpToDate)),
            Pushed::Updated => return Ok(synced(fetched, PushState::Updated)),
            Pushed::Rejected(reason) => last_reason = reason,
        }
    }
    Err(Error::msg(format!(
        "{remote} refused {notes_ref} {PUSH_ATTEMPTS} times ({last_reason})"
    ))
    .hint("someone is pushing attestations at the same time, or the remote does not take pushes to refs/notes/; try again, or ask its maintainers"))
}

fn synced(fetched: Fetched, pushed: PushState) -> Synced {
    Synced {
        fetched,
        pushed: Some(pushed),
    }
}
