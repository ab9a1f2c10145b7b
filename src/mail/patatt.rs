//! Verification of patatt's developer signatures on patch mails, as patatt 0.8 (used by b4)
//! verifies them: the `X-Developer-Signature` header, Ed25519 only.
//!
//! What is signed: the mail as `git mailinfo --encoding=utf-8 --no-scissors` itself reads it, as patatt runs it (decoded body split
//! into commit message and patch, the cleaned-up subject, the author's name and address), the body
//! with CRLF line ends and no trailing blank lines is hashed into `bh=`, and the headers named in
//! `h=` (relaxed DKIM canonicalisation, `From` and `Subject` as mailinfo reports them) followed by
//! the signature header itself up to `b=` are hashed with SHA-256; `b=` is the base64 of the
//! Ed25519 signature followed by that digest. Keys come from a patatt keyring ([`PatattKeyring`]).
//! Like patatt without `trimbody`, `l=` is not used to shorten the body.

mod keyring;

pub use keyring::{PatattKeyring, MAX_KEYRING_FILES, MAX_KEY_FILE_BYTES};

use std::cell::OnceCell;
use std::path::PathBuf;

use base64::Engine;
use sha2::{Digest, Sha256};
use thiserror::Error;

use super::MAX_MAIL_BYTES;

/// C's `isspace` in the "C" locale, which is also Python's `\s` on bytes.
pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// The bytes without leading and trailing [`is_space`].
pub(crate) fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_space(b)).unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|&b| !is_space(b))
        .map_or(start, |e| e + 1);
    &s[start..end]
}

/// At most this many headers may be named in `h=`.
pub const MAX_SIGNED_HEADERS: usize = 64;

const SIG_HEADER: &[u8] = b"x-developer-signature";

#[derive(Debug, Error)]
pub enum PatattError {
    #[error("cannot read keyring {}", path.display())]
    ReadKeyring {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("keyring holds more than {max} files")]
    KeyringTooLarge { max: usize },
    #[error("keyring file {path} is larger than {max} bytes")]
    KeyFileTooLarge { path: String, max: usize },
    #[error("signature header has no {0}= field")]
    MissingField(&'static str),
    #[error("signature header field {0}= is not UTF-8")]
    NotUtf8(String),
    #[error("signature header names more than {MAX_SIGNED_HEADERS} headers")]
    TooManyHeaders,
    #[error("algorithm {0} is not ed25519")]
    NotEd25519(String),
    #[error("b= is not valid base64")]
    SignatureBase64,
    #[error("b= holds {0} bytes; an ed25519 signature and its digest are 96")]
    SignatureLength(usize),
}

/// The outcome for one `X-Developer-Signature` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatattVerdict {
    /// The signature verifies with the keyring's key for this identity and selector.
    Valid { identity: String, selector: String },
    /// The signature, the mail or the key is wrong; `reason` says which.
    Invalid { identity: String, reason: String },
    /// The keyring has no key for this identity and selector.
    NoKey { identity: String, selector: String },
    /// A signature algorithm other than ed25519 (openpgp, openssh).
    Unsupported { algorithm: String },
}

/// The fields of one signature header, `name=value` pairs split at `;`, whitespace removed.
#[derive(Debug, Clone)]
struct Fields {
    /// The header value in relaxed canonical form, ending in CRLF.
    canonical: Vec<u8>,
    pairs: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Fields {
    fn parse(value: &[u8]) -> Result<Fields, String> {
        let canonical = canonical_value(value)?;
        let compact: Vec<u8> = canonical
            .iter()
            .copied()
            .filter(|&b| !is_space(b))
            .collect();
        let pairs = compact
            .split(|&b| b == b';')
            .filter_map(|chunk| {
                let eq = chunk.iter().position(|&b| b == b'=')?;
                Some((chunk[..eq].to_vec(), chunk[eq + 1..].to_vec()))
            })
            .collect();
        Ok(Fields { canonical, pairs })
    }

    /// The last value given for `name`.
    fn get(&self, name: &str) -> Option<&[u8]> {
        let pair = self.pairs.iter().rev().find(|(n, _)| n == name.as_bytes());
        pair.map(|(_, v)| v.as_slice())
    }

    /// The value as text; empty counts as absent, as in patatt.
    fn text(&self, name: &'static str) -> Result<Option<String>, PatattError> {
        match self.get(name) {
            None | Some([]) => Ok(None),
            Some(v) => String::from_utf8(v.to_vec())
                .map(Some)
                .map_err(|_| PatattError::NotUtf8(name.into())),
        }
    }
}

/// A parsed Ed25519 `X-Developer-Signature` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevSignature {
    /// `a=`, such as `ed25519-sha256`.
    pub algorithm: String,
    /// `i=`; when absent patatt uses the `From` address.
    pub identity: Option<String>,
    /// `s=`, `default` when absent.
    pub selector: String,
    /// `t=`, seconds since the epoch as written.
    pub time: String,
    /// `l=`, the signed body length (informational).
    pub length: Option<u64>,
    /// `h=`: the header names signed, in order.
    pub headers: Vec<Vec<u8>>,
    /// `bh=`, the base64 SHA-256 of the canonical body, as written.
    pub body_hash: Vec<u8>,
    signature: [u8; 64],
    digest: [u8; 32],
    /// The canonical header value up to and including the last `b=`.
    signed_prefix: Vec<u8>,
}

