#!/usr/bin/env bash
# Makes a traces.jsonl like the one beside this script with a real Agent Trace writer,
# agent-trace-cli from PyPI, driven as Claude Code drives it (a PostToolUse hook event on the
# standard input of `agent-trace record`, after the tool changed the file) in a scratch
# repository whose commits have fixed ids. Usage:
#   python3 -m venv /tmp/at && /tmp/at/bin/pip install agent-trace-cli==0.1.3
#   make.sh /tmp/at/bin/agent-trace OUT_DIR
# OUT_DIR gets traces.jsonl (new ids and timestamps each run) and commits.txt.
set -euo pipefail
bin=$1 out=$2
w=$(mktemp -d)
export HOME=$w/home AGENT_TRACE_HOME=$w/home/.agent-trace AGENT_TRACE_TELEMETRY=0
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME='A U Thor' GIT_AUTHOR_EMAIL=author@example.com
export GIT_COMMITTER_NAME='A U Thor' GIT_COMMITTER_EMAIL=author@example.com
export GIT_AUTHOR_DATE='2026-01-01T00:00:00Z' GIT_COMMITTER_DATE='2026-01-01T00:00:00Z'
mkdir -p "$HOME" && repo=$w/repo && mkdir "$repo" && cd "$repo"
git init -q -b main
printf 'hello\n' > README.md
git add README.md && git commit -q -m 'initial'
PATH=$(dirname "$bin"):$PATH "$bin" init >/dev/null
export CLAUDE_PROJECT_DIR=$repo
transcript=$w/transcript.jsonl
printf '%s\n' '{"type":"assistant","message":{"model":"claude-sonnet-4-5-20250929","role":"assistant"}}' > "$transcript"

# One Claude Code PostToolUse event: the tool has already changed the file when the hook runs.
hook() { # TOOL_NAME TOOL_INPUT_JSON
  printf '{"session_id":"s-1","transcript_path":"%s","cwd":"%s","hook_event_name":"PostToolUse","tool_name":"%s","tool_input":%s,"tool_use_id":"toolu_%s"}' \
    "$transcript" "$repo" "$1" "$2" "$RANDOM" | "$bin" record
}

# Write: a new file of three lines.
mkdir -p src && printf 'fn one() -> u32 {\n    1\n}\n' > src/lib.rs
hook Write "{\"file_path\":\"$repo/src/lib.rs\",\"content\":\"fn one() -> u32 {\\n    1\\n}\\n\"}"
# Edit of whole lines: a line added after README's first.
printf 'hello\nworld\n' > README.md
hook Edit "{\"file_path\":\"$repo/README.md\",\"old_string\":\"hello\",\"new_string\":\"hello\\nworld\"}"
# Edit inside a line: the hash is of the inserted text, not of the line.
printf 'fn one() -> u32 {\n    2\n}\n' > src/lib.rs
hook Edit "{\"file_path\":\"$repo/src/lib.rs\",\"old_string\":\"1\",\"new_string\":\"2\"}"
# A shell command: recorded under the pseudo path .shell-history.
hook Bash '{"command":"cargo fmt"}'
git add -A README.md src && git commit -q -m 'one'
# Work on top of that commit, committed next.
printf 'fn one() -> u32 {\n    2\n}\n\nfn two() -> u32 {\n    2\n}\n' > src/lib.rs
hook Edit "{\"file_path\":\"$repo/src/lib.rs\",\"old_string\":\"}\\n\",\"new_string\":\"}\\n\\nfn two() -> u32 {\\n    2\\n}\\n\"}"
git add -A src && GIT_COMMITTER_DATE='2026-01-01T00:01:00Z' GIT_AUTHOR_DATE='2026-01-01T00:01:00Z' git commit -q -m 'two'

mkdir -p "$out"
cp "$AGENT_TRACE_HOME"/projects/*/traces.jsonl "$out/traces.jsonl"
git log --format='%H %s' > "$out/commits.txt"
echo "$w"
