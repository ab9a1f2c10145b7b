//! Reading the AI tools' records of a commit for `attest --from`: Agent Trace's
//! `.agent-trace/traces.jsonl` (read once per run), git-ai's note in `refs/notes/ai`, and the
//! agent trailers of the message.

use std::path::PathBuf;

use super::attest::RecordSource;
use super::Error;
use crate::git::{notes, CommitId, Repo};
use crate::records::{self, Record};
use crate::trailers::MessageTrailers;

/// Where Agent Trace keeps its records, from the top of the work tree.
pub const AGENT_TRACE_FILE: &str = ".agent-trace/traces.jsonl";

/// git-ai's notes ref.
pub const GIT_AI_NOTES: &str = "refs/notes/ai";

/// The sources `--from` names, with the Agent Trace file read once.
pub struct RecordReader {
    sources: Vec<RecordSource>,
    /// The Agent Trace file (as named for messages) and its text, when asked for and there.
    trace: Option<(String, String)>,
}

impl RecordReader {
    /// Expands `auto` and reads the Agent Trace file. A file named with `agent-trace=FILE`, or
    /// `agent-trace` alone, must exist; `auto` reads it only if it is there.
    pub fn new(repo: &Repo, from: &[RecordSource]) -> Result<RecordReader, Error> {
        let mut sources = Vec::new();
        for s in from {
            let expanded = match s {
                RecordSource::Auto => vec![
                    RecordSource::AgentTrace(None),
                    RecordSource::GitAi,
                    RecordSource::Trailers,
                ],
                other => vec![other.clone()],
            };
            for e in expanded {
                if !sources.contains(&e) {
                    sources.push(e);
                }
            }
        }
        let mut trace = None;
        let explicit = |p: &Option<PathBuf>| from.contains(&RecordSource::AgentTrace(p.clone()));
        if let Some(RecordSource::AgentTrace(path)) = sources
            .iter()
            .find(|s| matches!(s, RecordSource::AgentTrace(_)))
        {
            let (file, shown) = match path {
                Some(p) => (p.clone(), p.display().to_string()),
                None => match repo.workdir() {
                    Some(top) => (top.join(AGENT_TRACE_FILE), AGENT_TRACE_FILE.to_string()),
                    None => (
                        PathBuf::from(AGENT_TRACE_FILE),
                        AGENT_TRACE_FILE.to_string(),
                    ),
                },
            };
            if file.exists() || explicit(path) {
                let bytes = crate::limits::read_file_bounded(&file, records::agent_trace::MAX_TRACE_BYTES, "Agent Trace records").map_err(|e| {
                    Error::msg(format!("cannot read the Agent Trace records {shown}: {e}"))
                        .hint("Agent Trace writes .agent-trace/traces.jsonl at the top of the work tree; name another file with --from agent-trace=FILE")
                })?;
                let text = String::from_utf8(bytes).map_err(|_| {
                    Error::msg(format!(
                        "{shown} is not UTF-8 text, as Agent Trace's JSON Lines are"
                    ))
                })?;
                trace = Some((shown, text));
            }
        }
        Ok(RecordReader { sources, trace })
    }

    /// The records of one commit, in the order of the sources; a source asked for by name that
    /// has no record of the commit is an error, one `auto` finds nothing in is not.
    pub fn records(
        &self,
        repo: &Repo,
        commit: CommitId,
        parent: Option<&str>,
        trailers: &MessageTrailers,
        auto: bool,
    ) -> Result<Vec<Record>, Error> {
        let unreadable = |e: records::RecordError| {
            Error::msg(format!("cannot read the record of {}: {e}", commit.short()))
                .hint("fix or remove the record; nothing was signed")
        };
        let mut out = Vec::new();
        for source in &self.sources {
            let record = match source {
                RecordSource::AgentTrace(_) => match &self.trace {
                    Some((origin, text)) => {
                        records::agent_trace::read(text, origin, parent).map_err(unreadable)?
                    }
                    None => None,
                },
                RecordSource::GitAi => match notes::read_note(repo, GIT_AI_NOTES, commit)? {
                    Some(note) => {
                        let origin = format!("{GIT_AI_NOTES} on {}", commit.short());
                        let text = String::from_utf8_lossy(&note);
                        Some(records::git_ai::read(&text, &origin).map_err(unreadable)?)
                    }
                    None => None,
                },
                RecordSource::Trailers => records::trailers::read(trailers),
                RecordSource::Auto => None,
            };
            match record {
                Some(r) => out.push(r),
                None if !auto => return Err(no_record(source, commit)),
                None => {}
            }
        }
        Ok(out)
    }
}

fn no_record(source: &RecordSource, commit: CommitId) -> Error {
    let (what, hint) = match source {
        RecordSource::AgentTrace(path) => (
            format!(
                "no Agent Trace record of {} in {}",
                commit.short(),
                path.as_ref()
                    .map_or(AGENT_TRACE_FILE.to_string(), |p| p.display().to_string())
            ),
            "Agent Trace records name the revision they were made on: the commit, or its parent while it was being written",
        ),
        RecordSource::GitAi => (
            format!("no git-ai note on {} in {GIT_AI_NOTES}", commit.short()),
            "git-ai writes its note when the commit is made; fetch it with git fetch origin refs/notes/ai:refs/notes/ai",
        ),
        RecordSource::Trailers | RecordSource::Auto => (
            format!("{} has no agent trailer (Co-authored-by: an AI agent, Assisted-by:, Generated-by:)", commit.short()),
            "a commit with no AI use is attested without --from",
        ),
    };
    Error::msg(what).hint(hint)
}
