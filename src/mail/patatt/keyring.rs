//! patatt's public keyring: `ed25519/<domain>/<local>/<selector>` files holding a base64 key (the
//! layout of patatt's data directory and of the kernel's keyring repository), and the hashed
//! `by-hash/<2 hex>/<62 hex>` layout that hides identities.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine;
use sha2::{Digest, Sha256};

use super::trim;
use super::PatattError;
use crate::signing::PublicKey;

/// At most this many files are read into one keyring.
pub const MAX_KEYRING_FILES: usize = 100_000;
/// A key file is a line of base64; anything longer is not one.
pub const MAX_KEY_FILE_BYTES: usize = 4096;

/// Ed25519 public keys by identity and selector, as patatt looks them up.
#[derive(Debug, Clone, Default)]
pub struct PatattKeyring {
    /// Path relative to the keyring root ('/'-separated) -> file contents.
    files: BTreeMap<String, Vec<u8>>,
}

impl PatattKeyring {
    /// Reads a patatt keyring directory: `<dir>/ed25519/<domain>/<local>/<selector>` files
    /// (and `<dir>/by-hash/..`), following symbolic links such as patatt's `default`.
    pub fn from_dir(dir: &Path) -> Result<PatattKeyring, PatattError> {
        let read_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| PatattError::ReadKeyring { path, source }
        };
        std::fs::metadata(dir).map_err(read_err(dir))?;
        let mut files = Vec::new();
        for (top, depth) in [("ed25519", 3), ("by-hash", 2)] {
            let root = dir.join(top);
            if root.is_dir() {
                walk(&root, top.to_string(), depth, &mut files)?;
            }
        }
        PatattKeyring::from_files(files)
    }

    /// The same from file contents already read (from a git tree, say): the path relative to the
    /// keyring root, and the bytes. A file holding a relative path instead of a key (a symbolic
    /// link read from git) is followed once within the keyring.
    pub fn from_files(
        files: impl IntoIterator<Item = (String, Vec<u8>)>,
    ) -> Result<PatattKeyring, PatattError> {
        let mut map = BTreeMap::new();
        for (path, bytes) in files {
            if map.len() >= MAX_KEYRING_FILES {
                return Err(PatattError::KeyringTooLarge {
                    max: MAX_KEYRING_FILES,
                });
            }
            if bytes.len() > MAX_KEY_FILE_BYTES {
                return Err(PatattError::KeyFileTooLarge {
                    path,
                    max: MAX_KEY_FILE_BYTES,
                });
            }
            let path = path.trim_start_matches("./").replace('\\', "/");
            map.insert(path, bytes);
        }
        Ok(PatattKeyring { files: map })
    }

    /// How many files the keyring holds.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The key for `identity` (`local@domain`) and `selector`: `None` if the keyring has none,
    /// an error message if the file found is not an Ed25519 key.
    pub fn key(&self, identity: &str, selector: &str) -> Option<Result<PublicKey, String>> {
        let path = key_path(identity, selector)?;
        let hashed = hex::encode(Sha256::digest(path.as_bytes()));
        let by_hash = format!("by-hash/{}/{}", &hashed[..2], &hashed[2..]);
        [path, by_hash]
            .into_iter()
            .find_map(|p| self.files.get(&p).map(|bytes| (p.clone(), bytes)))
            .map(|(p, bytes)| self.decode(&p, bytes))
    }

    fn decode(&self, path: &str, bytes: &[u8]) -> Result<PublicKey, String> {
        if let Some(key) = decode_key(bytes) {
            return key;
        }
        // One level of symbolic link, stored as its target path.
        let target = std::str::from_utf8(trim(bytes))
            .ok()
            .filter(|t| !t.contains('\n'));
        let resolved = target.and_then(|t| resolve(path, t));
        match resolved
            .and_then(|r| self.files.get(&r))
            .and_then(|b| decode_key(b))
        {
            Some(key) => key,
            None => Err(format!("keyring file {path} is not a base64 ed25519 key")),
        }
    }
}

