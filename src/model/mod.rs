//! The wire format: in-toto Statement v1 with aiprov's predicates, as serde types.

mod approval;
mod predicate;
mod release;
mod report;

pub use approval::*;
pub use predicate::*;
pub use release::*;
pub use report::*;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `_type` of an in-toto Statement v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// `predicateType` of an AI-usage attestation.
pub const AI_USAGE_PREDICATE_TYPE: &str = "https://aiprov.dev/ai-usage/v1";

/// An in-toto Statement v1 with a predicate of type `P`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement<P> {
    #[serde(rename = "_type")]
    pub type_: String,
    pub subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    pub predicate: P,
}

/// One subject of a statement: for aiprov, one file change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    pub name: String,
    /// `sha256`: the file-change digest; `gitBlob`: the post-image blob id, where one exists.
    pub digest: BTreeMap<String, String>,
}

/// Just enough of a statement to dispatch on its type before parsing the predicate.
#[derive(Debug, Deserialize)]
pub struct StatementHeader {
    #[serde(rename = "_type")]
    pub type_: String,
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
}

/// An AI-usage attestation statement.
pub type AiUsageStatement = Statement<AiUsage>;
