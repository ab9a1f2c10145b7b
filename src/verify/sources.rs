//! Where verified changes come from: a commit of a repository, or a patch mail.

use super::{entry_index, needs_digest, verify_change, ChangeSource, Trusted};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use crate::change::{Change, FileChange};
use crate::finding::{Code, Finding};
use crate::git::{notes, GitError, Repo, Target};
use crate::model::{AiUsage, ChangeReport, FileEntry, MailSignature, Verdict};

/// A commit of a repository, as verification asks it.
struct CommitSource<'r> {
    repo: &'r Repo,
    target: &'r Target,
}

impl ChangeSource for CommitSource<'_> {
    type Error = GitError;

    fn change(&self, predicates: &[&AiUsage]) -> Result<Change, GitError> {
        // Digests where ids differ from the attested ones, and line counts where AI wrote
        // code; looked up by path, so that many files cost in proportion.
        let indexed: Vec<_> = predicates.iter().map(|p| entry_index(&p.files)).collect();
        let ai_paths: HashSet<&str> = predicates
            .iter()
            .flat_map(|p| &p.files)
            .filter(|e| e.ai.as_ref().is_some_and(|a| !a.categories.is_empty()))
            .map(|e| e.path.as_str())
            .collect();
        self.repo.change_with(self.target.commit, false, |f| {
            ai_paths.contains(f.path.as_str()) || indexed.iter().any(|i| needs_digest(f, i))
        })
    }

    fn pair(&self, e: &FileEntry) -> Option<FileChange> {
        self.repo
            .pair_change(self.target.commit, e.status, e.old_path.as_deref(), &e.path)
            .ok()
            .flatten()
    }

    fn sides(&self, file: &FileChange) -> Option<(Vec<u8>, Vec<u8>)> {
        let side = |id: &Option<String>| match id {
            Some(id) => self.repo.blob(id),
            None => Some(Vec::new()),
        };
        Some((side(&file.old_blob)?, side(&file.new_blob)?))
    }
}

/// Verifies one commit of a repository with its note from `notes`.
pub fn verify_commit(
    repo: &Repo,
    target: &Target,
    trust: &Trusted<'_>,
    notes: &notes::Reader<'_>,
) -> Result<ChangeReport, GitError> {
    let note = match notes.read(target.commit) {
        Ok(note) => note,
        // A note over the bound is this commit's problem, not the whole range's.
        Err(GitError::TooLarge { what, size, max }) => {
            let mut report = verify_commit_note(repo, target, trust, None)?;
            report.findings.retain(|f| f.code != Code::SignatureMissing);
            report.findings.insert(
                0,
                Finding::new(
                    Code::SignatureInvalid,
                    format!("{what} is {size} bytes, over the limit of {max}; it is not read"),
                ),
            );
            report.verdict = Verdict::Fail;
            return Ok(report);
        }
        Err(e) => return Err(e),
    };
    verify_commit_note(repo, target, trust, note.as_deref())
}

/// Verifies one commit of a repository against the given note (its lines, as stored): what
/// [`verify_commit`] does once the note is read, for notes that are not (or not yet) stored.
pub fn verify_commit_note(
    repo: &Repo,
    target: &Target,
    trust: &Trusted<'_>,
    note: Option<&[u8]>,
) -> Result<ChangeReport, GitError> {
    Ok(verify_commit_change(repo, target, trust, note)?.0)
}

/// [`verify_commit_note`], with the change it verified: without rename detection, and with the
/// digests and line counts of the files the attestations needed
/// ([`Repo::complete_change`] makes the rest).
pub fn verify_commit_change(
    repo: &Repo,
    target: &Target,
    trust: &Trusted<'_>,
    note: Option<&[u8]>,
) -> Result<(ChangeReport, Change), GitError> {
    verify_change(note, trust, &CommitSource { repo, target })
}

/// The blobs a series of patch mails starts from: the repository's, and those the series'
/// earlier patches produce, so that each patch's files can be rebuilt whole.
#[derive(Default)]
pub struct MailBlobs<'r> {
    repo: Option<&'r Repo>,
    produced: RefCell<HashMap<String, Vec<u8>>>,
}

impl<'r> MailBlobs<'r> {
    pub fn new(repo: Option<&'r Repo>) -> Self {
        MailBlobs {
            repo,
            produced: RefCell::default(),
        }
    }

