//! A change of a release as its summary records it: the commit's files and line counts, the
//! verdict and findings of its verification, and the AI use its governing attestation declares.

use std::collections::BTreeMap;

use super::line_digest;
use crate::change::Change;
use crate::git::{CommitId, GitError, Repo};
use crate::model::{ChangeReport, ReleaseChange, ReleaseFile, Verdict};
use crate::policy::maintainers::Maintainers;

/// The summary's record of one verified commit whose note holds `envelopes`: `change` is the
/// change its verification read (completed here with every file's line counts, and git's rename
/// pairing, without diffing again what verification diffed); `sections` is the MAINTAINERS file
/// of the release commit.
pub fn record_change(
    repo: &Repo,
    commit: CommitId,
    report: &ChangeReport,
    change: Change,
    envelopes: &[&[u8]],
    sections: Option<&Maintainers>,
) -> Result<ReleaseChange, GitError> {
    let change = match report.verdict {
        Verdict::Skipped => change,
        _ => repo.complete_change(commit, change)?,
    };
    let seconds = repo.commit_time(commit)?;
    let parents = repo
        .parents(commit)?
        .iter()
        .map(|p| p.to_string())
        .collect();
    let date = jiff::Timestamp::from_second(seconds)
        .map(|t| t.to_string())
        .unwrap_or_default();
    let governing = report.governing.as_deref();
    let mut findings = BTreeMap::new();
    for f in &report.findings {
        *findings.entry(f.code.as_str().to_string()).or_insert(0) += 1;
    }
    // A merge without attestation: its changes are recorded in the commits it merges.
    let merged = report.verdict == Verdict::Skipped;
    let files = change
        .files
        .iter()
        .filter(|_| !merged)
        .map(|f| ReleaseFile {
            path: f.path.clone(),
            added: f.added_lines,
            removed: f.removed_lines,
            ai: governing
                .and_then(|g| g.files.iter().find(|e| e.path == f.path))
                .and_then(|e| e.ai.as_ref())
                .map(|a| a.categories.clone())
                .unwrap_or_default(),
            section: sections.and_then(|m| m.sections_for(&f.path).first().map(|s| s.name.clone())),
        })
        .collect();
    Ok(ReleaseChange {
        commit: commit.to_string(),
        title: change.title(),
        author: change.author.clone(),
        date,
        verdict: report.verdict,
        findings,
        envelopes: envelopes.iter().map(|l| line_digest(l)).collect(),
        research: governing.is_some_and(|g| g.research),
        attested: governing.is_some(),
        approvals: report
            .approvals
            .iter()
            .map(|a| a.approver.clone())
            .collect(),
        parents: Some(parents),
        tools: Some(governing.map(|g| g.tools.clone()).unwrap_or_default()),
        // The one place a release learns which models its changes used.
        models: Some(governing.map(|g| g.models.clone()).unwrap_or_default()),
        files,
    })
}
