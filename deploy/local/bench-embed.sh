#!/usr/bin/env bash
# Embed benchmark (docs/benchmarks.md): services as up.sh starts them, then `affect bench-embed`, then the
# services' resident memory. Args are passed to bench-embed (e.g. --requests 100).
set -euo pipefail
source "$(dirname "$0")/env.sh"
image="${AFFECT_BENCH_IMAGE:-$AFFECT_SHARED_DIR/images/coco-000000000785-skier.jpg}"
box="${AFFECT_BENCH_BOX:-281,45,500,392}"
[ -f "$(app_jar cli)" ] || "$REPO_ROOT/deploy/local/build.sh"
"$REPO_ROOT/deploy/local/default-bundle.sh"
"$REPO_ROOT/deploy/local/start.sh"
affect_cli bench-embed --store "$AFFECT_MODEL_STORE" --image "$image" --box "$box" --target "localhost:$EMBEDDING_PORT" "$@"
for name in segmentation-service embedding-service; do
  pid=$(cat "$RUN_DIR/$name.pid")
  printf 'RSS %-22s %6d MiB\n' "$name" "$(( $(awk '/VmRSS/ {print $2}' "/proc/$pid/status") / 1024 ))"
done
