# Shared settings of the local scripts; sourced, not run.
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VAR_DIR="${AFFECT_VAR_DIR:-$REPO_ROOT/var}"
export AFFECT_MODEL_STORE="${AFFECT_MODEL_STORE:-$VAR_DIR/model-store}"
# ../shared holds the backbone ONNX files (stand-ins or real weights) and sample photos.
AFFECT_SHARED_DIR="${AFFECT_SHARED_DIR:-$(cd "$REPO_ROOT/.." && pwd)/shared}"
AFFECT_MODELS_DIR="${AFFECT_MODELS_DIR:-$AFFECT_SHARED_DIR/models}"
export SEGMENTATION_PORT="${SEGMENTATION_PORT:-8101}"
export EMBEDDING_PORT="${EMBEDDING_PORT:-8102}"
export REGISTRY_PORT="${REGISTRY_PORT:-8103}"
export TRAINER_PORT="${TRAINER_PORT:-8104}"
# health and metrics (the management interface, plain HTTP)
export SEGMENTATION_MANAGEMENT_PORT="${SEGMENTATION_MANAGEMENT_PORT:-9101}"
export EMBEDDING_MANAGEMENT_PORT="${EMBEDDING_MANAGEMENT_PORT:-9102}"
export REGISTRY_MANAGEMENT_PORT="${REGISTRY_MANAGEMENT_PORT:-9103}"
export TRAINER_MANAGEMENT_PORT="${TRAINER_MANAGEMENT_PORT:-9104}"
export AFFECT_TRAINER_DIR="${AFFECT_TRAINER_DIR:-$VAR_DIR/trainer}"
JAVA_OPTS="${JAVA_OPTS:--Xms64m -Xmx512m}"
# glibc keeps a malloc arena per thread that ever allocated; 2 bounds what fragmentation holds (docs/operations.md)
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
# All services share this machine's cores: embedding-service encodes after Sem2Vec instead of meanwhile
# (overlapping only oversubscribes the cores; separate pods keep the default, true).
export AFFECT_EMBEDDING_OVERLAP_ENCODERS="${AFFECT_EMBEDDING_OVERLAP_ENCODERS:-false}"
LOG_DIR="$VAR_DIR/log"
RUN_DIR="$VAR_DIR/run"
mkdir -p "$LOG_DIR" "$RUN_DIR" "$AFFECT_MODEL_STORE"

# Local API keys for support-registry, and the service key of the calls between the services: generated once into
# var/api-keys.env unless set in the environment.
KEYS_FILE="$VAR_DIR/api-keys.env"
random_hex() { head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
if [ -z "${AFFECT_ADMIN_KEYS:-}" ] || [ -z "${AFFECT_CLIENT_KEYS:-}" ] || [ -z "${AFFECT_SERVICE_KEY:-}" ]; then
  # Only the keys file is private: a umask set here would also make the model store unreadable to the
  # containers' non-root user (deploy/containers/smoke.sh) and the logs to other users.
  (
    umask 077
    if [ ! -f "$KEYS_FILE" ]; then
      printf 'AFFECT_ADMIN_KEYS=admin-%s\nAFFECT_CLIENT_KEYS=client-%s\n' "$(random_hex)" "$(random_hex)" >"$KEYS_FILE"
    fi
    if ! grep -q '^AFFECT_SERVICE_KEY=' "$KEYS_FILE"; then
      printf 'AFFECT_SERVICE_KEY=service-%s\n' "$(random_hex)" >>"$KEYS_FILE"
    fi
  )
  # shellcheck disable=SC1090
  source "$KEYS_FILE"
fi
# embedding-service and segmentation-service accept the key every service presents (and the CLI's embed commands).
AFFECT_SERVICE_KEYS="${AFFECT_SERVICE_KEYS:-$AFFECT_SERVICE_KEY}"
export AFFECT_ADMIN_KEYS AFFECT_CLIENT_KEYS AFFECT_SERVICE_KEY AFFECT_SERVICE_KEYS

log() { printf '[affect] %s\n' "$*" >&2; }
die() { printf '[affect] error: %s\n' "$*" >&2; exit 1; }

# Debian packages, installed quietly (apt-get update once per script run).
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
apt_updated=""
apt_install() {
  [ -n "$apt_updated" ] || { $SUDO apt-get update -qq; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

app_jar() { echo "$REPO_ROOT/$1/target/quarkus-app/quarkus-run.jar"; }

affect_cli() { java -jar "$(app_jar cli)" "$@"; }

# What every benchmark script runs first: PostgreSQL, a build when there is none, the default bundle; BENCH_IMAGE and
# BENCH_BOX name the photo and person box the benchmarks send (AFFECT_BENCH_IMAGE, AFFECT_BENCH_BOX; default: the
# skier photo of the stand-in images).
bench_stack() {
  BENCH_IMAGE="${AFFECT_BENCH_IMAGE:-$AFFECT_SHARED_DIR/images/coco-000000000785-skier.jpg}"
  BENCH_BOX="${AFFECT_BENCH_BOX:-281,45,500,392}"
  [ "${1:-}" = "--no-database" ] || "$REPO_ROOT/deploy/local/postgres.sh"
  [ -f "$(app_jar cli)" ] || "$REPO_ROOT/deploy/local/build.sh"
  "$REPO_ROOT/deploy/local/default-bundle.sh"
}

# bench_stack, then the services started and the demo taxonomy registered.
bench_demo_stack() {
  bench_stack
  "$REPO_ROOT/deploy/local/start.sh"
  "$REPO_ROOT/deploy/local/demo.sh" >/dev/null
}

# Stops the named services (when running) and starts the stack again with the current environment (start.sh
# leaves the others running): how the benchmarks switch a setting such as AFFECT_BATCHING_ENABLED.
restart_services() {
  local name pidfile
  for name in "$@"; do
    pidfile="$RUN_DIR/$name.pid"
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      kill "$(cat "$pidfile")"
      while kill -0 "$(cat "$pidfile")" 2>/dev/null; do sleep 0.2; done
    fi
  done
  "$REPO_ROOT/deploy/local/start.sh"
}
