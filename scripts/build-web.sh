#!/usr/bin/env bash
# Build the WebAssembly modules the page loads (www/pkg/linseg*.js and *_bg.wasm), installing
# what is missing first: the wasm32 target, and wasm-bindgen-cli at the exact version Cargo.lock
# pins for the wasm-bindgen crate (the two must match).
#
#   bash scripts/build-web.sh [cpu] [threads] [full]     (no argument: all three, in that order)
#
# cpu: www/pkg/linseg_cpu.js, the CPU build (a fifth of the full one's size), which the worker
# loads where it will not use WebGPU; threads: the same with threads, loaded in cross-origin
# isolated pages; full: www/pkg/linseg.js, WebGPU with the CPU as its fallback. The page works
# as soon as the CPU build is there (npm start serves it then, scripts/start.sh) and moves to
# a build that comes later (www/build-watch.js). Each wasm gets its brotli copy, which
# scripts/serve.mjs sends.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/linseg-target}"
builds=("$@")
[ ${#builds[@]} -gt 0 ] || builds=(cpu threads full)
for name in "${builds[@]}"; do
  case $name in cpu | threads | full) ;; *) echo "build-web.sh: no build called $name (cpu, threads, full)" >&2; exit 2 ;; esac
done

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi
version=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')
if [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$version" ]; then
  echo "installing wasm-bindgen-cli $version (about 2 minutes, once)"
  cargo install wasm-bindgen-cli --version "$version"
fi

# One build: cargo, then wasm-bindgen into www/pkg, then its brotli copy.
build() { # FEATURES OUT-NAME PROFILE [CARGO-ARGS...]
  local features=$1 name=$2 profile=$3
  shift 3
  cargo rustc --lib --profile "$profile" --target wasm32-unknown-unknown \
    --no-default-features --features "$features" --crate-type cdylib "$@"
  wasm-bindgen --target web --remove-name-section --remove-producers-section \
    --out-dir www/pkg --out-name "$name" "$CARGO_TARGET_DIR/wasm32-unknown-unknown/$profile/linseg.wasm"
  ls -l "www/pkg/${name}_bg.wasm" | awk -v name="$name" '{printf "www/pkg/%s_bg.wasm: %.1f MB\n", name, $5 / 1e6}'
}

cpu() {
  build web linseg_cpu wasm
  node scripts/precompress.mjs www/pkg/linseg_cpu_bg.wasm
}

full() {
  build webgpu linseg wasm
  node scripts/precompress.mjs www/pkg/linseg_bg.wasm
}

# The threaded CPU build (www/pkg/linseg_cpu_threads.js), loaded in cross-origin isolated pages.
# Rust's standard library for wasm32 comes without atomics, so this build rebuilds it
# (`-Z build-std`, from the rust-src component; RUSTC_BOOTSTRAP lets the pinned stable compiler
# take that one unstable flag instead of a second, nightly, toolchain). The linker is told to
# make the memory shared and imported (up to 4 GiB, as the other builds) and to export the
# thread-local storage hooks wasm-bindgen's thread support calls; this compiler does not add
# these itself. rustc warns that `atomics` is unstable: expected. Its own target directory:
# other RUSTFLAGS would otherwise rebuild the builds above every time.
threads() {
  if ! rustup component list --installed | grep -q '^rust-src'; then
    rustup component add rust-src
  fi
  link=(--shared-memory --import-memory --max-memory=4294967296
    --export=__wasm_init_tls --export=__tls_size --export=__tls_align --export=__tls_base)
  CARGO_TARGET_DIR="$CARGO_TARGET_DIR/threads" RUSTC_BOOTSTRAP=1 \
    RUSTFLAGS="-C target-feature=+simd128,+atomics,+bulk-memory,+mutable-globals ${link[*]/#/-C link-arg=}" \
    build web-threads linseg_cpu_threads wasm -Z build-std=panic_abort,std

  # wasm-bindgen-rayon 1.3's worker script starts each thread's module with the positional
  # arguments this wasm-bindgen has deprecated, and every thread would warn so in the console at
  # every start: it gets the object form. The build stops if the line is not there (a new version
  # of the crate), so that this is looked at again.
  helper=(www/pkg/snippets/wasm-bindgen-rayon-*/src/workerHelpers.no-bundler.js)
  positional='pkg.default(data.module, data.memory)'
  if ! grep -qF "$positional" "${helper[@]}"; then
    echo "build-web.sh: ${helper[*]} no longer calls $positional; check the thread start" >&2
    exit 1
  fi
  sed -i "s/pkg.default(data.module, data.memory)/pkg.default({ module_or_path: data.module, memory: data.memory })/" "${helper[@]}"
  node scripts/precompress.mjs www/pkg/linseg_cpu_threads_bg.wasm
}

for name in "${builds[@]}"; do "$name"; done

