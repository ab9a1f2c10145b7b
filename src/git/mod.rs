//! The only module that touches git2: revisions, history, diffs, files at a revision, notes, config.
//!
//! One concept per file: `repo.rs` opens a repository (libgit2's options, grafts refused),
//! `range.rs` resolves revisions and ranges (`git rev-list`, first parents, the shallow
//! boundary), `tree.rs` reads files at a revision, `change.rs` a commit's change and the change
//! of a given pairing, `diff.rs` and `tree_diff.rs` the diffs and digests behind it; a merge's
//! automatic merge in `merge.rs`, with `merge_base.rs` (merge bases), `three_way.rs` (a file's
//! clean merge without a diff) and `merge_batch.rs` (git's merges in the background);
//! `notes.rs` the notes (with `notes_tree.rs`, the notes tree by git's rules), `config.rs` config and identity, `amend.rs` amending HEAD's message,
//! `hooks.rs` what git tells its hooks (the hooks directory, HEAD's reflog, a rebase's rewritten list),
//! `content.rs` contents without a repository, `command.rs` every git process, `error.rs` the
//! errors. Commits are named by [`CommitId`] (`id.rs`), so that nothing outside this module
//! names git2; of aiprov, this module uses only the change model.

mod amend;
mod change;
mod command;
mod config;
mod content;
mod diff;
mod error;
mod hooks;
mod id;
mod mailmap;
mod merge;
mod merge_base;
mod merge_batch;
pub mod notes;
mod notes_tree;
mod range;
mod remote;
mod repo;
mod three_way;
mod tree;
mod tree_diff;

pub use command::{git_command, output_with_input};
pub use config::default_user_email;
pub use content::{blob_id, changed_line_numbers, digest_of_buffers};
pub use error::{Cause, GitError};
pub use hooks::{parse_rewritten, ReflogEntry};
pub use id::{CommitId, ParseCommitIdError};
pub use mailmap::Mailmap;
pub use range::Target;
pub use remote::Pushed;
pub use repo::Repo;
pub use tree::MAX_TRUST_FILE_BYTES;
pub use tree_diff::MAX_TREE_DEPTH;

use error::{read, Result};
use tree::fs_path;
