#!/usr/bin/env bash
# Classify benchmark (docs/benchmarks.md): the quick-start stack and demo taxonomy, then `affect bench-classify`.
set -euo pipefail
source "$(dirname "$0")/env.sh"
bench_demo_stack
AFFECT_API_KEY="${AFFECT_CLIENT_KEYS%%,*}" affect_cli bench-classify --store "$AFFECT_MODEL_STORE" --taxonomy demo \
  --image "$BENCH_IMAGE" --box "$BENCH_BOX" --registry "localhost:$REGISTRY_PORT" "$@"
