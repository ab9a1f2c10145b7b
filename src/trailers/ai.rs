//! Values of AI-disclosure trailers: QEMU's `AI-used-for:`, the kernel's
//! `Assisted-by: AGENT:MODEL [TOOL...]`, `Signed-off-by:` identities, and the
//! heuristic that spots AI agents among `Co-authored-by:` identities.

use std::collections::BTreeSet;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::git::git_trim;
use super::TrailerError;

/// Key of QEMU's disclosure trailer (matched ignoring ASCII case).
pub const AI_USED_FOR: &str = "AI-used-for";
/// Key of the kernel/LLVM/Fedora disclosure trailer.
pub const ASSISTED_BY: &str = "Assisted-by";
/// Key of a generic disclosure trailer some tools write.
pub const GENERATED_BY: &str = "Generated-by";
/// Key of the co-author trailer some agents add for themselves.
pub const CO_AUTHORED_BY: &str = "Co-authored-by";
/// Key of the Developer Certificate of Origin sign-off.
pub const SIGNED_OFF_BY: &str = "Signed-off-by";

fn malformed(key: &str, value: &str, reason: impl Into<String>) -> TrailerError {
    TrailerError::Malformed {
        key: key.to_owned(),
        value: value.to_owned(),
        reason: reason.into(),
    }
}

/// What an AI was used for, per QEMU's proposed policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Writing or changing code.
    Code,
    /// Writing or changing tests.
    Tests,
    /// Writing or changing documentation.
    Docs,
    /// Research without generated content in the change.
    Research,
}

impl Category {
    /// All categories, in canonical order.
    pub const ALL: [Category; 4] = [Self::Code, Self::Tests, Self::Docs, Self::Research];

    /// The lowercase name used in trailers.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::Tests => "tests",
            Self::Docs => "docs",
            Self::Research => "research",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Category {
    type Err = TrailerError;

    /// Parses a category name, ignoring ASCII case. `analysis` (QEMU's newer drafts) is
    /// `research` (its May 2026 v2): AI used with none of its output in the change. Whether a
    /// project accepts the name is the policy's to say.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case(ANALYSIS) {
            return Ok(Self::Research);
        }
        Self::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| malformed(AI_USED_FOR, s, unknown_category(s)))
    }
}

/// QEMU's newer name for [`Category::Research`].
pub const ANALYSIS: &str = "analysis";

fn unknown_category(name: &str) -> String {
    format!("unknown category {name:?} (expected code, tests, docs, analysis or research)")
}

/// The category names of a well-formed `AI-used-for:` value as written (trimmed, case kept),
/// explanations left out: `code (refactoring), analysis` gives `code`, `analysis`.
pub fn written_categories(value: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = value;
    loop {
        let end = rest.find(['(', ',']).unwrap_or(rest.len());
        names.push(git_trim(&rest[..end]));
        rest = &rest[end..];
        if let Some(open) = rest.strip_prefix('(') {
            let Some(close) = matching_paren(open) else {
                break;
            };
            rest = git_trim(&open[close + 1..]);
        }
        match rest.strip_prefix(',') {
            Some(next) => rest = next,
            None => break,
        }
    }
    names.retain(|n| !n.is_empty());
    names
}

/// The value of an `AI-used-for:` trailer.
///
/// Grammar: one or more categories separated by commas, each optionally
/// followed by an explanation in balanced parentheses:
/// `tests, docs`, `code (refactoring)`, `code (refactoring), tests`.
/// Several explanations are kept joined by `"; "`. [`Display`](fmt::Display)
/// gives the canonical form, categories in order and the explanation last:
/// `code, tests (explanation)`.
///
/// A value built by hand should have at least one category and an
/// explanation with balanced parentheses, or it will not parse back.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AiUsedFor {
    /// What the AI was used for.
    pub categories: BTreeSet<Category>,
    /// Free-text explanation, without the parentheses.
    pub explanation: Option<String>,
}

impl fmt::Display for AiUsedFor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, category) in self.categories.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(category.as_str())?;
        }
        match &self.explanation {
            Some(explanation) => write!(f, " ({explanation})"),
            None => Ok(()),
        }
    }
}

