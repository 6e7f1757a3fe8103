#!/usr/bin/env bash
# Installs (if needed) what the console's browser tests use: Debian's chromium and its chromedriver, and axe-core
# (npm) for the automated accessibility check, under var/npm. Idempotent. The tests skip, saying why, without them.
set -euo pipefail
source "$(dirname "$0")/env.sh"
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  log "installing chromium and chromium-driver (the console's browser tests)"
  apt_install chromium chromium-driver || log "could not install chromium: the browser tests will be skipped"
fi
axe="$REPO_ROOT/var/npm/node_modules/axe-core/axe.min.js"
if [ ! -f "$axe" ]; then
  if ! command -v npm >/dev/null; then
    apt_install npm || true
  fi
  log "installing axe-core (npm) under var/npm"
  npm install --silent --no-audit --no-fund --prefix "$REPO_ROOT/var/npm" axe-core@4 >/dev/null 2>&1 \
    || log "could not install axe-core: the accessibility check will be skipped"
fi
