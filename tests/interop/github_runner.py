"""Runs a composite GitHub Action the way GitHub's runner (actions/runner) does, offline.

    github_runner.py ACTION_DIR --event EVENT.json --workspace DIR [--input NAME=VALUE]...
                     [--runner-temp DIR] [--tool-cache DIR]

Prints one JSON document: each step (name, id, outcome, exit code, outputs, stdout, stderr),
the action's outputs, the annotations the workflow commands made, the job summary, and the
`${{ }}` expressions found in `run:` scripts (spliced into a script, a value becomes code).

What it does as the runner does (docs.github.com, "Metadata syntax" for composite actions,
"Workflow commands", "Workflow syntax": shell; actions/runner's FileCommandManager):
- `${{ }}` in `env:`, `run:`, `working-directory:`, `if:` and the action's `outputs:` evaluated
  over the contexts github (the event payload as github.event), inputs (with the action's
  defaults), steps, env and runner; a null or missing property is the empty string.
- A `run:` step is written to `$RUNNER_TEMP/<uuid>.sh` and run as `bash --noprofile --norc -eo
  pipefail {0}` (`sh -e {0}` for sh, or the step's own template), in the workspace.
- Per step, fresh files under `$RUNNER_TEMP/_runner_file_commands/` for GITHUB_OUTPUT,
  GITHUB_ENV, GITHUB_PATH, GITHUB_STEP_SUMMARY and GITHUB_STATE; after the step, outputs and
  environment read (`NAME=VALUE` and `NAME<<DELIMITER` heredocs), paths prepended (the last
  added first), the summary kept if not empty (over 128 KiB: an error, and dropped).
- Workflow commands read from stdout and stderr, both: `::error`, `::warning` and `::notice`
  with their properties are annotations, escapes undone (`%25`, `%0D`, `%0A`, and in
  properties `%3A`, `%2C`); `::stop-commands::TOKEN` suspends them until `::TOKEN::`.
- A step that exits non-zero fails with the runner's annotation "Process completed with exit
  code N."; the steps after it run only if their `if:` says so (`always()`, `failure()`).

Anything it does not know (a `uses:` step, an expression beyond paths, literals, `!`, `==`,
`!=`, `&&`, `||` and the status functions, an unknown input) stops it with exit 2 rather than
being guessed at.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import uuid

import yaml

SUMMARY_LIMIT = 128 * 1024
FILE_COMMANDS = {
    "GITHUB_OUTPUT": "set_output_",
    "GITHUB_ENV": "set_env_",
    "GITHUB_PATH": "add_path_",
    "GITHUB_STEP_SUMMARY": "step_summary_",
    "GITHUB_STATE": "save_state_",
}
STEP_KEYS = {"name", "id", "shell", "run", "env", "working-directory", "if"}


class Unsupported(Exception):
    """Something the runner would do that this harness does not: never guessed at."""


# --- expressions ------------------------------------------------------------------------------

TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)"
    r"|(?P<op>\|\||&&|==|!=|!|\(|\)|\[|\]|\.|,)|(?P<id>[A-Za-z_][A-Za-z0-9_-]*))"
)


def tokens(text):
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise Unsupported(f"cannot read the expression {text!r} at {pos}")
        pos = m.end()
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
    return out


class Expression:
    """A recursive-descent reader of GitHub's expression syntax, the part actions use."""

    def __init__(self, text, contexts, status):
        self.text, self.toks, self.i = text, tokens(text), 0
        self.contexts, self.status = contexts, status

    def evaluate(self):
        value = self.or_()
        if self.i != len(self.toks):
            raise Unsupported(f"unexpected {self.toks[self.i][1]!r} in {self.text!r}")
        return value

    def peek(self):
        return self.toks[self.i][1] if self.i < len(self.toks) else None

    def take(self, want=None):
        kind, value = self.toks[self.i]
        if want is not None and value != want:
            raise Unsupported(f"expected {want!r} in {self.text!r}")
        self.i += 1
        return kind, value

    def or_(self):
        left = self.and_()
        while self.peek() == "||":
            self.take()
            right = self.and_()
            left = left if truthy(left) else right
        return left

    def and_(self):
        left = self.eq()
        while self.peek() == "&&":
            self.take()
            right = self.eq()
            left = right if truthy(left) else left
        return left

    def eq(self):
        left = self.unary()
        while self.peek() in ("==", "!="):
            _, op = self.take()
            right = self.unary()
            same = loose(left) == loose(right)
            left = same if op == "==" else not same
        return left

    def unary(self):
        if self.peek() == "!":
            self.take()
            return not truthy(self.unary())
        return self.primary()

    def primary(self):
        kind, value = self.take()
        if value == "(":
            inner = self.or_()
            self.take(")")
            return inner
        if kind == "str":
            return value[1:-1].replace("''", "'")
        if kind == "num":
            return float(value) if "." in value else int(value)
        if kind != "id":
            raise Unsupported(f"unexpected {value!r} in {self.text!r}")
        if value in ("true", "false"):
            return value == "true"
        if value == "null":
            return None
        if self.peek() == "(":
            self.take("(")
            self.take(")")
            if value not in ("always", "success", "failure", "cancelled"):
                raise Unsupported(f"the function {value}() in {self.text!r}")
            return {"always": True, "success": self.status == "success",
                    "failure": self.status == "failure", "cancelled": False}[value]
        if value not in self.contexts:
            raise Unsupported(f"the context {value!r} in {self.text!r}")
        current = self.contexts[value]
        while self.peek() in (".", "["):
            if self.take()[1] == ".":
                key = self.take()[1]
            else:
                key = self.primary()
                self.take("]")
            current = current.get(key) if isinstance(current, dict) else None
        return current