    /// A blob by its id or abbreviated id as an `index` line gives it; an all-zero id is empty.
    fn get(&self, id: &str) -> Option<Vec<u8>> {
        if id.bytes().all(|b| b == b'0') {
            return Some(Vec::new());
        }
        let produced = self.produced.borrow();
        let mut found = produced.iter().filter(|(k, _)| k.starts_with(id));
        match (found.next(), found.next()) {
            (Some((_, blob)), None) => Some(blob.clone()),
            _ => self.repo?.blob_by_prefix(id),
        }
    }
}

/// A patch mail, as verification asks it: its change as git am reads it, attested pairings from
/// the whole sides the mail carries, and each file rebuilt from its pre-image blob (when the
/// repository or an earlier patch has it) and the mail's hunks, checked against the new id.
struct MailSource<'a, 'r> {
    change: &'a Change,
    blobs: &'a MailBlobs<'r>,
    diff: &'a crate::patch::DiffSections<'a>,
}

impl ChangeSource for MailSource<'_, '_> {
    type Error = crate::mail::MailError;

    fn change(&self, _: &[&AiUsage]) -> Result<Change, Self::Error> {
        Ok(self.change.clone())
    }

    fn pair(&self, entry: &FileEntry) -> Option<FileChange> {
        split_pair_change(&self.change.files, self.diff, entry)
    }

    fn sides(&self, file: &FileChange) -> Option<(Vec<u8>, Vec<u8>)> {
        if file.binary {
            return None;
        }
        let old = match &file.old_blob {
            Some(id) => self.blobs.get(id)?,
            None => Vec::new(),
        };
        let new = self.diff.apply(&file.path, &old)?;
        let id = crate::git::blob_id(&new);
        if !file.new_blob.as_deref().is_some_and(|n| id.starts_with(n)) {
            return None;
        }
        self.blobs.produced.borrow_mut().insert(id, new.clone());
        Some((old, new))
    }
}

/// For a patch mail: the file change (with its digest) of an attested rename or copy that git paired differently in the
/// mail (as a deletion and an addition), computed from the whole sides the mail carries. `None`
/// when the mail does not hold both sides.
fn split_pair_change(
    files: &[FileChange],
    diff: &crate::patch::DiffSections<'_>,
    entry: &FileEntry,
) -> Option<FileChange> {
    use crate::change::Status;
    let old_path = entry.old_path.as_deref()?;
    if !matches!(entry.status, Status::Renamed | Status::Copied) {
        return None;
    }
    let new = diff.whole_side(&entry.path, true)?;
    let old = match entry.status {
        Status::Renamed => diff.whole_side(old_path, false)?,
        _ => return None,
    };
    let mode = |m: &Option<String>| {
        m.as_deref()
            .and_then(|m| u32::from_str_radix(m, 8).ok())
            .unwrap_or(0)
    };
    let mut file = FileChange {
        path: entry.path.clone(),
        old_path: Some(old_path.to_string()),
        status: entry.status,
        old_mode: mode(&entry.old_mode),
        new_mode: mode(&entry.new_mode),
        old_blob: None,
        new_blob: None,
        binary: false,
        digest: None,
        added_lines: 0,
        removed_lines: 0,
    };
    // The mail's own file changes must be exactly that deletion and that addition.
    let deleted = files
        .iter()
        .any(|f| f.status == Status::Deleted && f.path == old_path);
    let added = files
        .iter()
        .any(|f| f.status == Status::Added && f.path == entry.path);
    if !(deleted && added) {
        return None;
    }
    crate::git::digest_of_buffers(&mut file, &old, &new).ok()?;
    Some(file)
}

