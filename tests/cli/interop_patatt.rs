//! patatt (the kernel's patch attestation tool, from the venv `scripts/setup-python` makes) signs
//! real `git format-patch` mails; `aiprov::mail::patatt` verifies them, and its verdicts on
//! tampered copies agree with `patatt validate`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use aiprov::mail::patatt::{verify_mail, PatattKeyring, PatattVerdict};

use crate::common;

/// Hermetic: HOME and patatt's data directory in the temp dir, no global or system git config.
fn cmd(program: impl AsRef<std::ffi::OsStr>, tmp: &Path, repo: &Path) -> Command {
    let mut c = Command::new(program);
    c.current_dir(repo)
        .env("HOME", tmp.join("home"))
        .env("XDG_DATA_HOME", tmp.join("data"))
        .env("XDG_CONFIG_HOME", tmp.join("config"))
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_DATE", "2026-01-01T12:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T12:00:00Z")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE");
    c
}

fn run(mut c: Command) -> Output {
    let out = c.output().expect("spawn");
    assert!(
        out.status.success(),
        "{c:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

struct Setup {
    tmp: tempfile::TempDir,
    repo: PathBuf,
    patches: Vec<PathBuf>,
}

impl Setup {
    fn git(&self, args: &[&str]) -> Output {
        let mut c = cmd("git", self.tmp.path(), &self.repo);
        c.args(args);
        run(c)
    }

    fn patatt(&self, args: &[&str]) -> Command {
        let mut c = cmd(common::venv_bin("patatt"), self.tmp.path(), &self.repo);
        c.args(args);
        c
    }

    /// `patatt validate` exit code: 0 valid, 8 no key, 32 bad signature.
    fn patatt_validate(&self, mail: &[u8]) -> i32 {
        let file = self.tmp.path().join("check.eml");
        std::fs::write(&file, mail).expect("write");
        let file = file.to_str().expect("utf-8 temp path");
        let out = self.patatt(&["validate", file]).output().expect("spawn");
        out.status.code().unwrap_or(-1)
    }

    fn keyring(&self) -> PatattKeyring {
        PatattKeyring::from_dir(&self.tmp.path().join("data/patatt/public")).expect("keyring")
    }
}

/// A repository with three commits (one with a non-ASCII subject, one by another author), a
/// patatt key for alice with selector "work", and format-patch mails signed by patatt: as git
/// wrote them, and re-encoded quoted-printable and base64.
fn setup() -> Setup {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(&repo).expect("mkdir");
    let s = Setup {
        tmp,
        repo,
        patches: Vec::new(),
    };
    s.git(&["init", "-q", "-b", "main"]);
    s.git(&["config", "user.email", "alice@example.org"]);
    s.git(&["config", "user.name", "Alice Author"]);
    std::fs::write(s.repo.join("a.txt"), "one\n").expect("write");
    s.git(&["add", "."]);
    s.git(&["commit", "-qm", "Base"]);
    std::fs::write(s.repo.join("a.txt"), "one\ntwo\n").expect("write");
    s.git(&[
        "commit",
        "-qam",
        "Add a second line\n\nSigned-off-by: Alice Author <alice@example.org>",
    ]);
    std::fs::write(s.repo.join("b.txt"), "café\n").expect("write");
    s.git(&["add", "."]);
    s.git(&[
        "commit",
        "-qm",
        "Añadir café: naïve Unicode — ok\n\nCuerpo con acentos: ñ ü é.",
    ]);
    std::fs::write(s.repo.join("a.txt"), "one\ntwo\nthree\n").expect("write");
    s.git(&[
        "commit",
        "-qam",
        "Third line",
        "--author",
        "Bob Büttner <bob@example.org>",
    ]);

    run(s.patatt(&["genkey", "-n", "work"]));
    s.git(&["config", "patatt.signingkey", "ed25519:work"]);
    s.git(&["config", "patatt.selector", "work"]);

    s.git(&[
        "format-patch",
        "-q",
        "--from=Alice Author <alice@example.org>",
        "-o",
        "out",
        "HEAD~3",
    ]);
    let mut mails: Vec<PathBuf> = std::fs::read_dir(s.repo.join("out"))
        .expect("patches")
        .map(|e| e.expect("entry").path())
        .collect();
    mails.sort();
    assert_eq!(mails.len(), 3);
    // The same mails in the two other transfer encodings, as mail software may re-encode them.
    let mut patches = Vec::new();
    for f in &mails {
        let text = std::fs::read_to_string(f).expect("read");
        for (ext, encode) in [("qp", qp as fn(&str) -> String), ("b64", b64)] {
            let (head, body) = text.split_once("\n\n").expect("body");
            let name = match ext {
                "qp" => "quoted-printable",
                _ => "base64",
            };
            let charset = "Content-Type: text/plain; charset=UTF-8";
            let head: Vec<&str> = head
                .lines()
                .filter(|l| !l.starts_with("Content-T"))
                .collect();
            let head = head.join("\n");
            let again = format!(
                "{head}\n{charset}\nContent-Transfer-Encoding: {name}\n\n{}",
                encode(body)
            );
            let path = f.with_extension(ext);
            std::fs::write(&path, again).expect("write");
            patches.push(path);
        }
    }
    // And as a multipart mail with an attachment, which git mailinfo (and so patatt) reads.
    for f in &mails {
        let text = std::fs::read_to_string(f).expect("read");
        let (head, body) = text.split_once("\n\n").expect("body");
        let head: Vec<&str> = head
            .lines()
            .filter(|l| !l.starts_with("Content-T") && !l.starts_with("MIME-Version"))
            .collect();
        let part = "Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit";
        let again = format!(
            "{}\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"part\"\n\n\
             A multipart message.\n--part\n{part}\n\n{body}\n--part\n{part}\n\
             Content-Disposition: attachment; filename=\"notes.txt\"\n\nan attachment\n--part--\n",
            head.join("\n")
        );
        let path = f.with_extension("mp");
        std::fs::write(&path, again).expect("write");
        patches.push(path);
    }
    patches.splice(0..0, mails);
    for f in &patches {
        run(s.patatt(&["sign", f.to_str().expect("utf-8 path")]));
    }
    Setup { patches, ..s }
}

/// Quoted-printable, line by line (soft breaks keep lines under 76 characters).
fn qp(body: &str) -> String {
    let mut out = String::new();
    for line in body.split_inclusive('\n') {
        let mut width = 0;
        for b in line.bytes() {
            let piece = match b {
                b'\n' => "\n".to_string(),
                b'=' | 0x80.. => format!("={b:02X}"),
                _ => (b as char).to_string(),
            };
            if width + piece.len() > 72 && b != b'\n' {
                out.push_str("=\n");
                width = 0;
            }
            width += piece.len();
            out.push_str(&piece);
        }
    }
    out
}

/// Base64 in 76-character lines.
fn b64(body: &str) -> String {
    use base64::Engine;
    let all = base64::engine::general_purpose::STANDARD.encode(body);
    let lines: Vec<&str> = all
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).expect("base64 is ascii"))
        .collect();
    lines.join("\n") + "\n"
}

