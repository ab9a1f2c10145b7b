//! `aiprov init`: set up a repository: keyring skeleton, notes rewriting, notes in format-patch.

use super::Context;
use crate::app::Error;
use crate::git::Repo;
use crate::keyring::{file::skeleton, AIPROV_DIR, KEYRING_PATH};
use crate::output::setup::{Hook, Initialized, KeyringFileState, Setting};

/// Set up a repository for aiprov: .aiprov/ keyring and the git config that carries notes along
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Install a sendemail-validate hook that refuses to send a patch whose attestation is
    /// missing or does not verify
    #[arg(long)]
    hooks: bool,
    /// Install a post-commit hook that attests every new commit (opt-in)
    #[arg(long)]
    auto_attest: bool,
}

/// Marks hooks aiprov wrote, so it updates its own and never replaces anyone else's.
const HOOK_MARKER: &str = "# installed by aiprov init";

pub fn run(ctx: &Context, repo: &Repo, args: Args) -> Result<i32, Error> {
    let workdir = repo
        .workdir()
        .ok_or_else(|| Error::msg("aiprov init needs a work tree (this is a bare repository)"))?;
    let keyring = workdir.join(KEYRING_PATH);
    let created = !keyring.exists();
    if created {
        std::fs::create_dir_all(workdir.join(AIPROV_DIR))
            .map_err(|e| Error::msg(format!("cannot create {AIPROV_DIR}/: {e}")))?;
        std::fs::write(&keyring, skeleton())
            .map_err(|e| Error::msg(format!("cannot write {KEYRING_PATH}: {e}")))?;
    }
    let notes_ref = &ctx.notes_ref;
    let mut config = Vec::new();
    let mut set = |key: &str, value: &str, add: bool| -> Result<(), Error> {
        if add {
            repo.add_config_value(key, value)?;
        } else {
            repo.set_config(key, value)?;
        }
        config.push(Setting {
            key: key.into(),
            value: value.into(),
        });
        Ok(())
    };
    // Attestations follow `git commit --amend` and `git rebase` (both on by default in git,
    // set explicitly so a global config cannot turn them off for this repository).
    set("notes.rewriteRef", notes_ref, true)?;
    set("notes.rewrite.amend", "true", false)?;
    set("notes.rewrite.rebase", "true", false)?;
    // `git format-patch` puts the attestations below the `---` line of each patch mail.
    set("format.notes", notes_ref, true)?;
    let mut hooks = Vec::new();
    if args.hooks {
        hooks.push(install_hook(
            repo,
            "sendemail-validate",
            "refuse to send a patch whose attestation is missing or does not verify",
            "verify -q --mbox \"$1\"",
        )?);
    }
    if args.auto_attest {
        hooks.push(install_hook(
            repo,
            "post-commit",
            "attest every new commit",
            "attest -q -y HEAD",
        )?);
    }
    ctx.out.result(&Initialized {
        schema_version: 1,
        keyring: KeyringFileState {
            path: KEYRING_PATH.into(),
            created,
        },
        notes_ref: notes_ref.clone(),
        config,
        hooks,
        trust_dir: AIPROV_DIR.into(),
    })?;
    Ok(0)
}

/// Writes `.git/hooks/NAME` (or under `core.hooksPath`) running `aiprov ARGS`.
fn install_hook(repo: &Repo, name: &str, what: &str, args: &str) -> Result<Hook, Error> {
    let dir = match repo.config_string("core.hooksPath") {
        Some(p) => repo.workdir().unwrap_or(repo.git_dir()).join(p),
        None => repo.git_dir().join("hooks"),
    };
    let path = dir.join(name);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        if !existing.contains(HOOK_MARKER) {
            return Err(Error::msg(format!(
                "{} exists and is not aiprov's; not replacing it",
                path.display()
            ))
            .hint(format!("add `aiprov {args}` to it yourself")));
        }
    }
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string().replace('\'', "'\\''"))
        .unwrap_or_else(|_| "aiprov".into());
    let script = format!(
        "#!/bin/sh\n{HOOK_MARKER}: {what}.\naiprov='{exe}'\n[ -x \"$aiprov\" ] || aiprov=aiprov\nexec \"$aiprov\" {args}\n"
    );
    std::fs::create_dir_all(&dir)
        .and_then(|_| std::fs::write(&path, script))
        .and_then(|_| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
        })
        .map_err(|e| Error::msg(format!("cannot write {}: {e}", path.display())))?;
    Ok(Hook {
        name: name.into(),
        path: path.display().to_string(),
        purpose: what.into(),
    })
}
