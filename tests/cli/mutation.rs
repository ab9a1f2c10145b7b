//! No false accepts: every byte of a valid attestation (the note's envelope line, its decoded
//! payload, its signature, a note of two lines, a patch mail's notes and diff) is altered, and
//! each alteration is either reported or decodes to exactly the same signed bytes. Verification
//! runs in-process through the library (`verify_commit_note`, `verify_mail`), which is what
//! `aiprov verify` runs; a few mutations go through the real binary as a cross-check.
//! Replays of an attestation onto another commit, file or repository are reported.

use crate::common;

use std::path::{Path, PathBuf};

use aiprov::dsse::Envelope;
use aiprov::git::Repo;
use aiprov::keyring::{Keyring, KeyringError};
use aiprov::mail::{mbox, PatchMail};
use aiprov::model::{ChangeReport, Verdict};
use aiprov::policy::{Policy, POLICY_PATH};
use aiprov::verify::{verify_commit_note, verify_mail, MailBlobs, Trusted};
use base64::Engine as _;
use common::{git_stdin, lines, Fixture};

const SOB: &str = "Signed-off-by: Alice Author <alice@example.org>";
const NOTES_REF: &str = "refs/notes/aiprov";

/// A repository whose base trusts alice and bob, and a commit on it that alice attested (AI used
/// for the documentation, as the trailer says) and that verifies.
struct Attested {
    f: Fixture,
    base: String,
    alice: PathBuf,
    bob: PathBuf,
}

fn attested() -> Attested {
    let f = Fixture::new();
    let alice = f.keygen("alice");
    let bob = f.keygen("bob");
    f.init_trusting("alice@example.org", &alice);
    f.aiprov()
        .args(["keyring", "add", "bob@example.org"])
        .arg(bob.with_extension("pub"))
        .assert()
        .success();
    f.write("src/main.c", lines("int main", 30));
    f.write("docs/guide.md", lines("guide", 5));
    let base = f.commit_all(&format!("Initial import\n\n{SOB}"));
    let mut main = lines("int main", 30);
    main = main.replace("int main line 10\n", "int main line ten\n");
    f.write("src/main.c", main);
    f.write("docs/guide.md", lines("guide", 8));
    f.commit_all(&format!(
        "Fix the main loop\n\nThe guide says how.\n\nAI-used-for: docs\n{SOB}"
    ));
    f.aiprov()
        .args(["attest", "-q", "--yes", "--ai", "docs/**=docs", "--key"])
        .arg(&alice)
        .assert()
        .success();
    f.aiprov().args(["verify", "-q"]).assert().code(0);
    Attested {
        f,
        base,
        alice,
        bob,
    }
}

/// The keyring and policy of a revision, loaded as `aiprov verify` loads them.
struct Trust {
    keyring: Keyring,
    policy: Policy,
}

impl Trust {
    fn at(repo: &Repo, rev: &str) -> Trust {
        let rev = repo.commit_id(rev).expect("trusted revision");
        let keyring = Keyring::load(".aiprov", |p| {
            repo.file_at(rev, &format!(".aiprov/{p}"))
                .map_err(|e| KeyringError::Read {
                    origin: p.to_string(),
                    source: Box::new(e),
                })
        })
        .expect("keyring parses")
        .expect("a keyring");
        let policy = match repo.file_at(rev, POLICY_PATH).expect("read policy") {
            Some(text) => Policy::parse(&text, POLICY_PATH).expect("policy parses"),
            None => Policy::default(),
        };
        Trust { keyring, policy }
    }

    fn trusted(&self) -> Trusted<'_> {
        Trusted {
            keyring: &self.keyring,
            policy: &self.policy,
            maintainers: None,
            mailmap: None,
        }
    }
}

fn codes(report: &ChangeReport) -> Vec<String> {
    report
        .findings
        .iter()
        .map(|f| f.code.as_str().to_string())
        .collect()
}

/// The signed content of a note: per non-blank line, payload type, payload and signature bytes
/// (keyids are unauthenticated hints). `None` when a line is not an envelope.
type Semantic = Vec<(String, Vec<u8>, Vec<Vec<u8>>)>;

fn semantic(note: &[u8]) -> Option<Semantic> {
    note.split(|&b| b == b'\n')
        .map(<[u8]>::trim_ascii)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let e = Envelope::parse(l).ok()?;
            let sigs = e.signatures.iter().map(|s| s.sig.clone()).collect();
            Some((e.payload_type, e.payload, sigs))
        })
        .collect()
}

