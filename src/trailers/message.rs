//! The AI-disclosure view of a whole commit message, and rewriting its
//! `AI-used-for:` trailer.

use std::ops::Range;

use super::ai::{
    AiUsedFor, AssistedBy, Identity, AI_USED_FOR, ASSISTED_BY, CO_AUTHORED_BY, GENERATED_BY,
    SIGNED_OFF_BY,
};
use super::git::{git_trim, is_space, log_message_cut, trailer_block, Trailer, TrailerBlock};
use super::TrailerError;

/// An AI-disclosure trailer of another convention than `AI-used-for:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignAiTrailer {
    /// The trailer as parsed.
    pub trailer: Trailer,
    /// Which convention it follows.
    pub kind: ForeignAiKind,
}

/// The conventions [`ForeignAiTrailer`] recognises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForeignAiKind {
    /// `Assisted-by:` (Linux kernel, LLVM, Fedora), parsed in the kernel's
    /// `AGENT:MODEL [TOOL...]` dialect; other projects use free text, which
    /// is reported as malformed here.
    AssistedBy(Result<AssistedBy, TrailerError>),
    /// `Generated-by:`, free text.
    GeneratedBy,
    /// `Co-authored-by:` naming an AI agent (see [`super::looks_like_ai_agent`]).
    AiCoAuthor(Identity),
}

/// The trailers of a commit message, read for AI disclosure.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MessageTrailers {
    /// All trailers, as `git interpret-trailers --parse` lists them.
    pub trailers: Vec<Trailer>,
    /// Well-formed `Signed-off-by:` identities, in order.
    pub signed_off_by: Vec<Identity>,
    /// `Signed-off-by:` values that are not `Name <email>`.
    pub malformed_signed_off_by: Vec<TrailerError>,
    /// Every `AI-used-for:` value in order, parsed or with the reason it
    /// is malformed (the error carries the raw text).
    pub ai_used_for: Vec<Result<AiUsedFor, TrailerError>>,
    /// Whether some `AI-used-for:` trailer comes after the first
    /// `Signed-off-by:` (the policy wants it before the sign-offs).
    pub ai_used_for_misplaced: bool,
    /// AI-disclosure trailers of other conventions.
    pub foreign: Vec<ForeignAiTrailer>,
}

impl MessageTrailers {
    /// Reads the trailers of a whole commit message.
    /// The categories of all well-formed `AI-used-for:` trailers together.
    pub fn ai_categories(&self) -> std::collections::BTreeSet<super::Category> {
        self.ai_used_for
            .iter()
            .filter_map(|t| t.as_ref().ok())
            .flat_map(|v| v.categories.iter().copied())
            .collect()
    }

    pub fn from_message(message: &str) -> Self {
        Self::from_trailers(super::parse(message))
    }

    /// Classifies already parsed trailers.
    pub fn from_trailers(trailers: Vec<Trailer>) -> Self {
        let mut out = Self::default();
        let mut seen_sign_off = false;
        for trailer in &trailers {
            if trailer.is(SIGNED_OFF_BY) {
                seen_sign_off = true;
                match Identity::parse(&trailer.key, &trailer.value) {
                    Ok(id) => out.signed_off_by.push(id),
                    Err(e) => out.malformed_signed_off_by.push(e),
                }
            } else if trailer.is(AI_USED_FOR) {
                out.ai_used_for_misplaced |= seen_sign_off;
                out.ai_used_for.push(trailer.value.parse());
            } else if let Some(kind) = foreign_kind(trailer) {
                out.foreign.push(ForeignAiTrailer {
                    trailer: trailer.clone(),
                    kind,
                });
            }
        }
        out.trailers = trailers;
        out
    }
}

