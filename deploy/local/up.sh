#!/usr/bin/env bash
# One command on a fresh machine: install/start PostgreSQL + pgvector and libturbojpeg, build, assemble and activate the
# default model bundle, start the four services, register a demo taxonomy with one support photo per class,
# and Classify a photo through them. The services keep running; stop them with down.sh.
set -euo pipefail
source "$(dirname "$0")/env.sh"
command -v java >/dev/null || die "java 17+ is needed (apt-get install openjdk-17-jdk-headless)"
command -v curl >/dev/null || die "curl is needed (apt-get install curl)"

"$REPO_ROOT/deploy/local/postgres.sh"
"$REPO_ROOT/deploy/local/system-libraries.sh"
"$REPO_ROOT/deploy/local/build.sh"
"$REPO_ROOT/deploy/local/default-bundle.sh"
"$REPO_ROOT/deploy/local/start.sh"
"$REPO_ROOT/deploy/local/demo.sh"
log "services running: segmentation-service :$SEGMENTATION_PORT, embedding-service :$EMBEDDING_PORT, support-registry :$REGISTRY_PORT, trainer :$TRAINER_PORT (health and metrics: :$SEGMENTATION_MANAGEMENT_PORT-$TRAINER_MANAGEMENT_PORT)"
log "API keys in $KEYS_FILE; try: AFFECT_API_KEY=\$AFFECT_CLIENT_KEYS java -jar cli/target/quarkus-app/quarkus-run.jar classify --help"
log "console: http://localhost:$REGISTRY_PORT/console (sign in with a key of AFFECT_ADMIN_KEYS in $KEYS_FILE)"
log "stop with deploy/local/down.sh"
