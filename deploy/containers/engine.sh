# Sourced by the container scripts: `engine ARGS...` runs the container engine. CONTAINER_ENGINE chooses (docker or
# podman); by default a docker that answers `docker info`, else podman. podman runs with this directory's
# containers.conf (runc, no default ulimits, host network: the settings this project's machines need; harmless elsewhere).
ENGINE="${CONTAINER_ENGINE:-}"
if [ -z "$ENGINE" ]; then
  if command -v docker >/dev/null && docker info >/dev/null 2>&1; then ENGINE=docker
  elif command -v podman >/dev/null; then ENGINE=podman
  fi
fi
ENGINE_CONF_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/podman"
engine() {
  case "$ENGINE" in
    podman) CONTAINERS_CONF="${CONTAINERS_CONF:-$ENGINE_CONF_DIR/containers.conf}" podman "$@" ;;
    docker) docker "$@" ;;
    *) echo "no container engine: install podman (apt-get install podman runc) or docker" >&2; return 1 ;;
  esac
}
