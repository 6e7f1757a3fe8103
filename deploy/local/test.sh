#!/usr/bin/env bash
# One command for the whole test suite on a fresh machine: PostgreSQL + pgvector and libturbojpeg (installed
# and started if needed), podman + runc + debootstrap for the container images and journey (ContainerStackIT),
# Debian's PyTorch for the torchvision exports the trainer's tests make,
# then `./mvnw -B verify` with the real-architecture stand-ins of ../shared switched on when present.
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$REPO_ROOT/deploy/local/postgres.sh"
"$REPO_ROOT/deploy/local/system-libraries.sh"
"$REPO_ROOT/deploy/local/browser.sh"
"$REPO_ROOT/deploy/containers/install-engine.sh"
"$REPO_ROOT/deploy/local/pytorch.sh"
if [ -d "$AFFECT_SHARED_DIR/models" ]; then
  export AFFECT_SHARED_DIR
  log "AFFECT_SHARED_DIR=$AFFECT_SHARED_DIR: stand-in model tests enabled"
else
  log "no $AFFECT_SHARED_DIR/models: stand-in model tests will be skipped (they say so)"
  unset AFFECT_SHARED_DIR
fi
cd "$REPO_ROOT"
./mvnw -B verify "$@"
"$REPO_ROOT/deploy/local/skipped-tests.sh"  # a green run says what it skipped, and why
