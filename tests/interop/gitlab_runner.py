"""Runs a job of a GitLab CI file the way GitLab Runner's shell executor does, offline.

    gitlab_runner.py CI_FILE JOB --project-dir DIR [--variable NAME=VALUE]...

The variables are the predefined ones the test gives (CI_PIPELINE_SOURCE, CI_COMMIT_SHA,
CI_MERGE_REQUEST_DIFF_BASE_SHA, CI_PROJECT_DIR...). Prints one JSON document: whether the job's
`rules` create it, its exit code, stdout, stderr, and each `artifacts: reports:` entry with
whether the file exists.

What it does as GitLab does (docs.gitlab.com, "CI/CD YAML syntax reference": extends, rules,
variables, script, artifacts:reports; GitLab Runner's bash shell):
- `extends:` merged as GitLab merges it: hashes deeply, anything else replaced by the job's.
- `rules:` the first whose `if:` matches decides; only `$VAR == "value"`, `$VAR != "value"`
  and `$VAR` are read; no match, no job.
- `before_script` and `script` lines run in one bash script after `set -eo pipefail`, in the
  project directory, with the job's `variables:` and the predefined ones in the environment; a
  line that fails ends the job with its exit code.

Anything else it does not know (`include:` in the file, another `rules` clause) stops it with
exit 2 rather than being guessed at.
"""

import argparse
import json
import os
import re
import subprocess
import sys

import yaml


class Unsupported(Exception):
    pass


def merge(base, over):
    """`extends`: hashes merged deeply; for any other value, the extending job's wins."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def resolve(doc, name, seen=()):
    job = doc[name]
    if name in seen:
        raise Unsupported(f"extends loops through {name}")
    parents = job.get("extends", [])
    if isinstance(parents, str):
        parents = [parents]
    resolved = {}
    for parent in parents:
        resolved = merge(resolved, resolve(doc, parent, seen + (name,)))
    resolved = merge(resolved, {k: v for k, v in job.items() if k != "extends"})
    return resolved


RULE = re.compile(r'^\s*\$(\w+)\s*(?:(==|!=)\s*"([^"]*)")?\s*$')


def created(job, variables):
    rules = job.get("rules")
    if rules is None:
        return True
    for rule in rules:
        unknown = set(rule) - {"if", "when"}
        if unknown:
            raise Unsupported(f"rules clauses {sorted(unknown)}")
        m = RULE.match(rule.get("if", ""))
        if not m:
            raise Unsupported(f"the rule {rule.get('if')!r}")
        value = variables.get(m.group(1), "")
        matched = {None: value != "", "==": value == m.group(3),
                   "!=": value != m.group(3)}[m.group(2)]
        if matched:
            return rule.get("when", "on_success") != "never"
    return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ci_file")
    parser.add_argument("job")
    parser.add_argument("--project-dir", required=True)
    parser.add_argument("--variable", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    try:
        with open(args.ci_file, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        if "include" in doc:
            raise Unsupported("include: in the file run")
        job = resolve(doc, args.job)
        predefined = dict(v.split("=", 1) for v in args.variable)
        variables = {k: str(v) for k, v in (job.get("variables") or {}).items()}
        variables.update(predefined)
        result = {"created": created(job, variables), "reports": {}}
        if result["created"]:
            lines = list(job.get("before_script") or []) + list(job.get("script") or [])
            script = "set -eo pipefail\n" + "\n".join(lines) + "\n"
            env = dict(os.environ)
            env.update(variables)
            env.update(CI="true", GITLAB_CI="true", CI_PROJECT_DIR=args.project_dir)
            proc = subprocess.run(["bash", "--noprofile", "--norc"], input=script, text=True,
                                  cwd=args.project_dir, env=env, capture_output=True)
            result.update(exit_code=proc.returncode, stdout=proc.stdout, stderr=proc.stderr)
            artifacts = job.get("artifacts") or {}
            for kind, path in (artifacts.get("reports") or {}).items():
                full = os.path.join(args.project_dir, path)
                result["reports"][kind] = {"path": path, "exists": os.path.exists(full)}
            result["artifacts_when"] = artifacts.get("when", "on_success")
    except Unsupported as e:
        print(f"gitlab_runner: not supported: {e}", file=sys.stderr)
        sys.exit(2)
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
