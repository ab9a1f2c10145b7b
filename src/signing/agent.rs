//! Signing through ssh-agent (`$SSH_AUTH_SOCK`), with the agent protocol's sign request.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;

use super::{PublicKey, SignError, Signer};

const SIGN_REQUEST: u8 = 13;
const SIGN_RESPONSE: u8 = 14;
const FAILURE: u8 = 5;
const KEY_TYPE: &[u8] = b"ssh-ed25519";
const MAX_REPLY: usize = 256 * 1024;
const AGENT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// Signs with a key that ssh-agent holds.
pub struct AgentSigner {
    socket: std::path::PathBuf,
    public: PublicKey,
}

fn put_string(buf: &mut Vec<u8>, s: &[u8]) {
    buf.extend_from_slice(&(s.len() as u32).to_be_bytes());
    buf.extend_from_slice(s);
}

fn take_string<'a>(buf: &mut &'a [u8]) -> Option<&'a [u8]> {
    let len = u32::from_be_bytes(buf.get(..4)?.try_into().ok()?) as usize;
    let s = buf.get(4..4 + len)?;
    *buf = &buf[4 + len..];
    Some(s)
}

impl AgentSigner {
    pub fn connect(public: PublicKey) -> Result<AgentSigner, SignError> {
        let socket = std::env::var_os("SSH_AUTH_SOCK")
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                SignError::Agent("SSH_AUTH_SOCK is not set; is ssh-agent running?".into())
            })?;
        Ok(AgentSigner {
            socket: socket.into(),
            public,
        })
    }

    fn request(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let io = |e: std::io::Error| SignError::Agent(format!("{}: {e}", self.socket.display()));
        let mut blob = Vec::new();
        put_string(&mut blob, KEY_TYPE);
        put_string(&mut blob, &self.public.to_bytes());
        let mut body = vec![SIGN_REQUEST];
        put_string(&mut body, &blob);
        put_string(&mut body, message);
        body.extend_from_slice(&0u32.to_be_bytes());
        let mut stream = UnixStream::connect(&self.socket).map_err(io)?;
        // An agent may ask its user to confirm; it must not hang us forever.
        stream.set_read_timeout(Some(AGENT_TIMEOUT)).map_err(io)?;
        let mut packet = (body.len() as u32).to_be_bytes().to_vec();
        packet.extend_from_slice(&body);
        stream.write_all(&packet).map_err(io)?;
        let mut len = [0u8; 4];
        stream.read_exact(&mut len).map_err(io)?;
        let len = u32::from_be_bytes(len) as usize;
        if len == 0 || len > MAX_REPLY {
            return Err(SignError::Agent(format!("reply of {len} bytes")));
        }
        let mut reply = vec![0u8; len];
        stream.read_exact(&mut reply).map_err(io)?;
        Ok(reply)
    }
}

impl Signer for AgentSigner {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn sign(&self, message: &[u8]) -> Result<[u8; 64], SignError> {
        let reply = self.request(message)?;
        match reply.first() {
            Some(&SIGN_RESPONSE) => {}
            Some(&FAILURE) => {
                return Err(SignError::Agent(format!(
                    "the agent does not hold key {} (add it with ssh-add)",
                    self.public.keyid()
                )))
            }
            other => return Err(SignError::Agent(format!("unexpected reply type {other:?}"))),
        }
        let mut rest = &reply[1..];
        let sig_blob =
            take_string(&mut rest).ok_or_else(|| SignError::Agent("truncated reply".into()))?;
        let mut blob = sig_blob;
        let kind = take_string(&mut blob);
        let sig = take_string(&mut blob);
        let (Some(KEY_TYPE), Some(sig)) = (kind, sig) else {
            return Err(SignError::Agent(
                "reply is not an ssh-ed25519 signature".into(),
            ));
        };
        let sig: [u8; 64] = sig
            .try_into()
            .map_err(|_| SignError::Agent("signature is not 64 bytes".into()))?;
        self.public.verify(message, &sig)?;
        Ok(sig)
    }
}
