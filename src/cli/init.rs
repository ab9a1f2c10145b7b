//! `aiprov init`: set up a repository: keyring skeleton, notes rewriting, notes in format-patch.

use std::path::{Path, PathBuf};

use super::Context;
use crate::app::Error;
use crate::git::Repo;
use crate::keyring::{file::skeleton, AIPROV_DIR, KEYRING_PATH};
use crate::output::setup::{Hook, Initialized, KeyringFileState, Setting};

/// Set up a repository for aiprov: .aiprov/ keyring and the git config that carries notes along
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Install git hooks: sendemail-validate refuses to send a patch whose attestation is
    /// missing or does not verify; post-commit attests each new commit from the AI tools'
    /// records (or its trailer); post-rewrite attests again what `git commit --amend` and `git
    /// rebase` rewrote, never declaring less than before
    #[arg(long)]
    hooks: bool,
    /// The attesting hooks alone (post-commit and post-rewrite): the flag of earlier versions
    #[arg(long, hide = true)]
    auto_attest: bool,
}

/// Marks hooks aiprov wrote, so it updates its own and never replaces anyone else's.
const HOOK_MARKER: &str = "# installed by aiprov init";

pub fn run(ctx: &Context, repo: &Repo, args: Args) -> Result<i32, Error> {
    let workdir = repo
        .workdir()
        .ok_or_else(|| Error::msg("aiprov init needs a work tree (this is a bare repository)"))?;
    // The hooks asked for, each checked before anything is changed: a hook aiprov did not
    // write is never replaced.
    let mut wanted = Vec::new();
    if args.hooks {
        wanted.push(SEND_EMAIL_HOOK);
    }
    if args.hooks || args.auto_attest {
        wanted.extend([POST_COMMIT_HOOK, POST_REWRITE_HOOK]);
    }
    let hooks_dir = match wanted.is_empty() {
        true => PathBuf::new(),
        false => repo.hooks_dir()?,
    };
    let hook_paths = wanted
        .iter()
        .map(|hook| hook_path(&hooks_dir, hook))
        .collect::<Result<Vec<_>, Error>>()?;
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
    // A rewritten commit that already has a note keeps it (`ignore`): that note was written for
    // the new commit (re-attested during `git rebase -i`, or by the amend of an `edit` stop, whose
    // note rebase carries over again when it finishes), so it is newer than the one carried over.
    // git's default, `concatenate`, would put the stale envelope back beside it; `overwrite`
    // would throw the new one away; `cat_sort_uniq` keeps both, as the lines differ.
    set("notes.rewriteMode", "ignore", false)?;
    // `git format-patch` puts the attestations below the `---` line of each patch mail.
    set("format.notes", notes_ref, true)?;
    // `git fetch` brings each remote's attestations beside yours, never over them (a forced
    // refspec onto the notes ref would drop the attestations made here and not yet pushed);
    // `git notes merge -s cat_sort_uniq` joins them, and verify says so when they are not.
    for remote in repo.remote_names() {
        let refspec = format!(
            "+{notes_ref}:{}",
            crate::git::notes::tracking_ref(&remote, notes_ref)
        );
        set(&format!("remote.{remote}.fetch"), &refspec, true)?;
    }
    let hooks = wanted
        .iter()
        .zip(hook_paths)
        .map(|(hook, path)| install_hook(hook, &path, notes_ref))
        .collect::<Result<Vec<_>, Error>>()?;
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

/// A hook aiprov installs: its name, what it does, shell lines run first, and the aiprov
/// command it runs.
struct HookSpec {
    name: &'static str,
    what: &'static str,
    prelude: &'static str,
    args: &'static str,
}

const SEND_EMAIL_HOOK: HookSpec = HookSpec {
    name: "sendemail-validate",
    what: "refuse to send a patch whose attestation, trailers or sign-offs do not verify; let through, with a note, one that only lacks a maintainer's approval",
    // git send-email runs the hook on the cover letter too, which holds no patch.
    prelude: "# A cover letter ([PATCH 0/N]) holds no patch: nothing to verify.\n\
              grep -Eq '^Subject: \\[[^]]* 0+/[0-9]+\\]' \"$1\" && exit 0\n",
    args: "verify -q --allow-unapproved --mbox \"$1\"",
};

/// git ignores the exit code of post-commit and post-rewrite; the hooks say so, for whoever
/// reads them wondering whether a failure could stop a commit.
const IGNORED_EXIT: &str = concat!(
    "# git ignores this hook's exit code: the commit stands whatever aiprov says,\n",
    "# and aiprov says in one line what it could not do.\n",
);

const POST_COMMIT_HOOK: HookSpec = HookSpec {
    name: "post-commit",
    what: "attest each new commit from the AI tools' records, or its trailer (an amend or a rebase is post-rewrite's)",
    prelude: IGNORED_EXIT,
    args: "-q hook post-commit",
};

const POST_REWRITE_HOOK: HookSpec = HookSpec {
    name: "post-rewrite",
    what: "attest again the commits git commit --amend and git rebase rewrote whose note no longer declares them, never declaring less than before",
    // git gives the rewritten commits on standard input, which exec hands on.
    prelude: IGNORED_EXIT,
    args: "-q hook post-rewrite \"$@\"",
};

/// `text` quoted for sh.
fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// Where NAME is in the hooks directory; refused when a hook aiprov did not write is there,
/// saying how to run aiprov's from it.
fn hook_path(dir: &Path, hook: &HookSpec) -> Result<PathBuf, Error> {
    let path = dir.join(hook.name);
    let Ok(existing) = std::fs::read_to_string(&path) else {
        return Ok(path);
    };
    if existing.contains(HOOK_MARKER) {
        return Ok(path);
    }
    let hint = if existing.contains("pre-commit.com") {
        "it is the pre-commit framework's: add aiprov's hooks to .pre-commit-config.yaml instead (docs/contributors.md, \"Hooks\")".to_string()
    } else {
        format!(
            "to run aiprov's from it, add the line `aiprov {}` to it; or move it away and run this again",
            hook.args
        )
    };
    Err(Error::msg(format!(
        "{} exists and is not aiprov's; not replacing it",
        path.display()
    ))
    .hint(hint))
}

/// Writes the hook at `path`, running `aiprov ARGS` on the notes ref `init` set up.
fn install_hook(hook: &HookSpec, path: &Path, notes_ref: &str) -> Result<Hook, Error> {
    let HookSpec {
        name,
        what,
        prelude,
        args,
    } = hook;
    let exe = std::env::current_exe()
        .map(|p| sh_quote(&p.display().to_string()))
        .unwrap_or_else(|_| "aiprov".into());
    let notes = match notes_ref == crate::git::notes::DEFAULT_REF {
        true => String::new(),
        false => format!("--notes-ref {} ", sh_quote(notes_ref)),
    };
    let script = format!(
        "#!/bin/sh\n{HOOK_MARKER}: {what}.\n{prelude}aiprov={exe}\n[ -x \"$aiprov\" ] || aiprov=aiprov\nexec \"$aiprov\" {notes}{args}\n"
    );
    let dir = path.parent().expect("a hook path has a directory");
    std::fs::create_dir_all(dir)
        .and_then(|_| std::fs::write(path, script))
        .and_then(|_| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        })
        .map_err(|e| Error::msg(format!("cannot write {}: {e}", path.display())))?;
    Ok(Hook {
        name: name.to_string(),
        path: path.display().to_string(),
        purpose: what.to_string(),
    })
}
