#!/usr/bin/env bash
# Makes sure the base image of Dockerfile.jvm, docker.io/library/debian:bookworm-slim, exists in the local image
# store of the engine: pulled when a registry is reachable, else bootstrapped from the Debian mirror apt uses
# (debootstrap --variant=minbase bookworm, about 30 s) and imported under that name. Idempotent.
#   deploy/containers/base-image.sh [ENGINE]      ENGINE: docker or podman (default: deploy/containers/engine.sh's choice)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/engine.sh"
NAME=docker.io/library/debian:bookworm-slim

if engine image exists "$NAME" 2>/dev/null || engine image inspect "$NAME" >/dev/null 2>&1; then
  echo "[containers] base image $NAME present"
  exit 0
fi
if engine pull "$NAME" >/dev/null 2>&1; then
  echo "[containers] base image $NAME pulled"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "[containers] no registry and no debootstrap: apt-get install debootstrap" >&2; exit 1; }
MIRROR="$(grep -hoE '^URIs: *http[^ ]+/debian/?$' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 | sed 's/^URIs: *//')"
MIRROR="${MIRROR:-$(grep -hoE '^deb +http[^ ]+/debian/? ' /etc/apt/sources.list 2>/dev/null | head -1 | awk '{print $2}')}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
ROOT="$(mktemp -d)"
trap 'rm -rf "$ROOT"' EXIT
echo "[containers] no registry reachable: bootstrapping $NAME from $MIRROR"
debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR" >/dev/null
rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/*
tar -C "$ROOT" -c . | engine import --change 'CMD ["bash"]' - "$NAME" >/dev/null
echo "[containers] base image $NAME bootstrapped ($(engine image inspect --format '{{.Size}}' "$NAME") bytes)"
