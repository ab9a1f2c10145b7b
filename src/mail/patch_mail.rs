//! One patch mail read by `git mailinfo` itself, as `git am` reads it: author, subject, commit
//! message, the notes `git format-patch --notes` put below `---`, the diff, and what
//! `git apply` reads in the patch.

use thiserror::Error;

use crate::change::Change;
use crate::patch::{self, PatchError};
use crate::trailers::Identity;

use super::MAX_MAIL_BYTES;

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
    #[error("{0}")]
    Git(String),
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
    /// The whole patch as `git am` hands it to `git apply`: from the patch break on.
    pub patch: Vec<u8>,
    /// What `git apply` itself reads in the patch: one entry per file section it would apply
    /// (empty for a mail without any), or why it cannot read the patch.
    pub applied: Result<Vec<AppliedFile>, String>,
}

/// One file section of a patch as `git apply --numstat` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedFile {
    /// The path before (the same as `path` unless renamed or copied).
    pub old_path: String,
    pub path: String,
    /// Added and removed lines; `None` for a binary patch.
    pub lines: Option<(u32, u32)>,
}

/// Reads `git apply --numstat -z` output.
pub fn parse_numstat(out: &[u8]) -> Result<Vec<AppliedFile>, String> {
    let mut fields = out.split(|&b| b == 0);
    let mut files = Vec::new();
    while let Some(record) = fields.next().filter(|r| !r.is_empty()) {
        let bad = || {
            format!(
                "unexpected git apply output {:?}",
                String::from_utf8_lossy(record)
            )
        };
        let mut parts = record.splitn(3, |&b| b == b'\t');
        let (added, removed, path) = match (parts.next(), parts.next(), parts.next()) {
            (Some(a), Some(r), Some(p)) => (a, r, p),
            _ => return Err(bad()),
        };
        let number = |n: &[u8]| std::str::from_utf8(n).ok()?.parse::<u32>().ok();
        let lines = match (added, removed) {
            (b"-", b"-") => None,
            (a, r) => Some((number(a).ok_or_else(bad)?, number(r).ok_or_else(bad)?)),
        };
        let name = |p: &[u8]| crate::text::path_name(p);
        let (old_path, path) = if path.is_empty() {
            // A rename or copy: the two paths follow as fields of their own.
            match (fields.next(), fields.next()) {
                (Some(from), Some(to)) => (name(from), name(to)),
                _ => return Err(bad()),
            }
        } else {
            (name(path), name(path))
        };
        files.push(AppliedFile {
            old_path,
            path,
            lines,
        });
    }
    Ok(files)
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

impl PatchMail {
    /// Reads one mail (as [`crate::mail::mbox::split`] returns it) with `git mailinfo`, as
    /// `git am` does: its decoding of MIME parts, transfer encodings, charsets and in-body
    /// headers, and its split between message and patch, are the ones that count.
    pub fn parse(raw: &[u8]) -> Result<PatchMail, MailError> {
        if raw.len() > MAX_MAIL_BYTES {
            return Err(MailError::TooLarge { size: raw.len() });
        }
        let info = super::mailinfo::git_mailinfo(raw, &[]).map_err(MailError::Git)?;
        let mut mail = PatchMail::from_mailinfo(raw, &info.info, &info.msg, &info.patch)?;
        // What git apply reads in the patch, as git am will hand it over (run outside any
        // repository: only the patch text counts).
        let dir = info.dir.path();
        let apply = crate::git::git_command()
            .current_dir(dir)
            .env("GIT_CEILING_DIRECTORIES", dir)
            .args(["apply", "--numstat", "-z", "--allow-empty", "patch"])
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|e| MailError::Git(format!("git apply: {e}")))?;
        mail.applied = if apply.status.success() {
            parse_numstat(&apply.stdout)
        } else {
            Err(String::from_utf8_lossy(&apply.stderr).trim().to_string())
        };
        Ok(mail)
    }

    /// A mail from what `git mailinfo` made of it: its info on standard output (`Author:`,
    /// `Email:`, `Subject:`, `Date:`), the message body and the patch (everything from the
    /// patch break on). `raw` gives the headers git mailinfo does not report (Message-ID, and the
    /// Subject with its `[PATCH n/m]` prefix).
    pub fn from_mailinfo(
        raw: &[u8],
        info: &[u8],
        msg: &[u8],
        patch: &[u8],
    ) -> Result<PatchMail, MailError> {
        let info = String::from_utf8_lossy(info);
        let field = |name: &str| {
            info.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
                .map(str::to_string)
        };
        let email = field("Email")
            .filter(|e| !e.is_empty())
            .ok_or(MailError::NoAuthor)?;
        let author = Identity {
            name: field("Author").unwrap_or_default(),
            email,
        };
        let title = field("Subject").unwrap_or_default();
        let (headers, _) = mailparse::parse_headers(raw).map_err(MailError::Parse)?;
        use mailparse::MailHeaderMap;
        let subject = headers
            .get_first_value("Subject")
            .unwrap_or_else(|| title.clone());
        let message_id = headers.get_first_value("Message-ID").map(|m| {
            m.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        });
        let body = String::from_utf8_lossy(msg);
        let message = stripspace(&format!("{title}\n\n{body}"));
        if message.len() > crate::change::MAX_MESSAGE_BYTES {
            return Err(MailError::MessageTooLarge {
                size: message.len(),
                max: crate::change::MAX_MESSAGE_BYTES,
            });
        }
        let patch = String::from_utf8_lossy(patch);
        let rest: Vec<&str> = patch.split_inclusive('\n').collect();
        let (notes, diff) = split_notes_and_diff(&rest);
        Ok(PatchMail {
            message_id,
            subject,
            author,
            date: field("Date"),
            message,
            notes,
            diff,
            patch: patch.into_owned().into_bytes(),
            applied: Ok(Vec::new()),
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

    /// A cover letter: a mail in which git apply finds nothing to apply (whatever its number:
    /// a "0/N" mail with a diff is a patch to `git am`).
    pub fn is_cover_letter(&self) -> bool {
        self.applied.as_ref().is_ok_and(|files| files.is_empty())
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

    /// Adds note lines under one notes ref, as if the mail carried them (approvals given apart
    /// from the mail).
    pub fn add_note_lines(&mut self, notes_ref: &str, lines: &[String]) {
        if lines.is_empty() {
            return;
        }
        let name = notes_ref.strip_prefix("refs/notes/").unwrap_or(notes_ref);
        let name = if name == "commits" { "" } else { name };
        self.notes.push((name.to_string(), lines.to_vec()));
    }

    /// How messages name the mail: `patch N/M` after its subject's numbers (`[PATCH v2 3/7]`,
    /// as `git format-patch` and `git send-email` number a series), whatever its Message-ID;
    /// `patch` for a mail sent alone.
    pub fn name(&self) -> String {
        match self.number() {
            Some((n, m)) => format!("patch {n}/{m}"),
            None => "patch".to_string(),
        }
    }

    /// The change this mail makes, identified by its Message-ID.
    pub fn change(&self) -> Result<Change, MailError> {
        let files = patch::parse(&self.diff).map_err(|source| MailError::Patch {
            subject: self.subject.clone(),
            source,
        })?;
        let id = match (&self.message_id, self.number()) {
            (Some(m), _) => m.clone(),
            (None, _) => self.name(),
        };
        Ok(Change {
            id,
            message: self.message.clone(),
            author: self.author.clone(),
            parent: None,
            parent_count: 1,
            files,
            ids_are_objects: false,
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
