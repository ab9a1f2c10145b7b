//! One patch mail read the way `git mailinfo` and `git am` read it: author, cleaned subject,
//! commit message, the notes `git format-patch --notes` put below `---`, and the diff.

use thiserror::Error;

use crate::change::Change;
use crate::patch::{self, PatchError};
use crate::trailers::Identity;

/// The largest single mail aiprov reads.
pub const MAX_MAIL_BYTES: usize = 64 << 20;

#[derive(Debug, Error)]
pub enum MailError {
    #[error("mail is {size} bytes, over the limit of {MAX_MAIL_BYTES}")]
    TooLarge { size: usize },
    #[error("not a mail")]
    Parse(#[source] mailparse::MailParseError),
    #[error("the commit message of the mail is {size} bytes, over the limit of {max}")]
    MessageTooLarge { size: usize, max: usize },
    #[error("mail has no From header")]
    NoAuthor,
    #[error("the diff of {subject:?}")]
    Patch {
        subject: String,
        #[source]
        source: PatchError,
    },
}

/// A patch mail.
#[derive(Debug, Clone)]
pub struct PatchMail {
    pub message_id: Option<String>,
    /// The Subject header as sent, e.g. `[PATCH v2 3/7] hw/dev: fix`.
    pub subject: String,
    pub author: Identity,
    pub date: Option<String>,
    /// The commit message `git am` makes: the cleaned subject, a blank line, the body.
    pub message: String,
    /// Notes sections below `---`: the name shown (`aiprov` for `Notes (aiprov):`, empty for
    /// `Notes:`) and the note's lines.
    pub notes: Vec<(String, Vec<String>)>,
    /// Everything from the first `diff --git` line on.
    pub diff: Vec<u8>,
}

/// Removes what `git mailinfo` removes from the front of a subject: `Re:`, `[...]` prefixes,
/// whitespace and colons.
pub fn clean_subject(subject: &str) -> String {
    let mut s = subject;
    loop {
        let t = s.trim_start_matches([' ', '\t', ':']);
        if t.len() != s.len() {
            s = t;
            continue;
        }
        if t.len() > 3 && t.as_bytes()[..3].eq_ignore_ascii_case(b"re:") {
            s = &t[3..];
            continue;
        }
        if t.starts_with('[') {
            if let Some(end) = t.find(']') {
                s = &t[end + 1..];
                continue;
            }
        }
        break;
    }
    s.trim().to_string()
}

/// `git mailinfo`'s patch break: a `diff -` or `Index: ` line, `--- file`, or `---` alone.
fn is_patch_break(line: &str) -> bool {
    if line.starts_with("diff -") || line.starts_with("Index: ") {
        return true;
    }
    let Some(rest) = line.strip_prefix("---") else {
        return false;
    };
    if rest.starts_with(' ') && rest[1..].chars().next().is_some_and(|c| !c.is_whitespace()) {
        return true;
    }
    rest.trim().is_empty()
}

/// Collapses what `git stripspace` collapses: trailing whitespace, repeated and edge blank lines.
fn stripspace(text: &str) -> String {
    let mut out = String::new();
    let mut blank_pending = false;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank_pending = !out.is_empty();
            continue;
        }
        if blank_pending {
            out.push('\n');
            blank_pending = false;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn header(mail: &mailparse::ParsedMail<'_>, name: &str) -> Option<String> {
    use mailparse::MailHeaderMap;
    mail.headers.get_first_value(name)
}

/// Decodes quoted-printable as `git mailinfo` does: `=XX` escapes and soft line breaks, line ends
/// kept as they are (no CRLF introduced).
fn decode_quoted_printable(raw: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] != b'=' {
            out.push(raw[i]);
            i += 1;
            continue;
        }
        match (raw.get(i + 1), raw.get(i + 2)) {
            (Some(b'\n'), _) => i += 2,
            (Some(b'\r'), Some(b'\n')) => i += 3,
            (Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push(hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0));
                i += 3;
            }
            _ => {
                out.push(b'=');
                i += 1;
            }
        }
    }
    out
}

