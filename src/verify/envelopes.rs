//! Signature and trust checks of the envelopes in one note: parse, verify, match the keyring.

use jiff::Timestamp;

use crate::dsse::{Envelope, INTOTO_PAYLOAD_TYPE};
use crate::finding::{Code, Finding};
use crate::keyring::{principal_matches, Keyring, Trust};
use crate::model::{
    AiUsageStatement, ApprovalStatement, ReleaseStatement, StatementHeader,
    AI_USAGE_PREDICATE_TYPE, APPROVAL_PREDICATE_TYPE, RELEASE_PREDICATE_TYPE, STATEMENT_TYPE,
};
use crate::signing::PublicKey;

/// An AI-usage attestation whose signature verified with a key the keyring trusts for its signer.
#[derive(Debug, Clone)]
pub struct Attestation {
    pub statement: AiUsageStatement,
    pub keyid: String,
    pub created_at: Timestamp,
    /// 1-based line of the note it came from.
    pub line: usize,
}

/// What the envelopes of one note amount to.
#[derive(Debug, Default)]
pub struct NoteCheck {
    pub findings: Vec<Finding>,
    pub attestations: Vec<Attestation>,
    pub approvals: Vec<VerifiedApproval>,
    /// Envelope lines found, valid or not.
    pub envelopes: usize,
}

/// The most envelope lines of one note that are read: an author's, amendments, approvals.
pub const MAX_NOTE_ENVELOPES: usize = 256;

/// Checks every envelope line of a note against the keyring (at most [`MAX_NOTE_ENVELOPES`]).
pub fn check_note(note: &[u8], keyring: &Keyring) -> NoteCheck {
    let mut out = NoteCheck::default();
    let mut budget = Budget::for_note(note.len());
    for (n, line) in crate::note::numbered_lines(note) {
        if out.envelopes == MAX_NOTE_ENVELOPES {
            out.findings.push(Finding::new(
                Code::SignatureInvalid,
                format!(
                    "note line {}: the note holds more than {MAX_NOTE_ENVELOPES} envelopes; the rest are not read",
                    n
                ),
            ));
            break;
        }
        out.envelopes += 1;
        match check_envelope(line, keyring, &mut budget) {
            Ok(Verified::Attestation(att)) => {
                out.attestations.push(Attestation { line: n, ..*att })
            }
            Ok(Verified::Approval(a)) => out.approvals.push(a),
            Ok(Verified::Other) => {}
            Err(f) => out.findings.push(Finding {
                message: format!("note line {}: {}", n, f.message),
                ..f
            }),
        }
    }
    out
}

/// A maintainer's approval whose signature verified with a key trusted for the approver.
#[derive(Debug, Clone)]
pub struct VerifiedApproval {
    pub approver: String,
    /// The signed creation time, as the approval states it.
    pub created_at: String,
    /// Approved file changes: name and file-change digest.
    pub files: Vec<(String, String)>,
}

/// What one valid envelope holds.
enum Verified {
    Attestation(Box<Attestation>),
    Approval(VerifiedApproval),
    /// A valid envelope of a predicate type this build does not check.
    Other,
}

/// How far a signing time may lie ahead of the verifying machine's clock (clocks drift).
pub const MAX_CLOCK_SKEW: jiff::SignedDuration = jiff::SignedDuration::from_secs(5 * 60);

/// Refuses a signing time in the future: the time is the signer's claim, and a key's validity
/// window is checked at it, so a date past `valid-before`'s end of a window (or a date chosen to
/// enter a later window) must not pass.
fn not_in_future(at: Timestamp) -> Result<(), Finding> {
    let now = Timestamp::now();
    if at > now + MAX_CLOCK_SKEW {
        return Err(Finding::new(
            Code::SignatureUntrusted,
            format!("signed at {at}, which is in the future (this machine's clock says {now}; up to 5 minutes of skew are allowed)"),
        ));
    }
    Ok(())
}

fn parse_time(text: &str) -> Result<Timestamp, Finding> {
    text.parse()
        .map_err(|e| Finding::new(Code::SignatureInvalid, format!("invalid createdAt: {e}")))
}

/// Who made an envelope's signature, as the keyring knows them.
enum SignedBy {
    Key {
        key: PublicKey,
        keyid: String,
    },
    /// A Sigstore certificate naming `identity`, which the keyring lets sign for `principals`.
    #[cfg_attr(not(feature = "sigstore"), allow(dead_code))]
    Sigstore {
        identity: String,
        principals: Vec<String>,
    },
}