def truthy(v):
    return v not in (None, False, 0, "")


def loose(v):
    """GitHub compares strings case-insensitively and coerces across types; enough of it."""
    return v.lower() if isinstance(v, str) else v


def as_string(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return json.dumps(v, indent=2)
    return str(v)


TEMPLATE = re.compile(r"\$\{\{(.*?)\}\}", re.S)


def interpolate(text, contexts, status="success"):
    if not isinstance(text, str):
        return as_string(text)
    return TEMPLATE.sub(lambda m: as_string(Expression(m.group(1), contexts, status).evaluate()),
                        text)


def condition(text, contexts, status):
    """A step's `if:`: an expression with or without `${{ }}`; success() by default."""
    if text is None:
        return status == "success"
    text = str(text).strip()
    m = TEMPLATE.fullmatch(text)
    expr = m.group(1) if m else text
    uses_status = re.search(r"\b(always|success|failure|cancelled)\s*\(", expr)
    value = truthy(Expression(expr, contexts, status).evaluate())
    # Without a status function, GitHub adds success() to the condition.
    return value if uses_status else value and status == "success"


# --- workflow commands and file commands -------------------------------------------------------

def unescape_data(s):
    return s.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def unescape_property(s):
    return (s.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":")
            .replace("%2C", ",").replace("%25", "%"))


COMMAND = re.compile(r"^\s*::([A-Za-z-]+)(?: ([^:]*))?::(.*)$")


def workflow_commands(text, step, annotations, ignored):
    """The annotations of a step's output; other commands listed as ignored."""
    stop_token = None
    for line in text.splitlines():
        m = COMMAND.match(line)
        if not m:
            continue
        name, props, data = m.group(1), m.group(2) or "", m.group(3)
        if stop_token is not None:
            if name == stop_token:
                stop_token = None
            continue
        if name == "stop-commands":
            stop_token = data
            continue
        if name in ("error", "warning", "notice"):
            annotation = {"step": step, "level": name, "message": unescape_data(data)}
            for prop in filter(None, props.split(",")):
                key, _, value = prop.partition("=")
                annotation[key.strip()] = unescape_property(value)
            annotations.append(annotation)
        elif name not in ("debug", "group", "endgroup", "add-mask", "echo"):
            ignored.append({"step": step, "command": line})


