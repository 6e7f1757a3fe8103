#!/usr/bin/env bash
# Throughput benchmark (docs/benchmarks.md): the quick-start stack and demo taxonomy, then `affect bench-throughput`
# twice: with dynamic batching (the default) and with embedding-service and segmentation-service restarted with
# AFFECT_BATCHING_ENABLED=false. Args are passed to bench-throughput (e.g. --concurrency 1,4 --requests 40).
set -euo pipefail
source "$(dirname "$0")/env.sh"
bench_stack

restart_inference() { restart_services embedding-service segmentation-service; }

bench() {
  AFFECT_API_KEY="${AFFECT_CLIENT_KEYS%%,*}" affect_cli bench-throughput --store "$AFFECT_MODEL_STORE" --taxonomy demo \
    --image "$BENCH_IMAGE" --box "$BENCH_BOX" --target "localhost:$EMBEDDING_PORT" --registry "localhost:$REGISTRY_PORT" \
    --metrics "http://localhost:$EMBEDDING_MANAGEMENT_PORT/q/metrics" \
    --segmentation-metrics "http://localhost:$SEGMENTATION_MANAGEMENT_PORT/q/metrics" "$@"
}

export AFFECT_BATCHING_ENABLED=true
restart_inference
"$REPO_ROOT/deploy/local/demo.sh" >/dev/null
bench --label batching=on "$@"
export AFFECT_BATCHING_ENABLED=false
restart_inference
bench --label batching=off "$@"
unset AFFECT_BATCHING_ENABLED
restart_inference
