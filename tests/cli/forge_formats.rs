//! `aiprov verify`'s reports for forges (docs/ci.md) on one range: a passing commit, a failing
//! one with findings about files and about the whole commit, and a skipped merge. Each format is
//! checked for what it says and validated by a validator nobody here wrote: SARIF against its
//! published JSON schema (Python jsonschema) and GitHub's requirements, JUnit against Jenkins'
//! junit-10.xsd (xmlschema), Code Quality against schema/codequality.schema.json, written from
//! GitLab's documentation. The validators come from `tests/interop/requirements.txt` (the venv of
//! `scripts/setup-python`) and the schemas from `scripts/fetch-forge-schemas`.
//!
//! The range's commit ids are the same on every run (fixed dates, the TEST-ONLY keys/alice in
//! the keyring), so docs/ci.md shows real output: `the_docs_show_the_real_output` compares it;
//! `AIPROV_UPDATE_DOCS=1` rewrites the examples.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::Fixture;
use serde_json::Value;

const SOB: &str = "Signed-off-by: Alice Author <alice@example.org>";

/// The range `base..main`: `fix` passes, `ring` fails, `merge` is skipped.
struct Range {
    f: Fixture,
    fix: String,
    ring: String,
}

fn range() -> Range {
    let f = Fixture::new();
    let key = f.tmp.path().join("keys/alice");
    std::fs::create_dir_all(key.parent().unwrap()).unwrap();
    let keys = Path::new(env!("CARGO_MANIFEST_DIR")).join("keys");
    std::fs::copy(keys.join("alice"), &key).unwrap();
    std::fs::copy(keys.join("alice.pub"), key.with_extension("pub")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    f.init_trusting("alice@example.org", &key);
    f.write("hw/e1000.c", common::lines("int e1000", 10));
    f.commit_all(&format!("Initial import\n\n{SOB}"));
    f.git(&["tag", "base"]);
    let attest = |f: &Fixture| {
        f.aiprov()
            .args(["attest", "-y", "--key"])
            .arg(&key)
            .assert()
            .success();
    };
    f.write("hw/e1000.c", common::lines("int e1000", 11));
    let fix = f.commit_all(&format!(
        "hw/e1000: fix a register\n\nAI-used-for: code\n{SOB}"
    ));
    attest(&f);
    // Attested, then changed again: a file with other lines than attested, a file the
    // attestation does not cover, and no sign-off.
    f.git(&["checkout", "-q", "-b", "ring"]);
    f.write("hw/e1000.c", common::lines("int e1000", 12));
    let attested = f.commit_all(&format!(
        "hw/e1000: rework the ring\n\nAI-used-for: code\n{SOB}"
    ));
    attest(&f);
    f.write("hw/e1000.c", common::lines("int e1000", 13));
    f.write("hw/ring.c", common::lines("int ring", 3));
    f.git(&["add", "-A"]);
    f.git(&[
        "commit",
        "-q",
        "--amend",
        "-m",
        "hw/e1000: rework the ring\n\nAI-used-for: code",
    ]);
    let ring = f.git(&["rev-parse", "HEAD"]).trim().to_string();
    f.git(&["notes", "--ref=aiprov", "copy", "-f", &attested, &ring]);
    // The clean merge of the branch: skipped.
    f.git(&["checkout", "-q", "main"]);
    f.git(&[
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge branch 'ring'",
        "ring",
    ]);
    Range { f, fix, ring }
}

/// The range, made once for the whole module (its tests only read it).
fn shared() -> &'static Range {
    static RANGE: OnceLock<Range> = OnceLock::new();
    RANGE.get_or_init(range)
}

/// `aiprov verify ARGS base..main`: its exit code and stdout.
fn verify(r: &Range, args: &[&str]) -> (i32, String) {
    let out =
        r.f.aiprov()
            .arg("verify")
            .args(args)
            .arg("base..main")
            .output()
            .expect("run aiprov");
    (
        out.status.code().expect("an exit code"),
        String::from_utf8(out.stdout).expect("UTF-8"),
    )
}

fn short(id: &str) -> &str {
    &id[..12]
}

fn python() -> PathBuf {
    common::venv_bin("python")
}