impl FromStr for AiUsedFor {
    type Err = TrailerError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| malformed(AI_USED_FOR, value, reason);
        if git_trim(value).is_empty() {
            return Err(err("empty value"));
        }
        let mut categories = BTreeSet::new();
        let mut explanations = Vec::new();
        let mut rest = value;
        loop {
            let name_end = rest.find(['(', ',']).unwrap_or(rest.len());
            let name = git_trim(&rest[..name_end]);
            if name.contains(')') {
                return Err(err("unbalanced parentheses"));
            }
            if name.is_empty() {
                return Err(err("empty category"));
            }
            let category = name
                .parse::<Category>()
                .map_err(|_| err(&unknown_category(name)))?;
            categories.insert(category);
            rest = &rest[name_end..];
            if let Some(open) = rest.strip_prefix('(') {
                let close = matching_paren(open).ok_or_else(|| err("unbalanced parentheses"))?;
                let explanation = git_trim(&open[..close]);
                if explanation.is_empty() {
                    return Err(err("empty explanation"));
                }
                explanations.push(explanation.to_owned());
                rest = git_trim(&open[close + 1..]);
            }
            match rest.strip_prefix(',') {
                Some(next) => rest = next,
                None if rest.is_empty() => break,
                None if rest.starts_with(')') => return Err(err("unbalanced parentheses")),
                None => return Err(err("unexpected text after an explanation")),
            }
        }
        Ok(Self {
            categories,
            explanation: (!explanations.is_empty()).then(|| explanations.join("; ")),
        })
    }
}

/// Offset of the `)` closing an already opened parenthesis in `s`.
fn matching_paren(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => return Some(i),
            ')' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// A `Name <email>` identity, as in `Signed-off-by:` and `Co-authored-by:`.
///
/// Equality and hashing ignore ASCII case in the email address.
#[derive(Debug, Clone, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The display name.
    pub name: String,
    /// The address between the angle brackets.
    pub email: String,
}

impl Identity {
    /// Parses `Name <email>`; `key` names the trailer in errors.
    pub fn parse(key: &str, value: &str) -> Result<Self, TrailerError> {
        let v = git_trim(value);
        let inner = v
            .strip_suffix('>')
            .and_then(|s| s.rsplit_once('<'))
            .ok_or_else(|| malformed(key, value, "expected `Name <email>`"))?;
        let (name, email) = (git_trim(inner.0), git_trim(inner.1));
        if name.is_empty() {
            return Err(malformed(key, value, "missing name"));
        }
        if email.is_empty() || email.contains(['<', '>']) {
            return Err(malformed(key, value, "missing or invalid email"));
        }
        Ok(Self {
            name: name.to_owned(),
            email: email.to_owned(),
        })
    }

    /// Whether this identity looks like an AI agent; see [`looks_like_ai_agent`].
    pub fn looks_like_ai_agent(&self) -> bool {
        looks_like_ai_agent(&self.name, &self.email)
    }
}

impl PartialEq for Identity {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.email.eq_ignore_ascii_case(&other.email)
    }
}

impl Hash for Identity {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        self.email.to_ascii_lowercase().hash(state);
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} <{}>", self.name, self.email)
    }
}

/// The kernel's `Assisted-by: AGENT_NAME:MODEL_VERSION [TOOL1] [TOOL2]` value, e.g.
/// `Claude:claude-3-opus coccinelle sparse` (Documentation/process/coding-assistants.rst).
///
/// Well-formed exactly when checkpatch.pl does not warn `BAD_SIGN_OFF` on it: the value
/// matches `^\S+:\S+`, so neither the agent name nor the model version has a space. Values
/// written as prose (`Claude Opus 4.6`, `GitHub Copilot (Claude Sonnet 4.5)`,
/// `GitHub Copilot:Claude Sonnet 4.6`) are malformed, with the expected form in the reason.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AssistedBy {
    /// The agent or framework, without spaces (`Claude`, `Cursor`).
    pub agent: String,
    /// The model version, without spaces.
    pub model: String,
    /// Specialised analysis tools; surrounding brackets are dropped.
    pub tools: Vec<String>,
}

