#!/usr/bin/env bash
# Build the WebAssembly modules the page loads (www/pkg/linseg*.js and *_bg.wasm), installing
# what is missing first: the wasm32 target, and wasm-bindgen-cli at the exact version Cargo.lock
# pins for the wasm-bindgen crate (the two must match).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/linseg-target}"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi
version=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')
if [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$version" ]; then
  echo "installing wasm-bindgen-cli $version (about 7 minutes, once)"
  cargo install wasm-bindgen-cli --version "$version"
fi

# Two builds of the module: the full one (WebGPU, and the CPU as its fallback) as
# www/pkg/linseg.js, and the CPU build, a fifth of its size, as www/pkg/linseg_cpu.js; the
# worker loads the CPU build where it will not use WebGPU. Then each wasm's brotli copy, which
# scripts/serve.mjs sends.
build() { # FEATURES OUT-NAME
  cargo rustc --lib --profile wasm --target wasm32-unknown-unknown \
    --no-default-features --features "$1" --crate-type cdylib
  wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
    --out-dir www/pkg --out-name "$2" "$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm/linseg.wasm"
  ls -l "www/pkg/$2_bg.wasm" | awk -v name="$2" '{printf "www/pkg/%s_bg.wasm: %.1f MB\n", name, $5 / 1e6}'
}
build webgpu linseg
build web linseg_cpu
node scripts/precompress.mjs www/pkg/linseg_bg.wasm www/pkg/linseg_cpu_bg.wasm
