//! A commit's note: one envelope per line (a DSSE envelope, or a Sigstore bundle), blank lines
//! ignored. The one place that reads a note as lines and that adds a line to one.

use crate::dsse::Envelope;
use crate::trailers::Identity;

/// The envelope lines of a note, each trimmed and with its 1-based line number; blank lines
/// skipped.
pub fn numbered_lines(note: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    note.split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim_ascii()))
        .filter(|(_, line)| !line.is_empty())
}

/// The envelope lines of a note, each trimmed; blank lines skipped.
pub fn lines(note: &[u8]) -> Vec<&[u8]> {
    numbered_lines(note).map(|(_, line)| line).collect()
}

/// The note after adding `envelope`: a line of the same predicate type by the same signer (the
/// attestation's `signer`, the approval's `approver`) is replaced; every other line (other
/// signers, other kinds, lines aiprov cannot read) is kept. A line the note already has leaves
/// it as it is.
pub fn with_envelope(existing: Option<&[u8]>, envelope: &Envelope) -> Vec<u8> {
    with_line(existing, envelope.to_json().as_bytes(), &envelope.payload)
}

/// [`with_envelope`] for a note line of any kind (a DSSE envelope or a Sigstore bundle) whose
/// in-toto statement is `payload`.
pub fn with_line(existing: Option<&[u8]>, line: &[u8], payload: &[u8]) -> Vec<u8> {
    let existing = lines(existing.unwrap_or_default());
    let mut out = Vec::new();
    if existing.contains(&line) {
        for line in existing {
            out.extend_from_slice(line);
            out.push(b'\n');
        }
        return out;
    }
    let ours = line_owner(payload);
    for line in existing {
        let theirs = Envelope::of_line(line)
            .ok()
            .and_then(|env| line_owner(&env.payload));
        let replaced = match (&ours, &theirs) {
            (Some((t1, e1)), Some((t2, e2))) => t1 == t2 && e1.eq_ignore_ascii_case(e2),
            _ => false,
        };
        if !replaced {
            out.extend_from_slice(line);
            out.push(b'\n');
        }
    }
    out.extend_from_slice(line);
    out.push(b'\n');
    out
}

/// Whether adding the envelope line of statement `payload` to the note replaces a different
/// line (the same signer's earlier line of its kind), as [`with_line`] does.
pub fn replaces(existing: Option<&[u8]>, line: &[u8], payload: &[u8]) -> bool {
    let Some(ours) = line_owner(payload) else {
        return false;
    };
    lines(existing.unwrap_or_default()).into_iter().any(|old| {
        old != line
            && Envelope::of_line(old)
                .ok()
                .and_then(|env| line_owner(&env.payload))
                .is_some_and(|(t, e)| t == ours.0 && e.eq_ignore_ascii_case(&ours.1))
    })
}

/// The predicate type and the signing identity a statement names.
fn line_owner(payload: &[u8]) -> Option<(String, String)> {
    #[derive(serde::Deserialize)]
    struct Owner {
        #[serde(rename = "predicateType")]
        predicate_type: String,
        predicate: OwnerPredicate,
    }
    #[derive(serde::Deserialize)]
    struct OwnerPredicate {
        signer: Option<Identity>,
        approver: Option<Identity>,
    }
    let o: Owner = serde_json::from_slice(payload).ok()?;
    let who = o.predicate.signer.or(o.predicate.approver)?;
    Some((o.predicate_type, who.email))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(kind: &str, role: &str, email: &str) -> Vec<u8> {
        format!(r#"{{"predicateType":"{kind}","predicate":{{"{role}":{{"name":"N","email":"{email}"}}}}}}"#)
            .into_bytes()
    }

    fn line(payload: &[u8]) -> Vec<u8> {
        crate::dsse::Envelope {
            payload_type: "application/vnd.in-toto+json".into(),
            payload: payload.to_vec(),
            signatures: vec![crate::dsse::Signature {
                keyid: String::new(),
                sig: vec![0; 64],
            }],
        }
        .to_json()
        .into_bytes()
    }

    #[test]
    fn lines_are_numbered_as_in_the_note_and_blank_ones_skipped() {
        let note = b"one\n\n  two \r\n\nthree";
        let got: Vec<(usize, &[u8])> = numbered_lines(note).collect();
        assert_eq!(got, vec![(1, &b"one"[..]), (3, b"two"), (5, b"three")]);
    }

    #[test]
    fn a_line_replaces_the_same_signers_line_of_its_kind_only() {
        let alice = statement("ai", "signer", "alice@example.org");
        let alice_again = statement("ai", "signer", "ALICE@example.org");
        let bob = statement("ai", "signer", "bob@example.org");
        let approval = statement("approval", "approver", "alice@example.org");
        let mut note = with_line(None, &line(&alice), &alice);
        note = with_line(Some(&note), &line(&bob), &bob);
        note = with_line(Some(&note), &line(&approval), &approval);
        note = with_line(
            Some(&[note.as_slice(), b"not an envelope\n"].concat()),
            &line(&alice_again),
            &alice_again,
        );
        let want = [
            line(&bob),
            line(&approval),
            b"not an envelope".to_vec(),
            line(&alice_again),
        ];
        assert_eq!(
            lines(&note),
            want.iter().map(Vec::as_slice).collect::<Vec<_>>()
        );
    }
}