/// Every bit of a byte.
const ALL_BITS: &[u8] = &[0, 1, 2, 3, 4, 5, 6, 7];
/// The low bit, the ASCII case bit, bit 3 and the high bit: a digit, letter or punctuation
/// becomes another, a control character, or a non-ASCII byte.
const SOME_BITS: &[u8] = &[0, 3, 5, 7];

/// Each single-byte alteration of `data`: each of `bits` flipped in turn, the byte deleted, and
/// the base64 alphabet swapped (`+`/`-`, `/`/`_`) where the byte is one of those.
fn mutations<'d>(data: &'d [u8], bits: &'d [u8]) -> impl Iterator<Item = (usize, Vec<u8>)> + 'd {
    (0..data.len()).flat_map(move |i| {
        let mut out = Vec::new();
        for &bit in bits {
            let mut m = data.to_vec();
            m[i] ^= 1 << bit;
            out.push((i, m));
        }
        let mut m = data.to_vec();
        m.remove(i);
        out.push((i, m));
        let swap = match data[i] {
            b'+' => Some(b'-'),
            b'-' => Some(b'+'),
            b'/' => Some(b'_'),
            b'_' => Some(b'/'),
            _ => None,
        };
        if let Some(s) = swap {
            let mut m = data.to_vec();
            m[i] = s;
            out.push((i, m));
        }
        out
    })
}

/// Tallies of a mutation run.
#[derive(Default, Debug)]
struct Tally {
    run: usize,
    identical: usize,
    reported: usize,
    by_code: std::collections::BTreeMap<String, usize>,
}

impl Tally {
    fn reported(&mut self, codes: &[String]) {
        self.reported += 1;
        for c in codes {
            *self.by_code.entry(c.clone()).or_default() += 1;
        }
    }
}

/// Runs every mutation of the note through `aiprov verify`'s library path and classifies it.
fn mutate_note(a: &Attested, note: &[u8], bits: &[u8]) -> Tally {
    let repo = Repo::discover(&a.f.repo).expect("repo");
    let target = repo.targets("HEAD").expect("HEAD").remove(0);
    let trust = Trust::at(&repo, &a.base);
    let trusted = trust.trusted();
    let verify = |n: &[u8]| verify_commit_note(&repo, &target, &trusted, Some(n)).expect("verify");
    let original = verify(note);
    assert_eq!(original.verdict, Verdict::Pass, "{:?}", original.findings);
    let want = semantic(note).expect("the note decodes");
    let mut tally = Tally::default();
    for (i, m) in mutations(note, bits) {
        tally.run += 1;
        let report = verify(&m);
        if semantic(&m).as_ref() == Some(&want) {
            assert_eq!(
                report.verdict,
                Verdict::Pass,
                "byte {i}: same signed bytes, but {:?}",
                report.findings
            );
            assert_eq!(report.attestations.len(), original.attestations.len());
            tally.identical += 1;
        } else {
            let c = codes(&report);
            assert_eq!(
                report.verdict,
                Verdict::Fail,
                "byte {i}: a changed envelope was accepted: {}",
                String::from_utf8_lossy(&m)
            );
            assert!(
                c.iter().any(|c| c.starts_with("signature.")),
                "byte {i}: reported without a signature finding: {c:?}"
            );
            tally.reported(&c);
        }
    }
    tally
}

fn note_of(f: &Fixture, rev: &str) -> Vec<u8> {
    common::git_bytes(&f.repo, &["notes", "--ref=aiprov", "show", rev])
}

#[test]
fn every_byte_of_the_envelope_line_is_covered() {
    let a = attested();
    let note = note_of(&a.f, "HEAD");
    assert_eq!(note.iter().filter(|&&b| b == b'\n').count(), 1);
    let t = mutate_note(&a, &note, SOME_BITS);
    eprintln!("envelope line of {} bytes: {t:?}", note.len());
    assert_eq!(t.run, t.identical + t.reported);
    assert!(t.run > 5 * note.len(), "{t:?}");
    // Identical: the base64 alphabet swaps, deleted padding, keyid hint changes.
    assert!(t.identical > 0 && t.reported > t.identical * 5, "{t:?}");
}