def read_lines(text):
    """Lines as the runner's ReadLine splits them: on LF, the LF not part of the line."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def key_values(path):
    """GITHUB_OUTPUT and GITHUB_ENV: `NAME=VALUE` or `NAME<<DELIMITER` ... `DELIMITER`."""
    with open(path, encoding="utf-8") as f:
        lines = read_lines(f.read())
    out, i = {}, 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        eq, here = line.find("="), line.find("<<")
        if eq >= 0 and (here < 0 or eq < here):
            name, value = line.split("=", 1)
        elif here >= 0:
            name, delimiter = line.split("<<", 1)
            if not name or not delimiter:
                raise ValueError(f"invalid format {line!r}: a name and a delimiter")
            value_lines = []
            while True:
                if i >= len(lines):
                    raise ValueError(f"matching delimiter not found {delimiter!r}")
                if lines[i] == delimiter:
                    i += 1
                    break
                value_lines.append(lines[i])
                i += 1
            value = "\n".join(value_lines)
        else:
            raise ValueError(f"invalid format {line!r}")
        out[name] = value
    return out


# --- the run ------------------------------------------------------------------------------------

def shell_command(shell, script):
    templates = {
        "bash": "bash --noprofile --norc -eo pipefail {0}",
        "sh": "sh -e {0}",
    }
    if not shell:
        raise Unsupported("a composite action's run step needs a shell")
    template = templates.get(shell, shell)
    if "{0}" not in template:
        raise Unsupported(f"the shell {shell!r}")
    return [script if word == "{0}" else word for word in template.split()]


def run(args):
    action_dir = os.path.abspath(args.action_dir)
    with open(os.path.join(action_dir, "action.yml"), encoding="utf-8") as f:
        action = yaml.safe_load(f)
    if action.get("runs", {}).get("using") != "composite":
        raise Unsupported("only composite actions")
    with open(args.event, encoding="utf-8") as f:
        event = json.load(f)

    workspace = os.path.abspath(args.workspace)
    temp = os.path.abspath(args.runner_temp)
    tool_cache = os.path.abspath(args.tool_cache)
    commands_dir = os.path.join(temp, "_runner_file_commands")
    os.makedirs(commands_dir, exist_ok=True)
    os.makedirs(tool_cache, exist_ok=True)

    declared = action.get("inputs") or {}
    inputs = {name: as_string(spec.get("default", "")) for name, spec in declared.items()}
    for item in args.input:
        name, _, value = item.partition("=")
        if name not in declared:
            raise Unsupported(f"the action has no input {name!r}")
        inputs[name] = value

    pr = event.get("pull_request") or {}
    sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=workspace, capture_output=True,
                         text=True, check=True).stdout.strip()
    github_env = {
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": os.path.abspath(args.event),
        "GITHUB_WORKSPACE": workspace,
        "GITHUB_ACTION_PATH": action_dir,
        "GITHUB_SHA": sha,
        "GITHUB_REF": f"refs/pull/{event.get('number')}/merge",
        "GITHUB_BASE_REF": (pr.get("base") or {}).get("ref", ""),
        "GITHUB_HEAD_REF": (pr.get("head") or {}).get("ref", ""),
        "GITHUB_REPOSITORY": (event.get("repository") or {}).get("full_name", ""),
        "GITHUB_SERVER_URL": "https://github.com",
        "RUNNER_OS": "Linux",
        "RUNNER_ARCH": "X64",
        "RUNNER_TEMP": temp,
        "RUNNER_TOOL_CACHE": tool_cache,
    }
    github = {
        "event": event,
        "event_name": "pull_request",
        "action_path": action_dir,
        "workspace": workspace,
        "sha": sha,
        "ref": github_env["GITHUB_REF"],
        "base_ref": github_env["GITHUB_BASE_REF"],
        "head_ref": github_env["GITHUB_HEAD_REF"],
        "repository": github_env["GITHUB_REPOSITORY"],
        "server_url": github_env["GITHUB_SERVER_URL"],
    }
    runner = {"os": "Linux", "arch": "X64", "temp": temp, "tool_cache": tool_cache}
    added_env, prepend_path, steps_ctx = {}, [], {}
    result = {"steps": [], "annotations": [], "ignored_commands": [], "summary": "",
              "run_expressions": []}
    status = "success"

    for index, step in enumerate(action["runs"].get("steps") or []):
        unknown = set(step) - STEP_KEYS
        if unknown:
            raise Unsupported(f"step keys {sorted(unknown)} (only run steps: {sorted(STEP_KEYS)})")
        name = step.get("name") or step.get("id") or f"step {index + 1}"
        contexts = {"github": github, "inputs": inputs, "steps": steps_ctx, "runner": runner,
                    "env": dict(added_env)}
        record = {"name": name, "id": step.get("id"), "outputs": {}}
        result["steps"].append(record)
        for found in TEMPLATE.findall(step.get("run", "")):
            result["run_expressions"].append({"step": name, "expression": found.strip()})
        if not condition(step.get("if"), contexts, status):
            record["outcome"] = "skipped"
            if step.get("id"):
                steps_ctx[step["id"]] = {"outputs": {}, "outcome": "skipped",
                                         "conclusion": "skipped"}
            continue

        files = {var: os.path.join(commands_dir, prefix + str(uuid.uuid4()))
                 for var, prefix in FILE_COMMANDS.items()}
        for path in files.values():
            open(path, "w").close()
        env = dict(os.environ)
        env.update(github_env)
        env.update(added_env)
        env.update(files)
        if prepend_path:
            env["PATH"] = os.pathsep.join(reversed(prepend_path)) + os.pathsep + env.get("PATH", "")
        for key, value in (step.get("env") or {}).items():
            env[key] = interpolate(value, contexts, status)
        cwd = os.path.join(workspace, interpolate(step.get("working-directory", ""), contexts))
        script = os.path.join(temp, f"{uuid.uuid4()}.sh")
        with open(script, "w", encoding="utf-8") as f:
            f.write(interpolate(step.get("run", ""), contexts, status))
        proc = subprocess.run(shell_command(step.get("shell"), script), cwd=cwd, env=env,
                              capture_output=True, text=True, stdin=subprocess.DEVNULL)
        record.update(exit_code=proc.returncode, stdout=proc.stdout, stderr=proc.stderr)
        workflow_commands(proc.stdout, name, result["annotations"], result["ignored_commands"])
        workflow_commands(proc.stderr, name, result["annotations"], result["ignored_commands"])

        failed = proc.returncode != 0
        if failed:
            result["annotations"].append({"step": name, "level": "error", "message":
                                          f"Process completed with exit code {proc.returncode}."})
        try:
            record["outputs"] = key_values(files["GITHUB_OUTPUT"])
            added_env.update(key_values(files["GITHUB_ENV"]))
        except ValueError as e:
            failed = True
            result["annotations"].append({"step": name, "level": "error",
                                          "message": f"Unable to process file command: {e}"})
        with open(files["GITHUB_PATH"], encoding="utf-8") as f:
            for line in read_lines(f.read()):
                if line:
                    prepend_path[:] = [p for p in prepend_path if p != line] + [line]
        size = os.path.getsize(files["GITHUB_STEP_SUMMARY"])
        if size > SUMMARY_LIMIT:
            result["annotations"].append({"step": name, "level": "error", "message":
                                          f"step summary of {size} bytes, over 128 KiB: "
                                          "not uploaded"})
        elif size:
            with open(files["GITHUB_STEP_SUMMARY"], encoding="utf-8") as f:
                result["summary"] += f.read()

        record["outcome"] = "failure" if failed else "success"
        if step.get("id"):
            steps_ctx[step["id"]] = {"outputs": record["outputs"], "outcome": record["outcome"],
                                     "conclusion": record["outcome"]}
        if failed:
            status = "failure"

    contexts = {"github": github, "inputs": inputs, "steps": steps_ctx, "runner": runner,
                "env": dict(added_env)}
    result["outputs"] = {name: interpolate((spec or {}).get("value", ""), contexts, status)
                         for name, spec in (action.get("outputs") or {}).items()}
    result["conclusion"] = status
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action_dir")
    parser.add_argument("--event", required=True)
    parser.add_argument("--workspace", required=True)
    parser.add_argument("--input", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--runner-temp", required=True)
    parser.add_argument("--tool-cache", required=True)
    args = parser.parse_args()
    try:
        result = run(args)
    except Unsupported as e:
        print(f"github_runner: not supported: {e}", file=sys.stderr)
        sys.exit(2)
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
