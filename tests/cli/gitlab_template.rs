//! The GitLab CI template (`ci/gitlab/aiprov.gitlab-ci.yml`) run for real, offline, on a merge
//! request from a fork: the repositories of `common/pull_request.rs` (a target project whose keyring
//! trusts the contributor and a maintainer, a fork with the contributor's commits and
//! attestations, the maintainer's approval in the target's notes), a project directory cloned as
//! GitLab Runner clones it for a merge request pipeline (`GIT_DEPTH: 0`, the head detached), and
//! GitLab's predefined variables of a merge request pipeline. `tests/interop/gitlab_runner.py`
//! runs the job as the runner's shell executor does; the tests check the exit code and the
//! Code Quality and JUnit reports the job declares.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::git;
use common::pull_request::{approved_topic, bad_topic, debug_build_dir, path, World, PR};
use serde_json::Value;

const TEMPLATE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/ci/gitlab/aiprov.gitlab-ci.yml"
);
/// The merge request's IID.
const IID: u64 = PR;

/// A project's URL as GitLab's variables give it: the bare repository without `.git`.
fn url(bare: &Path) -> String {
    path(bare).trim_end_matches(".git").to_string()
}

/// GitLab's `refs/merge-requests/IID/head` in the target project, and the project directory of
/// a pipeline run in `project` (the target, or the fork): every branch and tag and the merge
/// request's head fetched, the head checked out detached, as GitLab Runner does.
fn project_dir(w: &World, project: &Path) -> PathBuf {
    let sha = git(&w.contributor, &["rev-parse", "HEAD"]);
    project_dir_at(w, project, sha.trim())
}

/// [`project_dir`] with `sha` checked out: the merge request's head, or in a merged results
/// pipeline the merge GitLab made.
fn project_dir_at(w: &World, project: &Path, sha: &str) -> PathBuf {
    let head = format!("refs/merge-requests/{IID}/head");
    git(
        &w.contributor,
        &["push", "-q", "-f", path(&w.base), &format!("topic:{head}")],
    );
    let dir = w.f.tmp.path().join("builds/project");
    std::fs::create_dir_all(&dir).expect("mkdir");
    git(&dir, &["init", "-q"]);
    git(&dir, &["remote", "add", "origin", path(project)]);
    git(
        &dir,
        &[
            "fetch",
            "-q",
            "origin",
            "+refs/heads/*:refs/remotes/origin/*",
            "+refs/tags/*:refs/tags/*",
        ],
    );
    if project == w.base {
        git(&dir, &["fetch", "-q", "origin", &head]);
    }
    let present = common::git_cmd(&dir)
        .args(["cat-file", "-e", &format!("{sha}^{{commit}}")])
        .stderr(std::process::Stdio::null())
        .status()
        .expect("run git")
        .success();
    if !present {
        // The merge of a merged results pipeline (World::open_pull_request's ref).
        git(
            &dir,
            &["fetch", "-q", "origin", &format!("refs/pull/{IID}/merge")],
        );
    }
    git(&dir, &["checkout", "-q", "-f", "--detach", sha]);
    dir
}

/// What the harness printed.
struct Job {
    result: Value,
    dir: PathBuf,
}

impl Job {
    fn code(&self) -> i64 {
        self.result["exit_code"].as_i64().expect("an exit code")
    }

    fn report(&self, kind: &str) -> PathBuf {
        let report = &self.result["reports"][kind];
        assert_eq!(report["exists"], true, "{:#}", self.result);
        self.dir.join(report["path"].as_str().expect("a path"))
    }

    fn codequality(&self) -> Value {
        serde_json::from_slice(&std::fs::read(self.report("codequality")).expect("read"))
            .expect("JSON")
    }

    fn junit(&self) -> String {
        std::fs::read_to_string(self.report("junit")).expect("read")
    }
}

