#!/bin/sh
# Builds the signet container image with podman where the network allows no base image download: the runtime
# base is made from this machine's own Node.js (the node binary, the shared libraries it links, the CA
# certificates, a nonroot user 65532), and the application is this checkout, built and pruned to its production
# dependencies here. The result runs as the distroless image does (same paths, same user, same entrypoint).
#
#   scripts/container-local.sh [IMAGE]        default IMAGE: localhost/signet:dev
#
# Where docker.io and gcr.io are reachable, build from the Containerfile's public bases instead:
#   podman build -t signet:dev -f Containerfile .
set -eu
image=${1:-localhost/signet:dev}
base=localhost/signet-runtime-base:node$(node -p 'process.versions.node.split(".")[0]')
root=$(cd "$(dirname "$0")/.." && pwd)
command -v podman >/dev/null || { echo "podman not found: install podman (apt-get install podman)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. The runtime base: /nodejs/bin/node (as distroless), its libraries, CA certificates, user 65532.
node_bin=$(readlink -f "$(command -v node)")
mkdir -p "$work/rootfs/nodejs/bin" "$work/rootfs/etc/ssl/certs" "$work/rootfs/tmp" "$work/rootfs/home/nonroot"
cp "$node_bin" "$work/rootfs/nodejs/bin/node"
ldd "$node_bin" | awk '/=>/ {print $3} /^\t\/lib/ {print $1}' | while read -r lib; do
  [ -n "$lib" ] || continue
  mkdir -p "$work/rootfs$(dirname "$lib")"
  cp -L "$lib" "$work/rootfs$lib"
done
cp -L /etc/ssl/certs/ca-certificates.crt "$work/rootfs/etc/ssl/certs/"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$work/rootfs/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$work/rootfs/etc/group"
chmod 1777 "$work/rootfs/tmp"
chown 65532:65532 "$work/rootfs/home/nonroot"
tar -C "$work/rootfs" -c . | podman import --change 'USER 65532:65532' --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' - "$base" >/dev/null
echo "base image: $base" >&2

# 2. The application: dist/src, bin, docs, package.json and the production dependencies only.
(cd "$root" && npm run --silent build)
mkdir -p "$work/app"
cp -R "$root/bin" "$root/docs" "$root/package.json" "$root/package-lock.json" "$work/app/"
[ -d "$root/assets" ] && cp -R "$root/assets" "$work/app/"
mkdir -p "$work/app/dist" && cp -R "$root/dist/src" "$work/app/dist/src"
cp -R "$root/node_modules" "$work/app/node_modules"
(cd "$work/app" && npm prune --omit=dev --no-audit --no-fund >/dev/null)

# 3. The image: the Containerfile's `local` target, with this base and this application.
podman build --target local --build-arg "RUNTIME_IMAGE=$base" -t "$image" -f "$root/Containerfile" "$work/app"
echo "$image"