fn decode_key(bytes: &[u8]) -> Option<Result<PublicKey, String>> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(trim(bytes))
        .ok()?;
    let raw: [u8; 32] = raw.try_into().ok()?;
    Some(PublicKey::from_bytes(&raw).map_err(|e| e.to_string()))
}

/// `target` relative to the directory of `path`, inside the keyring.
fn resolve(path: &str, target: &str) -> Option<String> {
    if target.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = path.split('/').collect();
    parts.pop();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// patatt's key path: `ed25519/<domain>/<local>/<selector>`, lowercased and form-encoded.
fn key_path(identity: &str, selector: &str) -> Option<String> {
    let (local, domain) = identity.split_once('@')?;
    let parts = [
        "ed25519".to_string(),
        quote_plus(&domain.to_lowercase()),
        quote_plus(&local.to_lowercase()),
        quote_plus(&selector.to_lowercase()),
    ];
    // Like a Python Path, empty components vanish.
    Some(
        parts
            .iter()
            .filter(|p| !p.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join("/"),
    )
}

/// Python's `urllib.parse.quote_plus` with no extra safe characters.
fn quote_plus(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn walk(
    dir: &Path,
    rel: String,
    depth: usize,
    files: &mut Vec<(String, Vec<u8>)>,
) -> Result<(), PatattError> {
    let read_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PatattError::ReadKeyring { path, source }
    };
    for entry in std::fs::read_dir(dir).map_err(read_err(dir))? {
        let entry = entry.map_err(read_err(dir))?;
        let path = entry.path();
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue; // patatt's paths are ASCII; a non-UTF-8 name can never be looked up
        };
        let rel = format!("{rel}/{name}");
        // Follows symbolic links, as patatt's open() does.
        let meta = std::fs::metadata(&path).map_err(read_err(&path))?;
        if meta.is_dir() && depth > 1 {
            walk(&path, rel, depth - 1, files)?;
        } else if meta.is_file() && depth == 1 {
            if files.len() >= MAX_KEYRING_FILES {
                return Err(PatattError::KeyringTooLarge {
                    max: MAX_KEYRING_FILES,
                });
            }
            let bytes =
                crate::limits::read_file_bounded(&path, MAX_KEY_FILE_BYTES, "a patatt key file")
                    .map_err(read_err(&path))?;
            files.push((rel, bytes));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_paths_follow_patatt() {
        assert_eq!(
            key_path("Alice.B@Example.ORG", "Default").as_deref(),
            Some("ed25519/example.org/alice.b/default")
        );
        assert_eq!(
            key_path("a+b/c@x.org", "s 1").as_deref(),
            Some("ed25519/x.org/a%2Bb%2Fc/s+1")
        );
        assert_eq!(key_path("no-at-sign", "default"), None);
    }

    #[test]
    fn by_hash_and_symlink_text_are_found() {
        let public = ed25519_dalek::SigningKey::from_bytes(&[3; 32]).verifying_key();
        let key = base64::engine::general_purpose::STANDARD.encode(public.to_bytes());
        let hashed = hex::encode(Sha256::digest(b"ed25519/x.org/bob/default"));
        let ring = PatattKeyring::from_files([
            (
                format!("by-hash/{}/{}", &hashed[..2], &hashed[2..]),
                key.clone().into_bytes(),
            ),
            ("ed25519/x.org/carol/2024".into(), key.into_bytes()),
            ("ed25519/x.org/carol/default".into(), b"2024".to_vec()),
            ("ed25519/x.org/dave/default".into(), b"not a key\n".to_vec()),
        ])
        .expect("small keyring");
        assert!(matches!(ring.key("bob@x.org", "default"), Some(Ok(_))));
        assert!(matches!(ring.key("carol@x.org", "default"), Some(Ok(_))));
        assert!(matches!(ring.key("dave@x.org", "default"), Some(Err(_))));
        assert!(ring.key("erin@x.org", "default").is_none());
    }

    #[test]
    fn oversized_files_are_refused() {
        let err = PatattKeyring::from_files([("ed25519/x/y/z".into(), vec![b'A'; 5000])]);
        assert!(matches!(err, Err(PatattError::KeyFileTooLarge { .. })));
    }
}