#[test]
fn every_byte_of_the_payload_and_signature_is_covered() {
    let a = attested();
    let note = note_of(&a.f, "HEAD");
    let env = Envelope::parse(note.trim_ascii()).expect("envelope");
    let repo = Repo::discover(&a.f.repo).expect("repo");
    let target = repo.targets("HEAD").expect("HEAD").remove(0);
    let trust = Trust::at(&repo, &a.base);
    let trusted = trust.trusted();
    let verdict_of = |e: &Envelope| {
        let line = e.to_json();
        let r =
            verify_commit_note(&repo, &target, &trusted, Some(line.as_bytes())).expect("verify");
        (r.verdict, codes(&r))
    };
    assert_eq!(verdict_of(&env), (Verdict::Pass, vec![]));
    let invalid = (Verdict::Fail, vec!["signature.invalid".to_string()]);
    // The payload: any change at all breaks the signature (nothing is re-signed).
    let mut payload_runs = 0;
    for (i, m) in mutations(&env.payload, &[0, 7]) {
        let mut e = env.clone();
        e.payload = m;
        assert_eq!(verdict_of(&e), invalid, "payload byte {i}");
        payload_runs += 1;
    }
    // The signature: every bit of every byte, each byte inverted, deleted, and one byte more.
    let mut sig_runs = 0;
    let sig = env.signatures[0].sig.clone();
    for i in 0..sig.len() {
        for x in ALL_BITS.iter().map(|b| 1u8 << b).chain([0xff]) {
            let mut e = env.clone();
            e.signatures[0].sig[i] ^= x;
            assert_eq!(verdict_of(&e), invalid, "signature byte {i} ^ {x}");
            sig_runs += 1;
        }
        let mut e = env.clone();
        e.signatures[0].sig.remove(i);
        assert_eq!(verdict_of(&e), invalid, "signature byte {i} deleted");
        sig_runs += 1;
    }
    let mut e = env.clone();
    e.signatures[0].sig.push(0);
    assert_eq!(verdict_of(&e), invalid, "signature with a byte more");
    // The payload type is signed too.
    let mut e = env.clone();
    e.payload_type = "application/vnd.in-toto+jsoN".into();
    assert_eq!(verdict_of(&e).0, Verdict::Fail);
    eprintln!(
        "payload of {} bytes: {payload_runs} mutations; signature: {} mutations, all signature.invalid",
        env.payload.len(),
        sig_runs + 1
    );
    let swaps = env.payload.iter().filter(|b| b"+-/_".contains(b)).count();
    assert_eq!(payload_runs, env.payload.len() * 3 + swaps);
    assert_eq!(sig_runs, 64 * 10);
}

#[test]
fn every_byte_of_a_two_line_note_is_covered() {
    let a = attested();
    // bob attests the same commit too: his line sits beside alice's, and hers governs.
    a.f.aiprov()
        .args(["attest", "-q", "--yes", "--ai", "docs/**=docs", "--key"])
        .arg(&a.bob)
        .env("GIT_COMMITTER_EMAIL", "bob@example.org")
        .assert()
        .success();
    let note = note_of(&a.f, "HEAD");
    assert_eq!(note.iter().filter(|&&b| b == b'\n').count(), 2);
    let t = mutate_note(&a, &note, &[0]);
    eprintln!("note of two lines, {} bytes: {t:?}", note.len());
    assert_eq!(t.run, t.identical + t.reported);
    assert!(t.run > 2 * note.len());
}

/// The mail `git format-patch --notes=aiprov` makes of HEAD.
fn mail_of(f: &Fixture) -> Vec<u8> {
    common::git_bytes(
        &f.repo,
        &["format-patch", "-1", "--notes=aiprov", "--stdout", "HEAD"],
    )
}

/// What a mail says, as far as verification is concerned: the commit message and author, the
/// signed content of its note, and each file change as the digest binds it (status, paths,
/// changed modes, changed lines; blob ids of text files are informational in a mail, where the
/// digest is computed from the diff).
type MailSemantic = (String, String, Option<Semantic>, Vec<String>);

fn mail_semantic(raw: &[u8]) -> Option<MailSemantic> {
    let mail = PatchMail::parse(raw).ok()?;
    let change = mail.change().ok()?;
    let note = mail.note_lines(NOTES_REF).join("\n");
    let files = change
        .files
        .iter()
        .map(|f| {
            let ids = if f.binary {
                format!("{:?} {:?}", f.old_blob, f.new_blob)
            } else {
                String::new()
            };
            // Modes are in the digest where they change; an unchanged mode is no part of it.
            format!(
                "{} {:?} {:?} {} {:?} {ids}",
                f.path, f.old_path, f.status, f.binary, f.digest
            )
        })
        .collect();
    Some((
        mail.message.clone(),
        format!("{} <{}>", mail.author.name, mail.author.email),
        semantic(note.as_bytes()),
        files,
    ))
}

