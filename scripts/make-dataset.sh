#!/usr/bin/env bash
# The quality data set, from nothing: the photos (scripts/fetch-photos.sh), their reference
# mattes (scripts/make-mattes.mjs, Robust Video Matting), and the held-out composites and true
# masks written out by `linseg dataset`. Prints the sha256 of every file it made, so that two
# runs can be compared:
#
#   bash scripts/make-dataset.sh > a.txt; bash scripts/make-dataset.sh > b.txt; diff a.txt b.txt
#
# Needs: the linseg binary (LINSEG_BIN, else $CARGO_TARGET_DIR/release/linseg), node with the
# npm packages installed (npm ci).
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${LINSEG_CACHE:-$HOME/.cache/linseg}"
bin="${LINSEG_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/linseg-target}/release/linseg}"
[ -x "$bin" ] || { echo "make-dataset: no linseg binary at $bin (cargo build --release)" >&2; exit 1; }
[ -d node_modules/@tensorflow/tfjs-backend-wasm ] || npm ci --no-audit --no-fund >&2
bash scripts/fetch-photos.sh >&2
node scripts/make-mattes.mjs "$cache/photos" "$cache/mattes" >&2
"$bin" dataset --out "$cache/heldout" >&2
(cd "$cache" && sha256sum mattes/*.png heldout/*.png)
