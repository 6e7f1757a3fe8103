#!/usr/bin/env bash
# Builds every module (no tests): the services' and the CLI's runnable quarkus-app folders.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$REPO_ROOT"
log "building (./mvnw package -DskipTests) ..."
./mvnw -B -q package -DskipTests
log "built: $(app_jar segmentation-service), $(app_jar embedding-service), $(app_jar cli)"
