#!/usr/bin/env bash
# Evaluation job benchmark (docs/benchmarks.md): the quick-start stack and demo taxonomy, then `affect bench-evaluate`
# (100 and 1000 labelled queries, each a distinct copy of one photo, against Classify p50 in the same run).
set -euo pipefail
source "$(dirname "$0")/env.sh"
bench_demo_stack
AFFECT_API_KEY="${AFFECT_ADMIN_KEYS%%,*}" affect_cli bench-evaluate --taxonomy demo \
  --image "$BENCH_IMAGE" --box "$BENCH_BOX" --registry "localhost:$REGISTRY_PORT" "$@"