impl SignedBy {
    fn keyid(&self) -> String {
        match self {
            SignedBy::Key { keyid, .. } => keyid.clone(),
            SignedBy::Sigstore { identity, .. } => format!("sigstore:{identity}"),
        }
    }

    /// Whether the keyring lets this signature speak for `signer` at `at`.
    fn check(&self, keyring: &Keyring, signer: &str, at: Timestamp) -> Result<(), Finding> {
        not_in_future(at)?;
        match self {
            SignedBy::Key { key, keyid } => check_signer(keyring, key, keyid, signer, at),
            SignedBy::Sigstore {
                identity,
                principals,
            } => {
                if principals.iter().any(|p| principal_matches(p, signer)) {
                    Ok(())
                } else {
                    Err(Finding::new(
                        Code::SignatureUntrusted,
                        format!(
                            "Sigstore identity {identity} signs for {}, not for the signer it names, {signer}",
                            principals.join(", ")
                        ),
                    ))
                }
            }
        }
    }
}

/// The payload of a bare DSSE envelope line and the keyring key that signed it.
fn check_dsse(
    line: &[u8],
    keyring: &Keyring,
    budget: &mut Budget,
) -> Result<(Vec<u8>, SignedBy), Finding> {
    let invalid = |m: String| Finding::new(Code::SignatureInvalid, m);
    let env =
        Envelope::parse(line).map_err(|e| invalid(format!("not a valid DSSE envelope: {e}")))?;
    if env.payload_type != INTOTO_PAYLOAD_TYPE {
        return Err(invalid(format!(
            "unexpected payload type '{}' (expected {INTOTO_PAYLOAD_TYPE})",
            env.payload_type
        )));
    }
    let (key, keyid) = verifying_key(&env, keyring, budget)?;
    Ok((env.payload, SignedBy::Key { key, keyid }))
}

/// A release summary (`aiprov archive`), which may be larger than an attestation (up to
/// `limit` bytes): signature checked, and trusted for the release manager it names.
pub fn check_release_summary(
    line: &[u8],
    keyring: &Keyring,
    limit: usize,
) -> Result<ReleaseStatement, Finding> {
    let invalid = |m: String| Finding::new(Code::SignatureInvalid, m);
    let env = Envelope::parse_limited(line, limit)
        .map_err(|e| invalid(format!("not a valid DSSE envelope: {e}")))?;
    let (key, keyid) = verifying_key(&env, keyring, &mut Budget::for_note(line.len()))?;
    crate::json::check_unique_keys(&env.payload)
        .map_err(|e| invalid(format!("payload is not strict JSON: {e}")))?;
    let statement: ReleaseStatement = serde_json::from_slice(&env.payload)
        .map_err(|e| invalid(format!("payload is not a valid release summary: {e}")))?;
    if env.payload_type != INTOTO_PAYLOAD_TYPE
        || statement.type_ != STATEMENT_TYPE
        || statement.predicate_type != RELEASE_PREDICATE_TYPE
    {
        return Err(invalid("not an in-toto release summary statement".into()));
    }
    let created_at = parse_time(&statement.predicate.created_at)?;
    not_in_future(created_at)?;
    check_signer(
        keyring,
        &key,
        &keyid,
        &statement.predicate.signer.email,
        created_at,
    )?;
    Ok(statement)
}

/// One envelope (a DSSE envelope, or a Sigstore bundle holding one), signature and trust checked.
fn check_envelope(
    line: &[u8],
    keyring: &Keyring,
    budget: &mut Budget,
) -> Result<Verified, Finding> {
    let invalid = |m: String| Finding::new(Code::SignatureInvalid, m);
    if line.len() > crate::dsse::MAX_ENVELOPE_BYTES {
        return Err(invalid(format!(
            "the line is {} bytes, over the envelope limit of {}",
            line.len(),
            crate::dsse::MAX_ENVELOPE_BYTES
        )));
    }
    crate::json::check_unique_keys(line)
        .map_err(|e| invalid(format!("not a valid envelope: {e}")))?;
    #[cfg(feature = "sigstore")]
    let (payload, by) = if crate::sigstore::is_bundle(line) {
        let (payload, cert) = super::sigstore::check_bundle(line, keyring)?;
        let by = SignedBy::Sigstore {
            identity: cert.identity,
            principals: cert.principals,
        };
        (payload, by)
    } else {
        check_dsse(line, keyring, budget)?
    };
    #[cfg(not(feature = "sigstore"))]
    let (payload, by) = check_dsse(line, keyring, budget)?;
    match parse_statement(&payload)? {
        ParsedStatement::AiUsage {
            statement,
            created_at,
        } => {
            by.check(keyring, &statement.predicate.signer.email, created_at)?;
            Ok(Verified::Attestation(Box::new(Attestation {
                statement: *statement,
                keyid: by.keyid(),
                created_at,
                line: 0,
            })))
        }
        ParsedStatement::Approval {
            statement,
            created_at,
        } => {
            let approver = statement.predicate.approver.email.clone();
            by.check(keyring, &approver, created_at)?;
            let files = statement
                .subject
                .iter()
                .filter_map(|s| Some((s.name.clone(), s.digest.get("sha256")?.clone())))
                .collect();
            Ok(Verified::Approval(VerifiedApproval {
                approver,
                created_at: statement.predicate.created_at.clone(),
                files,
            }))
        }
        ParsedStatement::Other { .. } => Ok(Verified::Other),
    }
}

