//! Keys and signatures: Ed25519 public keys in OpenSSH form, signers (an OpenSSH private key file
//! or ssh-agent), strict verification, and signing DSSE envelopes.

mod agent;
mod file;

pub use agent::AgentSigner;
pub use file::{keygen, FileSigner};

use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature as EdSignature, VerifyingKey};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::dsse::{self, Envelope};

#[derive(Debug, Error)]
pub enum SignError {
    #[error("not an OpenSSH public key: {0}")]
    PublicKeySyntax(String),
    #[error(
        "{kind} keys are not supported; aiprov signs with Ed25519 keys (ssh-keygen -t ed25519)"
    )]
    UnsupportedKey { kind: String },
    #[error("cannot read key file {}", path.display())]
    ReadKey {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not an OpenSSH private key", path.display())]
    PrivateKeySyntax {
        path: PathBuf,
        #[source]
        source: ssh_key::Error,
    },
    #[error("{} is encrypted and no passphrase was given", path.display())]
    Encrypted { path: PathBuf },
    #[error("wrong passphrase for {}", path.display())]
    WrongPassphrase { path: PathBuf },
    #[error("{} already exists; not overwriting it", path.display())]
    Exists { path: PathBuf },
    #[error("cannot write {}", path.display())]
    WriteKey {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("encoding the key")]
    Encode(#[source] ssh_key::Error),
    #[error("ssh-agent: {0}")]
    Agent(String),
    #[error("signature does not verify")]
    BadSignature,
}

/// An Ed25519 public key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PublicKey {
    key: VerifyingKey,
}

impl PublicKey {
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<PublicKey, SignError> {
        VerifyingKey::from_bytes(bytes)
            .map(|key| PublicKey { key })
            .map_err(|_| SignError::PublicKeySyntax("not a valid Ed25519 point".into()))
    }

    /// Parses `ssh-ed25519 AAAA... [comment]`.
    pub fn from_openssh(line: &str) -> Result<PublicKey, SignError> {
        let key = ssh_key::PublicKey::from_openssh(line.trim())
            .map_err(|e| SignError::PublicKeySyntax(e.to_string()))?;
        Self::from_ssh(&key)
    }

    pub(crate) fn from_ssh(key: &ssh_key::PublicKey) -> Result<PublicKey, SignError> {
        match key.key_data() {
            ssh_key::public::KeyData::Ed25519(k) => Self::from_bytes(&k.0),
            other => Err(SignError::UnsupportedKey {
                kind: other.algorithm().to_string(),
            }),
        }
    }

    /// The key in OpenSSH form, without comment.
    pub fn to_openssh(&self) -> String {
        let key = ssh_key::PublicKey::from(ssh_key::public::Ed25519PublicKey(self.key.to_bytes()));
        key.to_openssh().expect("an Ed25519 key always encodes")
    }

    /// The key's fingerprint as `ssh-keygen -l` prints it (`SHA256:...`).
    pub fn fingerprint(&self) -> String {
        let key = ssh_key::PublicKey::from(ssh_key::public::Ed25519PublicKey(self.key.to_bytes()));
        key.fingerprint(ssh_key::HashAlg::Sha256).to_string()
    }

    pub fn to_bytes(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The securesystemslib keyid: hex SHA-256 of the key's canonical JSON.
    pub fn keyid(&self) -> String {
        let canonical = format!(
            r#"{{"keytype":"ed25519","keyval":{{"public":"{}"}},"scheme":"ed25519"}}"#,
            hex::encode(self.key.to_bytes())
        );
        hex::encode(Sha256::digest(canonical.as_bytes()))
    }

    /// Strict Ed25519 verification: rejects non-canonical and small-order signatures and keys.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), SignError> {
        let sig = EdSignature::from_slice(signature).map_err(|_| SignError::BadSignature)?;
        self.key
            .verify_strict(message, &sig)
            .map_err(|_| SignError::BadSignature)
    }
}

/// Something that signs with an Ed25519 key.
pub trait Signer {
    fn public_key(&self) -> &PublicKey;
    fn sign(&self, message: &[u8]) -> Result<[u8; 64], SignError>;
}

/// Signs `payload` into a DSSE envelope.
pub fn sign_envelope(
    payload_type: &str,
    payload: &[u8],
    signer: &dyn Signer,
) -> Result<Envelope, SignError> {
    let sig = signer.sign(&dsse::pae(payload_type, payload))?;
    Ok(Envelope {
        payload_type: payload_type.to_string(),
        payload: payload.to_vec(),
        signatures: vec![dsse::Signature {
            keyid: signer.public_key().keyid(),
            sig: sig.to_vec(),
        }],
    })
}

/// The largest key file aiprov reads: an OpenSSH Ed25519 key is under 1 KiB.
pub const MAX_KEY_FILE_BYTES: u64 = 64 << 10;

/// The content of a key file, refused over [`MAX_KEY_FILE_BYTES`].
pub(crate) fn read_key_file(path: &Path) -> Result<Vec<u8>, SignError> {
    crate::limits::read_file_bounded(path, MAX_KEY_FILE_BYTES as usize, "a key file").map_err(
        |source| SignError::ReadKey {
            path: path.to_path_buf(),
            source,
        },
    )
}

/// Where a signing key comes from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// An OpenSSH private key file.
    File(PathBuf),
    /// A public key whose private half ssh-agent holds.
    Agent(PublicKey),
}

