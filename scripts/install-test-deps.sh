#!/usr/bin/env bash
# What the tests need besides npm packages: Debian's peers (a registry, skopeo, podman, umoci, gpg, redis, SoftHSM,
# openssl, …) and a cosign binary. As root on Debian it installs what is missing (apt-get); otherwise it stops at
# once and prints the exact command to run. On success it prints the path of a cosign binary on stdout (nothing
# else), for `SIGNET_TEST_COSIGN`. `make test` and `make integration` run it first.
# Usage: scripts/install-test-deps.sh [--check|--packages]     --check: install nothing, only say what is missing;
#        --packages: print the Debian packages the tests need
set -euo pipefail
cd "$(dirname "$0")/.."

check_only=false
[ "${1:-}" = "--check" ] && check_only=true

# The programs the tests run and the Debian package of each (test/helpers/peers.ts has the same table).
peers=(
  docker-registry:docker-registry skopeo:skopeo podman:podman umoci:umoci gpg:gnupg gpgconf:gnupg
  redis-server:redis-server softhsm2-util:softhsm2 pkcs11-tool:opensc openssl:openssl htpasswd:apache2-utils
  jq:jq tar:tar chromium:chromium notary:notary notary-server:notary
)
# Installed when this machine's apt sources have them (Debian 13 has kubectl; Debian 12 does not).
optional=(kubectl:kubectl)

# --packages: print the Debian packages of the peers, one line (for .ci/run's apt-get), and nothing else.
if [ "${1:-}" = "--packages" ]; then
  printf '%s\n' "${peers[@]#*:}" | sort -u | tr '\n' ' '
  echo
  exit 0
fi

say() { echo "install-test-deps: $*" >&2; }

node_ok=$(node -e 'const [a,b,c]=process.versions.node.split(".").map(Number);console.log(a>20||(a===20&&(b>18||(b===18&&c>=1)))?"yes":"no")' 2>/dev/null || echo none)
if [ "$node_ok" != yes ]; then
  say "Node.js >= 20.18.1 is required (found: $(node --version 2>/dev/null || echo none)); install it first (Debian 13: apt-get install -y nodejs npm)"
  exit 1
fi

missing=()
for pair in "${peers[@]}"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
fi
optional_missing=()
for pair in "${optional[@]}"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || optional_missing+=("${pair#*:}")
done

if [ ${#missing[@]} -gt 0 ]; then
  if $check_only || [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    say "the tests need these packages, which are not installed: ${missing[*]}"
    if command -v apt-get >/dev/null 2>&1; then
      say "install them (as root):  apt-get update && apt-get install -y ${missing[*]}"
      say "or run \`make test\` as root, which does it"
    else
      say "this is not a Debian-like system: install the programs they provide (${peers[*]%%:*}) with its package manager"
    fi
    exit 1
  fi
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "${missing[@]}" >&2
fi

if [ ${#optional_missing[@]} -gt 0 ] && ! $check_only && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  for pkg in "${optional_missing[@]}"; do
    if [ -n "$(apt-cache policy "$pkg" 2>/dev/null | awk '/Candidate:/ && $2 != "(none)" {print $2}')" ]; then
      say "installing $pkg"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >&2
    else
      say "$pkg is not in this machine's apt sources; the tests that need it say so"
    fi
  done
fi

# cosign: $SIGNET_TEST_COSIGN if it is set; else a cosign on PATH; else, as root where the apt sources have it
# (Debian 13), the cosign package; else Debian 13's package unpacked into a cache (scripts/fetch-cosign).
if [ -n "${SIGNET_TEST_COSIGN:-}" ]; then
  if [ ! -x "$SIGNET_TEST_COSIGN" ]; then
    say "SIGNET_TEST_COSIGN=$SIGNET_TEST_COSIGN is not an executable; unset it to fetch cosign with scripts/fetch-cosign"
    exit 1
  fi
  echo "$SIGNET_TEST_COSIGN"
  exit 0
fi
if command -v cosign >/dev/null 2>&1; then command -v cosign; exit 0; fi
cache=${XDG_CACHE_HOME:-$HOME/.cache}/signet-peers
if $check_only; then
  if [ -x "$cache/cosign-root/usr/bin/cosign" ]; then echo "$cache/cosign-root/usr/bin/cosign"; exit 0; fi
  say "cosign is not installed: run scripts/fetch-cosign (make test does), or install cosign 2.x"
  exit 1
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1 \
   && [ -n "$(apt-cache policy cosign 2>/dev/null | awk '/Candidate:/ && $2 != "(none)" {print $2}')" ]; then
  say "installing cosign"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cosign >&2
  command -v cosign
  exit 0
fi
if ! cosign=$(scripts/fetch-cosign); then
  say "could not fetch cosign (above); run scripts/fetch-cosign as root, or set SIGNET_TEST_COSIGN to a cosign 2.x binary"
  exit 1
fi
echo "$cosign"
