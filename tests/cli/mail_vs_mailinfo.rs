//! Patch mails are read as `git mailinfo` reads them: author, subject and commit message agree
//! with git's own extraction, for plain, quoted-printable, base64 and CRLF mails, `[PATCH v2 3/7]`
//! subjects and in-body `From:` lines; and the diff gives the commit's own file-change digests.

use crate::common;

use aiprov::mail::{mbox, PatchMail};
use base64::Engine as _;
use common::{git, git_stdin, lines, Fixture};

/// A series of commits with the edge cases mailinfo cares about, as `git format-patch` mails.
fn series() -> (Fixture, Vec<Vec<u8>>) {
    let f = Fixture::new();
    f.write("a.c", lines("a", 10));
    f.commit_all("base");
    f.write("a.c", lines("a", 11));
    f.commit_all("hw/dev: plain ASCII change\n\nBody line.\n\nSigned-off-by: Alice Author <alice@example.org>");
    f.write("b.c", "Grüße\n");
    f.commit_all("docs: add a greeting — ünïcödé subject\n\nNon-ASCII body: naïve café.\n\nAI-used-for: docs\nSigned-off-by: Alice Author <alice@example.org>");
    f.write("a.c", lines("a", 12));
    let out = common::git_cmd(&f.repo)
        .args(["commit", "-qam", "net: someone else's change\n\nSigned-off-by: Carol Contributor <carol@example.org>\nSigned-off-by: Alice Author <alice@example.org>"])
        .env("GIT_AUTHOR_NAME", "Carol Contributor")
        .env("GIT_AUTHOR_EMAIL", "carol@example.org")
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = f.git(&[
        "format-patch",
        "--cover-letter",
        "-v2",
        "--stdout",
        "--from=Alice Author <alice@example.org>",
        "HEAD~3",
    ]);
    let mails = mbox::split(out.as_bytes()).expect("git mailsplit");
    assert_eq!(mails.len(), 4, "cover letter and three patches");
    (f, mails)
}

/// Re-encodes the body of a single-part mail with a transfer encoding.
fn reencode(mail: &[u8], encoding: &str) -> Vec<u8> {
    let text = String::from_utf8(mail.to_vec()).unwrap();
    let (head, body) = text.split_once("\n\n").unwrap();
    let head: String = head
        .lines()
        .filter(|l| !l.starts_with("Content-Transfer-Encoding"))
        .map(|l| format!("{l}\n"))
        .collect();
    let encoded = match encoding {
        "base64" => {
            let b = base64::engine::general_purpose::STANDARD.encode(body.as_bytes());
            b.as_bytes()
                .chunks(76)
                .map(|c| format!("{}\n", String::from_utf8_lossy(c)))
                .collect()
        }
        _ => quoted_printable::encode_to_str(body.as_bytes()).replace("\r\n", "\n"),
    };
    format!("{head}Content-Transfer-Encoding: {encoding}\n\n{encoded}").into_bytes()
}

fn crlf(mail: &[u8]) -> Vec<u8> {
    String::from_utf8(mail.to_vec())
        .unwrap()
        .replace('\n', "\r\n")
        .into_bytes()
}

/// What `git mailsplit` and `git mailinfo` extract, as `git am` runs them: (author name, email,
/// subject, message body).
fn mailinfo(dir: &std::path::Path, mail: &[u8]) -> (String, String, String, String) {
    let input = dir.join("input.eml");
    let split_dir = dir.join("split");
    let _ = std::fs::remove_dir_all(&split_dir);
    std::fs::create_dir_all(&split_dir).unwrap();
    std::fs::write(&input, mail).unwrap();
    git(
        dir,
        &[
            "mailsplit",
            "-b",
            &format!("-o{}", split_dir.display()),
            input.to_str().unwrap(),
        ],
    );
    let one = std::fs::read(split_dir.join("0001")).expect("mailsplit output");
    let msg = dir.join("msg");
    let patch = dir.join("patch");
    let out = git_stdin(
        dir,
        &[
            "mailinfo",
            "-u",
            msg.to_str().unwrap(),
            patch.to_str().unwrap(),
        ],
        &one,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info = String::from_utf8(out.stdout).unwrap();
    let field = |k: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}: ")))
            .unwrap_or_default()
            .to_string()
    };
    (
        field("Author"),
        field("Email"),
        field("Subject"),
        std::fs::read_to_string(&msg).unwrap(),
    )
}

#[test]
fn mails_are_read_like_git_mailinfo() {
    let (f, mails) = series();
    let dir = f.tmp.path();
    let mut checked = 0;
    for raw in &mails[1..] {
        // As git mailsplit hands them over: CRLF already normalised by our splitter for the crlf case.
        for variant in [
            raw.clone(),
            reencode(raw, "quoted-printable"),
            reencode(raw, "base64"),
            crlf(raw),
        ] {
            let split = mbox::split(&variant).expect("git mailsplit");
            assert_eq!(split.len(), 1);
            let ours = PatchMail::parse(&split[0]).expect("parse mail");
            let (name, email, subject, body) = mailinfo(dir, &variant);
            assert_eq!(ours.author.name, name);
            assert_eq!(ours.author.email, email);
            let expected = format!("{subject}\n\n{body}");
            let expected: String = expected.trim_end().to_string() + "\n";
            assert_eq!(ours.message, expected, "message of {subject}");
            checked += 1;
        }
    }
    assert_eq!(checked, 12);
}

#[test]
fn a_mails_diff_gives_the_commits_digests_and_the_cover_letter_is_recognised() {
    let (f, mails) = series();
    let repo = aiprov::git::Repo::discover(&f.repo).unwrap();
    let cover = PatchMail::parse(&mails[0]).unwrap();
    assert!(cover.is_cover_letter());
    assert_eq!(cover.number(), Some((0, 3)));
    for (i, raw) in mails[1..].iter().enumerate() {
        let mail = PatchMail::parse(raw).unwrap();
        assert!(!mail.is_cover_letter());
        assert_eq!(mail.number(), Some((i as u32 + 1, 3)));
        assert!(
            mail.subject.starts_with(&format!("[PATCH v2 {}/3]", i + 1)),
            "{}",
            mail.subject
        );
        let commit = repo.commit_id(&format!("HEAD~{}", 2 - i)).unwrap();
        let from_repo = repo.change(commit, |_| true).unwrap();
        let from_mail = mail.change().unwrap();
        let digests = |c: &aiprov::change::Change| {
            c.files.iter().map(|f| f.digest.clone()).collect::<Vec<_>>()
        };
        assert_eq!(digests(&from_mail), digests(&from_repo));
        assert_eq!(
            from_mail.message,
            from_repo.message,
            "message of patch {}",
            i + 1
        );
        assert_eq!(from_mail.author.email, from_repo.author.email);
    }
    let _ = git(&f.repo, &["status"]);
}