/// The directory of the published schemas: `AIPROV_FORGE_SCHEMAS`, or fetched by
/// `scripts/fetch-forge-schemas` once for the test binary.
fn schemas() -> PathBuf {
    if let Some(dir) = std::env::var_os("AIPROV_FORGE_SCHEMAS") {
        return PathBuf::from(dir);
    }
    static FETCHED: OnceLock<PathBuf> = OnceLock::new();
    FETCHED
        .get_or_init(|| {
            let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/fetch-forge-schemas");
            let out = Command::new(&script)
                .env("AIPROV_PYTHON", python())
                .output()
                .expect("run scripts/fetch-forge-schemas");
            assert!(
                out.status.success(),
                "scripts/fetch-forge-schemas failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            PathBuf::from(String::from_utf8(out.stdout).expect("UTF-8").trim())
        })
        .clone()
}

/// What tests/interop/forge_reports.py says of `text` as a report of `kind`: `Ok` when valid,
/// else the errors it printed. The GitHub Action's and the GitLab template's tests validate
/// the reports they make with it too.
pub fn validate(kind: &str, text: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report");
    std::fs::write(&file, text).unwrap();
    let schema = match kind {
        "sarif" => schemas().join("sarif-schema-2.1.0.json"),
        "junit" => schemas().join("junit-10.xsd"),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/codequality.schema.json"),
    };
    let out = Command::new(python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/interop/forge_reports.py"
        ))
        .arg(kind)
        .arg(schema)
        .arg(&file)
        .output()
        .expect("run forge_reports.py");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    match out.status.code() {
        Some(0) if said.trim() == "valid" => Ok(()),
        Some(1) => Err(said),
        _ => panic!("forge_reports.py {kind} failed: {said}"),
    }
}