/// The text of a mail: its text parts, transfer encoding and charset decoded.
fn body_text(mail: &mailparse::ParsedMail<'_>) -> String {
    if mail.subparts.is_empty() {
        // Without a declared charset the bytes are taken as they are, UTF-8, as `git mailinfo`
        // does: `git format-patch` declares none for a message that is all ASCII, even when its
        // notes are not.
        let charset = mail
            .ctype
            .params
            .contains_key("charset")
            .then(|| charset::Charset::for_label(mail.ctype.charset.as_bytes()))
            .flatten();
        if let mailparse::body::Body::QuotedPrintable(body) = mail.get_body_encoded() {
            let bytes = decode_quoted_printable(body.get_raw());
            return match charset {
                Some(cs) => cs.decode(&bytes).0.into_owned(),
                None => String::from_utf8_lossy(&bytes).into_owned(),
            };
        }
        if charset.is_none() {
            return String::from_utf8_lossy(&mail.get_body_raw().unwrap_or_default()).into_owned();
        }
        return mail
            .get_body()
            .or_else(|_| {
                mail.get_body_raw()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
            })
            .unwrap_or_default();
    }
    mail.subparts
        .iter()
        .filter(|p| {
            p.ctype.mimetype.starts_with("text/") || p.ctype.mimetype.starts_with("multipart/")
        })
        .map(body_text)
        .collect::<Vec<_>>()
        .join("\n")
}

fn parse_identity(value: &str) -> Option<Identity> {
    let value = value.trim();
    if let Ok(id) = Identity::parse("From", value) {
        return Some(id);
    }
    // `email (Name)` and a bare address.
    let (email, name) = match value.split_once('(') {
        Some((e, n)) => (e.trim(), n.trim_end_matches(')').trim()),
        None => (value, ""),
    };
    email.contains('@').then(|| Identity {
        name: name.to_string(),
        email: email.trim_matches(['<', '>']).to_string(),
    })
}

impl PatchMail {
    /// Parses one mail (LF line ends, as [`crate::mail::mbox::split`] returns them).
    pub fn parse(raw: &[u8]) -> Result<PatchMail, MailError> {
        if raw.len() > MAX_MAIL_BYTES {
            return Err(MailError::TooLarge { size: raw.len() });
        }
        let mail = mailparse::parse_mail(raw).map_err(MailError::Parse)?;
        let mut subject = header(&mail, "Subject").unwrap_or_default();
        let mut from = header(&mail, "From");
        let mut date = header(&mail, "Date");
        let message_id = header(&mail, "Message-ID").map(|m| {
            m.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        });
        let text = body_text(&mail);
        let mut lines = text.split_inclusive('\n').peekable();
        // In-body headers: `From:`, `Subject:`, `Date:` at the top of the body override the mail's.
        while lines.peek().is_some_and(|l| l.trim().is_empty()) {
            lines.next();
        }
        let mut saw_inbody = false;
        while let Some(line) = lines.peek() {
            let l = line.trim_end();
            let (key, value) = match l.split_once(':') {
                Some((k, v))
                    if ["from", "subject", "date"].contains(&k.to_ascii_lowercase().as_str()) =>
                {
                    (k.to_ascii_lowercase(), v.trim().to_string())
                }
                _ => break,
            };
            match key.as_str() {
                "from" => from = Some(value),
                "subject" => subject = value,
                _ => date = Some(value),
            }
            saw_inbody = true;
            lines.next();
        }
        if saw_inbody {
            while lines.peek().is_some_and(|l| l.trim().is_empty()) {
                lines.next();
            }
        }
        let mut body = String::new();
        let mut rest: Vec<&str> = Vec::new();
        for line in lines.by_ref() {
            if is_patch_break(line.trim_end_matches('\n')) {
                rest.push(line);
                break;
            }
            body.push_str(line);
        }
        rest.extend(lines);
        let author = from
            .as_deref()
            .and_then(parse_identity)
            .ok_or(MailError::NoAuthor)?;
        let title = clean_subject(&subject.replace(['\n', '\r'], " "));
        let message = stripspace(&format!("{title}\n\n{body}"));
        if message.len() > crate::change::MAX_MESSAGE_BYTES {
            return Err(MailError::MessageTooLarge {
                size: message.len(),
                max: crate::change::MAX_MESSAGE_BYTES,
            });
        }
        let (notes, diff) = split_notes_and_diff(&rest);
        Ok(PatchMail {
            message_id,
            subject,
            author,
            date,
            message,
            notes,
            diff,
        })
    }

    /// The `[PATCH n/m]` numbers of the subject, if any.
    pub fn number(&self) -> Option<(u32, u32)> {
        let open = self.subject.find('[')?;
        let close = self.subject[open..].find(']')? + open;
        self.subject[open + 1..close]
            .split_whitespace()
            .find_map(|w| {
                let (n, m) = w.split_once('/')?;
                Some((n.parse().ok()?, m.parse().ok()?))
            })
    }

    /// A cover letter: numbered 0/N, or a mail without a diff.
    pub fn is_cover_letter(&self) -> bool {
        self.number().is_some_and(|(n, _)| n == 0)
            || !self.diff.windows(11).any(|w| w == b"diff --git ")
    }