#[test]
fn every_byte_of_a_mail_below_the_cut_is_covered() {
    let a = attested();
    let raw = mail_of(&a.f);
    let raw = mbox::split(&raw).expect("git mailsplit").remove(0);
    let repo = Repo::discover(&a.f.repo).expect("repo");
    let trust = Trust::at(&repo, &a.base);
    let trusted = trust.trusted();
    let verify = |m: &[u8]| -> Option<ChangeReport> {
        let mail = PatchMail::parse(m).ok()?;
        let blobs = MailBlobs::new(Some(&repo));
        verify_mail(&mail, m, &blobs, &trusted, None, NOTES_REF).ok()
    };
    let original = verify(&raw).expect("the mail verifies");
    assert_eq!(original.verdict, Verdict::Pass, "{:?}", original.findings);
    let want = mail_semantic(&raw).expect("the mail parses");
    assert!(
        want.2.as_ref().is_some_and(|n| n.len() == 1),
        "the note travels"
    );
    let cut = raw
        .windows(5)
        .position(|w| w == b"\n---\n")
        .expect("a --- line")
        + 1;
    let mut t = Tally::default();
    let mut input_errors = 0;
    for (i, m) in mutations(&raw[cut..], SOME_BITS) {
        let m = [&raw[..cut], &m[..]].concat();
        t.run += 1;
        let report = verify(&m);
        let same = mail_semantic(&m).is_some_and(|s| s == want);
        match report {
            // Read the same by aiprov's parser, but not by git apply (a mangled mode, say):
            // git am would not apply it as verified, and it is reported.
            Some(r)
                if same
                    && r.findings.iter().all(|f| f.message.contains("git apply"))
                    && r.verdict == Verdict::Fail =>
            {
                t.reported(&codes(&r));
            }
            Some(r) if same => {
                assert_eq!(r.verdict, Verdict::Pass, "byte {i}: {:?}", r.findings);
                t.identical += 1;
            }
            Some(r) => {
                assert_eq!(
                    r.verdict,
                    Verdict::Fail,
                    "byte {}: a changed mail was accepted:\n{}",
                    cut + i,
                    String::from_utf8_lossy(&m[cut..])
                );
                t.reported(&codes(&r));
            }
            None => {
                // Not a mail or not a patch any more: `aiprov verify --mbox` exits 2.
                assert!(!same, "byte {i}: an unchanged mail failed to parse");
                input_errors += 1;
                t.reported += 1;
            }
        }
    }
    eprintln!(
        "mail: {} bytes below ---: {t:?}, of which input errors {input_errors}",
        raw.len() - cut
    );
    assert_eq!(t.run, t.identical + t.reported);
    assert!(t.identical > 0 && t.reported > t.identical);
}

/// The verdict of `aiprov verify REV --format json`: exit code and finding codes.
fn binary_codes(f: &Fixture, args: &[&str]) -> (i32, Vec<String>) {
    let out = f
        .aiprov()
        .args(["verify", "--format", "json"])
        .args(args)
        .output()
        .expect("run aiprov");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "bad JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let codes = report["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .flat_map(|c| c["findings"].as_array().cloned().unwrap_or_default())
        .map(|f| f["code"].as_str().expect("code").to_string())
        .collect();
    (out.status.code().expect("exit code"), codes)
}