impl KeySource {
    /// A private key file, or a public key file (`.pub`) naming a key held by ssh-agent.
    pub fn from_path(path: &Path) -> Result<KeySource, SignError> {
        let text = read_key_file(path)?;
        let text = String::from_utf8_lossy(&text);
        if text.trim_start().starts_with("-----BEGIN") {
            Ok(KeySource::File(path.to_path_buf()))
        } else {
            Ok(KeySource::Agent(PublicKey::from_openssh(&text)?))
        }
    }

    /// The signer. An encrypted key without passphrase is used through ssh-agent when it holds it.
    pub fn signer(&self, passphrase: Option<&str>) -> Result<Box<dyn Signer>, SignError> {
        match self {
            KeySource::Agent(key) => Ok(Box::new(AgentSigner::connect(key.clone())?)),
            KeySource::File(path) => match FileSigner::load(path, passphrase) {
                Err(SignError::Encrypted { path }) => {
                    let public = file::public_key_of(&path)?;
                    AgentSigner::connect(public)
                        .map(|a| Box::new(a) as Box<dyn Signer>)
                        .map_err(|_| SignError::Encrypted { path })
                }
                other => Ok(Box::new(other?)),
            },
        }
    }
}

/// Interprets git's `user.signingKey` for `gpg.format=ssh`: a literal key (`key::ssh-ed25519 ...`
/// or `ssh-ed25519 ...`) held by ssh-agent, or a path (`~/` expanded, relative paths from `dir`)
/// to a private key or a public key held by ssh-agent.
pub fn resolve_git_signing_key(value: &str, dir: &Path) -> Result<KeySource, SignError> {
    let value = value.trim();
    if let Some(literal) = value.strip_prefix("key::") {
        return Ok(KeySource::Agent(PublicKey::from_openssh(literal)?));
    }
    if value.starts_with("ssh-") {
        return Ok(KeySource::Agent(PublicKey::from_openssh(value)?));
    }
    let path = match value.strip_prefix("~/") {
        Some(rest) => dirs::home_dir().unwrap_or_default().join(rest),
        None => dir.join(value),
    };
    KeySource::from_path(&path)
}

/// `$XDG_CONFIG_HOME/aiprov/id_ed25519`, else the platform's config directory.
pub fn default_key_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(dirs::config_dir)?;
    Some(base.join("aiprov").join("id_ed25519"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyid_is_the_securesystemslib_one_for_a_known_key() {
        // RFC 8032 test 1 public key; keyid computed from the canonical JSON by hand.
        let bytes: [u8; 32] =
            hex::decode("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
                .unwrap()
                .try_into()
                .unwrap();
        let key = PublicKey::from_bytes(&bytes).unwrap();
        let canonical = r#"{"keytype":"ed25519","keyval":{"public":"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"},"scheme":"ed25519"}"#;
        assert_eq!(key.keyid(), hex::encode(Sha256::digest(canonical)));
        assert_eq!(PublicKey::from_openssh(&key.to_openssh()).unwrap(), key);
    }

    struct TestSigner(ed25519_dalek::SigningKey, PublicKey);

    impl Signer for TestSigner {
        fn public_key(&self) -> &PublicKey {
            &self.1
        }
        fn sign(&self, message: &[u8]) -> Result<[u8; 64], SignError> {
            use ed25519_dalek::Signer as _;
            Ok(self.0.sign(message).to_bytes())
        }
    }

    fn signer(seed: [u8; 32]) -> TestSigner {
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        let public = PublicKey::from_bytes(&key.verifying_key().to_bytes()).unwrap();
        TestSigner(key, public)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn sign_then_verify_and_any_flipped_bit_fails(
            seed: [u8; 32],
            payload: Vec<u8>,
            flip in 0usize..4096,
        ) {
            let s = signer(seed);
            let env = sign_envelope(crate::dsse::INTOTO_PAYLOAD_TYPE, &payload, &s).unwrap();
            let parsed = Envelope::parse(env.to_json().as_bytes()).unwrap();
            proptest::prop_assert_eq!(&parsed, &env);
            proptest::prop_assert!(s.1.verify(&parsed.pae(), &parsed.signatures[0].sig).is_ok());
            proptest::prop_assert_eq!(&parsed.signatures[0].keyid, &s.1.keyid());
            let mut bad_payload = parsed.clone();
            if !bad_payload.payload.is_empty() {
                let i = flip % (bad_payload.payload.len() * 8);
                bad_payload.payload[i / 8] ^= 1 << (i % 8);
                proptest::prop_assert!(s.1.verify(&bad_payload.pae(), &bad_payload.signatures[0].sig).is_err());
            }
            let mut bad_sig = parsed.clone();
            let i = flip % 512;
            bad_sig.signatures[0].sig[i / 8] ^= 1 << (i % 8);
            proptest::prop_assert!(s.1.verify(&bad_sig.pae(), &bad_sig.signatures[0].sig).is_err());
        }
    }

    #[test]
    fn non_ed25519_and_garbage_keys_are_rejected() {
        let ecdsa = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEe0vYAwbGzCUxY5d8A7nxoOQHpNHmjFxmmhahXd2mNmA3ZH1ytcvA5QxlOQkGqomdNDj5T9YzXwWs1FmVBYDs4=";
        assert!(matches!(
            PublicKey::from_openssh(ecdsa),
            Err(SignError::UnsupportedKey { .. }) | Err(SignError::PublicKeySyntax(_))
        ));
        assert!(PublicKey::from_openssh("ssh-ed25519 !!!").is_err());
    }
}