impl DevSignature {
    /// Parses the value of an `X-Developer-Signature` header (folded or not).
    pub fn parse(value: &[u8]) -> Result<DevSignature, PatattError> {
        let fields = Fields::parse(value).map_err(|_| PatattError::NotUtf8("header".into()))?;
        Self::from_fields(&fields)
    }

    fn from_fields(f: &Fields) -> Result<DevSignature, PatattError> {
        let algorithm = f.text("a")?.ok_or(PatattError::MissingField("a"))?;
        if !algorithm.starts_with("ed25519") {
            return Err(PatattError::NotEd25519(algorithm));
        }
        let h = f.get("h").ok_or(PatattError::MissingField("h"))?;
        let headers: Vec<Vec<u8>> = h.split(|&b| b == b':').map(|n| trim(n).to_vec()).collect();
        if headers.len() > MAX_SIGNED_HEADERS {
            return Err(PatattError::TooManyHeaders);
        }
        let body_hash = f.get("bh").ok_or(PatattError::MissingField("bh"))?.to_vec();
        f.get("b")
            .filter(|b| !b.is_empty())
            .ok_or(PatattError::MissingField("b"))?;
        let time = f.text("t")?.ok_or(PatattError::MissingField("t"))?;
        // patatt verifies what follows the last "b=" of the canonical value.
        let c = &f.canonical;
        let at = (0..c.len().saturating_sub(1))
            .rev()
            .find(|&i| &c[i..i + 2] == b"b=")
            .ok_or(PatattError::MissingField("b"))?;
        let b64: Vec<u8> = c[at + 2..]
            .iter()
            .copied()
            .filter(|&b| !is_space(b))
            .collect();
        let raw = base64::engine::general_purpose::STANDARD
            .decode(&b64)
            .map_err(|_| PatattError::SignatureBase64)?;
        if raw.len() != 96 {
            return Err(PatattError::SignatureLength(raw.len()));
        }
        let mut signature = [0; 64];
        let mut digest = [0; 32];
        signature.copy_from_slice(&raw[..64]);
        digest.copy_from_slice(&raw[64..]);
        Ok(DevSignature {
            algorithm,
            identity: f.text("i")?,
            selector: f.text("s")?.unwrap_or_else(|| "default".into()),
            time,
            length: f.text("l")?.and_then(|l| l.parse().ok()),
            headers,
            body_hash,
            signature,
            digest,
            signed_prefix: c[..at + 2].to_vec(),
        })
    }
}

/// A mail's headers (each with its continuation lines and line ends) and body, split as patatt
/// splits them.
struct Mail<'a> {
    headers: Vec<&'a [u8]>,
    separator: &'a [u8],
    body: &'a [u8],
}

