#!/usr/bin/env bash
# Renders both overlays with kubectl's built-in kustomize (kubectl >= 1.21) into deploy/k8s/rendered/.
set -euo pipefail
cd "$(dirname "$0")"
command -v kubectl >/dev/null || { echo "kubectl is needed (kubectl kustomize)" >&2; exit 1; }
mkdir -p rendered
for overlay in cpu gpu; do
  kubectl kustomize "overlays/$overlay" > "rendered/$overlay.yaml"
  echo "overlays/$overlay -> rendered/$overlay.yaml ($(grep -c '^kind:' "rendered/$overlay.yaml") objects)"
done
