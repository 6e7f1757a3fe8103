#!/usr/bin/env bash
# Registers the demo taxonomy (one support photo per class, from ../shared/images) and classifies a
# re-cropped view of one support and a photo of another scene. Safe to re-run (supports are idempotent).
# With the untrained stand-in weights the ranking of unrelated photos means nothing; the near-duplicate
# query must still come out as its support's class.
set -euo pipefail
source "$(dirname "$0")/env.sh"
images="${AFFECT_DEMO_IMAGES:-$AFFECT_SHARED_DIR/images}"
[ -f "$images/coco-000000000785-skier.jpg" ] || die "demo photos not found in $images (set AFFECT_DEMO_IMAGES)"
admin() { AFFECT_API_KEY="${AFFECT_ADMIN_KEYS%%,*}" affect_cli "$@" --registry "localhost:$REGISTRY_PORT"; }
client() { AFFECT_API_KEY="${AFFECT_CLIENT_KEYS%%,*}" affect_cli "$@" --registry "localhost:$REGISTRY_PORT"; }

if ! admin taxonomy get demo >/dev/null 2>&1; then
  admin taxonomy create demo --class excited --class engaged --class peaceful \
    --description "demo: one support photo per class"
fi
admin support add --taxonomy demo --class excited  "$images/coco-000000000785-skier.jpg"          --box 281,45,500,392
admin support add --taxonomy demo --class engaged  "$images/coco-000000196141-baseball.jpg"       --box 248,74,418,375
admin support add --taxonomy demo --class peaceful "$images/coco-000000040083-street-vendors.jpg" --box 38,111,213,286
admin taxonomy get demo
log "Classify: the skier with a looser box (a near-duplicate of the 'excited' support)"
client classify --taxonomy demo "$images/coco-000000000785-skier.jpg" --box 271,35,505,400
log "Classify: a person in another photo (ski race)"
client classify --taxonomy demo "$images/coco-000000197388-ski-race.jpg" --box 139,102,361,344