fn valid() -> Vec<PatattVerdict> {
    vec![PatattVerdict::Valid {
        identity: "alice@example.org".into(),
        selector: "work".into(),
    }]
}

#[test]
fn patatt_signed_patches_verify() {
    let s = setup();
    let keyring = s.keyring();
    for p in &s.patches {
        let mail = std::fs::read(p).expect("read");
        let text = String::from_utf8_lossy(&mail);
        assert!(
            text.contains("X-Developer-Signature: v=1; a=ed25519-sha256;"),
            "{text}"
        );
        assert_eq!(verify_mail(&mail, &keyring), valid(), "{}", p.display());
        let crlf = text.replace('\n', "\r\n");
        assert_eq!(
            verify_mail(crlf.as_bytes(), &keyring),
            valid(),
            "{}",
            p.display()
        );
        assert_eq!(s.patatt_validate(&mail), 0, "{}", p.display());
    }
    // The non-ASCII subject is RFC 2047-encoded, the third patch has an in-body From.
    let second = std::fs::read_to_string(&s.patches[1]).expect("read");
    assert!(
        second.contains("Subject: [PATCH 2/3] =?UTF-8?q?"),
        "{second}"
    );
    let third = std::fs::read_to_string(&s.patches[2]).expect("read");
    assert!(
        third.contains("\nFrom: =?UTF-8?q?Bob?= B=?UTF-8?q?=C3=BCttner?= <bob@example.org>\n")
            || third.contains("\nFrom: Bob B"),
        "{third}"
    );
}

#[test]
fn tampering_is_detected_like_patatt() {
    let s = setup();
    let keyring = s.keyring();
    let mail = std::fs::read_to_string(&s.patches[1]).expect("read");
    let tampered = [
        ("a body byte", mail.replacen("+café", "+cafe", 1)),
        (
            "the subject",
            mail.replacen(
                "Subject: [PATCH 2/3] =?UTF-8?q?A",
                "Subject: [PATCH 2/3] =?UTF-8?q?B",
                1,
            ),
        ),
        (
            "the from",
            mail.replacen("From: Alice Author", "From: Alice Auther", 1),
        ),
        ("the body text", mail.replacen("Cuerpo", "Cuerp0", 1)),
    ];
    for (what, changed) in tampered {
        assert_ne!(changed, mail, "{what} was not changed");
        let got = verify_mail(changed.as_bytes(), &keyring);
        assert!(
            matches!(got.as_slice(), [PatattVerdict::Invalid { identity, .. }] if identity == "alice@example.org"),
            "{what}: {got:?}"
        );
        assert_eq!(
            s.patatt_validate(changed.as_bytes()),
            32,
            "patatt on {what}"
        );
    }
    // What patatt does not sign may change: the [PATCH] prefix and unsigned headers.
    let relaxed = mail.replacen("[PATCH 2/3]", "[PATCH v2 2/3]", 1).replacen(
        "Date:",
        "X-Mailer: test\nDate:",
        1,
    );
    assert_eq!(verify_mail(relaxed.as_bytes(), &keyring), valid());
    assert_eq!(s.patatt_validate(relaxed.as_bytes()), 0);
}

