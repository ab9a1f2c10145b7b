//! `aiprov archive` and `aiprov verify --archive` on a release of 32 commits (AI and human
//! changes, an approval, one unattested commit, a merge): the archive verifies with and without the
//! repository, and each kind of tampering is reported.

use crate::common;

use std::path::Path;

use base64::Engine as _;
use common::assert_schema_valid;
use common::release::ReleaseRepo;
use serde_json::Value;

/// `aiprov verify --archive FILE --format json`, inside the repository or (with `keyring`)
/// from a directory outside any repository; exit code and report.
fn verify(r: &ReleaseRepo, archive: &Path, keyring: Option<&Path>) -> (i32, Value) {
    let mut cmd = r.f.aiprov();
    cmd.args(["verify", "--format", "json", "--archive"])
        .arg(archive);
    if let Some(dir) = keyring {
        let outside = r.f.tmp.path().join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        cmd.current_dir(&outside).arg("--keyring").arg(dir);
    }
    let out = cmd.output().unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_schema_valid("archive-report.schema.json", &doc);
    (out.status.code().unwrap(), doc)
}

/// Every finding code of the report, the archive's and its changes'.
fn codes(doc: &Value) -> Vec<String> {
    let mut out: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .chain(
            doc["changes"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|c| c["findings"].as_array().unwrap()),
        )
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    out.sort();
    out.dedup();
    out
}

