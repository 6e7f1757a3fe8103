#!/usr/bin/env bash
# Installs (if needed) the native libraries the services use when present: libjpeg-turbo's TurboJPEG
# (Debian libturbojpeg0) for DCT-scaled JPEG decoding. Without it the services decode with ImageIO (slower
# on large photos, same answers within a few grey levels). Idempotent.
set -euo pipefail
source "$(dirname "$0")/env.sh"
if ! ldconfig -p 2>/dev/null | grep -q 'libturbojpeg\.so'; then
  log "installing libturbojpeg0 (TurboJPEG, DCT-scaled JPEG decoding)"
  apt_install libturbojpeg0 || die "could not install libturbojpeg0 (TurboJPEG: the services decode JPEG with it; the tests check it is used)"
fi
