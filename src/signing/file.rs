//! OpenSSH Ed25519 private key files: loading (encrypted or not) and generating key pairs.

use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_dalek::{Signer as _, SigningKey};
use rand_core::{OsRng, RngCore};
use ssh_key::private::{Ed25519Keypair, KeypairData};
use ssh_key::{LineEnding, PrivateKey};

use super::{PublicKey, SignError, Signer};

/// Signs with a key loaded from an OpenSSH private key file.
pub struct FileSigner {
    key: SigningKey,
    public: PublicKey,
}

fn read_private(path: &Path) -> Result<PrivateKey, SignError> {
    let bytes = super::read_key_file(path)?;
    PrivateKey::from_openssh(&bytes).map_err(|source| SignError::PrivateKeySyntax {
        path: path.to_path_buf(),
        source,
    })
}

/// The public half of a private key file (readable without the passphrase).
pub(super) fn public_key_of(path: &Path) -> Result<PublicKey, SignError> {
    PublicKey::from_ssh(read_private(path)?.public_key())
}

impl FileSigner {
    pub fn load(path: &Path, passphrase: Option<&str>) -> Result<FileSigner, SignError> {
        let mut key = read_private(path)?;
        if key.is_encrypted() {
            let Some(pass) = passphrase else {
                return Err(SignError::Encrypted {
                    path: path.to_path_buf(),
                });
            };
            key = key.decrypt(pass).map_err(|_| SignError::WrongPassphrase {
                path: path.to_path_buf(),
            })?;
        }
        match key.key_data() {
            KeypairData::Ed25519(pair) => {
                let key = SigningKey::from_bytes(&pair.private.to_bytes());
                let public = PublicKey::from_bytes(&key.verifying_key().to_bytes())?;
                Ok(FileSigner { key, public })
            }
            other => Err(SignError::UnsupportedKey {
                kind: other
                    .algorithm()
                    .map(|a| a.to_string())
                    .unwrap_or_else(|_| "unknown".into()),
            }),
        }
    }
}

impl Signer for FileSigner {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn sign(&self, message: &[u8]) -> Result<[u8; 64], SignError> {
        Ok(self.key.sign(message).to_bytes())
    }
}

/// Writes a new OpenSSH Ed25519 key pair: `path` (mode 0600, encrypted when a passphrase is given)
/// and `path.pub`. Never overwrites; each file is written to a temporary name and renamed, so a
/// crash leaves no truncated key.
pub fn keygen(
    path: &Path,
    passphrase: Option<&str>,
    comment: &str,
) -> Result<PublicKey, SignError> {
    let pub_path = PathBuf::from(format!("{}.pub", path.display()));
    for p in [path, pub_path.as_path()] {
        if p.exists() {
            return Err(SignError::Exists {
                path: p.to_path_buf(),
            });
        }
    }
    let mut seed = [0u8; 32];
    OsRng.fill_bytes(&mut seed);
    let pair = Ed25519Keypair::from_seed(&seed);
    let mut private =
        PrivateKey::new(KeypairData::Ed25519(pair), comment).map_err(SignError::Encode)?;
    let public_line = private
        .public_key()
        .to_openssh()
        .map_err(SignError::Encode)?;
    if let Some(pass) = passphrase {
        private = private
            .encrypt(&mut OsRng, pass)
            .map_err(SignError::Encode)?;
    }
    let pem = private
        .to_openssh(LineEnding::LF)
        .map_err(SignError::Encode)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| SignError::WriteKey {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    // Both files are written whole before either gets its name, so that a crash leaves both,
    // the private key alone (in the instant between the two links), or neither.
    let private_tmp = write_temp(path, pem.as_bytes(), 0o600)?;
    let public_tmp = match write_temp(&pub_path, format!("{public_line}\n").as_bytes(), 0o644) {
        Ok(t) => t,
        Err(e) => {
            let _ = std::fs::remove_file(&private_tmp);
            return Err(e);
        }
    };
    let linked = link_new(&private_tmp, path).and_then(|_| link_new(&public_tmp, &pub_path));
    let _ = std::fs::remove_file(&public_tmp);
    linked?;
    PublicKey::from_openssh(&public_line)
}

/// Writes `content` to a new temporary file beside `path` and syncs it; returns its path.
fn write_temp(path: &Path, content: &[u8], mode: u32) -> Result<PathBuf, SignError> {
    use std::os::unix::fs::OpenOptionsExt;
    let err = |source| SignError::WriteKey {
        path: path.to_path_buf(),
        source,
    };
    let tmp = PathBuf::from(format!("{}.tmp{}", path.display(), std::process::id()));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&tmp)
        .map_err(err)?;
    let written = f.write_all(content).and_then(|_| f.sync_all());
    drop(f);
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(err(e));
    }
    Ok(tmp)
}

/// Gives the temporary file `tmp` its final name `path`, which must not exist yet.
fn link_new(tmp: &Path, path: &Path) -> Result<(), SignError> {
    let err = |source| SignError::WriteKey {
        path: path.to_path_buf(),
        source,
    };
    // Hard-link then unlink: fails instead of replacing a file that appeared meanwhile.
    let linked = std::fs::hard_link(tmp, path);
    let _ = std::fs::remove_file(tmp);
    linked.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            SignError::Exists {
                path: path.to_path_buf(),
            }
        } else {
            err(e)
        }
    })
}
