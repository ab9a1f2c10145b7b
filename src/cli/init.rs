//! `aiprov init`: set up a repository: keyring skeleton, notes rewriting, notes in format-patch.

use super::Context;
use crate::app::Error;
use crate::git::Repo;
use crate::keyring::{file::skeleton, AIPROV_DIR, KEYRING_PATH};

/// Set up a repository for aiprov: .aiprov/ keyring and the git config that carries notes along
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Install a sendemail-validate hook that refuses to send a patch whose attestation,
    /// trailers or sign-offs do not verify (a missing maintainer's approval is only noted)
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
    if keyring.exists() {
        ctx.out
            .status(format!("{KEYRING_PATH} already exists; left as it is"));
    } else {
        std::fs::create_dir_all(workdir.join(AIPROV_DIR))
            .map_err(|e| Error::msg(format!("cannot create {AIPROV_DIR}/: {e}")))?;
        std::fs::write(&keyring, skeleton())
            .map_err(|e| Error::msg(format!("cannot write {KEYRING_PATH}: {e}")))?;
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
    if args.hooks {
        install_hook(
            ctx,
            repo,
            "sendemail-validate",
            "refuse to send a patch whose attestation, trailers or sign-offs do not verify; let through, with a note, one that only lacks a maintainer's approval",
            "verify -q --allow-unapproved --mbox \"$1\"",
            // git send-email runs the hook on the cover letter too, which holds no patch.
            "# A cover letter ([PATCH 0/N]) holds no patch: nothing to verify.\n\
             grep -Eq '^Subject: \\[[^]]* 0+/[0-9]+\\]' \"$1\" && exit 0\n",
        )?;
    }
    if args.auto_attest {
        install_hook(
            ctx,
            repo,
            "post-commit",
            "attest every new commit",
            "attest -q -y HEAD",
            "",
        )?;
    }
    ctx.out.status(format!(
        "configured notes.rewriteRef and format.notes for {notes_ref}\n\
         next: `aiprov keygen`, then `aiprov keyring add $(git config user.email) <key>.pub` and commit {AIPROV_DIR}/"
    ));
    Ok(0)
}

/// Writes `.git/hooks/NAME` (or under `core.hooksPath`) running `aiprov ARGS`.
fn install_hook(
    ctx: &Context,
    repo: &Repo,
    name: &str,
    what: &str,
    args: &str,
    prelude: &str,
) -> Result<(), Error> {
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
        "#!/bin/sh\n{HOOK_MARKER}: {what}.\n{prelude}aiprov='{exe}'\n[ -x \"$aiprov\" ] || aiprov=aiprov\nexec \"$aiprov\" {args}\n"
    );
    std::fs::create_dir_all(&dir)
        .and_then(|_| std::fs::write(&path, script))
        .and_then(|_| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
        })
        .map_err(|e| Error::msg(format!("cannot write {}: {e}", path.display())))?;
    ctx.out.status(format!("installed the {name} hook: {what}"));
    Ok(())
}
