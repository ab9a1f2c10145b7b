//! `aiprov keygen`: make an OpenSSH Ed25519 key pair.

use std::path::PathBuf;

use super::Context;
use crate::app::Error;
use crate::output::setup::KeyPair;
use crate::signing;

/// Make an OpenSSH Ed25519 key pair (FILE and FILE.pub)
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write the private key [default: aiprov/id_ed25519 under the user's config directory]
    #[arg(short = 'f', value_name = "FILE")]
    file: Option<PathBuf>,
    /// Encrypt the private key with this passphrase (none by default)
    #[arg(short = 'N', value_name = "PASSPHRASE")]
    passphrase: Option<String>,
    /// Comment stored with the key [default: git's user.email]
    #[arg(short = 'c', long, value_name = "COMMENT")]
    comment: Option<String>,
}

pub fn run(ctx: &Context, repo: Option<crate::git::Repo>, args: Args) -> Result<i32, Error> {
    let path = match args.file {
        Some(p) => p,
        None => signing::default_key_path().ok_or_else(|| {
            Error::msg("cannot tell where the user's config directory is").hint("pass -f FILE")
        })?,
    };
    // The repository's identity when run in one (its own user.email may differ from the
    // global one), else the user's.
    let comment = args
        .comment
        .or_else(|| repo.and_then(|r| r.user()).map(|u| u.email))
        .or_else(crate::git::default_user_email)
        .unwrap_or_else(|| "aiprov".into());
    let passphrase = args.passphrase.filter(|p| !p.is_empty());
    let key = signing::keygen(&path, passphrase.as_deref(), &comment)?;
    ctx.out.result(&KeyPair {
        schema_version: 1,
        private_key: path.display().to_string(),
        public_key: format!("{}.pub", path.display()),
        keyid: key.keyid(),
        openssh: key.to_openssh(),
        comment,
        encrypted: passphrase.is_some(),
    })?;
    Ok(0)
}