#[test]
fn unknown_identity_has_no_key() {
    let s = setup();
    s.git(&["config", "patatt.identity", "carol@example.org"]);
    let file = s.patches[0].with_extension("carol");
    let original = std::fs::read_to_string(&s.patches[0]).expect("read");
    // Strip alice's signature, then sign as carol (with alice's key).
    let unsigned: String = original
        .split_inclusive('\n')
        .fold((String::new(), false), |(mut out, mut skipping), line| {
            if line.starts_with("X-Developer-") {
                skipping = true;
            } else if !line.starts_with(' ') {
                skipping = false;
            }
            if !skipping {
                out.push_str(line);
            }
            (out, skipping)
        })
        .0;
    std::fs::write(&file, &unsigned).expect("write");
    assert!(verify_mail(unsigned.as_bytes(), &s.keyring()).is_empty());
    run(s.patatt(&["sign", file.to_str().expect("utf-8 path")]));
    let mail = std::fs::read(&file).expect("read");
    assert_eq!(
        verify_mail(&mail, &s.keyring()),
        vec![PatattVerdict::NoKey {
            identity: "carol@example.org".into(),
            selector: "work".into()
        }]
    );
    assert_eq!(s.patatt_validate(&mail), 8);
}

/// `aiprov verify --mbox` reports the patatt signature beside the attestation's result, with the
/// patatt keyring from the `--keyring` directory's `patatt/`, and fails a tampered mail.
#[test]
fn aiprov_verify_reports_patatt_signatures() {
    let s = setup();
    let dir = s.tmp.path().join("trust");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("keyring.toml"), "version = 1\n").expect("write");
    let copied = Command::new("cp")
        .arg("-r")
        .arg(s.tmp.path().join("data/patatt/public"))
        .arg(dir.join("patatt"))
        .status()
        .expect("cp");
    assert!(copied.success());
    let report = |mail: &Path| -> (i32, serde_json::Value) {
        let out = Command::new(assert_cmd::cargo::cargo_bin("aiprov"))
            .args(["verify", "--format", "json", "--mbox"])
            .arg(mail)
            .arg("--keyring")
            .arg(&dir)
            .current_dir(s.tmp.path())
            .env("GIT_CEILING_DIRECTORIES", s.tmp.path())
            .output()
            .expect("run aiprov");
        (
            out.status.code().unwrap_or(-1),
            serde_json::from_slice(&out.stdout).expect("JSON"),
        )
    };
    let (_, doc) = report(&s.patches[0]);
    let sig = &doc["changes"][0]["mailSignatures"][0];
    assert_eq!(sig["kind"], "patatt");
    assert_eq!(sig["result"], "valid");
    assert_eq!(sig["identity"], "alice@example.org");
    let codes: Vec<&str> = doc["changes"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        vec!["signature.missing"],
        "no attestation in these mails"
    );

    let text = std::fs::read_to_string(&s.patches[0]).expect("read");
    let tampered = s.tmp.path().join("tampered.eml");
    std::fs::write(&tampered, text.replacen("+two", "+TWO", 1)).expect("write");
    let (code, doc) = report(&tampered);
    assert_eq!(code, 1);
    assert_eq!(doc["changes"][0]["mailSignatures"][0]["result"], "invalid");
    let codes: Vec<&str> = doc["changes"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"signature.invalid"), "{codes:?}");

    // The policy's severities hold for a mail's own findings too.
    std::fs::write(
        dir.join("policy.toml"),
        "version = 1\n[severity]\n\"signature.invalid\" = \"warning\"\n\"signature.missing\" = \"warning\"\n",
    )
    .expect("write");
    let (code, doc) = report(&tampered);
    assert_eq!(code, 0, "{doc}");
    let severities: Vec<(&str, &str)> = doc["changes"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["code"].as_str().unwrap(), f["severity"].as_str().unwrap()))
        .collect();
    assert!(
        severities.contains(&("signature.invalid", "warning")),
        "{severities:?}"
    );
}
