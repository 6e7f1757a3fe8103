#!/usr/bin/env bash
# Embed benchmark (docs/benchmarks.md): services as up.sh starts them, then `affect bench-embed`, then the
# services' resident memory. Args are passed to bench-embed (e.g. --requests 100).
set -euo pipefail
source "$(dirname "$0")/env.sh"
bench_stack --no-database
"$REPO_ROOT/deploy/local/start.sh"
affect_cli bench-embed --store "$AFFECT_MODEL_STORE" --image "$BENCH_IMAGE" --box "$BENCH_BOX" --target "localhost:$EMBEDDING_PORT" "$@"
for name in segmentation-service embedding-service; do
  pid=$(cat "$RUN_DIR/$name.pid")
  printf 'RSS %-22s %6d MiB\n' "$name" "$(( $(awk '/VmRSS/ {print $2}' "/proc/$pid/status") / 1024 ))"
done
