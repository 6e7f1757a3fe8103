#!/usr/bin/env bash
# The model-store tool: `affect bundle assemble-default|import|fetch|verify|activate|list` (see `bundle-tool.sh --help`).
set -euo pipefail
source "$(dirname "$0")/env.sh"
[ -f "$(app_jar cli)" ] || die "build first: deploy/local/build.sh"
affect_cli bundle "$@"
