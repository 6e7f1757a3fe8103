#!/usr/bin/env bash
# Soak benchmark (docs/benchmarks.md): the quick-start stack and demo taxonomy, then `affect bench-soak` for
# AFFECT_SOAK_MINUTES (default 20) with dynamic batching on, and again with embedding-service and segmentation-service
# restarted with AFFECT_BATCHING_ENABLED=false: mixed photos, 1-64 boxes, concurrency 1-16, two bundle swaps, the RSS
# of every service sampled against its pod limit (deploy/k8s). Extra args go to bench-soak (e.g. --max-megapixels 8).
#   AFFECT_SOAK_BATCHING=on|off|both (default both); AFFECT_SOAK_LABEL: a prefix for the printed labels
set -euo pipefail
source "$(dirname "$0")/env.sh"
minutes="${AFFECT_SOAK_MINUTES:-20}"
"$REPO_ROOT/deploy/local/postgres.sh"
[ -f "$(app_jar cli)" ] || "$REPO_ROOT/deploy/local/build.sh"
"$REPO_ROOT/deploy/local/default-bundle.sh"

# every service the soak samples starts fresh, so each run's RSS starts from the same point
restart_inference() { restart_services embedding-service segmentation-service support-registry; }

# The pod limits of the manifests (deploy/k8s/base), in MiB.
limit_of() { sed -n 's/.*limits: {cpu: "[0-9]*", memory: \([0-9]*\)\(Gi\|Mi\)}.*/\1 \2/p' "$REPO_ROOT/deploy/k8s/base/$1.yaml" \
  | awk '{print ($2 == "Gi") ? $1 * 1024 : $1}' | head -1; }

soak() {
  local args=()
  for name in segmentation-service embedding-service support-registry; do
    args+=(--pid "$name=$(cat "$RUN_DIR/$name.pid")" --limit-mib "$name=$(limit_of "$name")")
  done
  AFFECT_API_KEY="${AFFECT_CLIENT_KEYS%%,*}" java -Xmx4g -jar "$(app_jar cli)" bench-soak --store "$AFFECT_MODEL_STORE" --taxonomy demo \
    --registry "localhost:$REGISTRY_PORT" --minutes "$minutes" "${args[@]}" "$@"
}

mode="${AFFECT_SOAK_BATCHING:-both}"
if [ "$mode" != off ]; then
  export AFFECT_BATCHING_ENABLED=true
  restart_inference
  "$REPO_ROOT/deploy/local/demo.sh" >/dev/null
  soak --label "${AFFECT_SOAK_LABEL:-}batching=on" --csv "$LOG_DIR/soak-batching-on.csv" "$@"
fi
if [ "$mode" != on ]; then
  export AFFECT_BATCHING_ENABLED=false
  restart_inference
  "$REPO_ROOT/deploy/local/demo.sh" >/dev/null
  soak --label "${AFFECT_SOAK_LABEL:-}batching=off" --csv "$LOG_DIR/soak-batching-off.csv" "$@"
fi
unset AFFECT_BATCHING_ENABLED
restart_inference