/// Verifies one patch mail with the attestations it carries below `---` (from `notes_ref`), and
/// its patatt signatures when a patatt keyring is given (`raw` is the mail as received).
pub fn verify_mail(
    mail: &crate::mail::PatchMail,
    raw: &[u8],
    blobs: &MailBlobs<'_>,
    trust: &Trusted<'_>,
    patatt: Option<&crate::mail::patatt::PatattKeyring>,
    notes_ref: &str,
) -> Result<ChangeReport, crate::mail::MailError> {
    let note = mail.note_lines(notes_ref).join("\n");
    let change = mail.change()?;
    // The mail's sections by path, indexed once for every look-up below.
    let sections = crate::patch::DiffSections::new(&mail.diff);
    let source = MailSource {
        change: &change,
        blobs,
        diff: &sections,
    };
    let mut report = verify_change(
        (!note.is_empty()).then_some(note.as_bytes()),
        trust,
        &source,
    )?
    .0;
    report.label = Some(mail.name());
    let mut findings = applied_findings(&change, &mail.applied);
    if let Some(keyring) = patatt {
        use crate::mail::patatt::{verify_mail as patatt_verify, PatattVerdict};
        for verdict in patatt_verify(raw, keyring) {
            let (identity, result, reason) = match verdict {
                PatattVerdict::Valid { identity, .. } => (identity, "valid", None),
                PatattVerdict::Invalid { identity, reason } => (identity, "invalid", Some(reason)),
                PatattVerdict::NoKey { identity, selector } => (
                    identity,
                    "no-key",
                    Some(format!("no key for selector {selector}")),
                ),
                PatattVerdict::Unsupported { algorithm } => {
                    (String::new(), "unsupported", Some(algorithm))
                }
            };
            if result == "invalid" {
                // A mail whose own signature fails was changed after its author signed it.
                findings.push(Finding::new(
                    Code::SignatureInvalid,
                    format!(
                        "the patatt X-Developer-Signature of {identity} does not verify: {}",
                        reason.clone().unwrap_or_default()
                    ),
                ));
            }
            report.mail_signatures.push(MailSignature {
                kind: "patatt".into(),
                identity,
                result: result.into(),
                reason,
            });
        }
    }
    super::add_findings(&mut report, findings, trust.policy);
    Ok(report)
}

/// How many file sections name a (old path, path) pair, and their added and removed lines
/// (`None`: binary).
type Sections = (usize, Option<(u32, u32)>);

/// Compares aiprov's reading of a mail's diff with what `git apply` reads in it: every file
/// section git would apply must be one of the file changes verified, once, with the same line
/// counts. A section only git sees (a diff without `diff --git`, a second section for a file, a
/// patch aiprov reads differently) is never applied unverified.
fn applied_findings(
    change: &crate::change::Change,
    applied: &Result<Vec<crate::mail::patch_mail::AppliedFile>, String>,
) -> Vec<Finding> {
    use crate::change::Status;
    let applied = match applied {
        Ok(files) => files,
        Err(e) => {
            return vec![Finding::new(
                Code::FileMissing,
                format!("git apply cannot read this patch, so what git am applies is unknown: {e}"),
            )]
        }
    };
    // aiprov's file changes, keyed as git apply lists them: (old path, path), with line counts.
    // A type change is one change here and two sections (deletion, creation) there.
    let mut ours: HashMap<(String, String), Sections> = HashMap::new();
    for f in &change.files {
        let old = match f.status {
            Status::Renamed | Status::Copied => {
                f.old_path.clone().unwrap_or_else(|| f.path.clone())
            }
            _ => f.path.clone(),
        };
        let sections = if f.status == Status::Typechange { 2 } else { 1 };
        let lines = (!f.binary).then_some((f.added_lines, f.removed_lines));
        ours.insert((old, f.path.clone()), (sections, lines));
    }
    let mut theirs: HashMap<(String, String), Sections> = HashMap::new();
    for a in applied {
        let entry = theirs
            .entry((a.old_path.clone(), a.path.clone()))
            .or_insert((0, Some((0, 0))));
        entry.0 += 1;
        entry.1 = match (entry.1, a.lines) {
            (Some((x, y)), Some((a, r))) => Some((x + a, y + r)),
            _ => None,
        };
    }
    let mut findings = Vec::new();
    let mut keys: Vec<_> = theirs.keys().collect();
    keys.sort();
    for key in keys {
        let (sections, lines) = theirs[key];
        let name = if key.0 == key.1 {
            key.1.clone()
        } else {
            format!("{} -> {}", key.0, key.1)
        };
        let finding = |code, message: String| Finding::new(code, message).in_file(key.1.clone());
        match ours.get(key) {
            None => findings.push(finding(
                Code::FileMissing,
                format!("git apply changes {name}, which aiprov does not read in this mail (a diff section without `diff --git`, or one it reads differently)"),
            )),
            Some(&(expected, _)) if sections > expected => findings.push(finding(
                Code::FileMissing,
                format!("git apply changes {name} in {sections} sections of this mail; aiprov verifies one"),
            )),
            Some(&(_, ours_lines)) if ours_lines.is_some() && lines.is_some() && ours_lines != lines => {
                let (a, r) = lines.unwrap_or_default();
                findings.push(finding(
                    Code::DigestMismatch,
                    format!(
                        "git apply adds {} and removes {} of {name}, not what aiprov read in this mail",
                        crate::text::count(a as usize, "line", "lines"),
                        crate::text::count(r as usize, "line", "lines")
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    findings
}