fn foreign_kind(trailer: &Trailer) -> Option<ForeignAiKind> {
    if trailer.is(ASSISTED_BY) {
        Some(ForeignAiKind::AssistedBy(trailer.value.parse()))
    } else if trailer.is(GENERATED_BY) {
        Some(ForeignAiKind::GeneratedBy)
    } else if trailer.is(CO_AUTHORED_BY) {
        let id = Identity::parse(&trailer.key, &trailer.value).unwrap_or_else(|_| Identity {
            name: trailer.value.clone(),
            email: String::new(),
        });
        id.looks_like_ai_agent()
            .then_some(ForeignAiKind::AiCoAuthor(id))
    } else {
        None
    }
}

/// Returns `message` with exactly one `AI-used-for: <value>` trailer.
///
/// Existing `AI-used-for:` trailers of the trailer block are removed (with
/// their continuation lines) and the new line goes right before the first
/// `Signed-off-by:`, else after the last line of the block that is neither
/// blank nor a comment; a message without
/// a trailer block gets a new one, after a blank line, where its log message
/// ends (before a `---` divider or trailing comments). Everything else stays
/// byte-identical; the line uses the message's line ending (`\r\n` if its first
/// line has one). Line breaks inside `value` are written as spaces. Where a line
/// added there would make git stop ignoring the tail below it (an old-style
/// `Conflicts:` block opened in the first line), the new line goes below that
/// tail instead, as the last paragraph (`git interpret-trailers --trailer`
/// loses the trailer there). A message with a NUL byte, which git refuses in a
/// commit, is read only up to it, as git reads it, and may not get its trailer.
///
/// In one degenerate case, several old `AI-used-for:` lines in a block that
/// only qualifies through git's 25% rule, removing them would make git stop
/// seeing the block; then each old line is replaced in place instead, so the
/// result holds the new value more than once.
pub fn set_ai_used_for(message: &str, value: &AiUsedFor) -> String {
    let canonical = value.to_string().replace(['\n', '\r'], " ");
    let eol = match message.find('\n') {
        Some(i) if message[..i].ends_with('\r') => "\r\n",
        _ => "\n",
    };
    let line = format!("{AI_USED_FOR}: {canonical}{eol}");
    let block = trailer_block(message);

    let old: Vec<Range<usize>> = block
        .entries
        .iter()
        .filter(|e| e.trailer.as_ref().is_some_and(|t| t.is(AI_USED_FOR)))
        .map(|e| e.range.start..end_of_text(message, e.range.clone()))
        .collect();
    let out = insert_line(message, &block, &old, &line, eol);
    if has_exactly(&out, &canonical) {
        return out;
    }
    if old.len() < 2 {
        return below_ignored_tail(message, &line, &canonical, eol).unwrap_or(out);
    }
    let mut replaced = String::with_capacity(message.len() + line.len());
    let mut cursor = 0;
    for range in &old {
        replaced.push_str(&message[cursor..range.start]);
        replaced.push_str(&line);
        cursor = range.end;
    }
    replaced.push_str(&message[cursor..]);
    replaced
}

/// `message` without its `AI-used-for:` trailers and with `line` as a new last paragraph of the
/// log message (above a divider or scissors line, else at the end), below the tail git ignores,
/// if git then sees exactly that trailer. For when a
/// line added above that tail makes git stop ignoring it: an old-style `Conflicts:` block opened
/// in the first line stays open across other lines, so its tab-indented lines further down are
/// ignored until a new line breaks the run; they then become the message's last paragraph.
fn below_ignored_tail(message: &str, line: &str, canonical: &str, eol: &str) -> Option<String> {
    let base = remove_ai_used_for(message);
    // git reads a message only up to its first NUL, and the log message ends at a divider or
    // scissors line.
    let visible = base.find('\0').unwrap_or(base.len());
    let cut = log_message_cut(&base.as_bytes()[..visible]);
    [cut, visible].into_iter().find_map(|at| {
        let before = base[..at].trim_end_matches(['\n', '\r']);
        let mut out = String::with_capacity(base.len() + line.len() + 2 * eol.len());
        out.push_str(before);
        if !before.is_empty() {
            out.push_str(eol);
            out.push_str(eol);
        }
        out.push_str(line);
        out.push_str(&base[at..]);
        has_exactly(&out, canonical).then_some(out)
    })
}

