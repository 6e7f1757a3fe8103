#!/usr/bin/env bash
# Builds the container images the Kubernetes manifests (deploy/k8s) run, from a clean checkout:
#   deploy/containers/build.sh                  JVM images of the four services (CPU ONNX Runtime)
#   deploy/containers/build.sh --gpu            also segmentation-service-gpu and embedding-service-gpu (CUDA 12 + cuDNN 9)
#   deploy/containers/build.sh --native         also support-registry:<tag>-native (GraalVM/Mandrel in a builder container)
#   options: --tag T (default 0.1.0, the manifests' tag)  --prefix REGISTRY/ (default none)  --push  --dry-run
# Needs docker or podman (CONTAINER_ENGINE=podman to choose; see engine.sh). The base image is pulled, or bootstrapped
# from the Debian mirror where no registry is reachable (base-image.sh). --dry-run prints the commands and needs neither.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$REPO_ROOT"

TAG=0.1.0
PREFIX=""
GPU=false
NATIVE=false
PUSH=false
DRY=false
while [ $# -gt 0 ]; do
  case "$1" in
    --gpu) GPU=true ;;
    --native) NATIVE=true ;;
    --push) PUSH=true ;;
    --dry-run) DRY=true ;;
    --tag) TAG="${2:?--tag needs a value}"; shift ;;
    --prefix) PREFIX="${2:?--prefix needs a value, e.g. registry.example.com/}"; shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

source deploy/containers/engine.sh
if [ -z "$ENGINE" ] && ! $DRY; then
  echo "no container engine: install podman or docker (or run with --dry-run to see the commands)" >&2
  exit 1
fi
ENGINE="${ENGINE:-docker}"

run() {
  echo "+ $*"
  $DRY || "$@"
}

image() {  # image MODULE SUFFIX DOCKERFILE TAG
  local name="${PREFIX}affect-dml/$1$2:$4"
  run engine build --network host -f "deploy/containers/$3" --build-arg "MODULE=$1" -t "$name" .
  if $PUSH; then run engine push "$name"; fi
  $DRY || echo "[containers] $name: $(engine image inspect --format '{{.Size}}' "$name" | awk '{printf "%.0f MB", $1/1e6}')"
}

SERVICES=(segmentation-service embedding-service support-registry trainer)

run deploy/containers/base-image.sh
# PostgreSQL + pgvector under the name the manifests use, where that image cannot be pulled (no registry here);
# it keeps the upstream image's contract (deploy/containers/postgres/Dockerfile).
PGVECTOR=docker.io/pgvector/pgvector:0.8.0-pg15
if $DRY || ! { engine image exists "$PGVECTOR" 2>/dev/null || engine pull "$PGVECTOR" >/dev/null 2>&1; }; then
  run engine build --network host -f deploy/containers/postgres/Dockerfile -t "$PGVECTOR" deploy/containers/postgres
  $DRY || echo "[containers] $PGVECTOR (built here): $(engine image inspect --format '{{.Size}}' "$PGVECTOR" | awk '{printf "%.0f MB", $1/1e6}')"
fi
${SKIP_PACKAGE:-false} || run ./mvnw -B package -DskipTests
for m in "${SERVICES[@]}"; do
  image "$m" "" Dockerfile.jvm "$TAG"
done

if $NATIVE; then
  # Only the registry builds natively: the inference services load ONNX Runtime's JNI libraries, the trainer PyTorch's.
  run ./mvnw -B -Pnative package -DskipTests -pl support-registry -am -Dquarkus.native.container-build=true \
      "-Dquarkus.native.container-runtime=$ENGINE"
  image support-registry "" Dockerfile.native "$TAG-native"
fi

if $GPU; then
  # The gpu profile swaps onnxruntime for onnxruntime_gpu; it repackages the two inference services last,
  # so their CPU images above are already built.
  run ./mvnw -B -Pgpu package -DskipTests -pl segmentation-service,embedding-service -am
  for m in segmentation-service embedding-service; do
    image "$m" -gpu Dockerfile.jvm-gpu "$TAG"
  done
fi
