#!/usr/bin/env bash
# Stops the services started by up.sh / start.sh.
set -euo pipefail
source "$(dirname "$0")/env.sh"
for name in trainer support-registry embedding-service segmentation-service; do
  pidfile="$RUN_DIR/$name.pid"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill "$(cat "$pidfile")"
    for _ in $(seq 1 40); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.25; done
    log "stopped $name"
  fi
  rm -f "$pidfile"
done