fn read_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn write_lines(r: &ReleaseRepo, name: &str, lines: &[String]) -> std::path::PathBuf {
    let path = r.f.tmp.path().join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

/// The summary statement of an archive's last line.
fn summary(line: &str) -> Value {
    let env: Value = serde_json::from_str(line).unwrap();
    let payload = base64::engine::general_purpose::STANDARD
        .decode(env["payload"].as_str().unwrap())
        .unwrap();
    serde_json::from_slice(&payload).unwrap()
}

/// A summary re-signed with `key` after `edit`, as a release manager gone rogue would.
fn resign(line: &str, key: &Path, edit: impl FnOnce(&mut Value)) -> String {
    let mut statement = summary(line);
    edit(&mut statement);
    let signer = aiprov::signing::KeySource::from_path(key)
        .unwrap()
        .signer(None)
        .unwrap();
    let payload = serde_json::to_vec(&statement).unwrap();
    aiprov::signing::sign_envelope(aiprov::dsse::INTOTO_PAYLOAD_TYPE, &payload, signer.as_ref())
        .unwrap()
        .to_json()
}

#[test]
fn a_release_archive_verifies_with_and_without_the_repository_and_tampering_is_reported() {
    let r = ReleaseRepo::new();
    let archive = r.archive();
    let lines = read_lines(&archive);
    // 30 attestations, one approval, the summary.
    assert_eq!(lines.len(), 32, "{lines:#?}");
    let last = lines.len() - 1;
    let statement = summary(lines.last().unwrap());
    assert_schema_valid("release-summary.schema.json", &statement);
    let predicate = &statement["predicate"];
    assert_eq!(predicate["signer"]["email"], "rita@example.org");
    assert_eq!(
        statement["subject"][0]["digest"]["gitCommit"]
            .as_str()
            .unwrap(),
        r.f.git(&["rev-parse", "v1.1"]).trim()
    );
    let tarball = std::fs::read(r.f.tmp.path().join("project-1.1.tar")).unwrap();
    assert_eq!(statement["subject"][1]["name"], "project-1.1.tar");
    assert_eq!(
        statement["subject"][1]["digest"]["sha256"],
        digest_bytes(&tarball)
    );
    assert_eq!(predicate["totals"]["changes"], 32);
    assert_eq!(predicate["totals"]["skipped"], 1);
    assert_eq!(predicate["totals"]["fail"], 1);
    assert_eq!(predicate["totals"]["envelopes"], 31);
    assert_eq!(
        predicate["totals"]["findings"],
        serde_json::json!({"signature.missing": 1})
    );
    let unattested = predicate["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["commit"] == r.unattested.as_str())
        .unwrap();
    assert_eq!(unattested["verdict"], "fail");
    assert_eq!(unattested["attested"], false);

    // Intact: verified in the repository, and on its own against the base's keyring.
    let keyring = r.keyring_dir();
    let (code, doc) = verify(&r, &archive, None);
    assert_eq!(
        (code, &doc["verdict"]),
        (0, &Value::from("pass")),
        "{doc:#}"
    );
    assert_eq!(doc["repository"], true);
    assert_eq!(doc["changes"].as_array().unwrap().len(), 32);
    let (code, doc) = verify(&r, &archive, Some(&keyring));
    assert_eq!(
        (code, &doc["verdict"]),
        (0, &Value::from("pass")),
        "{doc:#}"
    );
    assert_eq!(doc["repository"], false);

    // Altering a line: one attestation's payload changed by one character.
    let mut altered = lines.clone();
    let mut env: Value = serde_json::from_str(&altered[3]).unwrap();
    let payload = env["payload"].as_str().unwrap().to_string();
    let flipped = if payload.as_bytes()[10] == b'A' {
        "B"
    } else {
        "A"
    };
    env["payload"] = Value::from(format!("{}{flipped}{}", &payload[..10], &payload[11..]));
    altered[3] = env.to_string();
    let path = write_lines(&r, "altered.jsonl", &altered);
    for keyring in [None, Some(keyring.as_path())] {
        let (code, doc) = verify(&r, &path, keyring);
        assert_eq!(code, 1);
        assert_eq!(
            codes(&doc),
            ["archive.envelope-missing", "archive.envelope-unlisted"],
            "{doc:#}"
        );
    }

    // Dropping a line, the approval: the change that needed it is missing an envelope.
    let dropped: Vec<String> = lines
        .iter()
        .filter(|l| !summary_or_statement(l).contains("approval/v1"))
        .cloned()
        .collect();
    assert_eq!(dropped.len(), 31);
    let path = write_lines(&r, "dropped.jsonl", &dropped);
    let (code, doc) = verify(&r, &path, None);
    assert_eq!(code, 1);
    assert_eq!(codes(&doc), ["archive.envelope-missing"], "{doc:#}");

    // Adding a line: a copy of an attestation, and an envelope the summary does not list.
    for (name, extra) in [
        ("repeated.jsonl", lines[0].clone()),
        ("added.jsonl", reattest_elsewhere(&r)),
    ] {
        let mut added = lines.clone();
        added.insert(5, extra);
        let path = write_lines(&r, name, &added);
        let (code, doc) = verify(&r, &path, Some(&keyring));
        assert_eq!(code, 1, "{name}");
        assert_eq!(
            codes(&doc),
            ["archive.envelope-unlisted"],
            "{name}: {doc:#}"
        );
    }

    // Dropping the summary, or signing it with a key the keyring does not trust.
    let path = write_lines(&r, "no-summary.jsonl", &lines[..last]);
    let (code, doc) = verify(&r, &path, Some(&keyring));
    assert_eq!(
        (code, codes(&doc)),
        (1, vec!["archive.summary-missing".to_string()])
    );
    let mut forged = lines.clone();
    let mallory = r.f.keygen("mallory");
    forged[last] = resign(&lines[last], &mallory, |_| {});
    let path = write_lines(&r, "forged.jsonl", &forged);
    let (code, doc) = verify(&r, &path, Some(&keyring));
    assert_eq!(
        (code, codes(&doc)),
        (1, vec!["signature.untrusted".to_string()])
    );
    // A summary edited without re-signing no longer verifies.
    let mut edited = lines.clone();
    let mut env: Value = serde_json::from_str(&lines[last]).unwrap();
    let mut statement = summary(&lines[last]);
    statement["predicate"]["changes"][0]["title"] = Value::from("something else");
    env["payload"] =
        Value::from(base64::engine::general_purpose::STANDARD.encode(statement.to_string()));
    edited[last] = env.to_string();
    let path = write_lines(&r, "edited.jsonl", &edited);
    let (code, doc) = verify(&r, &path, Some(&keyring));
    assert_eq!(
        (code, codes(&doc)),
        (1, vec!["signature.invalid".to_string()])
    );

    // The release manager's own key, lying: the unattested commit recorded as passing. The
    // archive alone cannot tell; the repository can.
    let mut lying = lines.clone();
    lying[last] = resign(&lines[last], &r.rita, |s| {
        let p = &mut s["predicate"];
        for c in p["changes"].as_array_mut().unwrap() {
            if c["commit"] == r.unattested.as_str() {
                c["verdict"] = Value::from("pass");
                c["findings"] = serde_json::json!({});
            }
        }
        p["totals"]["pass"] = Value::from(31);
        p["totals"]["fail"] = Value::from(0);
        p["totals"]["findings"] = serde_json::json!({});
    });
    let path = write_lines(&r, "lying.jsonl", &lying);
    assert_eq!(verify(&r, &path, Some(&keyring)).0, 0);
    let (code, doc) = verify(&r, &path, None);
    assert_eq!(
        (code, codes(&doc)),
        (1, vec!["archive.summary-mismatch".to_string()]),
        "{doc:#}"
    );
    let failed: Vec<&Value> = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["verdict"] == "fail")
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["commit"], r.unattested.as_str());

    // Hiding AI use: a file's declared categories dropped from the record is caught offline.
    let mut hiding = lines.clone();
    hiding[last] = resign(&lines[last], &r.rita, |s| {
        for c in s["predicate"]["changes"].as_array_mut().unwrap() {
            for f in c["files"].as_array_mut().unwrap() {
                if f["path"] == "hw/net/rewrite.c" {
                    f["ai"] = serde_json::json!([]);
                }
            }
        }
    });
    let path = write_lines(&r, "hiding.jsonl", &hiding);
    let (code, doc) = verify(&r, &path, Some(&keyring));
    assert_eq!(
        (code, codes(&doc)),
        (1, vec!["archive.summary-mismatch".to_string()]),
        "{doc:#}"
    );

    // A tool the change's attestations do not name is caught offline too; parents that are not
    // the commit's (what a VSA's history follows) in the repository.
    let mut tooled = lines.clone();
    tooled[last] = resign(&lines[last], &r.rita, |s| {
        s["predicate"]["changes"][0]["tools"] = serde_json::json!([{ "name": "aider" }]);
    });
    let path = write_lines(&r, "tooled.jsonl", &tooled);
    let (code, doc) = verify(&r, &path, Some(&keyring));
    assert_eq!(
        (code, codes(&doc)),
        (1, vec!["archive.summary-mismatch".to_string()]),
        "{doc:#}"
    );
    let mut rewired = lines.clone();
    rewired[last] = resign(&lines[last], &r.rita, |s| {
        s["predicate"]["changes"][1]["parents"] = serde_json::json!([]);
    });
    let path = write_lines(&r, "rewired.jsonl", &rewired);
    assert_eq!(verify(&r, &path, Some(&keyring)).0, 0);
    let (code, doc) = verify(&r, &path, None);
    assert_eq!(
        (code, codes(&doc)),
        (1, vec!["archive.summary-mismatch".to_string()]),
        "{doc:#}"
    );
    // An archive of an older aiprov, which recorded no parents, tools or models, still verifies.
    let mut older = lines.clone();
    older[last] = resign(&lines[last], &r.rita, |s| {
        for c in s["predicate"]["changes"].as_array_mut().unwrap() {
            for field in ["parents", "tools", "models"] {
                c.as_object_mut().unwrap().remove(field);
            }
        }
    });
    let path = write_lines(&r, "older.jsonl", &older);
    assert_eq!(verify(&r, &path, Some(&keyring)).0, 0);
    assert_eq!(verify(&r, &path, None).0, 0);

    // A change dropped from the summary (and its envelope with it) is caught in the repository.
    let victim = r.ai_files[4].0.clone();
    let mut shrunk: Vec<String> = lines.clone();
    let victim_digests: Vec<String> = summary(&lines[last])["predicate"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["commit"] == victim.as_str())
        .flat_map(|c| {
            c["envelopes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_str().unwrap().to_string())
        })
        .collect();
    shrunk.retain(|l| !victim_digests.contains(&digest(l)));
    let shrunk_last = shrunk.len() - 1;
    shrunk[shrunk_last] = resign(&lines[last], &r.rita, |s| {
        let p = &mut s["predicate"];
        p["changes"]
            .as_array_mut()
            .unwrap()
            .retain(|c| c["commit"] != victim.as_str());
        p["totals"]["changes"] = Value::from(31);
        p["totals"]["pass"] = Value::from(29);
        p["totals"]["envelopes"] = Value::from(30);
    });
    let path = write_lines(&r, "shrunk.jsonl", &shrunk);
    assert_eq!(verify(&r, &path, Some(&keyring)).0, 0);
    let (code, doc) = verify(&r, &path, None);
    assert_eq!(code, 1);
    let messages: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        [format!(
            "commit {victim} of the release range is not in the summary"
        )],
        "{doc:#}"
    );
}

