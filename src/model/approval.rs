//! The approval predicate: a maintainer's signed agreement to the AI use in a change, bound to
//! the same file-change digests as the attestation.

use serde::{Deserialize, Serialize};

use crate::trailers::Identity;

/// `predicateType` of a maintainer's approval.
pub const APPROVAL_PREDICATE_TYPE: &str = "https://aiprov.dev/approval/v1";

/// The approval predicate (`https://aiprov.dev/approval/v1`). The statement's subject names each
/// approved file change with its file-change digest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Approval {
    /// The change approved: its subject line and author, for people reading the approval.
    pub title: String,
    pub author: Identity,
    pub approver: Identity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// RFC 3339 UTC time of signing.
    pub created_at: String,
}

/// A maintainer's approval statement.
pub type ApprovalStatement = super::Statement<Approval>;
