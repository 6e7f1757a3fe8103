#!/usr/bin/env bash
# One command on a fresh machine: build, assemble and activate the default model bundle, start the
# services, and embed a demo photo through them. The services keep running; stop them with down.sh.
set -euo pipefail
source "$(dirname "$0")/env.sh"
command -v java >/dev/null || die "java 17+ is needed (apt-get install openjdk-17-jdk-headless)"
command -v curl >/dev/null || die "curl is needed (apt-get install curl)"

"$REPO_ROOT/deploy/local/build.sh"
"$REPO_ROOT/deploy/local/default-bundle.sh"
"$REPO_ROOT/deploy/local/start.sh"

image="${AFFECT_DEMO_IMAGE:-$AFFECT_SHARED_DIR/images/coco-000000000785-skier.jpg}"
box="${AFFECT_DEMO_BOX:-281,45,500,392}"
if [ -f "$image" ]; then
  log "demo: affect embed $(basename "$image") --box $box"
  affect_cli model --target "localhost:$EMBEDDING_PORT"
  affect_cli embed "$image" --box "$box" --target "localhost:$EMBEDDING_PORT"
else
  log "no demo image at $image (set AFFECT_DEMO_IMAGE and AFFECT_DEMO_BOX); services are up"
fi
log "services running: segmentation-service :$SEGMENTATION_PORT, embedding-service :$EMBEDDING_PORT; stop with deploy/local/down.sh"
