#!/usr/bin/env bash
# Evaluation job benchmark (docs/benchmarks.md): the quick-start stack and demo taxonomy, then `affect bench-evaluate`
# (100 and 1000 labelled queries, each a distinct copy of one photo, against Classify p50 in the same run).
set -euo pipefail
source "$(dirname "$0")/env.sh"
image="${AFFECT_BENCH_IMAGE:-$AFFECT_SHARED_DIR/images/coco-000000000785-skier.jpg}"
box="${AFFECT_BENCH_BOX:-281,45,500,392}"
"$REPO_ROOT/deploy/local/postgres.sh"
[ -f "$(app_jar cli)" ] || "$REPO_ROOT/deploy/local/build.sh"
"$REPO_ROOT/deploy/local/default-bundle.sh"
"$REPO_ROOT/deploy/local/start.sh"
"$REPO_ROOT/deploy/local/demo.sh" >/dev/null
AFFECT_API_KEY="${AFFECT_ADMIN_KEYS%%,*}" affect_cli bench-evaluate --taxonomy demo \
  --image "$image" --box "$box" --registry "localhost:$REGISTRY_PORT" "$@"
