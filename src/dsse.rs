//! DSSE envelopes (secure-systems-lab/dsse `protocol.md`): parsing, serialising and the
//! pre-authentication encoding. Bytes in, bytes out: no keys, no files.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The payload type of an in-toto statement.
pub const INTOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// The largest envelope aiprov reads or writes: an attestation of some 30,000 files (about 500
/// bytes each), small enough to refuse hostile input before parsing it.
pub const MAX_ENVELOPE_BYTES: usize = 16 << 20;

/// The most signatures an envelope may carry: each one whose keyid is unknown is tried against
/// every trusted key, so their number is bounded.
pub const MAX_SIGNATURES: usize = 16;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum DsseError {
    #[error("envelope is {size} bytes, over the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("envelope is not valid JSON of the DSSE shape: {0}")]
    Json(String),
    #[error("{field} is not valid base64")]
    Base64 { field: &'static str },
    #[error("envelope has no signatures")]
    NoSignatures,
    #[error("envelope has {count} signatures, over the limit of {MAX_SIGNATURES}")]
    TooManySignatures { count: usize },
}

/// A signed envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub payload_type: String,
    pub payload: Vec<u8>,
    pub signatures: Vec<Signature>,
}

/// One signature of an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// A hint naming the key; not authenticated.
    pub keyid: String,
    pub sig: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireEnvelope {
    payload_type: String,
    payload: String,
    signatures: Vec<WireSignature>,
}

#[derive(Serialize, Deserialize)]
struct WireSignature {
    #[serde(default)]
    keyid: String,
    sig: String,
}

/// The pre-authentication encoding that signatures cover:
/// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    out.extend_from_slice(
        format!(
            "DSSEv1 {} {payload_type} {} ",
            payload_type.len(),
            payload.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(payload);
    out
}

/// Decodes standard or URL-safe base64, padded or not.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
}

impl Envelope {
    /// The envelope of a note line, signature unchecked: a DSSE envelope, or the `dsseEnvelope`
    /// of a Sigstore bundle.
    pub fn of_line(line: &[u8]) -> Result<Envelope, DsseError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Bundle {
            dsse_envelope: serde_json::Value,
        }
        match serde_json::from_slice::<Bundle>(line) {
            Ok(b) => Envelope::parse(b.dsse_envelope.to_string().as_bytes()),
            Err(_) => Envelope::parse(line),
        }
    }

    /// Parses an envelope from its JSON form.
    pub fn parse(json: &[u8]) -> Result<Envelope, DsseError> {
        Self::parse_limited(json, MAX_ENVELOPE_BYTES)
    }

    /// Parses an envelope of at most `limit` bytes (a release summary may exceed
    /// [`MAX_ENVELOPE_BYTES`]).
    pub fn parse_limited(json: &[u8], limit: usize) -> Result<Envelope, DsseError> {
        if json.len() > limit {
            return Err(DsseError::TooLarge {
                size: json.len(),
                limit,
            });
        }
        crate::json::check_unique_keys(json).map_err(|e| DsseError::Json(e.to_string()))?;
        let wire: WireEnvelope =
            serde_json::from_slice(json).map_err(|e| DsseError::Json(e.to_string()))?;
        if wire.signatures.is_empty() {
            return Err(DsseError::NoSignatures);
        }
        if wire.signatures.len() > MAX_SIGNATURES {
            return Err(DsseError::TooManySignatures {
                count: wire.signatures.len(),
            });
        }
        let payload = decode_base64(&wire.payload).ok_or(DsseError::Base64 { field: "payload" })?;
        let signatures = wire
            .signatures
            .into_iter()
            .map(|s| {
                Ok(Signature {
                    keyid: s.keyid,
                    sig: decode_base64(&s.sig).ok_or(DsseError::Base64 { field: "signature" })?,
                })
            })
            .collect::<Result<_, DsseError>>()?;
        Ok(Envelope {
            payload_type: wire.payload_type,
            payload,
            signatures,
        })
    }

    /// The envelope as one line of JSON, standard padded base64.
    pub fn to_json(&self) -> String {
        let wire = WireEnvelope {
            payload_type: self.payload_type.clone(),
            payload: STANDARD.encode(&self.payload),
            signatures: self
                .signatures
                .iter()
                .map(|s| WireSignature {
                    keyid: s.keyid.clone(),
                    sig: STANDARD.encode(&s.sig),
                })
                .collect(),
        };
        serde_json::to_string(&wire).expect("an envelope of strings always serialises")
    }

    /// The bytes the signatures cover.
    pub fn pae(&self) -> Vec<u8> {
        pae(&self.payload_type, &self.payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_dsse_specification_example() {
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }

    #[test]
    fn url_safe_and_unpadded_base64_are_accepted() {
        let payload = [0xfbu8, 0xff, 0xfe, 0x01];
        let std = STANDARD.encode(payload);
        let url = URL_SAFE_NO_PAD.encode(payload);
        assert_ne!(std, url);
        for encoded in [std, url] {
            let json = format!(
                r#"{{"payloadType":"t","payload":"{encoded}","signatures":[{{"keyid":"k","sig":"{encoded}"}}]}}"#
            );
            let env = Envelope::parse(json.as_bytes()).expect("parse");
            assert_eq!(env.payload, payload);
            assert_eq!(env.signatures[0].sig, payload);
        }
    }

    #[test]
    fn round_trip_and_rejections() {
        let env = Envelope {
            payload_type: INTOTO_PAYLOAD_TYPE.into(),
            payload: b"{}".to_vec(),
            signatures: vec![Signature {
                keyid: "ab".into(),
                sig: vec![1, 2, 3],
            }],
        };
        assert_eq!(Envelope::parse(env.to_json().as_bytes()), Ok(env));
        assert_eq!(
            Envelope::parse(br#"{"payloadType":"t","payload":"e30=","signatures":[]}"#),
            Err(DsseError::NoSignatures)
        );
        assert!(matches!(Envelope::parse(b"{}"), Err(DsseError::Json(_))));
        let sigs = vec![r#"{"sig":"AA=="}"#; MAX_SIGNATURES + 1].join(",");
        let many = format!(r#"{{"payloadType":"t","payload":"e30=","signatures":[{sigs}]}}"#);
        assert_eq!(
            Envelope::parse(many.as_bytes()),
            Err(DsseError::TooManySignatures {
                count: MAX_SIGNATURES + 1
            })
        );
        let dup = br#"{"payloadType":"t","payload":"e30=","payload":"e30=","signatures":[{"sig":"AA=="}]}"#;
        assert!(
            matches!(Envelope::parse(dup), Err(DsseError::Json(m)) if m.contains("duplicate key"))
        );
        let big = vec![b' '; MAX_ENVELOPE_BYTES + 1];
        assert_eq!(
            Envelope::parse(&big),
            Err(DsseError::TooLarge {
                size: MAX_ENVELOPE_BYTES + 1,
                limit: MAX_ENVELOPE_BYTES
            })
        );
        assert_eq!(
            Envelope::parse(br#"{"payloadType":"t","payload":"!!","signatures":[{"sig":"AA=="}]}"#),
            Err(DsseError::Base64 { field: "payload" })
        );
    }
}
