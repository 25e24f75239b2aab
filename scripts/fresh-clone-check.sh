#!/usr/bin/env bash
# Proof that a stranger's clone works: clones the repository into an empty directory (no sibling folders at all,
# nothing of this checkout's untracked files or node_modules) and runs there the two commands the
# README starts with (`make demo`, `make test`), exactly as written.
#
# Usage: scripts/fresh-clone-check.sh [SOURCE [COMMIT]]
#   SOURCE  a repository path or URL (default: this checkout); COMMIT (default: this checkout's HEAD)
#   FRESH_CLONE_PARENT=DIR  clone under DIR (must be empty; default: a new temporary directory)
#   KEEP=1                  keep the clone afterwards
# On a machine that lacks the peers, run it as root: `make test` installs them (docs/development.md shows how
# to get such a machine: a fresh Debian root file system in a chroot).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source=${1:-$here}
commit=${2:-$(git -C "$here" rev-parse HEAD)}

parent=${FRESH_CLONE_PARENT:-$(mktemp -d "${TMPDIR:-/tmp}/signet-fresh-XXXXXX")}
mkdir -p "$parent"
if [ -n "$(ls -A "$parent")" ]; then echo "fresh-clone-check: $parent is not empty" >&2; exit 2; fi
cleanup() { [ "${KEEP:-0}" = 1 ] || rm -rf "$parent"; }
trap cleanup EXIT

echo "== git clone $source ($commit) into $parent/signet (empty parent)"
git clone --quiet --no-local --no-checkout "$source" "$parent/signet"
cd "$parent/signet"
git checkout --quiet --detach "$commit"

# The README's first code block holds the two commands (text after # is a comment).
mapfile -t commands < <(awk '/^```sh$/ { inside = 1; next } /^```/ { if (inside) exit } inside { sub(/[[:space:]]*#.*/, ""); if ($0 != "") print }' README.md)
if [ "${#commands[@]}" -ne 2 ]; then
  echo "fresh-clone-check: README.md should start with exactly two commands; found: ${commands[*]:-none}" >&2
  exit 2
fi
echo "== as $(id -un) on $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME" || uname -s), node $(node --version 2>/dev/null || echo none)"
for command in "${commands[@]}"; do
  echo "== $command"
  start=$(date +%s)
  bash -c "$command"
  echo "== $command: passed in $(( $(date +%s) - start )) s"
done
echo "== fresh clone: both README commands passed"
