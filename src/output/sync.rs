//! The results of `aiprov fetch` and `aiprov push`, for people or as JSON
//! (`schema/notes-sync.schema.json`).

use serde::Serialize;

use super::{Output, Results};

/// What `aiprov fetch` did with one remote.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Fetched {
    /// The remote's name, or the URL given.
    pub remote: String,
    /// Where the remote's notes are kept (a named remote's), `refs/notes/remotes/REMOTE/...`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking_ref: Option<String>,
    /// Whether the remote has the notes ref.
    pub found: bool,
    /// The local notes ref before and after the merge (`null` where it did not exist).
    pub before: Option<String>,
    pub after: Option<String>,
}

/// How the push went.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PushState {
    UpToDate,
    Updated,
}

/// What `aiprov fetch` or `aiprov push` did.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Synced {
    #[serde(flatten)]
    pub fetched: Fetched,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pushed: Option<PushState>,
}

/// Every remote `aiprov fetch` read, in order.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncReport {
    pub schema_version: u32,
    pub command: &'static str,
    pub notes_ref: String,
    pub remotes: Vec<Synced>,
}

impl Results for SyncReport {
    fn human(&self, out: &Output) -> std::io::Result<()> {
        for s in &self.remotes {
            let f = &s.fetched;
            let notes = &self.notes_ref;
            if !f.found {
                out.status(format!("{} has no {notes} yet", f.remote));
            } else if f.before == f.after {
                out.status(format!("{notes}: up to date with {}", f.remote));
            } else {
                out.status(format!(
                    "{notes}: merged the notes of {} ({} -> {})",
                    f.remote,
                    short(&f.before),
                    short(&f.after)
                ));
            }
            match s.pushed {
                Some(PushState::UpToDate) => {
                    out.status(format!("{} already has {notes} as it is here", f.remote))
                }
                Some(PushState::Updated) => out.status(format!(
                    "pushed {notes} ({}) to {}",
                    short(&f.after),
                    f.remote
                )),
                None => {}
            }
        }
        Ok(())
    }
}

/// A notes tip's short id, for people.
fn short(id: &Option<String>) -> String {
    id.as_deref()
        .and_then(|i| i.parse::<crate::git::CommitId>().ok())
        .map_or("none".into(), |c| c.short())
}
