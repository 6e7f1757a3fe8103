#!/usr/bin/env bash
# Classify over generated camera-like photos of 0.3-24 Mpx, group photos of 1-16 persons, a repeated photo (the
# scene cache) and a 32 MiB request, through the running stack (started as up.sh does). Extra arguments go to
# `affect bench-photos` (e.g. --runs 5). docs/benchmarks.md records the output.
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$REPO_ROOT/deploy/local/postgres.sh"
[ -f "$(app_jar cli)" ] || "$REPO_ROOT/deploy/local/build.sh"
"$REPO_ROOT/deploy/local/default-bundle.sh"
"$REPO_ROOT/deploy/local/start.sh"
"$REPO_ROOT/deploy/local/demo.sh" >/dev/null
AFFECT_API_KEY="${AFFECT_CLIENT_KEYS%%,*}" affect_cli bench-photos --taxonomy demo --registry "localhost:$REGISTRY_PORT" "$@"
