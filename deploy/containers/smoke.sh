#!/usr/bin/env bash
# Starts each JVM image the way its manifest runs it (non-root, memory limit, model store mounted read-only, ports and
# keys from the environment), waits until its readiness probe (management port /q/health/ready) answers, prints the
# time from container start to ready, and removes it. Ports are offset (+1000) so a local stack may run beside it.
#   deploy/containers/smoke.sh [--tag T]      needs the images (build.sh), PostgreSQL (deploy/local/postgres.sh) and
#                                             a model store with an active bundle (deploy/local/default-bundle.sh)
#   SMOKE_JAVA_OPTS_APPEND: extra JVM flags for every service (e.g. the JDK's own CDS archive instead of the image's
#   AppCDS archive, to measure what AppCDS saves: -XX:SharedArchiveFile=/usr/lib/jvm/java-17-openjdk-amd64/lib/server/classes.jsa)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO_ROOT="$(cd "$HERE/../.." && pwd)"
source "$HERE/engine.sh"
TAG=0.1.0
[ "${1:-}" = "--tag" ] && TAG="$2"
STORE="${AFFECT_MODEL_STORE:-$REPO_ROOT/var/model-store}"
[ -f "$STORE/ACTIVE" ] || { echo "no active bundle in $STORE: deploy/local/default-bundle.sh" >&2; exit 1; }

# name port management-port memory-limit extra-env...
run_one() {
  local name=$1 port=$2 mgmt=$3 memory=$4; shift 4
  local env_port
  env_port="$(echo "${name%%-*}" | tr a-z A-Z)"; [ "$name" = support-registry ] && env_port=REGISTRY
  local started=$(date +%s%N)
  engine run -d --rm --name "smoke-$name" --memory "$memory" -v "$STORE:/models:ro" \
    -e "${env_port}_PORT=$port" -e "${env_port}_MANAGEMENT_PORT=$mgmt" -e AFFECT_MODEL_STORE=/models \
    -e AFFECT_SERVICE_KEYS=smoke-service-key -e AFFECT_SERVICE_KEY=smoke-service-key \
    -e "JAVA_OPTS_APPEND=${SMOKE_JAVA_OPTS_APPEND:-}" "$@" \
    "affect-dml/$name:$TAG" >/dev/null
  for _ in $(seq 1 300); do
    if curl -fsS "http://127.0.0.1:$mgmt/q/health/ready" >/dev/null 2>&1; then
      local ms=$(( ($(date +%s%N) - started) / 1000000 ))
      echo "[smoke] $name: ready $ms ms after start (limit $memory, user $(engine exec "smoke-$name" id -u), rss $(engine stats --no-stream --format '{{.MemUsage}}' "smoke-$name" | cut -d/ -f1))"
      engine stop -t 10 "smoke-$name" >/dev/null
      return 0
    fi
    if ! engine container exists "smoke-$name" 2>/dev/null && ! engine inspect "smoke-$name" >/dev/null 2>&1; then
      echo "[smoke] $name exited before it was ready" >&2; return 1
    fi
    sleep 0.2
  done
  engine logs "smoke-$name" | tail -20 >&2
  engine stop -t 1 "smoke-$name" >/dev/null || true
  echo "[smoke] $name not ready after 60 s" >&2
  return 1
}

run_one segmentation-service 9101 10101 3g
run_one embedding-service 9102 10102 3g -e AFFECT_SEGMENTATION_MODE=in-process
run_one support-registry 9103 10103 1280m -e AFFECT_DB_URL=jdbc:postgresql://127.0.0.1:5432/affect \
  -e AFFECT_ADMIN_KEYS=smoke-admin -e AFFECT_CLIENT_KEYS=smoke-client -e EMBEDDING_PORT=9102
