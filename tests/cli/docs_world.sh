#!/bin/sh
# The scratch world the command blocks of README.md and docs/*.md run in (tests/cli/docs_examples.rs),
# offline, with the TEST-ONLY keys of keys/. Usage: docs_world.sh WORLD SOURCE_TREE
#
# WORLD/repo      a project cloned from WORLD/origin.git, where each block runs: main (= tag v1.1,
#                 pushed) with an attested AI fix on top of v1.0, and a branch topic one attested
#                 commit ahead of main; the keyring trusts alice (keys/alice), rm@example.org
#                 (WORLD/keys/rm) and bob@example.org (WORLD/keys/bob); MAINTAINERS names bob for hw/
# the placeholders the docs use, in WORLD/repo (left untracked):
#   series.mbox   topic's commit as a patch mail, its attestation below the ---
#   DIR           a keyring directory: .aiprov/ of v1.0
# WORLD/home      HOME, with ~/.gitconfig saying you are "You <you@example.org>" and no aiprov key
# WORLD/bin       on PATH: use-test-key NAME makes WORLD/keys/NAME the default key of
#                 ~/.config/aiprov/ (for blocks marked to need one); the editor git commit opens
#                 writes "hw: fix the example" with "AI-used-for: code" above the sign-off;
#                 sendmail reads a mail and keeps it nowhere (for sendemail.smtpServer)
set -eu
W=$1
SRC=$2
mkdir -p "$W/home/.config" "$W/keys" "$W/bin"
cp "$SRC/keys/alice" "$SRC/keys/alice.pub" "$W/keys/"
chmod 600 "$W/keys/alice"
aiprov -q keygen -f "$W/keys/rm" >/dev/null
aiprov -q keygen -f "$W/keys/bob" >/dev/null
cat > "$W/home/.gitconfig" <<CONFIG
[user]
	name = You
	email = you@example.org
[init]
	defaultBranch = main
[advice]
	detachedHead = false
CONFIG
cat > "$W/bin/use-test-key" <<'SCRIPT'
#!/bin/sh
# use-test-key NAME: the TEST-ONLY key NAME as the default aiprov key.
set -e
mkdir -p "$HOME/.config/aiprov"
cp "$DOCS_WORLD/keys/$1" "$HOME/.config/aiprov/id_ed25519"
cp "$DOCS_WORLD/keys/$1.pub" "$HOME/.config/aiprov/id_ed25519.pub"
SCRIPT
cat > "$W/bin/editor" <<'SCRIPT'
#!/bin/sh
# The message of the contributor's change: a title, and AI-used-for above git's sign-off.
sob=$(grep '^Signed-off-by:' "$1" || true)
printf 'hw: fix the example\n\nAI-used-for: code\n%s\n' "$sob" > "$1"
SCRIPT
cat > "$W/bin/sendmail" <<'SCRIPT'
#!/bin/sh
# Where git send-email sends mail in the world: read, kept nowhere.
cat > /dev/null
SCRIPT
chmod +x "$W/bin/use-test-key" "$W/bin/editor" "$W/bin/sendmail"

git init -q --bare "$W/origin.git"
git init -q "$W/repo"
cd "$W/repo"
GIT_AUTHOR_NAME="Alice Author" GIT_AUTHOR_EMAIL=alice@example.org
GIT_COMMITTER_NAME="Alice Author" GIT_COMMITTER_EMAIL=alice@example.org
export GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
SOB="Signed-off-by: Alice Author <alice@example.org>"
aiprov -q init
aiprov -q keyring add alice@example.org "$W/keys/alice.pub"
aiprov -q keyring add rm@example.org "$W/keys/rm.pub"
aiprov -q keyring add bob@example.org "$W/keys/bob.pub"
mkdir -p hw docs
printf 'Network devices\nM:\tBob Maintainer <bob@example.org>\nS:\tMaintained\nF:\thw/\n' > MAINTAINERS
seq 1 40 | sed 's/^/int e1000_reg_/; s/$/;/' > hw/e1000.c
printf '# The project\n' > docs/index.md
git add -A
git commit -q -m "Initial import" -m "$SOB"
git tag v1.0
echo 'int e1000_fixed;' >> hw/e1000.c
git commit -q -a -m "hw/e1000: fix a register" -m "AI-used-for: code
$SOB"
aiprov -q attest --key "$W/keys/alice"
git tag v1.1
git checkout -q -b topic
echo 'int e1000_topic;' >> hw/e1000.c
git commit -q -a -m "hw/e1000: add a register" -m "AI-used-for: code
$SOB"
aiprov -q attest --key "$W/keys/alice"
git format-patch -q --stdout -1 > series.mbox
git checkout -q main
git remote add origin "$W/origin.git"
git push -q origin main topic refs/notes/aiprov 'refs/tags/*'
git fetch -q origin
git branch -q --set-upstream-to=origin/main main
mkdir DIR
git archive v1.0 .aiprov | tar -x -C DIR --strip-components=1
