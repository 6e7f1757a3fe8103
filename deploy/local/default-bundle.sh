#!/usr/bin/env bash
# Assembles the default bundle from the backbone ONNX files in $AFFECT_MODELS_DIR and activates it
# (idempotent: the same files give the same version).
set -euo pipefail
source "$(dirname "$0")/env.sh"
encoder="${AFFECT_ENCODER_ONNX:-$AFFECT_MODELS_DIR/resnet18-arch-untrained.onnx}"
segmenter="${AFFECT_SEGMENTER_ONNX:-$AFFECT_MODELS_DIR/segformer-b0-ade20k-arch-untrained.onnx}"
labels="${AFFECT_SEGMENTER_LABELS:-$AFFECT_MODELS_DIR/ade20k_classes.txt}"
# A second encoder file for the body stream (the paper's † setting); default: the image encoder for both.
body_args=()
if [ -n "${AFFECT_BODY_ENCODER_ONNX:-}" ]; then
  [ -f "$AFFECT_BODY_ENCODER_ONNX" ] || die "missing $AFFECT_BODY_ENCODER_ONNX (AFFECT_BODY_ENCODER_ONNX)"
  body_args=(--body-encoder "$AFFECT_BODY_ENCODER_ONNX")
fi
for f in "$encoder" "$segmenter" "$labels"; do
  [ -f "$f" ] || die "missing $f: point AFFECT_MODELS_DIR (or AFFECT_ENCODER_ONNX, AFFECT_SEGMENTER_ONNX, AFFECT_SEGMENTER_LABELS) at the backbone files"
done
log "assembling the default bundle from $(basename "$encoder") + $(basename "$segmenter") into $AFFECT_MODEL_STORE"
"$(dirname "$0")/bundle-tool.sh" assemble-default --store "$AFFECT_MODEL_STORE" --image-encoder "$encoder" "${body_args[@]}" \
  --segmenter "$segmenter" --segmenter-labels "$labels" --activate
