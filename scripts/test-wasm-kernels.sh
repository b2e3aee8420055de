#!/usr/bin/env bash
# The CPU kernels' tests (tests/kernels.rs) in WebAssembly with SIMD128, the browser build's
# instruction set: each kernel's `simd128` form against Burn, compiled for WASI (wasm32-wasip1)
# and run in Node (scripts/wasi-run.mjs). The kernels are the browser's; only the system
# interface differs. WebAssembly aborts on a panic: the first failing test ends the run, with
# its name and, as the tests run with --nocapture, its message. Arguments go to the test binary
# (a filter, `--list`, …).
#
#   bash scripts/test-wasm-kernels.sh [TEST-ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
# Its own target directory, so that it neither waits for the native builds nor holds them up.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/linseg-target}/wasi"
if ! rustup target list --installed | grep -qx wasm32-wasip1; then
  rustup target add wasm32-wasip1
fi
export CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS="-C target-feature=+simd128"
export CARGO_TARGET_WASM32_WASIP1_RUNNER="node --no-warnings $PWD/scripts/wasi-run.mjs"
cargo test --release --test kernels --target wasm32-wasip1 --no-default-features -- --nocapture "$@"