fn set_note(f: &Fixture, rev: &str, note: &[u8]) {
    let out = git_stdin(
        &f.repo,
        &["notes", "--ref=aiprov", "add", "-f", "-F", "-", rev],
        note,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_binary_agrees_on_sample_mutations() {
    let a = attested();
    let note = note_of(&a.f, "HEAD");
    let env = Envelope::parse(note.trim_ascii()).expect("envelope");
    // Standard base64 rewritten URL-safe and unpadded: the same signed bytes, accepted.
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let line = format!(
        r#"{{"payloadType":"{}","payload":"{}","signatures":[{{"keyid":"{}","sig":"{}"}}]}}"#,
        env.payload_type,
        url.encode(&env.payload),
        env.signatures[0].keyid,
        url.encode(&env.signatures[0].sig)
    );
    set_note(&a.f, "HEAD", format!("{line}\n").as_bytes());
    assert_eq!(binary_codes(&a.f, &["HEAD"]), (0, vec![]));
    // One bit of the payload flipped.
    let mut e = env.clone();
    e.payload[40] ^= 1;
    set_note(&a.f, "HEAD", format!("{}\n", e.to_json()).as_bytes());
    assert_eq!(
        binary_codes(&a.f, &["HEAD"]),
        (1, vec!["signature.invalid".to_string()])
    );
    // A mail whose diff gained one added line.
    set_note(&a.f, "HEAD", &note);
    let mail = String::from_utf8(mail_of(&a.f)).expect("utf-8 mail");
    let changed = mail.replacen("+guide line 8\n", "+guide line 8\n+guide line 9\n", 1);
    let changed = changed.replacen("@@ -3,3 +3,6 @@", "@@ -3,3 +3,7 @@", 1);
    assert_ne!(changed, mail);
    let path = a.f.tmp.path().join("changed.patch");
    std::fs::write(&path, changed).expect("write mail");
    let (code, codes) = binary_codes(&a.f, &["--mbox", path.to_str().expect("path")]);
    assert_eq!(
        (code, codes),
        (1, vec!["coverage.digest-mismatch".to_string()])
    );
}

/// Copies alice's attestation of HEAD onto `rev`.
fn replay(f: &Fixture, from: &str, rev: &str) {
    let note = note_of(f, from);
    set_note(f, rev, &note);
}

#[test]
fn replays_onto_another_commit_file_or_repository_are_reported() {
    let a = attested();
    let f = &a.f;
    let head = f.git(&["rev-parse", "HEAD"]).trim().to_string();
    // Another commit changing the same files with other lines.
    f.git(&["checkout", "-q", "-b", "other", &a.base]);
    let mut main = lines("int main", 30);
    main = main.replace("int main line 10\n", "int main line 11\n");
    f.write("src/main.c", main);
    f.write("docs/guide.md", lines("guide", 8));
    f.commit_all(&format!(
        "Fix the main loop\n\nThe guide says how.\n\nAI-used-for: docs\n{SOB}"
    ));
    replay(f, &head, "HEAD");
    assert_eq!(
        binary_codes(f, &["HEAD"]),
        (1, vec!["coverage.digest-mismatch".to_string()])
    );
    // A commit touching another file.
    f.git(&["checkout", "-q", "-b", "third", &a.base]);
    f.write("src/other.c", lines("other", 3));
    f.write("docs/guide.md", lines("guide", 8));
    f.commit_all(&format!(
        "Fix the main loop\n\nThe guide says how.\n\nAI-used-for: docs\n{SOB}"
    ));
    replay(f, &head, "HEAD");
    let (code, mut c) = binary_codes(f, &["HEAD"]);
    c.sort();
    assert_eq!(
        (code, c),
        (
            1,
            vec![
                "coverage.file-extra".to_string(),
                "coverage.file-missing".to_string()
            ]
        )
    );
    // Another repository trusting the same key, with its own history.
    let g = Fixture::new();
    g.init_trusting("alice@example.org", &a.alice);
    g.write("src/main.c", lines("int main", 31));
    g.write("docs/guide.md", lines("guide", 5));
    g.commit_all(&format!("Initial import\n\n{SOB}"));
    let mut main = lines("int main", 31);
    main = main.replace("int main line 10\n", "int main line ten\n");
    g.write("src/main.c", main);
    g.write("docs/guide.md", lines("guide", 7));
    g.commit_all(&format!(
        "Fix the main loop\n\nThe guide says how.\n\nAI-used-for: docs\n{SOB}"
    ));
    set_note(&g, "HEAD", &note_of(f, &head));
    assert_eq!(
        binary_codes(&g, &["HEAD"]),
        (1, vec!["coverage.digest-mismatch".to_string()])
    );
    // The same change in another repository that does not trust alice.
    let h = Fixture::new();
    let carol = h.keygen("carol");
    h.init_trusting("alice@example.org", &carol);
    h.write("src/main.c", lines("int main", 30));
    h.write("docs/guide.md", lines("guide", 5));
    h.commit_all(&format!("Initial import\n\n{SOB}"));
    let mut main = lines("int main", 30);
    main = main.replace("int main line 10\n", "int main line ten\n");
    h.write("src/main.c", main);
    h.write("docs/guide.md", lines("guide", 8));
    h.commit_all(&format!(
        "Fix the main loop\n\nThe guide says how.\n\nAI-used-for: docs\n{SOB}"
    ));
    set_note(&h, "HEAD", &note_of(f, &head));
    assert_eq!(
        binary_codes(&h, &["HEAD"]),
        (1, vec!["signature.untrusted".to_string()])
    );
}

/// Re-signs `payload` with `key` as one note line.
fn signed_line(key: &Path, payload: &[u8]) -> String {
    let signer = aiprov::signing::FileSigner::load(key, None).expect("key");
    aiprov::signing::sign_envelope(aiprov::dsse::INTOTO_PAYLOAD_TYPE, payload, &signer)
        .expect("sign")
        .to_json()
}

#[test]
fn duplicate_reordered_and_unknown_fields_are_handled_as_documented() {
    let a = attested();
    let note = note_of(&a.f, "HEAD");
    let env = Envelope::parse(note.trim_ascii()).expect("envelope");
    let payload = String::from_utf8(env.payload.clone()).expect("utf-8 payload");
    let repo = Repo::discover(&a.f.repo).expect("repo");
    let target = repo.targets("HEAD").expect("HEAD").remove(0);
    let trust = Trust::at(&repo, &a.base);
    let trusted = trust.trusted();
    let check = |line: &str| {
        let r =
            verify_commit_note(&repo, &target, &trusted, Some(line.as_bytes())).expect("verify");
        (r.verdict, codes(&r))
    };
    let pass = (Verdict::Pass, vec![]);
    let invalid = (Verdict::Fail, vec!["signature.invalid".to_string()]);
    let value: serde_json::Value = serde_json::from_str(&payload).expect("json");
    // Re-signed unchanged: passes; reordered keys and whitespace: the same statement, passes.
    assert_eq!(check(&signed_line(&a.alice, payload.as_bytes())), pass);
    let pretty = serde_json::to_string_pretty(&value).expect("json");
    assert_eq!(check(&signed_line(&a.alice, pretty.as_bytes())), pass);
    let mut reordered = String::from("{");
    let obj = value.as_object().expect("object");
    let keys: Vec<&String> = obj.keys().rev().collect();
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            reordered.push(',');
        }
        reordered.push_str(&format!("{:?}:{}", k, obj[*k]));
    }
    reordered.push('}');
    assert_ne!(reordered, payload);
    assert_eq!(check(&signed_line(&a.alice, reordered.as_bytes())), pass);
    // Unknown fields in the statement, the predicate, a file entry: rejected, even signed.
    for (at, what) in [
        ("{", r#"{"extra":1,"#),
        (r#""predicate":{"#, r#""predicate":{"extra":1,"#),
        (r#""files":[{"#, r#""files":[{"extra":1,"#),
        (r#""subject":[{"#, r#""subject":[{"extra":1,"#),
    ] {
        assert!(payload.contains(at), "{at}");
        let p = payload.replacen(at, what, 1);
        assert_eq!(
            check(&signed_line(&a.alice, p.as_bytes())),
            invalid,
            "{what}"
        );
    }
    // Duplicate keys in a signed payload: rejected wherever they are, even where serde would
    // take the last one (a map such as a subject's digest) and another parser the first.
    let digest_dup = {
        let start = payload.find(r#""digest":{"#).expect("subject digest") + r#""digest":{"#.len();
        let end = start + payload[start..].find('}').expect("end of digest");
        let inner = &payload[start..end];
        let forged = inner.replacen("\"sha256\":\"", "\"sha256\":\"00", 1);
        format!("{}{forged},{inner}{}", &payload[..start], &payload[end..])
    };
    for p in [
        payload.replacen("{", r#"{"_type":"https://in-toto.io/Statement/v1","#, 1),
        payload.replacen(r#""research":"#, r#""research":true,"research":"#, 1),
        digest_dup,
    ] {
        assert_ne!(p, payload);
        let (verdict, c) = check(&signed_line(&a.alice, p.as_bytes()));
        assert_eq!((verdict, c), invalid.clone(), "{p}");
    }
    // Duplicate keys in the envelope itself: rejected; unknown envelope fields (unsigned,
    // outside the payload) are ignored, as DSSE readers do.
    let line = env.to_json();
    let dup = line.replacen(
        r#""payload":"#,
        &format!(
            r#""payload":"{}","payload":"#,
            base64::engine::general_purpose::STANDARD.encode(b"{}")
        ),
        1,
    );
    assert_eq!(check(&dup), invalid);
    let extra = line.replacen("{", r#"{"comment":"x","#, 1);
    assert_eq!(check(&extra), pass);
}
