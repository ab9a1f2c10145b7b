#!/bin/sh
# Verifies the attestations of the commits a pull request adds to BASE_BRANCH.
# usage: verify-pr.sh BASE_BRANCH [NOTES_REMOTE]
#   NOTES_REMOTE: where the contributor pushed refs/notes/aiprov (a fork's URL); default origin.
set -eu
base=${1:?usage: verify-pr.sh BASE_BRANCH [NOTES_REMOTE]}
notes_remote=${2:-origin}
git fetch --no-tags origin "+refs/heads/$base:refs/remotes/origin/$base"
git fetch --no-tags "$notes_remote" "+refs/notes/aiprov:refs/notes/aiprov" ||
  echo "aiprov: no refs/notes/aiprov in $notes_remote: the commits carry no attestations" >&2
aiprov verify --format json "origin/$base..HEAD" > aiprov-report.json || status=$?
aiprov verify "origin/$base..HEAD" || true
exit "${status:-0}"
