#!/usr/bin/env bash
# Installs (if needed) what the container images and the container journey (ContainerStackIT) need on a Debian
# machine: podman and runc (the OCI runtime these machines need, see podman/containers.conf), debootstrap (the base
# image where no registry is reachable) and uidmap. Fails if the install fails or podman cannot run a container, so
# that CI does not silently skip the journey. Idempotent.
set -euo pipefail
source "$(dirname "$0")/../local/env.sh"
missing=()
for tool in podman:podman runc:runc debootstrap:debootstrap newuidmap:uidmap; do
  command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]} (container images and the container journey)"
  apt_install "${missing[@]}" || die "could not install ${missing[*]}: the container journey cannot run"
fi
source "$(dirname "$0")/engine.sh"
engine info >/dev/null 2>&1 || die "podman is installed but does not answer 'podman info' (CONTAINERS_CONF=$ENGINE_CONF_DIR/containers.conf)"
log "container engine: $(podman --version)"