    /// The note lines of one notes ref (`refs/notes/aiprov` shows as `Notes (aiprov):`).
    pub fn note_lines(&self, notes_ref: &str) -> Vec<&str> {
        let name = notes_ref.strip_prefix("refs/notes/").unwrap_or(notes_ref);
        let name = if name == "commits" { "" } else { name };
        self.notes
            .iter()
            .filter(|(n, _)| n == name)
            .flat_map(|(_, lines)| lines.iter().map(String::as_str))
            .collect()
    }

    /// The change this mail makes, identified by its Message-ID.
    pub fn change(&self) -> Result<Change, MailError> {
        let files = patch::parse(&self.diff).map_err(|source| MailError::Patch {
            subject: self.subject.clone(),
            source,
        })?;
        let id = match (&self.message_id, self.number()) {
            (Some(m), _) => m.clone(),
            (None, Some((n, m))) => format!("patch {n}/{m}"),
            (None, None) => "patch".to_string(),
        };
        Ok(Change {
            id,
            message: self.message.clone(),
            author: self.author.clone(),
            parent: None,
            parent_count: 1,
            files,
        })
    }
}

/// Splits what follows the patch break into notes sections and the diff.
fn split_notes_and_diff(rest: &[&str]) -> (Vec<(String, Vec<String>)>, Vec<u8>) {
    let mut notes: Vec<(String, Vec<String>)> = Vec::new();
    let mut i = 0;
    while i < rest.len() && !rest[i].starts_with("diff --git ") {
        let line = rest[i].trim_end();
        let name = if line == "Notes:" {
            Some(String::new())
        } else {
            line.strip_prefix("Notes (")
                .and_then(|r| r.strip_suffix("):"))
                .map(str::to_string)
        };
        i += 1;
        let Some(name) = name else { continue };
        let mut lines = Vec::new();
        while i < rest.len() {
            let l = rest[i].trim_end_matches('\n');
            if let Some(content) = l.strip_prefix("    ") {
                lines.push(content.to_string());
            } else if l.trim().is_empty() && rest.get(i + 1).is_some_and(|n| n.starts_with("    "))
            {
                // A blank line inside the note (its indentation stripped in transit).
            } else {
                break;
            }
            i += 1;
        }
        notes.push((name, lines));
    }
    let diff: String = rest[i.min(rest.len())..].concat();
    (notes, diff.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_cleaned_like_git_mailinfo() {
        assert_eq!(
            clean_subject("[PATCH v2 3/7] hw/dev: fix it"),
            "hw/dev: fix it"
        );
        assert_eq!(clean_subject("Re: [RFC PATCH] [qemu] x: y"), "x: y");
        assert_eq!(
            clean_subject("  :Re:re: subject [not a prefix]"),
            "subject [not a prefix]"
        );
        assert_eq!(clean_subject("Reply to all"), "Reply to all");
        // Found by the mail fuzz target: a multi-byte character across byte 3 of the subject.
        assert_eq!(clean_subject("ab\u{ff}x"), "ab\u{ff}x");
        assert_eq!(clean_subject("RE:\u{ff}"), "\u{ff}");
    }

    #[test]
    fn quoted_printable_keeps_line_ends() {
        assert_eq!(
            decode_quoted_printable(b"a=3Db=\nc\n--=20\nx=zz\n"),
            b"a=bc\n-- \nx=zz\n".to_vec()
        );
    }

    #[test]
    fn patch_breaks_like_git_mailinfo() {
        assert!(is_patch_break("---"));
        assert!(is_patch_break("---  "));
        assert!(is_patch_break("--- a/file"));
        assert!(is_patch_break("diff --git a/x b/x"));
        assert!(!is_patch_break("----"));
        assert!(is_patch_break("--- "));
        assert!(!is_patch_break("---x"));
    }

    #[test]
    fn undeclared_8bit_text_is_utf8_like_git_mailinfo() {
        let raw = "From: A <a@example.org>\nSubject: [PATCH] x\n\nx\n---\n\nNotes (aiprov):\n    caf\u{e9} \u{2014}\n\ndiff --git a/f b/f\n";
        let mail = PatchMail::parse(raw.as_bytes()).unwrap();
        assert_eq!(
            mail.note_lines("refs/notes/aiprov"),
            vec!["caf\u{e9} \u{2014}"]
        );
        let latin1 = b"From: A <a@example.org>\nSubject: [PATCH] x\nContent-Type: text/plain; charset=ISO-8859-1\n\ncaf\xe9\n---\n";
        assert!(PatchMail::parse(latin1)
            .unwrap()
            .message
            .contains("caf\u{e9}"));
    }
}
