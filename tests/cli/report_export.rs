//! Issue 18, point 4: `aiprov report --format vsa|cyclonedx|spdx` on the release of 32 commits,
//! read by tools nobody here wrote. The VSAs are parsed by in-toto's own bindings of the
//! Statement and of SLSA's verification summary (protobuf JSON, unknown fields refused) and
//! checked against the SLSA source track's rules for `verifiedLevels`; what each revision's VSA
//! says is checked against the history git walks from it. The CycloneDX BOM passes
//! cyclonedx-python-lib's strict validator (the published 1.6 schema), the SPDX document
//! spdx-tools' parser and validator. A signed VSA verifies with securesystemslib.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use aiprov::report::vsa::Property;
use common::release::ReleaseRepo;
use in_toto_attestation::predicates::vsa::v1::vsa::VerificationSummary;
use in_toto_attestation::v1::statement::Statement;
use in_toto_attestation::validator::MetadataValidator;
use serde_json::Value;
use sha2::{Digest, Sha256};

const REPOSITORY: &str = "https://git.example.org/project.git";

fn python() -> PathBuf {
    common::venv_bin("python")
}

/// Runs a Python validator of tests/interop/ on `doc`; its exit code and output.
fn python_check(script: &str, args: &[&str], doc: &[u8], dir: &Path) -> (i32, String) {
    let file = dir.join("document.json");
    std::fs::write(&file, doc).unwrap();
    let out = Command::new(python())
        .arg(format!(
            "{}/tests/interop/{script}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .args(args)
        .arg(&file)
        .output()
        .expect("run python");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// The release, with tools and models declared for two of its changes: the 1st (tests) and the
/// 3rd (a small fix in block/).
fn release() -> ReleaseRepo {
    let r = ReleaseRepo::new();
    let (first, third) = (r.ai_files[0].0.clone(), r.ai_files[2].0.clone());
    declare_tools(
        &r,
        &first,
        "tests/**=tests",
        &["claude-code@1.2.0"],
        &["anthropic/claude-opus-4-5"],
    );
    declare_tools(
        &r,
        &third,
        "block/**=code (small fix)",
        &["aider"],
        &["openai/gpt-5", "anthropic/claude-opus-4-5"],
    );
    r
}

/// Attests `commit` again, naming `tools` (`attest --tool`) and `models`, as an AI tool's own
/// records give them: the predicate's `models`, signed with alice's key into the commit's note.
fn declare_tools(r: &ReleaseRepo, commit: &str, ai: &str, tools: &[&str], models: &[&str]) {
    let mut attest = r.f.aiprov();
    attest
        .args(["attest", commit, "--stdout", "-y", "--ai", ai, "--key"])
        .arg(&r.alice);
    for t in tools {
        attest.args(["--tool", t]);
    }
    let out = attest.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let envelope = aiprov::dsse::Envelope::parse(&out.stdout).unwrap();
    let mut statement: Value = serde_json::from_slice(&envelope.payload).unwrap();
    statement["predicate"]["models"] = serde_json::json!(models);
    let payload = serde_json::to_vec(&statement).unwrap();
    let signer = aiprov::signing::KeySource::from_path(&r.alice)
        .unwrap()
        .signer(None)
        .unwrap();
    let signed = aiprov::signing::sign_envelope(
        aiprov::dsse::INTOTO_PAYLOAD_TYPE,
        &payload,
        signer.as_ref(),
    )
    .unwrap();
    r.f.git(&[
        "notes",
        "--ref=aiprov",
        "add",
        "-f",
        "-m",
        &signed.to_json(),
        commit,
    ]);
}

/// `aiprov report ARGS` in `dir`, which must succeed; its stdout.
fn report(r: &ReleaseRepo, args: &[&str], dir: &Path) -> Vec<u8> {
    let out =
        r.f.aiprov()
            .current_dir(dir)
            .arg("report")
            .args(args)
            .output()
            .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// One VSA line read by in-toto's bindings: the Statement (strict JSON, then its validator) and
/// its predicate as a `VerificationSummary` (strict JSON). Returns the predicate.
fn in_toto_parse(line: &str) -> VerificationSummary {
    let statement: Statement = protobuf_json_mapping::parse_from_str(line)
        .unwrap_or_else(|e| panic!("in-toto's Statement does not read {line}: {e}"));
    statement.validate_fields().unwrap();
    assert_eq!(
        statement.predicate_type,
        "https://slsa.dev/verification_summary/v1"
    );
    let doc: Value = serde_json::from_str(line).unwrap();
    protobuf_json_mapping::parse_from_str(&doc["predicate"].to_string())
        .unwrap_or_else(|e| panic!("in-toto's VerificationSummary does not read {line}: {e}"))
}

/// The SLSA source track's rules for `verifiedLevels` (spec v1.2, source-requirements.md,
/// "Source verification summary attestation" and "Additional properties"; SlsaResult in
/// verification_summary.md): a failed revision has `FAILED` alone; a passed one exactly one
/// source level, and otherwise only organisation properties, which begin with `ORG_SOURCE_`.
fn check_levels(result: &str, levels: &[String]) {
    if result == "FAILED" {
        assert_eq!(levels, ["FAILED"]);
        return;
    }
    assert_eq!(result, "PASSED");
    let level = regex::Regex::new("^SLSA_SOURCE_LEVEL_[0-3]$").unwrap();
    let property = regex::Regex::new("^ORG_SOURCE_[A-Z0-9_]+$").unwrap();
    assert_eq!(
        levels.iter().filter(|l| level.is_match(l)).count(),
        1,
        "{levels:?}"
    );
    for l in levels.iter().filter(|l| !level.is_match(l)) {
        assert!(property.is_match(l), "{l} is not an organisation property");
        // Meant for consumers, so not the internal kind.
        assert!(!l.starts_with("ORG_SOURCE_INTERNAL_"), "{l}");
        assert!(!l.starts_with("SLSA_"), "{l}");
    }
}

/// What a revision's VSA should say, from the JSON report's per-change rows of every change of
/// the range in its history (`git rev-list v1.0..REV`).
fn expected_levels(r: &ReleaseRepo, rows: &BTreeMap<String, Value>, rev: &str) -> Vec<String> {
    let history = r.f.git(&["rev-list", &format!("v1.0..{rev}")]);
    // The merge has no row: it is the clean merge of its parents.
    let rows: Vec<&Value> = history.lines().filter_map(|c| rows.get(c)).collect();
    if rows.iter().any(|c| c["verdict"] == "fail") {
        return vec!["FAILED".into()];
    }
    let attested = rows.iter().all(|c| c["attested"] == true);
    let uses = |category: &str| {
        rows.iter()
            .any(|c| c["ai"].as_array().unwrap().contains(&category.into()))
    };
    let holds = |p: Property| match p {
        Property::Attested => attested,
        Property::NoAiContent => attested && !uses("code") && !uses("tests") && !uses("docs"),
        Property::AiCode => uses("code"),
        Property::AiTests => uses("tests"),
        Property::AiDocs => uses("docs"),
        Property::AiResearch => uses("research"),
        Property::MaintainerApproved => rows
            .iter()
            .any(|c| !c["approvals"].as_array().unwrap().is_empty()),
    };
    std::iter::once("SLSA_SOURCE_LEVEL_0".to_string())
        .chain(
            Property::ALL
                .into_iter()
                .filter(|p| holds(*p))
                .map(|p| p.name().to_string()),
        )
        .collect()
}

#[test]
fn each_revisions_vsa_summarises_its_history_and_in_totos_bindings_read_it() {
    let r = release();
    let json: Value =
        serde_json::from_slice(&report(&r, &["v1.0..v1.1", "--format", "json"], &r.f.repo))
            .unwrap();
    let rows: BTreeMap<String, Value> = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["commit"].as_str().unwrap().to_string(), c.clone()))
        .collect();
    let args = ["v1.0..v1.1", "--format", "vsa", "--repository", REPOSITORY];
    let out = report(&r, &args, &r.f.repo);
    let text = String::from_utf8(out.clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let range: Vec<String> =
        r.f.git(&["rev-list", "--topo-order", "--reverse", "v1.0..v1.1"])
            .lines()
            .map(str::to_string)
            .collect();
    assert_eq!(lines.len(), 32);
    let base = r.f.git(&["rev-parse", "v1.0"]).trim().to_string();
    let tip = r.f.git(&["rev-parse", "v1.1"]).trim().to_string();
    let mut digests: BTreeMap<String, String> = BTreeMap::new();
    let mut results = BTreeMap::new();
    for (line, commit) in lines.iter().zip(&range) {
        let vsa = in_toto_parse(line);
        check_levels(&vsa.verification_result, &vsa.verified_levels);
        let doc: Value = serde_json::from_str(line).unwrap();
        let subject = &doc["subject"].as_array().unwrap()[..];
        assert_eq!(subject.len(), 1);
        assert_eq!(
            &subject[0]["digest"],
            &serde_json::json!({ "gitCommit": commit })
        );
        let refs = &subject[0]["annotations"]["sourceRefs"];
        if *commit == tip {
            assert_eq!(refs, &serde_json::json!(["refs/tags/v1.1"]));
        } else {
            assert!(refs.is_null(), "{line}");
        }
        assert_eq!(vsa.verified_levels, expected_levels(&r, &rows, commit));
        assert_eq!(
            vsa.verifier.id,
            format!("https://aiprov.dev/verifier@{}", env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(vsa.resource_uri, format!("git+{REPOSITORY}"));
        assert_eq!(vsa.policy.uri, format!("git+{REPOSITORY}@{base}"));
        assert_eq!(
            vsa.policy.digest,
            [("gitCommit".to_string(), base.clone())].into()
        );
        assert_eq!(vsa.slsa_version, "1.2");
        assert_eq!(doc["predicate"]["timeVerified"], "2026-01-02T00:00:00Z");
        // The inputs: the commit's envelope lines, then the statements of its parents in the range.
        let show = ["notes", "--ref=aiprov", "show", commit.as_str()];
        let note = match r.f.git_cmd_fails(&show) {
            true => String::new(),
            false => r.f.git(&show),
        };
        let mut inputs: Vec<String> = note
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| sha256_hex(l.as_bytes()))
            .collect();
        let parents = r.f.git(&["rev-list", "--parents", "-n1", commit]);
        inputs.extend(
            parents
                .split_whitespace()
                .skip(1)
                .filter_map(|p| digests.get(p).cloned()),
        );
        let listed: Vec<String> = vsa
            .input_attestations
            .iter()
            .map(|a| a.digest["sha256"].clone())
            .collect();
        assert_eq!(listed, inputs, "{commit}");
        digests.insert(commit.clone(), sha256_hex(line.as_bytes()));
        results.insert(commit.clone(), vsa.verification_result.clone());
    }
    // The unattested 18th change fails, and so does every revision whose history holds it;
    // the release commit's VSA speaks for the whole release.
    let unattested = range.iter().position(|c| *c == r.unattested).unwrap();
    assert_eq!(results[&range[unattested - 1]], "PASSED");
    assert_eq!(results[&r.unattested], "FAILED");
    assert_eq!(results[&tip], "FAILED");
    let first: Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(
        first["predicate"]["verifiedLevels"],
        serde_json::json!([
            "SLSA_SOURCE_LEVEL_0",
            "ORG_SOURCE_AIPROV_ATTESTED",
            "ORG_SOURCE_AIPROV_AI_TESTS"
        ])
    );
    let approved: Value = serde_json::from_str(lines[unattested - 1]).unwrap();
    assert_eq!(
        approved["predicate"]["verifiedLevels"],
        serde_json::json!([
            "SLSA_SOURCE_LEVEL_0",
            "ORG_SOURCE_AIPROV_ATTESTED",
            "ORG_SOURCE_AIPROV_AI_CODE",
            "ORG_SOURCE_AIPROV_AI_TESTS",
            "ORG_SOURCE_AIPROV_AI_DOCS",
            "ORG_SOURCE_AIPROV_AI_RESEARCH",
            "ORG_SOURCE_AIPROV_MAINTAINER_APPROVED"
        ])
    );

    // The bindings are strict: a field SLSA does not define is refused, so passing means
    // something.
    let mut extended: Value = serde_json::from_str(lines[0]).unwrap();
    extended["predicate"]["verifier"]["build"] = "x".into();
    assert!(
        protobuf_json_mapping::parse_from_str::<VerificationSummary>(
            &extended["predicate"].to_string()
        )
        .is_err()
    );

    // The archive's VSAs are the range's.
    let archive = r.archive();
    let from_archive = report(
        &r,
        &[
            "--archive",
            archive.to_str().unwrap(),
            "--format",
            "vsa",
            "--repository",
            REPOSITORY,
        ],
        &r.f.repo,
    );
    assert_eq!(String::from_utf8(from_archive).unwrap(), text);

    // Signed with rita's key: each line an envelope of the same statement, which
    // securesystemslib verifies.
    let signed = report(
        &r,
        &[&args[..], &["--sign", "--key", r.rita.to_str().unwrap()]].concat(),
        &r.f.repo,
    );
    let signed = String::from_utf8(signed).unwrap();
    assert_eq!(signed.lines().count(), 32);
    for (envelope, line) in signed.lines().zip(&lines) {
        let env = aiprov::dsse::Envelope::parse(envelope.as_bytes()).unwrap();
        assert_eq!(env.payload, line.as_bytes());
    }
    let public = std::fs::read_to_string(r.rita.with_extension("pub")).unwrap();
    let public = aiprov::signing::PublicKey::from_openssh(&public).unwrap();
    let last = r.f.tmp.path().join("vsa.json");
    std::fs::write(&last, signed.lines().last().unwrap()).unwrap();
    let run = Command::new(python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/interop/securesystemslib_dsse.py"
        ))
        .arg("verify")
        .arg(&last)
        .arg(hex::encode(public.to_bytes()))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&run.stdout).lines().last(),
        Some("verified"),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

#[test]
fn the_boms_list_the_ai_tools_and_models_and_their_validators_accept_them() {
    let r = release();
    let dir = r.f.tmp.path();
    let range = ["v1.0..v1.1", "--repository", REPOSITORY];
    let cdx = report(
        &r,
        &[&range[..], &["--format", "cyclonedx"]].concat(),
        &r.f.repo,
    );
    assert_eq!(
        python_check("export_validate.py", &["cyclonedx"], &cdx, dir),
        (0, "valid\n".to_string())
    );
    let bom: Value = serde_json::from_slice(&cdx).unwrap();
    let (first, third) = (&r.ai_files[0], &r.ai_files[2]);
    let components: Vec<(&str, &str, &str, Value)> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["type"].as_str().unwrap(),
                c["bom-ref"].as_str().unwrap(),
                c["scope"].as_str().unwrap(),
                c["properties"].clone(),
            )
        })
        .collect();
    let props = |uses: &[&(String, Vec<String>)]| -> Value {
        let mut out = Vec::new();
        for (commit, files) in uses {
            out.push(serde_json::json!({"name": "aiprov:commit", "value": commit}));
            for f in files {
                out.push(
                    serde_json::json!({"name": "aiprov:file", "value": format!("{commit}:{f}")}),
                );
            }
        }
        Value::Array(out)
    };
    assert_eq!(
        components,
        [
            (
                "application",
                "aiprov:tool:aider",
                "excluded",
                props(&[third])
            ),
            (
                "application",
                "aiprov:tool:claude-code@1.2.0",
                "excluded",
                props(&[first])
            ),
            (
                "machine-learning-model",
                "aiprov:model:anthropic/claude-opus-4-5",
                "excluded",
                props(&[first, third])
            ),
            (
                "machine-learning-model",
                "aiprov:model:openai/gpt-5",
                "excluded",
                props(&[third])
            ),
        ]
    );
    let subject = &bom["metadata"]["component"];
    assert_eq!(
        (&subject["name"], &subject["version"]),
        (&Value::from("project"), &Value::from("v1.1"))
    );
    // Dated by the release commit, not the clock: the same release gives the same BOM.
    let date = r.f.git(&["log", "-1", "--format=%cI", "v1.1"]);
    let time = |t: &str| t.parse::<jiff::Timestamp>().unwrap();
    assert_eq!(
        time(bom["metadata"]["timestamp"].as_str().unwrap()),
        time(date.trim())
    );
    let later =
        r.f.aiprov()
            .env("AIPROV_NOW", "2030-01-01T00:00:00Z")
            .args(["report", "--format", "cyclonedx"])
            .args(range)
            .output()
            .unwrap();
    assert_eq!(later.stdout, cdx);
    // The validator is strict: a property the schema does not have is refused.
    let mut extended = bom.clone();
    extended["metadata"]["component"]["aiUsed"] = true.into();
    let (code, errors) = python_check(
        "export_validate.py",
        &["cyclonedx"],
        extended.to_string().as_bytes(),
        dir,
    );
    assert_eq!(code, 1, "{errors}");
    assert!(errors.contains("aiUsed"), "{errors}");

    let spdx = report(&r, &[&range[..], &["--format", "spdx"]].concat(), &r.f.repo);
    assert_eq!(
        python_check("export_validate.py", &["spdx"], &spdx, dir),
        (0, "valid\n".to_string())
    );
    let doc: Value = serde_json::from_slice(&spdx).unwrap();
    let packages: BTreeSet<(&str, &str)> = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap(),
                p["primaryPackagePurpose"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        packages,
        BTreeSet::from([
            ("project", "SOURCE"),
            ("aider", "APPLICATION"),
            ("claude-code", "APPLICATION"),
            ("anthropic/claude-opus-4-5", "OTHER"),
            ("openai/gpt-5", "OTHER"),
        ])
    );
    let dev_tools = doc["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["relationshipType"] == "DEV_TOOL_OF")
        .count();
    assert_eq!(dev_tools, 4);
    // spdx-tools refuses what SPDX does not define.
    let mut extended = doc.clone();
    extended["packages"][1]["aiUsed"] = true.into();
    let (code, errors) = python_check(
        "export_validate.py",
        &["spdx"],
        extended.to_string().as_bytes(),
        dir,
    );
    assert_eq!(code, 1, "{errors}");

    // The archive's BOMs are the range's.
    let archive = r.archive();
    let from_archive = report(
        &r,
        &[
            "--archive",
            archive.to_str().unwrap(),
            "--repository",
            REPOSITORY,
            "--format",
            "cyclonedx",
        ],
        &r.f.repo,
    );
    assert_eq!(from_archive, cdx);
}

#[test]
fn supply_chain_formats_are_refused_where_they_mean_nothing() {
    let f = common::Fixture::new();
    let outcome = f.outcome(f.aiprov().args(["verify", "--format", "vsa"]));
    insta::assert_snapshot!(outcome, @"
    exit: 2
    --- stdout
    --- stderr
    error: `aiprov verify` has no vsa output (--format human, json, sarif, codequality, junit or github)
    hint: --format vsa describes a release: `aiprov report RANGE --format vsa`
    ");
    let outcome = f.outcome(f.aiprov().args(["show", "--format=cyclonedx"]));
    insta::assert_snapshot!(outcome, @"
    exit: 2
    --- stdout
    --- stderr
    error: `aiprov show` has no cyclonedx output (--format human or json)
    hint: --format cyclonedx describes a release: `aiprov report RANGE --format cyclonedx`
    ");
    // Only VSAs are signed: a BOM is not a statement.
    let outcome = f.outcome(f.aiprov().args(["report", "v1.0..v1.1", "--sign"]));
    insta::assert_snapshot!(outcome, @"
    exit: 2
    --- stdout
    --- stderr
    error: --sign signs verification summaries
    hint: add --format vsa, or leave out --sign
    ");
}
