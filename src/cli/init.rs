//! `aiprov init`: set up a repository: keyring skeleton, notes rewriting, notes in format-patch.

use super::error::CliError;
use super::Context;
use crate::git::Repo;
use crate::keyring::{file::skeleton, AIPROV_DIR, KEYRING_PATH};

/// Set up a repository for aiprov: .aiprov/ keyring and the git config that carries notes along
#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(ctx: &Context, repo: &Repo, _args: Args) -> Result<i32, CliError> {
    let workdir = repo.workdir().ok_or_else(|| {
        CliError::msg("aiprov init needs a work tree (this is a bare repository)")
    })?;
    let keyring = workdir.join(KEYRING_PATH);
    if keyring.exists() {
        ctx.out
            .status(format!("{KEYRING_PATH} already exists; left as it is"));
    } else {
        std::fs::create_dir_all(workdir.join(AIPROV_DIR))
            .map_err(|e| CliError::msg(format!("cannot create {AIPROV_DIR}/: {e}")))?;
        std::fs::write(&keyring, skeleton())
            .map_err(|e| CliError::msg(format!("cannot write {KEYRING_PATH}: {e}")))?;
        ctx.out.status(format!("created {KEYRING_PATH}"));
    }
    let notes_ref = &ctx.notes_ref;
    // Attestations follow `git commit --amend` and `git rebase` (both on by default in git,
    // set explicitly so a global config cannot turn them off for this repository).
    repo.add_config_value("notes.rewriteRef", notes_ref)?;
    repo.set_config("notes.rewrite.amend", "true")?;
    repo.set_config("notes.rewrite.rebase", "true")?;
    // `git format-patch` puts the attestations below the `---` line of each patch mail.
    repo.add_config_value("format.notes", notes_ref)?;
    ctx.out.status(format!(
        "configured notes.rewriteRef and format.notes for {notes_ref}\n\
         next: `aiprov keygen`, then `aiprov keyring add $(git config user.email) <key>.pub` and commit {AIPROV_DIR}/"
    ));
    Ok(0)
}