fn split_mail(raw: &[u8]) -> (Mail<'_>, Option<String>) {
    let mut mail = Mail {
        headers: Vec::new(),
        separator: b"\n",
        body: b"",
    };
    let mut error = None;
    let mut pos = 0;
    let mut current: Option<usize> = None;
    while pos < raw.len() {
        let len = raw[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(raw.len() - pos, |i| i + 1);
        let line = &raw[pos..pos + len];
        if trim(line).is_empty() {
            mail.separator = line;
            mail.body = &raw[pos + len..];
            break;
        }
        if matches!(line[0], b' ' | b'\t') {
            match current {
                Some(start) => {
                    if let Some(last) = mail.headers.last_mut() {
                        *last = &raw[start..pos + len];
                    }
                }
                None => error = Some("a continuation line before any header".to_string()),
            }
        } else {
            current = Some(pos);
            mail.headers.push(line);
        }
        pos += len;
    }
    if error.is_none() && (mail.headers.is_empty() || mail.body.is_empty()) {
        error = Some("not a mail: no headers or no body".into());
    }
    (mail, error)
}

fn split_header(header: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = header.iter().position(|&b| b == b':')?;
    Some((&header[..colon], &header[colon + 1..]))
}

/// Relaxed DKIM header canonicalisation as patatt does it: unfold, collapse whitespace, trim, CRLF.
fn canonical_value(value: &[u8]) -> Result<Vec<u8>, String> {
    let mut value = value.to_vec();
    if value.windows(3).any(|w| w == b"?q?") {
        // patatt decodes RFC 2047 words here, after dropping non-ASCII bytes.
        value.retain(u8::is_ascii);
        if value.windows(2).any(|w| w == b"=?") {
            return Err("unsupported: an encoded word in a signed header".into());
        }
    }
    let mut out = Vec::with_capacity(value.len() + 2);
    let mut in_space = false;
    for &b in value.iter().filter(|&&b| b != b'\r' && b != b'\n') {
        if !is_space(b) {
            out.push(b);
        } else if !in_space {
            out.push(b' ');
        }
        in_space = is_space(b);
    }
    let mut out = trim(&out).to_vec();
    out.extend_from_slice(b"\r\n");
    Ok(out)
}

/// The mail as patatt signs it: headers with `From` and `Subject` replaced by what
/// `git mailinfo` reports, and the canonical body.
struct Canonical {
    headers: Vec<Vec<u8>>,
    body: Vec<u8>,
}

fn canonicalize(mail: &Mail, raw_len: usize) -> Result<Canonical, String> {
    if raw_len > MAX_MAIL_BYTES {
        return Err(format!("the mail is larger than {MAX_MAIL_BYTES} bytes"));
    }
    let mut input = mail.headers.concat();
    input.extend_from_slice(mail.separator);
    input.extend_from_slice(mail.body);
    let mut lf = Vec::with_capacity(input.len());
    for (i, &b) in input.iter().enumerate() {
        if !(b == b'\r' && input.get(i + 1) == Some(&b'\n')) {
            lf.push(b);
        }
    }
    let info = super::mailinfo::git_mailinfo(&lf, &["--encoding=utf-8", "--no-scissors"])?;

    let mut text = info.msg.clone();
    text.extend_from_slice(&info.patch);
    while text.last().is_some_and(|&b| b == b'\r' || b == b'\n') {
        text.pop();
    }
    let mut body = Vec::with_capacity(text.len() + 64);
    for line in text.split(|&b| b == b'\n') {
        let end = line.iter().rposition(|&b| b != b'\r').map_or(0, |e| e + 1);
        body.extend_from_slice(&line[..end]);
        body.extend_from_slice(b"\r\n");
    }

    let field = |name| trim(info.field(name).unwrap_or_default());
    let (author, email, subject) = (field("Author"), field("Email"), field("Subject"));
    let headers = mail
        .headers
        .iter()
        .map(|&h| match split_header(h) {
            Some((name, _)) if name.eq_ignore_ascii_case(b"from") => {
                [name, b": ", author, b" <", email, b">"].concat()
            }
            Some((name, _)) if name.eq_ignore_ascii_case(b"subject") => {
                [name, b": ", subject].concat()
            }
            _ => h.to_vec(),
        })
        .collect();
    Ok(Canonical { headers, body })
}

/// The signed headers, canonical and concatenated, as patatt selects them: for each name in `h=`,
/// the last not yet used header of that name.
fn signed_headers(canon: &Canonical, names: &[Vec<u8>]) -> Result<Vec<u8>, String> {
    let missing: Vec<&str> = ["from", "subject"]
        .into_iter()
        .filter(|r| !names.iter().any(|n| n == r.as_bytes()))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "required headers not signed: {}",
            missing.join(", ")
        ));
    }
    let mut parsed: Vec<(Vec<u8>, &[u8])> = canon
        .headers
        .iter()
        .rev()
        .filter_map(|h| split_header(h))
        .map(|(n, v)| (trim(n).to_ascii_lowercase(), v))
        .collect();
    let mut out = Vec::new();
    for name in names {
        if let Some(i) = parsed.iter().position(|(n, _)| n == name) {
            let (n, v) = parsed.remove(i);
            out.extend_from_slice(&n);
            out.push(b':');
            out.extend(canonical_value(v)?);
        }
    }
    Ok(out)
}

