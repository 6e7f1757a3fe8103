#!/usr/bin/env bash
# Installs (if needed) what the console's browser tests use: Debian's chromium and its chromedriver, and axe-core
# (npm) for the automated accessibility check, under var/npm. Idempotent. Fails if it cannot install them: the suite
# (deploy/local/test.sh, .ci/run) must not pass by skipping the browser test. A bare `mvn verify` without them skips
# that one test, saying why.
set -euo pipefail
source "$(dirname "$0")/env.sh"
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  log "installing chromium and chromium-driver (the console's browser tests)"
  apt_install chromium chromium-driver || die "could not install chromium and chromium-driver (the console's browser test needs them)"
fi
axe="$REPO_ROOT/var/npm/node_modules/axe-core/axe.min.js"
if [ ! -f "$axe" ]; then
  if ! command -v npm >/dev/null; then
    apt_install npm || die "could not install npm (it installs axe-core for the console's accessibility check)"
  fi
  log "installing axe-core (npm) under var/npm"
  npm install --silent --no-audit --no-fund --prefix "$REPO_ROOT/var/npm" axe-core@4 >/dev/null 2>&1 \
    || die "could not install axe-core with npm (the console's accessibility check needs it)"
fi
