#!/usr/bin/env bash
# Starts segmentation-service, embedding-service, support-registry and trainer in the background and waits until
# they are ready. PostgreSQL must be running (postgres.sh).
set -euo pipefail
source "$(dirname "$0")/env.sh"

start_service() {
  local name=$1 port=$2 opts=${3:-$JAVA_OPTS}
  local pidfile="$RUN_DIR/$name.pid"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    log "$name already running (pid $(cat "$pidfile"))"
    return
  fi
  [ -f "$(app_jar "$name")" ] || die "build first: deploy/local/build.sh"
  # Keep the previous run's log (what a crash left) next to the new one.
  [ -s "$LOG_DIR/$name.log" ] && mv -f "$LOG_DIR/$name.log" "$LOG_DIR/$name.log.1"
  # shellcheck disable=SC2086
  nohup java $opts -jar "$(app_jar "$name")" >"$LOG_DIR/$name.log" 2>&1 &
  echo $! >"$pidfile"
  log "$name starting on port $port (pid $!, log $LOG_DIR/$name.log)"
}

wait_ready() {
  local name=$1 port=$2
  for _ in $(seq 1 180); do
    if curl -fsS "http://127.0.0.1:$port/q/health/ready" >/dev/null 2>&1; then
      log "$name ready: $(curl -fsS "http://127.0.0.1:$port/q/health/ready" | tr -d ' \n' | head -c 300)"
      return
    fi
    kill -0 "$(cat "$RUN_DIR/$name.pid")" 2>/dev/null || { tail -n 30 "$LOG_DIR/$name.log" >&2; die "$name exited"; }
    sleep 0.5
  done
  tail -n 30 "$LOG_DIR/$name.log" >&2
  die "$name not ready after 90 s"
}

start_service segmentation-service "$SEGMENTATION_PORT"
start_service embedding-service "$EMBEDDING_PORT"
start_service support-registry "$REGISTRY_PORT"
# the trainer holds a data set's features in memory while it trains
start_service trainer "$TRAINER_PORT" "${TRAINER_JAVA_OPTS:--Xms64m -Xmx4g}"
# readiness is on each service's management port
wait_ready segmentation-service "$SEGMENTATION_MANAGEMENT_PORT"
wait_ready embedding-service "$EMBEDDING_MANAGEMENT_PORT"
wait_ready support-registry "$REGISTRY_MANAGEMENT_PORT"
wait_ready trainer "$TRAINER_MANAGEMENT_PORT"