/// Verifies every `X-Developer-Signature` header of one raw mail (LF or CRLF line ends) against
/// `keyring`; an empty list if the mail carries none.
pub fn verify_mail(raw: &[u8], keyring: &PatattKeyring) -> Vec<PatattVerdict> {
    let (mail, error) = split_mail(raw);
    let mut from_id = None;
    let mut sigs = Vec::new();
    for h in &mail.headers {
        match split_header(h) {
            Some((n, v)) if trim(n).eq_ignore_ascii_case(SIG_HEADER) => sigs.push(v),
            Some((n, v)) if trim(n).eq_ignore_ascii_case(b"from") => from_id = from_address(v),
            _ => {}
        }
    }
    let error = error.or_else(|| {
        let bad = mail.headers.iter().any(|h| split_header(h).is_none());
        bad.then(|| "a header line without a colon".to_string())
    });
    let canon = OnceCell::new();
    sigs.into_iter()
        .map(|value| match &error {
            Some(e) => PatattVerdict::Invalid {
                identity: String::new(),
                reason: e.clone(),
            },
            None => verify_one(value, from_id.as_deref(), keyring, || {
                canon.get_or_init(|| canonicalize(&mail, raw.len()))
            }),
        })
        .collect()
}

fn verify_one<'c>(
    value: &[u8],
    from_id: Option<&str>,
    keyring: &PatattKeyring,
    canon: impl FnOnce() -> &'c Result<Canonical, String>,
) -> PatattVerdict {
    let invalid = |identity: &str, reason: String| PatattVerdict::Invalid {
        identity: identity.to_string(),
        reason,
    };
    let fields = match Fields::parse(value) {
        Ok(f) => f,
        Err(e) => return invalid("", e),
    };
    let text = |n| fields.text(n).ok().flatten();
    let Some(algorithm) = text("a") else {
        return invalid("", "no algorithm in the signature".into());
    };
    let identity = match fields.get("i") {
        Some(_) => text("i"),
        None => from_id.map(str::to_string),
    };
    let Some(identity) = identity else {
        return invalid("", "no identity in the signature".into());
    };
    let selector = text("s").unwrap_or_else(|| "default".into());
    if algorithm.starts_with("openpgp") || algorithm.starts_with("openssh") {
        return PatattVerdict::Unsupported { algorithm };
    }
    if !algorithm.starts_with("ed25519") {
        return invalid(&identity, format!("unknown algorithm {algorithm}"));
    }
    if !identity.contains('@') {
        return invalid(&identity, "the identity is not local@domain".into());
    }
    let key = match keyring.key(&identity, &selector) {
        None => return PatattVerdict::NoKey { identity, selector },
        Some(Err(e)) => return invalid(&identity, e),
        Some(Ok(key)) => key,
    };
    let sig = match DevSignature::from_fields(&fields) {
        Ok(s) => s,
        Err(e) => return invalid(&identity, e.to_string()),
    };
    let canon = match canon() {
        Ok(c) => c,
        Err(e) => return invalid(&identity, format!("cannot canonicalise the mail: {e}")),
    };
    let mut signed = match signed_headers(canon, &sig.headers) {
        Ok(s) => s,
        Err(e) => return invalid(&identity, e),
    };
    let body_hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&canon.body));
    if body_hash.as_bytes() != sig.body_hash {
        return invalid(&identity, "the body does not match its hash (bh=)".into());
    }
    signed.extend_from_slice(SIG_HEADER);
    signed.push(b':');
    signed.extend_from_slice(&sig.signed_prefix);
    if key.verify(&sig.digest, &sig.signature).is_err() {
        return invalid(&identity, "the signature does not verify".into());
    }
    if Sha256::digest(&signed).as_slice() != sig.digest {
        return invalid(&identity, "the signed headers do not match".into());
    }
    PatattVerdict::Valid { identity, selector }
}

/// The address of a `From` value, for signatures without `i=`: the text in the last `<...>`, or
/// the value itself when it is a bare address.
fn from_address(value: &[u8]) -> Option<String> {
    let v = String::from_utf8_lossy(trim(value)).into_owned();
    let addr = match (v.rfind('<'), v.rfind('>')) {
        (Some(a), Some(b)) if a < b => v[a + 1..b].trim().to_string(),
        _ => v.split_whitespace().find(|w| w.contains('@'))?.to_string(),
    };
    (!addr.is_empty()).then_some(addr)
}

#[cfg(test)]
mod tests;
