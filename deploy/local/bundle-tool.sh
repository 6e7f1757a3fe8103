#!/usr/bin/env bash
# The model-store tool (assemble-default, fetch, verify, activate, list); see `bundle-tool.sh --help`.
set -euo pipefail
source "$(dirname "$0")/env.sh"
app="$REPO_ROOT/embedding-service/target/quarkus-app"
[ -d "$app/lib/main" ] || die "build first: deploy/local/build.sh"
exec java -cp "$app/lib/boot/*:$app/lib/main/*" org.affectdml.inference.bundle.BundleTool "$@"
