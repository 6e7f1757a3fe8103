#!/usr/bin/env bash
# Renders both overlays and the optional monitoring objects with kubectl's built-in kustomize (kubectl >= 1.21) into deploy/k8s/rendered/.
# rendered/cpu.yaml is committed: the container runner (ContainerStackIT) reads it where kubectl is absent, and
# KubernetesManifestsTest fails when it is stale, so re-run this and commit after changing deploy/k8s.
set -euo pipefail
cd "$(dirname "$0")"
command -v kubectl >/dev/null || { echo "kubectl is needed (kubectl kustomize)" >&2; exit 1; }
mkdir -p rendered
for dir in overlays/cpu overlays/gpu monitoring; do
  out="rendered/$(basename "$dir").yaml"
  kubectl kustomize "$dir" > "$out"
  echo "$dir -> $out ($(grep -c '^kind:' "$out") objects)"
done