/// Runs the template's `aiprov` job through the harness in `dir`, a pipeline of the merge
/// request in `project`, with the debug build of aiprov first on `PATH`.
fn run_job(w: &World, dir: &Path, project: &Path, extra: &[(&str, &str)]) -> Job {
    let head = git(&w.contributor, &["rev-parse", "HEAD"]);
    let mut variables = vec![
        ("CI_PIPELINE_SOURCE", "merge_request_event".to_string()),
        ("CI_MERGE_REQUEST_IID", IID.to_string()),
        ("CI_MERGE_REQUEST_DIFF_BASE_SHA", w.base_sha.clone()),
        ("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main".to_string()),
        ("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "topic".to_string()),
        ("CI_MERGE_REQUEST_PROJECT_URL", url(&w.base)),
        ("CI_MERGE_REQUEST_SOURCE_PROJECT_URL", url(&w.fork)),
        ("CI_PROJECT_URL", url(project)),
    ];
    // A detached merge request pipeline unless `extra` says otherwise: it runs on the head.
    if !extra
        .iter()
        .any(|(k, _)| *k == "CI_MERGE_REQUEST_EVENT_TYPE")
    {
        variables.push(("CI_MERGE_REQUEST_EVENT_TYPE", "detached".to_string()));
        variables.push(("CI_COMMIT_SHA", head.trim().to_string()));
    }
    for (k, v) in extra {
        variables.push((k, v.to_string()));
    }
    let mut c = Command::new(common::venv_bin("python"));
    common::hermetic(&mut c, &w.f.repo);
    c.arg(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/interop/gitlab_runner.py"
    ))
    .args([TEMPLATE, "aiprov", "--project-dir"])
    .arg(dir)
    .env("AIPROV_NOW", "2026-01-02T00:00:00Z")
    .env(
        "PATH",
        format!(
            "{}:{}",
            debug_build_dir().display(),
            std::env::var("PATH").unwrap_or_default()
        ),
    );
    for (k, v) in &variables {
        c.arg("--variable").arg(format!("{k}={v}"));
    }
    let out = c.output().expect("run the harness");
    assert!(
        out.status.success(),
        "the harness failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(result["created"], true, "{result:#}");
    assert_eq!(result["artifacts_when"], "always", "{result:#}");
    Job {
        result,
        dir: dir.to_path_buf(),
    }
}

/// The Code Quality report is GitLab's documented format (by the validator of
/// `forge_formats.rs`).
fn assert_codequality(doc: &Value) {
    let text = serde_json::to_string(doc).expect("JSON");
    if let Err(errors) = crate::forge_formats::validate("codequality", &text) {
        panic!("invalid Code Quality report: {errors}\n{doc:#}");
    }
}

/// The JUnit report is valid (Jenkins' junit-10.xsd, by the validator of `forge_formats.rs`),
/// one test case per commit, `failures` as many as failed.
fn assert_junit(xml: &str, cases: usize, failures: usize) {
    if let Err(errors) = crate::forge_formats::validate("junit", xml) {
        panic!("invalid JUnit report: {errors}\n{xml}");
    }
    assert_eq!(xml.matches("<testcase").count(), cases, "{xml}");
    assert_eq!(xml.matches("<failure").count(), failures, "{xml}");
}

#[test]
fn a_merge_request_pipeline_in_the_target_project_verifies_with_both_projects_notes() {
    let w = World::new();
    approved_topic(&w, true);
    let dir = project_dir(&w, &w.base);
    let job = run_job(&w, &dir, &w.base, &[]);

    assert_eq!(job.code(), 0, "{:#}", job.result);
    assert_eq!(job.codequality(), serde_json::json!([]));
    assert_codequality(&job.codequality());
    assert_junit(&job.junit(), 2, 0);
}

#[test]
fn a_merged_results_pipeline_verifies_the_merge_requests_commits_not_the_merge() {
    // There CI_COMMIT_SHA is the merge GitLab made, the head is
    // CI_MERGE_REQUEST_SOURCE_BRANCH_SHA.
    let w = World::new();
    let head = approved_topic(&w, true);
    let merge = w.open_pull_request();
    let dir = project_dir_at(&w, &w.base, &merge);
    let job = run_job(
        &w,
        &dir,
        &w.base,
        &[
            ("CI_MERGE_REQUEST_EVENT_TYPE", "merged_result"),
            ("CI_COMMIT_SHA", &merge),
            ("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA", &head),
        ],
    );

    assert_eq!(job.code(), 0, "{:#}", job.result);
    assert_junit(&job.junit(), 2, 0);
    assert!(job.junit().contains("ring: fix the bounds"));
}

#[test]
fn a_merge_request_pipeline_in_the_fork_fetches_the_target_projects_approval() {
    let w = World::new();
    approved_topic(&w, true);
    let dir = project_dir(&w, &w.fork);
    let job = run_job(&w, &dir, &w.fork, &[]);

    assert_eq!(job.code(), 0, "{:#}", job.result);
    assert_junit(&job.junit(), 2, 0);
}

#[test]
fn findings_fail_the_job_with_both_reports_written() {
    let w = World::new();
    bad_topic(&w);
    let dir = project_dir(&w, &w.base);
    let job = run_job(&w, &dir, &w.base, &[]);

    assert_eq!(job.code(), 1, "{:#}", job.result);
    let cq = job.codequality();
    assert_codequality(&cq);
    let paths: Vec<&str> = cq
        .as_array()
        .expect("issues")
        .iter()
        .filter_map(|i| i["location"]["path"].as_str())
        .collect();
    assert!(paths.contains(&"src/ring.c"), "{cq:#}");
    assert_junit(&job.junit(), 2, 2);
}

#[test]
fn fail_on_never_reports_without_failing() {
    let w = World::new();
    bad_topic(&w);
    let dir = project_dir(&w, &w.base);
    let job = run_job(&w, &dir, &w.base, &[("AIPROV_FAIL_ON", "never")]);

    assert_eq!(job.code(), 0, "{:#}", job.result);
    assert_junit(&job.junit(), 2, 2);
}

#[test]
fn the_job_runs_only_in_merge_request_pipelines() {
    let w = World::new();
    let out = Command::new(common::venv_bin("python"))
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/interop/gitlab_runner.py"
        ))
        .args([TEMPLATE, "aiprov", "--project-dir"])
        .arg(&w.f.repo)
        .args(["--variable", "CI_PIPELINE_SOURCE=push"])
        .output()
        .expect("run the harness");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(result["created"], false, "{result:#}");
}
