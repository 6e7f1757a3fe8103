#!/usr/bin/env bash
# Offline trainer operations (generate-synthetic, evaluate, train) without the trainer service; see --help.
set -euo pipefail
source "$(dirname "$0")/env.sh"
app="$REPO_ROOT/trainer/target/quarkus-app"
[ -d "$app/lib/main" ] || die "build first: deploy/local/build.sh"
# shellcheck disable=SC2086
exec java ${TRAINER_JAVA_OPTS:--Xmx4g} -Dai.djl.offline="${AFFECT_DJL_OFFLINE:-true}" -Djava.awt.headless=true \
  -cp "$app/lib/boot/*:$app/lib/main/*:$app/app/*" org.affectdml.trainer.tool.TrainerTool "$@"