/// Returns `message` without its `AI-used-for:` trailers (and their continuation lines).
pub fn remove_ai_used_for(message: &str) -> String {
    let block = trailer_block(message);
    let mut out = String::with_capacity(message.len());
    let mut cursor = 0;
    for e in &block.entries {
        if e.trailer.as_ref().is_some_and(|t| t.is(AI_USED_FOR)) {
            let end = end_of_text(message, e.range.clone());
            out.push_str(&message[cursor..e.range.start]);
            cursor = end;
        }
    }
    out.push_str(&message[cursor..]);
    out
}

/// Removes the `old` ranges and inserts `line` into the trailer block.
fn insert_line(
    message: &str,
    block: &TrailerBlock,
    old: &[Range<usize>],
    line: &str,
    eol: &str,
) -> String {
    let first_sign_off = block
        .entries
        .iter()
        .find(|e| e.trailer.as_ref().is_some_and(|t| t.is(SIGNED_OFF_BY)));
    let (at, prefix) = match first_sign_off {
        Some(entry) => (entry.range.start, ""),
        None if block.exists() => (end_of_text(message, block.start..block.end), ""),
        None => {
            let before = &message[..block.end];
            let blank_needed = match before.rfind('\n') {
                None => true,
                Some(nl) if nl + 1 < before.len() => true,
                Some(nl) => !is_blank(&before[..nl]),
            };
            (block.end, if blank_needed { eol } else { "" })
        }
    };
    let mut out = String::with_capacity(message.len() + line.len() + 2 * eol.len());
    let mut cursor = 0;
    let insert = |out: &mut String, cursor: &mut usize| {
        out.push_str(&message[*cursor..at]);
        // `at` is a line start, unless the message ends without a newline.
        if !out.is_empty() && !out.ends_with('\n') {
            out.push_str(eol);
        }
        out.push_str(prefix);
        out.push_str(line);
        *cursor = at;
    };
    let mut inserted = false;
    for range in old {
        if !inserted && at <= range.start {
            insert(&mut out, &mut cursor);
            inserted = true;
        }
        out.push_str(&message[cursor..range.start]);
        cursor = range.end;
    }
    if !inserted {
        insert(&mut out, &mut cursor);
    }
    out.push_str(&message[cursor..]);
    out
}

/// Whether the last line of `text` (without its newline) is blank for git.
fn is_blank(text: &str) -> bool {
    let last = text.rfind('\n').map_or(text, |nl| &text[nl + 1..]);
    last.bytes().all(is_space)
}

/// End of the last line in `range` (past its newline) that is neither blank
/// nor a comment, or `range.start` if there is none. git skips the blank and
/// comment lines below a trailer block when it looks for the block, so a new
/// line must go above them.
fn end_of_text(message: &str, range: Range<usize>) -> usize {
    let mut end = range.start;
    let mut pos = range.start;
    while pos < range.end {
        let line_end = next_line_start(message, pos).min(range.end);
        let text = &message[pos..line_end];
        if !text.starts_with('#') && !text.bytes().all(is_space) {
            end = line_end;
        }
        pos = line_end;
    }
    end
}

fn next_line_start(message: &str, pos: usize) -> usize {
    message[pos..]
        .find('\n')
        .map_or(message.len(), |i| pos + i + 1)
}

/// Whether git sees exactly one `AI-used-for:` trailer, with this value.
fn has_exactly(message: &str, canonical: &str) -> bool {
    let values: Vec<_> = super::parse(message)
        .into_iter()
        .filter(|t| t.is(AI_USED_FOR))
        .map(|t| t.value)
        .collect();
    values == [git_trim(canonical)]
}