fn digest(line: &str) -> String {
    digest_bytes(line.as_bytes())
}

fn digest_bytes(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(data))
}

/// The decoded payload of an envelope line.
fn summary_or_statement(line: &str) -> String {
    summary(line).to_string()
}

/// An attestation of a commit outside the release, signed by the trusted contributor.
fn reattest_elsewhere(r: &ReleaseRepo) -> String {
    let out =
        r.f.aiprov()
            .args(["attest", "-y", "--stdout", "--human", "**", "--key"])
            .arg(&r.alice)
            .arg("v1.0")
            .output()
            .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn a_progress_bar_shows_on_a_terminal_only() {
    let r = ReleaseRepo::new();
    let out = r.f.tmp.path().join("a.jsonl");
    let bin = assert_cmd::cargo::cargo_bin("aiprov");
    let command = format!(
        "{} archive v1.0..v1.1 -o {} --key {}",
        bin.display(),
        out.display(),
        r.rita.display()
    );
    // On a terminal (util-linux `script` gives the command one).
    let mut cmd = std::process::Command::new("script");
    common::hermetic(&mut cmd, &r.f.repo);
    let shown = cmd
        .current_dir(&r.f.repo)
        .env("GIT_COMMITTER_EMAIL", "rita@example.org")
        .args(["-qec", &command, "/dev/null"])
        .output()
        .expect("util-linux script");
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    let screen = String::from_utf8_lossy(&shown.stdout);
    assert!(
        screen.contains("verifying") && screen.contains("/32"),
        "{screen}"
    );
    // Not on a terminal, and never with JSON.
    for args in [&[][..], &["--format", "json"][..]] {
        let piped =
            r.f.aiprov()
                .env("GIT_COMMITTER_EMAIL", "rita@example.org")
                .args(args)
                .args(["archive", "v1.0..v1.1", "-o"])
                .arg(&out)
                .arg("--key")
                .arg(&r.rita)
                .output()
                .unwrap();
        if args.is_empty() {
            // No progress bar: what was verified and written, and no "verifying".
            insta::assert_snapshot!(r.f.render(&piped), @"
                exit: 0
                --- stdout
                archived 32 changes of v1.0..v1.1 (30 passed, 1 failed, 1 skipped; 31 envelopes), signed by rita@example.org to [TMP]/a.jsonl
                --- stderr
                warning: 1 change failed verification; the summary records its findings (`aiprov verify --archive [TMP]/a.jsonl` lists them)
                ");
        } else {
            assert!(piped.status.success());
            let stderr = String::from_utf8_lossy(&piped.stderr);
            assert!(!stderr.contains("verifying"), "{stderr}");
            // With JSON, the summary statement that was signed.
            let doc: Value = serde_json::from_slice(&piped.stdout).unwrap();
            assert_schema_valid("release-summary.schema.json", &doc);
            let last = read_lines(&out).pop().unwrap();
            assert_eq!(doc, summary(&last));
        }
    }
}

#[test]
fn bad_archives_and_missing_keyrings_are_clear_errors() {
    let f = common::Fixture::new();
    let empty = f.tmp.path().join("empty.jsonl");
    std::fs::write(&empty, "\n\n").unwrap();
    let keyring = f.tmp.path().join("keyring");
    std::fs::create_dir_all(&keyring).unwrap();
    std::fs::write(keyring.join("keyring.toml"), "version = 1\n").unwrap();
    let outcome = f.outcome(
        f.aiprov()
            .args(["verify", "--archive"])
            .arg(&empty)
            .arg("--keyring")
            .arg(&keyring),
    );
    insta::assert_snapshot!(outcome, @"
        exit: 2
        --- stdout
        --- stderr
        error: [TMP]/empty.jsonl is not a release archive
        caused by: the archive holds no envelope
        ");
    let missing = f.tmp.path().join("missing.jsonl");
    let outcome = f.outcome(f.aiprov().args(["verify", "--archive"]).arg(&missing));
    insta::assert_snapshot!(outcome, @"
        exit: 2
        --- stdout
        --- stderr
        error: cannot read [TMP]/missing.jsonl: No such file or directory (os error 2)
        ");
    // JSON that is no envelope is not an archive.
    std::fs::write(&empty, "{}\n").unwrap();
    let outcome = f.outcome(
        f.aiprov()
            .current_dir(f.tmp.path())
            .args(["verify", "--archive"])
            .arg(&empty),
    );
    insta::assert_snapshot!(outcome, @r#"
        exit: 2
        --- stdout
        --- stderr
        error: [TMP]/empty.jsonl is not a release archive
        caused by: no line is a DSSE envelope (line 1 begins "{}")
        "#);
    // An archive of a single revision is refused: a release is a range.
    let outcome = f.outcome(f.aiprov().args(["archive", "HEAD", "-o", "x.jsonl"]));
    insta::assert_snapshot!(outcome, @"
        exit: 2
        --- stdout
        --- stderr
        error: 'HEAD' is not a range
        hint: name the previous release and this one, e.g. v1.0..v1.1
        ");
}

/// Issue 17, point 6: what release managers met. The archive file is made with the user's
/// umask; `--trust-ref` decides the summary's keyring inside the repository; an archive without
/// its summary gets a hint for where it runs; a file that is not an archive is exit 2; and
/// `--tarball` checks a tarball against the SHA-256 the summary records, which the human output
/// lists.
#[test]
fn release_managers_trust_ref_missing_summary_non_archives_tarballs_and_umask() {
    use std::os::unix::fs::PermissionsExt;
    let r = ReleaseRepo::new();
    let archive = r.archive();
    let mode = std::fs::metadata(&archive).unwrap().permissions().mode() & 0o777;
    // The tests run with the usual umask 022 (set by common::hermetic? no: the process's).
    let umask = {
        let out = std::process::Command::new("sh")
            .args(["-c", "umask"])
            .output()
            .unwrap();
        u32::from_str_radix(String::from_utf8_lossy(&out.stdout).trim(), 8).unwrap()
    };
    assert_eq!(mode, 0o666 & !umask, "written as any new file: {mode:o}");

    // The summary is signed by rita, whom v1.0 trusts; a revision whose keyring revoked her
    // key makes it untrusted: --trust-ref is honoured.
    let branch = r.f.git(&["branch", "--show-current"]);
    r.f.git(&["checkout", "-q", "-b", "revoked", "v1.1"]);
    r.f.aiprov()
        .args(["keyring", "revoke", "--reason", "lost"])
        .arg(r.rita.with_extension("pub"))
        .assert()
        .success();
    r.f.commit_all(&format!("Revoke rita\n\n{}", common::release::SOB_ALICE));
    r.f.git(&["checkout", "-q", branch.trim()]);
    let outcome = r.f.outcome(
        r.f.aiprov()
            .args(["verify", "-q", "--archive"])
            .arg(&archive)
            .args(["--trust-ref", "revoked"]),
    );
    assert!(outcome.starts_with("exit: 1"), "{outcome}");
    assert!(outcome.contains("signature.untrusted"), "{outcome}");

    // Outside a repository, nothing says whom to trust.
    insta::assert_snapshot!(r.f.outcome(
        r.f.aiprov()
            .current_dir(r.f.tmp.path())
            .args(["verify", "--archive"])
            .arg(&archive)
    ), @"
        exit: 2
        --- stdout
        --- stderr
        error: no keyring to check [TMP]/v1.1.intoto.jsonl with
        hint: pass --keyring DIR (the release base's .aiprov/ directory), or run inside the repository (-C PATH)
    ");

    // The summary dropped: inside the repository and outside it.
    let mut lines = read_lines(&archive);
    lines.pop();
    let cut = write_lines(&r, "cut.intoto.jsonl", &lines);
    insta::assert_snapshot!(r.f.outcome(r.f.aiprov().args(["verify", "--archive"]).arg(&cut)), @"
        exit: 1
        --- stdout
        [TMP]/cut.intoto.jsonl:
            error [archive.summary-missing] the archive holds no release summary
        archive verification failed: 1 problem
        --- stderr
        warning: [TMP]/cut.intoto.jsonl has no release summary: it names no release, and nothing in it can be checked (hint: the summary is the last line `aiprov archive` writes; in this repository, `aiprov archive BASE..RELEASE -o [TMP]/cut.intoto.jsonl` writes the archive again from its notes)
    ");
    let keyring = r.keyring_dir();
    insta::assert_snapshot!(r.f.outcome(
        r.f.aiprov()
            .current_dir(r.f.tmp.path())
            .args(["verify", "--archive"])
            .arg(&cut)
    ), @"
        exit: 1
        --- stdout
        [TMP]/cut.intoto.jsonl:
            error [archive.summary-missing] the archive holds no release summary
        archive verification failed: 1 problem
        --- stderr
        warning: [TMP]/cut.intoto.jsonl has no release summary: it names no release, and nothing in it can be checked (hint: the summary is the last line `aiprov archive` writes; ask for the archive as it was published (it is kept beside the release tarball))
    ");
    insta::assert_snapshot!(r.f.outcome(
        r.f.aiprov()
            .current_dir(r.f.tmp.path())
            .args(["verify", "--archive"])
            .arg(&cut)
            .arg("--keyring")
            .arg(&keyring)
    ), @"
        exit: 1
        --- stdout
        [TMP]/cut.intoto.jsonl:
            error [archive.summary-missing] the archive holds no release summary
        archive verification failed: 1 problem
        --- stderr
        warning: [TMP]/cut.intoto.jsonl has no release summary: it names no release, and nothing in it can be checked (hint: the summary is the last line `aiprov archive` writes; ask for the archive as it was published (it is kept beside the release tarball))
    ");

    // Files that are not archives: the tarball itself, a text file.
    let tarball = r.f.tmp.path().join("project-1.1.tar");
    let readme = r.f.path("README");
    for file in [&tarball, &readme] {
        let out =
            r.f.aiprov()
                .args(["verify", "--archive"])
                .arg(file)
                .output()
                .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", r.f.render(&out));
    }
    insta::assert_snapshot!(r.f.outcome(r.f.aiprov().args(["verify", "--archive"]).arg(&readme)), @"
        exit: 2
        --- stdout
        --- stderr
        error: [TMP]/repo/README is not a release archive
        caused by: no line is a DSSE envelope (line 1 begins \"The project\")
    ");

    // The tarball checked against the recorded SHA-256; another file is reported.
    let out =
        r.f.aiprov()
            .args(["verify", "-q", "--archive"])
            .arg(&archive)
            .arg("--tarball")
            .arg(&tarball)
            .output()
            .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let digest = digest_bytes(&std::fs::read(&tarball).unwrap());
    let listed = format!(
        "\ntarball project-1.1.tar sha256 {digest} matches {}\n",
        tarball.display()
    );
    assert!(
        out.status.success() && stdout.contains(&listed),
        "{}",
        r.f.render(&out)
    );
    let other = r.f.tmp.path().join("project-1.1-other.tar");
    std::fs::write(&other, b"not the release").unwrap();
    let out =
        r.f.aiprov()
            .args(["verify", "--format", "json", "--archive"])
            .arg(&archive)
            .arg("--tarball")
            .arg(&other)
            .output()
            .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_schema_valid("archive-report.schema.json", &doc);
    assert_eq!(codes(&doc), ["archive.summary-mismatch"]);
}
