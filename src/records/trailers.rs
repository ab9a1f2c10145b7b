//! The trailers AI agents write by default (`Co-authored-by: Claude <noreply@anthropic.com>`,
//! `Co-authored-by: Copilot ...`, `Assisted-by: AGENT:MODEL [TOOL...]`, `Generated-by:`), read
//! as a record of the whole change: they name the agent and model but no file or line, so
//! every file of the change is AI's as far as they tell.

use std::collections::BTreeSet;

use super::{Record, Source};
use crate::model::Tool;
use crate::trailers::{ForeignAiKind, MessageTrailers};

/// Where trailers are read, for messages.
pub const ORIGIN: &str = "the commit's trailers";

/// The record the message's agent trailers make, `None` when it has none.
pub fn read(trailers: &MessageTrailers) -> Option<Record> {
    if trailers.foreign.is_empty() {
        return None;
    }
    let mut models = BTreeSet::new();
    let mut tools: Vec<Tool> = Vec::new();
    let mut add_tool = |name: &str| {
        let name = name.trim();
        if !name.is_empty() && !tools.iter().any(|t| t.name == name) {
            tools.push(Tool {
                name: name.into(),
                version: None,
            });
        }
    };
    for f in &trailers.foreign {
        match &f.kind {
            ForeignAiKind::AiCoAuthor(id) => add_tool(&id.name),
            ForeignAiKind::AssistedBy(Ok(a)) => {
                add_tool(&a.agent);
                models.insert(a.model.clone());
                a.tools.iter().for_each(|t| add_tool(t));
            }
            // Free text (other projects' `Assisted-by:`, `Generated-by:`): the tool as written.
            ForeignAiKind::AssistedBy(Err(_)) | ForeignAiKind::GeneratedBy => {
                add_tool(&f.trailer.value)
            }
        }
    }
    Some(Record {
        source: Source::Trailers,
        origin: ORIGIN.into(),
        files: Vec::new(),
        whole_change: true,
        models,
        tools,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(message: &str) -> Option<Record> {
        read(&MessageTrailers::from_message(message))
    }

    #[test]
    fn agents_default_trailers_name_the_tools_and_models() {
        let r = record(
            "Fix\n\nAssisted-by: Claude:claude-opus-4-5 coccinelle\n\
             Co-Authored-By: Claude <noreply@anthropic.com>\n\
             Co-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>\n\
             Signed-off-by: A <a@example.org>\n",
        )
        .expect("a record");
        assert!(r.whole_change && r.files.is_empty());
        let names: Vec<&str> = r.tools.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["Claude", "coccinelle", "Copilot"]);
        assert_eq!(r.models, BTreeSet::from(["claude-opus-4-5".to_string()]));
        let generated = record("T\n\nGenerated-by: GitHub Copilot Chat\n").expect("a record");
        assert_eq!(generated.tools[0].name, "GitHub Copilot Chat");
    }

    #[test]
    fn people_and_plain_messages_make_no_record() {
        assert_eq!(record("T\n\nSigned-off-by: A <a@example.org>\n"), None);
        assert_eq!(
            record("T\n\nCo-authored-by: Claude Paroz <claude@example.org>\n"),
            None
        );
    }
}
