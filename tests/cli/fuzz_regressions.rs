//! Bugs the fuzz targets found (`fuzz/README.md`), each on the input that found it, committed
//! under `fuzz/regressions/<target>/`, with the outcome the fix gives.

use std::path::Path;

use aiprov::mail::{mbox, MailError, PatchMail};
use aiprov::patch::PatchError;
use aiprov::trailers::{set_ai_used_for, AiUsedFor, MessageTrailers};

fn regression(path: &str) -> Vec<u8> {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("cannot read {}: {e}", full.display()))
}

/// `trailers`: a message whose first line is `Conflicts:` keeps git's old-style conflicts block
/// open, so a tab-indented line further down is ignored as part of it, until a line added above
/// it breaks the run. `set_ai_used_for` put its line there, and git then saw no trailer at all.
#[test]
fn set_ai_used_for_is_seen_below_a_conflicts_tail() {
    let value: AiUsedFor = "code, tests (fuzz (nested) value)".parse().expect("valid");
    let found = String::from_utf8(regression("trailers/conflicts-block-tail.txt")).expect("utf-8");
    let minimal = "Conflicts:\nx\n\n\tfile.c\n";
    for message in [found.as_str(), minimal] {
        let written = set_ai_used_for(message, &value);
        assert_eq!(
            MessageTrailers::from_message(&written).ai_used_for,
            vec![Ok(value.clone())],
            "{written:?}"
        );
    }
    // A scissors line below the tail: the line goes above it.
    let scissors = String::from_utf8(regression(
        "trailers/conflicts-block-tail-then-scissors.txt",
    ))
    .expect("utf-8");
    let written = set_ai_used_for(&scissors, &value);
    assert_eq!(
        MessageTrailers::from_message(&written).ai_used_for,
        vec![Ok(value.clone())],
        "{written:?}"
    );
    assert!(written.contains(
        "\n\nAI-used-for: code, tests (fuzz (nested) value)\n# ------------------------ >8"
    ));
    // git reads a message only up to a NUL: the line goes above it.
    let nul =
        String::from_utf8(regression("trailers/conflicts-block-tail-then-nul.txt")).expect("utf-8");
    let written = set_ai_used_for(&nul, &value);
    assert_eq!(
        MessageTrailers::from_message(&written).ai_used_for,
        vec![Ok(value.clone())],
        "{written:?}"
    );
    assert!(
        written.ends_with("\n\nAI-used-for: code, tests (fuzz (nested) value)\n\0\0\0\0\0\0\0\0:")
    );
    // What `git interpret-trailers --parse` shows for the minimal message once written.
    assert_eq!(
        set_ai_used_for(minimal, &value),
        "Conflicts:\nx\n\n\tfile.c\n\nAI-used-for: code, tests (fuzz (nested) value)\n"
    );
}

/// `mail`: a `diff --git` section whose header paths differ and that has no `+++` line names no
/// file; it became a file change with an empty path. Like `git apply`, it is now an error.
#[test]
fn a_mailed_diff_section_without_a_file_name_is_an_error() {
    let raw = regression("mail/diff-header-without-names.mbox");
    let messages = mbox::split(&raw).expect("git mailsplit");
    let mail = PatchMail::parse(&messages[0]).expect("the first message is a mail");
    match mail.change() {
        Err(MailError::Patch {
            source: PatchError::Malformed { line, message },
            ..
        }) => {
            assert_eq!(message, "diff header lacks file name information");
            assert_eq!(line, 1);
        }
        other => panic!("expected a malformed diff, got {other:?}"),
    }
}

/// `mail`: a subject whose byte 3 falls inside a multi-byte character panicked in
/// `clean_subject` (it sliced the text at byte 3 to look for `Re:`).
#[test]
fn a_subject_with_a_multibyte_character_at_byte_3_parses() {
    let raw = regression("mail/subject-multibyte-at-byte-3.mbox");
    let messages = mbox::split(&raw).expect("git mailsplit");
    let mail = PatchMail::parse(&messages[0]).expect("a mail");
    assert!(mail.subject.starts_with("\0\0\u{ff}"), "{:?}", mail.subject);
    assert_eq!(
        aiprov::mail::patch_mail::clean_subject("ab\u{ff}x"),
        "ab\u{ff}x"
    );
}