/// An envelope's payload read as verification reads it, before any key or trust check.
#[derive(Debug, Clone, PartialEq)]
pub enum ParsedStatement {
    /// An AI-usage attestation whose subject agrees with its file entries.
    AiUsage {
        statement: Box<AiUsageStatement>,
        created_at: Timestamp,
    },
    /// A maintainer's approval.
    Approval {
        statement: Box<ApprovalStatement>,
        created_at: Timestamp,
    },
    /// An in-toto statement of a predicate type this build does not check.
    Other { predicate_type: String },
}

/// Parses the payload of an envelope: an in-toto statement, its predicate by type, the signing
/// time, and (for AI usage) that subject and file entries agree. Errors are `signature-invalid`
/// findings, as verification reports them.
pub fn parse_statement(payload: &[u8]) -> Result<ParsedStatement, Finding> {
    let invalid = |m: String| Finding::new(Code::SignatureInvalid, m);
    // Signed, but readable two ways: another parser may take the other of two equal keys.
    crate::json::check_unique_keys(payload)
        .map_err(|e| invalid(format!("payload is not strict JSON: {e}")))?;
    let header: StatementHeader = serde_json::from_slice(payload)
        .map_err(|e| invalid(format!("payload is not an in-toto statement: {e}")))?;
    if header.type_ != STATEMENT_TYPE {
        return Err(invalid(format!(
            "unsupported statement type '{}'",
            header.type_
        )));
    }
    match header.predicate_type.as_str() {
        AI_USAGE_PREDICATE_TYPE => {
            let statement: AiUsageStatement = serde_json::from_slice(payload)
                .map_err(|e| invalid(format!("payload is not a valid AI-usage statement: {e}")))?;
            let created_at = parse_time(&statement.predicate.created_at)?;
            check_subject_agrees(&statement).map_err(invalid)?;
            Ok(ParsedStatement::AiUsage {
                statement: Box::new(statement),
                created_at,
            })
        }
        APPROVAL_PREDICATE_TYPE => {
            let statement: ApprovalStatement = serde_json::from_slice(payload)
                .map_err(|e| invalid(format!("payload is not a valid approval: {e}")))?;
            let created_at = parse_time(&statement.predicate.created_at)?;
            Ok(ParsedStatement::Approval {
                statement: Box::new(statement),
                created_at,
            })
        }
        _ => Ok(ParsedStatement::Other {
            predicate_type: header.predicate_type,
        }),
    }
}

/// Whether the keyring trusts `key` for `signer` at `at`.
fn check_signer(
    keyring: &Keyring,
    key: &PublicKey,
    keyid: &str,
    signer: &str,
    at: Timestamp,
) -> Result<(), Finding> {
    let untrusted = |m: String| Err(Finding::new(Code::SignatureUntrusted, m));
    match keyring.trust(key, at) {
        Trust::Trusted { principals } => {
            if principals.iter().any(|p| p.matches(signer)) {
                Ok(())
            } else {
                let list: Vec<String> = principals.iter().map(|p| p.to_string()).collect();
                untrusted(format!(
                    "key {keyid} is trusted for {}, not for the signer it names, {signer}",
                    list.join(", ")
                ))
            }
        }
        Trust::Unknown => untrusted(format!("key {keyid} is not in the trusted keyring")),
        Trust::Revoked { reason } => {
            let why = reason.map(|r| format!(" ({r})")).unwrap_or_default();
            untrusted(format!("key {keyid} of {signer} is revoked{why}"))
        }
        Trust::OutsideValidity { window } => untrusted(format!(
            "key {keyid} of {signer} signed at {at}, outside its validity ({window})"
        )),
    }
}