#[test]
fn sarif_has_every_code_as_a_rule_and_every_finding_on_a_file() {
    let r = shared();
    let (code, text) = verify(r, &["--format", "sarif"]);
    assert_eq!(code, 1, "{text}");
    validate("sarif", &text).expect("valid SARIF");
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["version"], "2.1.0");
    let run = &doc["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "aiprov");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(driver["informationUri"], env!("CARGO_PKG_REPOSITORY"));
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), aiprov::finding::Code::ALL.len());
    for (rule, code) in rules.iter().zip(aiprov::finding::Code::ALL) {
        assert_eq!(rule["id"], code.as_str());
        assert_eq!(rule["helpUri"], code.help_uri());
    }
    assert_eq!(
        rules[0]["helpUri"],
        concat!(
            env!("CARGO_PKG_REPOSITORY"),
            "/blob/main/docs/finding-codes.md#signaturemissing"
        )
    );
    // The failing commit's findings, each on its file, or the commit's first for those about
    // the whole commit; nothing of the passing commit or the merge.
    let results: Vec<(String, String, String)> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|res| {
            assert_eq!(res["properties"]["commit"], r.ring.as_str());
            let message = res["message"]["text"].as_str().unwrap();
            assert!(
                message.ends_with(&format!(
                    "(commit {} \"hw/e1000: rework the ring\")",
                    short(&r.ring)
                )),
                "{message}"
            );
            (
                res["ruleId"].as_str().unwrap().to_string(),
                res["level"].as_str().unwrap().to_string(),
                res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    let expected = [
        ("signature.signer-not-signed-off", "hw/e1000.c"),
        ("coverage.digest-mismatch", "hw/e1000.c"),
        ("coverage.file-missing", "hw/ring.c"),
        ("dco.missing", "hw/e1000.c"),
    ];
    assert_eq!(
        results,
        expected
            .iter()
            .map(|(c, p)| (c.to_string(), "error".to_string(), p.to_string()))
            .collect::<Vec<_>>()
    );
}

#[test]
fn the_sarif_validators_refuse_what_github_would() {
    let (_, text) = verify(shared(), &["--format", "sarif"]);
    let doc: Value = serde_json::from_str(&text).unwrap();
    let broken = |edit: &dyn Fn(&mut Value)| {
        let mut doc = doc.clone();
        edit(&mut doc);
        validate("sarif", &doc.to_string()).expect_err("refused")
    };
    // The schema: a level SARIF does not have.
    let said = broken(&|d| d["runs"][0]["results"][0]["level"] = "fatal".into());
    assert!(said.contains("fatal"), "{said}");
    // GitHub: a result without a location, a rule without help.
    let said = broken(&|d| {
        d["runs"][0]["results"][0]
            .as_object_mut()
            .unwrap()
            .remove("locations");
    });
    assert!(said.contains("no location"), "{said}");
    let said = broken(&|d| {
        d["runs"][0]["tool"]["driver"]["rules"][3]
            .as_object_mut()
            .unwrap()
            .remove("help");
    });
    assert!(said.contains("no help.text"), "{said}");
    // The errata: a region that says no line.
    let said = broken(&|d| {
        d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"] =
            serde_json::json!({"startColumn": 1})
    });
    assert!(said.contains("region"), "{said}");
}

#[test]
fn code_quality_has_an_issue_per_finding_with_a_unique_fingerprint() {
    let r = shared();
    let (code, text) = verify(r, &["--format", "codequality"]);
    assert_eq!(code, 1, "{text}");
    validate("codequality", &text).expect("valid Code Quality");
    let doc: Value = serde_json::from_str(&text).unwrap();
    common::assert_schema_valid("codequality.schema.json", &doc);
    let issues: Vec<(&str, &str, &str)> = doc
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["check_name"].as_str().unwrap(),
                i["severity"].as_str().unwrap(),
                i["location"]["path"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        issues,
        [
            ("signature.signer-not-signed-off", "major", "hw/e1000.c"),
            ("coverage.digest-mismatch", "major", "hw/e1000.c"),
            ("coverage.file-missing", "major", "hw/ring.c"),
            ("dco.missing", "major", "hw/e1000.c"),
        ]
    );
    // Stable: the same run, the same fingerprints.
    let (_, again) = verify(r, &["--format", "codequality"]);
    assert_eq!(text, again);
    // The check refuses a fingerprint said twice, a severity GitLab does not know, a path
    // that is not relative.
    let mut twice = doc.clone();
    twice[1]["fingerprint"] = doc[0]["fingerprint"].clone();
    let said = validate("codequality", &twice.to_string()).unwrap_err();
    assert!(said.contains("not unique"), "{said}");
    let mut severe = doc.clone();
    severe[0]["severity"] = "error".into();
    assert!(validate("codequality", &severe.to_string()).is_err());
    let mut absolute = doc.clone();
    absolute[0]["location"]["path"] = "/hw/e1000.c".into();
    assert!(validate("codequality", &absolute.to_string()).is_err());
}

#[test]
fn junit_has_a_case_per_change_a_failure_and_a_skipped_merge() {
    let r = shared();
    let (code, text) = verify(r, &["--format", "junit"]);
    assert_eq!(code, 1, "{text}");
    validate("junit", &text).expect("valid JUnit XML");
    assert!(text.contains(
        "<testsuite name=\"aiprov verify base..main\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\">"
    ), "{text}");
    assert!(
        text.contains(&format!(
            "<testcase classname=\"aiprov\" name=\"{} hw/e1000: fix a register\"/>",
            short(&r.fix)
        )),
        "{text}"
    );
    let failing = format!(
        "<testcase classname=\"aiprov\" name=\"{} hw/e1000: rework the ring\">\n      <failure message=\"4 errors in commit {} &quot;hw/e1000: rework the ring&quot;: signature.signer-not-signed-off, coverage.digest-mismatch, coverage.file-missing, dco.missing\">error [signature.signer-not-signed-off] ",
        short(&r.ring),
        short(&r.ring)
    );
    assert!(text.contains(&failing), "{text}");
    assert!(
        text.contains(
            "error [coverage.file-missing] hw/ring.c (added) is not covered by the attestation\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("Merge branch &apos;ring&apos;\">\n      <skipped message="),
        "{text}"
    );
    // The schema refuses a case without a name, and a failure in a suite's place.
    let nameless = text.replacen(
        "classname=\"aiprov\" name=",
        "classname=\"aiprov\" label=",
        1,
    );
    assert!(validate("junit", &nameless).is_err());
    let misplaced = text.replacen("<testsuite ", "<failure ", 1);
    assert!(validate("junit", &misplaced).is_err());
}

#[test]
fn github_annotates_each_finding_and_says_the_verdict() {
    let r = shared();
    let (code, text) = verify(r, &["--format", "github"]);
    assert_eq!(code, 1, "{text}");
    let about = format!("(commit {} \"hw/e1000: rework the ring\")", short(&r.ring));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(lines[0].starts_with("::error title=signature.signer-not-signed-off::the signer alice@example.org is not among the Signed-off-by identities"), "{text}");
    assert!(
        lines[1].starts_with("::error file=hw/e1000.c,title=coverage.digest-mismatch::"),
        "{text}"
    );
    assert!(
        lines[2].starts_with("::error file=hw/ring.c,title=coverage.file-missing::"),
        "{text}"
    );
    assert!(
        lines[3].starts_with("::error title=dco.missing::"),
        "{text}"
    );
    for l in &lines[..4] {
        assert!(l.ends_with(&about), "{l}");
    }
    assert_eq!(
        lines[4],
        "verification failed: 1 passed, 1 failed, 1 skipped"
    );
}

#[test]
fn one_run_writes_every_report_it_is_asked_for() {
    let r = shared();
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let summary = path("summary.md");
    std::fs::write(&summary, "Earlier step.\n").unwrap();
    let mut args = vec!["--format".to_string(), "github".to_string()];
    for (format, name) in [
        ("json", "report.json"),
        ("sarif", "aiprov.sarif"),
        ("codequality", "gl-code-quality-report.json"),
        ("junit", "junit.xml"),
        ("markdown", "summary.md"),
    ] {
        args.push("--report-file".into());
        args.push(format!("{format}={}", path(name).display()));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, github) = verify(r, &args);
    assert_eq!(code, 1);
    assert_eq!(github, verify(r, &["--format", "github"]).1);
    // Each file is what --format prints.
    for (format, name) in [
        ("json", "report.json"),
        ("sarif", "aiprov.sarif"),
        ("codequality", "gl-code-quality-report.json"),
        ("junit", "junit.xml"),
    ] {
        let written = std::fs::read_to_string(path(name)).unwrap();
        assert_eq!(written, verify(r, &["--format", format]).1, "{format}");
    }
    // The summary is appended: a second run adds a second table.
    let (code, _) = verify(
        r,
        &["--report-file", &format!("markdown={}", summary.display())],
    );
    assert_eq!(code, 1);
    let text = std::fs::read_to_string(&summary).unwrap();
    let table = markdown_table(r);
    assert_eq!(text, format!("Earlier step.\n{table}{table}"));
}

/// The job summary of the range.
fn markdown_table(r: &Range) -> String {
    format!(
        "### aiprov verify base..main: verification failed\n\n\
         | verdict | change | title | signer | AI use | findings |\n|---|---|---|---|---|---|\n\
         | pass | `{}` | hw/e1000: fix a register | alice@example.org | code | 0 |\n\
         | **fail** | `{}` | hw/e1000: rework the ring | alice@example.org | code | 4 |\n\
         | skip | `{}` | Merge branch 'ring' |  |  | 0 |\n\
         \n1 passed, 1 failed, 1 skipped\n\n",
        short(&r.fix),
        short(&r.ring),
        short(r.f.git(&["rev-parse", "main"]).trim()),
    )
}

#[test]
fn patch_mails_are_reported_by_their_place_in_the_series() {
    let r = shared();
    let dir = tempfile::tempdir().unwrap();
    let mbox = dir.path().join("ring.mbox");
    let patch = r.f.git(&[
        "format-patch",
        "--notes=aiprov",
        "--numbered",
        "--thread",
        "--stdout",
        "-1",
        &r.ring,
    ]);
    std::fs::write(&mbox, patch).unwrap();
    let run = |format: &str| {
        let out =
            r.f.aiprov()
                .args([
                    "verify",
                    "--format",
                    format,
                    "--trust-ref",
                    "base",
                    "--mbox",
                ])
                .arg(&mbox)
                .output()
                .unwrap();
        assert_eq!(out.status.code(), Some(1));
        String::from_utf8(out.stdout).unwrap()
    };
    let sarif = run("sarif");
    validate("sarif", &sarif).expect("valid SARIF");
    let doc: Value = serde_json::from_str(&sarif).unwrap();
    let result = &doc["runs"][0]["results"][0];
    // A mail is known by its Message-ID.
    let id = result["properties"]["patch"].as_str().unwrap_or_default();
    assert!(id.contains('@'), "{result:#}");
    assert!(
        result["message"]["text"]
            .as_str()
            .unwrap()
            .ends_with("(patch 1/1 \"hw/e1000: rework the ring\")"),
        "{result:#}"
    );
    let junit = run("junit");
    validate("junit", &junit).expect("valid JUnit XML");
    assert!(
        junit.contains(&format!(
            "<testsuite name=\"aiprov verify --mbox {}\"",
            mbox.display()
        )),
        "{junit}"
    );
    assert!(
        junit.contains("name=\"patch 1/1 hw/e1000: rework the ring\">"),
        "{junit}"
    );
}

#[test]
fn formats_and_report_files_are_refused_where_they_mean_nothing() {
    let f = Fixture::new();
    f.commit_all("One");
    let out = f
        .aiprov()
        .args(["show", "--format", "sarif"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("`aiprov show` has no sarif output (--format human or json)"),
        "{said}"
    );
    assert!(said.contains("outputs of `aiprov verify`"), "{said}");
    let out = f
        .aiprov()
        .args([
            "verify",
            "--format",
            "junit",
            "--archive",
            "release.intoto.jsonl",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("`aiprov verify --archive` has no report for forges"),
        "{said}"
    );
    let out = f
        .aiprov()
        .args(["verify", "--report-file", "html=report.html"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("unknown report format 'html'"), "{said}");
    // A report that cannot be written is said before anything is verified.
    let out = f
        .aiprov()
        .args(["verify", "--report-file", "sarif=no/such/dir/aiprov.sarif"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("cannot write the sarif report to no/such/dir/aiprov.sarif"),
        "{said}"
    );
}

/// The examples of docs/ci.md, each the fenced block under a `<!-- forge-example: FORMAT -->`
/// line: (format, index of the block's first line, body without its last newline).
fn examples(doc: &str) -> Vec<(String, usize, String)> {
    let lines: Vec<&str> = doc.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(format) = line
            .strip_prefix("<!-- forge-example: ")
            .and_then(|l| l.strip_suffix(" -->"))
        else {
            continue;
        };
        let start = i + 2;
        let end = (start..lines.len())
            .find(|&j| lines[j].starts_with("```"))
            .expect("a closed block");
        out.push((format.to_string(), start, lines[start..end].join("\n")));
    }
    out
}

/// What docs/ci.md shows of a format's output: SARIF's rules but the first left out (the
/// other 22 are alike), the rest whole. Cut as text, so that the fields keep their order.
fn shown(format: &str, text: &str) -> String {
    if format != "sarif" {
        return text.to_string();
    }
    let lines: Vec<&str> = text.lines().collect();
    let open = lines
        .iter()
        .position(|l| l.trim_start() == "\"rules\": [")
        .expect("rules");
    let indent = " ".repeat(lines[open].len() - lines[open].trim_start().len());
    let first_end = (open..lines.len())
        .find(|&i| lines[i] == format!("{indent}  }},"))
        .expect("a second rule");
    let close = (first_end..lines.len())
        .find(|&i| lines[i].trim_end_matches(',') == format!("{indent}]"))
        .expect("the end of the rules");
    let mut out: Vec<String> = lines[..first_end].iter().map(|l| l.to_string()).collect();
    out.push(format!("{indent}  }}"));
    out.extend(lines[close..].iter().map(|l| l.to_string()));
    out.join("\n") + "\n"
}

#[test]
fn the_docs_show_the_real_output() {
    let r = shared();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ci.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let found = examples(&doc);
    let formats: Vec<&str> = found.iter().map(|(f, _, _)| f.as_str()).collect();
    assert_eq!(
        formats,
        ["github", "markdown", "sarif", "codequality", "junit"],
        "docs/ci.md's examples"
    );
    let mut lines: Vec<String> = doc.lines().map(str::to_string).collect();
    let mut stale = Vec::new();
    // From the last, so that the line numbers of the others stay right when one is rewritten.
    for (format, start, body) in found.iter().rev() {
        let actual = if format == "markdown" {
            markdown_table(r)
        } else {
            shown(format, &verify(r, &["--format", format]).1)
        };
        let actual = actual.trim_end();
        if body != actual {
            stale.push(format!("docs/ci.md:{}: the {format} example", start + 1));
            let end = start + body.lines().count();
            lines.splice(*start..end, actual.lines().map(str::to_string));
        }
    }
    if std::env::var_os("AIPROV_UPDATE_DOCS").is_some() {
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        return;
    }
    assert!(
        stale.is_empty(),
        "{} differ from aiprov's output (AIPROV_UPDATE_DOCS=1 rewrites them)",
        stale.join(", ")
    );
}
