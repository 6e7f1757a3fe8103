#!/usr/bin/env bash
# Installs (if needed) Debian's PyTorch 1.13 and torchvision 0.14 (python3-torch, python3-torchvision, python3-onnx;
# about 180 MB) for /usr/bin/python3: the suite exports true torchvision ResNets with them at test time
# (trainer/src/test/python). PyPI is not reachable from the project's machines; Debian's packages are. Idempotent.
set -euo pipefail
source "$(dirname "$0")/env.sh"
if ! /usr/bin/python3 -c "import torch, torchvision, onnx" >/dev/null 2>&1; then
  log "installing Debian's python3-torch, python3-torchvision and python3-onnx (torchvision exports for the tests)"
  apt_install python3-torch python3-torchvision python3-onnx || die "could not install Debian's PyTorch packages"
fi