/// Most signature checks one envelope gets: its signatures' keyid hints first, then the keys
/// trusted for the identity its statement names.
pub const MAX_TRIES_PER_ENVELOPE: usize = 4;

/// The work signature checks of one note may cost: each envelope's first check is free (an
/// honest envelope names its key and verifies at once, however many hostile lines precede it);
/// every further check hashes the payload again and is paid from a budget of the note's size
/// plus 1 MiB, so a note costs at most about three hashes of itself, whatever its signatures.
struct Budget {
    bytes: usize,
}

impl Budget {
    fn for_note(len: usize) -> Budget {
        Budget {
            bytes: len + (1 << 20),
        }
    }
}

/// The trusted key whose signature over the envelope verifies, within the bounds above. The
/// keyid is only a hint: the key found is the keyring's, its keyid recomputed.
fn verifying_key(
    env: &Envelope,
    keyring: &Keyring,
    budget: &mut Budget,
) -> Result<(PublicKey, String), Finding> {
    let pae = env.pae();
    // The identity the (not yet verified) statement claims: only its keys can make it trusted.
    let claimed = claimed_identity(&env.payload);
    let mut tries = 0;
    let mut try_key = |key: &PublicKey, sig: &[u8]| -> Result<bool, Finding> {
        if tries > 0 {
            if tries == MAX_TRIES_PER_ENVELOPE || budget.bytes < pae.len() {
                return Err(Finding::new(
                    Code::SignatureInvalid,
                    format!(
                        "no signature verified in {tries} checks, the most aiprov makes of one envelope (see docs/security.md, Limits)"
                    ),
                ));
            }
            budget.bytes -= pae.len();
        }
        tries += 1;
        Ok(key.verify(&pae, sig).is_ok())
    };
    let mut bad_known = None;
    for sig in &env.signatures {
        for key in keyring.all_keys().filter(|k| k.keyid() == sig.keyid) {
            if try_key(key, &sig.sig)? {
                return Ok((key.clone(), sig.keyid.clone()));
            }
            bad_known = Some(sig.keyid.clone());
        }
    }
    let identity_keys: Vec<&PublicKey> = match &claimed {
        Some(identity) => keyring.keys_for(identity).collect(),
        None => Vec::new(),
    };
    for sig in &env.signatures {
        for key in identity_keys.iter().filter(|k| k.keyid() != sig.keyid) {
            if try_key(key, &sig.sig)? {
                return Ok(((*key).clone(), key.keyid()));
            }
        }
    }
    match bad_known {
        Some(keyid) => Err(Finding::new(
            Code::SignatureInvalid,
            format!("signature does not verify with key {keyid}"),
        )),
        None => {
            let ids: Vec<&str> = env.signatures.iter().map(|s| s.keyid.as_str()).collect();
            Err(Finding::new(
                Code::SignatureUntrusted,
                format!(
                    "signed by a key that is not in the trusted keyring (keyid {})",
                    if ids.is_empty() {
                        "none".to_string()
                    } else {
                        ids.join(", ")
                    }
                ),
            ))
        }
    }
}

/// The signer (or approver) a statement names, read before its signature is checked.
fn claimed_identity(payload: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Claim {
        predicate: ClaimPredicate,
    }
    #[derive(serde::Deserialize)]
    struct ClaimPredicate {
        signer: Option<Who>,
        approver: Option<Who>,
    }
    #[derive(serde::Deserialize)]
    struct Who {
        email: String,
    }
    let claim: Claim = serde_json::from_slice(payload).ok()?;
    claim
        .predicate
        .signer
        .or(claim.predicate.approver)
        .map(|w| w.email)
}

/// The subject and the predicate's file entries must name the same files with the same digests.
fn check_subject_agrees(statement: &AiUsageStatement) -> Result<(), String> {
    let files = &statement.predicate.files;
    let subjects = &statement.subject;
    if files.len() != subjects.len() {
        return Err(format!(
            "statement has {} subjects but {} file entries",
            subjects.len(),
            files.len()
        ));
    }
    let named: std::collections::HashSet<(&str, Option<&String>)> = subjects
        .iter()
        .map(|s| (s.name.as_str(), s.digest.get("sha256")))
        .collect();
    for f in files {
        if !named.contains(&(f.path.as_str(), Some(&f.digest))) {
            return Err(format!("subject and file entry disagree on {}", f.path));
        }
    }
    Ok(())
}