/// The form the kernel documents, for the reasons of malformed values.
pub const ASSISTED_BY_FORM: &str =
    "expected `AGENT_NAME:MODEL_VERSION [TOOL1] [TOOL2]` with no space in the agent name or the model version, e.g. `Assisted-by: Claude:claude-opus-4-6 coccinelle`";

impl FromStr for AssistedBy {
    type Err = TrailerError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let err = || malformed(ASSISTED_BY, value, ASSISTED_BY_FORM);
        let mut words = value.split_whitespace();
        let first = words.next().ok_or_else(err)?;
        // checkpatch's `^\S+:\S+`: a colon in the first word with something on either side.
        let colon = first
            .char_indices()
            .find(|&(i, c)| c == ':' && i > 0 && i + 1 < first.len())
            .map(|(i, _)| i)
            .ok_or_else(err)?;
        let tools = words
            .map(|w| {
                w.strip_prefix('[')
                    .and_then(|t| t.strip_suffix(']'))
                    .unwrap_or(w)
            })
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        Ok(Self {
            agent: first[..colon].to_owned(),
            model: first[colon + 1..].to_owned(),
            tools,
        })
    }
}

impl fmt::Display for AssistedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.agent, self.model)?;
        self.tools.iter().try_for_each(|t| write!(f, " {t}"))
    }
}

/// Addresses AI agents commit with (compared ignoring ASCII case).
pub const AI_AGENT_EMAILS: &[&str] = &[
    "noreply@anthropic.com",  // Claude Code
    "cursoragent@cursor.com", // Cursor
    "noreply@aider.chat",     // aider
];

/// Words that name an AI agent or model family.
pub const AI_AGENT_WORDS: &[&str] = &[
    "aider",
    "chatgpt",
    "claude",
    "codex",
    "copilot",
    "cursor",
    "cursoragent",
    "devin",
    "gemini",
    "gpt",
];

/// Words that may accompany an agent word in an agent's name.
const AI_AGENT_FILLER_WORDS: &[&str] = &[
    "agent",
    "ai",
    "anthropic",
    "assist",
    "assistant",
    "bot",
    "cli",
    "code",
    "coding",
    "connector",
    "flash",
    "github",
    "google",
    "haiku",
    "integration",
    "mini",
    "openai",
    "opus",
    "pro",
    "sonnet",
    "turbo",
];

/// Whether a `Name <email>` identity looks like an AI agent rather than a
/// person. True when the email is one of [`AI_AGENT_EMAILS`], or when the name
/// (or the login of a `users.noreply.github.com` address) is made only of
/// words from [`AI_AGENT_WORDS`], a few filler words (`agent`, `ai`, `bot`,
/// `code`, `github`, `opus`, ...) and words with digits (model versions), with
/// at least one agent word: `Claude`, `GitHub Copilot`, `Cursor Agent`,
/// `aider (gpt-4o)`, `devin-ai-integration[bot]` match, `Claude Paroz` and
/// `github-actions[bot]` do not. Words are runs of ASCII letters and digits,
/// compared ignoring case; `gpt4`-style words count as agent words.
pub fn looks_like_ai_agent(name: &str, email: &str) -> bool {
    let email = email.to_ascii_lowercase();
    if AI_AGENT_EMAILS.contains(&email.as_str()) {
        return true;
    }
    let github_login = email
        .strip_suffix("@users.noreply.github.com")
        .map(|local| local.split_once('+').map_or(local, |(_, login)| login));
    name_is_agent(name) || github_login.is_some_and(name_is_agent)
}

fn name_is_agent(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let is_agent_word = |w: &str| {
        AI_AGENT_WORDS.contains(&w)
            || w.strip_prefix("gpt")
                .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
    };
    words.iter().any(|w| is_agent_word(w))
        && words.iter().all(|w| {
            is_agent_word(w)
                || AI_AGENT_FILLER_WORDS.contains(w)
                || w.bytes().any(|b| b.is_ascii_digit())
        })
}
