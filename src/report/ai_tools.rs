//! The AI tools and models a release's changes used, as their governing attestations name them,
//! with the changes and files they were used for: what the BOMs (CycloneDX, SPDX) list.

use std::collections::BTreeMap;

use thiserror::Error;

use crate::model::{Release, ReleaseChange};

#[derive(Debug, Error, PartialEq, Eq)]
#[error("the release summary does not record the AI tools and models of its changes")]
pub struct NotRecorded;

/// Whether an entry is a tool (an application) or a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Tool,
    Model,
}

/// One AI tool (by name and version) or model, and where it was used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Used {
    pub kind: Kind,
    pub name: String,
    pub version: Option<String>,
    /// The changes whose attestations name it, in range order, each with its files that
    /// declare AI use.
    pub changes: Vec<UsedIn>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsedIn {
    pub commit: String,
    pub files: Vec<String>,
}

/// The tools (by name, then version) and then the models (by name) the changes name.
pub fn used(changes: &[ReleaseChange]) -> Result<Vec<Used>, NotRecorded> {
    let mut all: BTreeMap<(Kind, String, Option<String>), Vec<UsedIn>> = BTreeMap::new();
    for change in changes {
        let (Some(tools), Some(models)) = (&change.tools, &change.models) else {
            return Err(NotRecorded);
        };
        let keys = tools
            .iter()
            .map(|t| (Kind::Tool, t.name.clone(), t.version.clone()))
            .chain(models.iter().map(|m| (Kind::Model, m.clone(), None)));
        for key in keys {
            let uses = all.entry(key).or_default();
            // A tool an attestation names twice is used once.
            if uses.last().is_some_and(|u| u.commit == change.commit) {
                continue;
            }
            let files = change.files.iter().filter(|f| !f.ai.is_empty());
            uses.push(UsedIn {
                commit: change.commit.clone(),
                files: files.map(|f| f.path.clone()).collect(),
            });
        }
    }
    Ok(all
        .into_iter()
        .map(|((kind, name, version), changes)| Used {
            kind,
            name,
            version,
            changes,
        })
        .collect())
}

/// The time a BOM is dated: the release commit's committer date, so that the same release gives
/// the same document (the latest change's date when the release commit is not recorded; else
/// `fallback`).
pub fn release_date(release: &Release, changes: &[ReleaseChange], fallback: &str) -> String {
    changes
        .iter()
        .find(|c| c.commit == release.commit)
        .or_else(|| changes.iter().max_by(|a, b| a.date.cmp(&b.date)))
        .map_or_else(|| fallback.to_string(), |c| c.date.clone())
}
