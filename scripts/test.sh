#!/usr/bin/env bash
# Every test linseg has: the Rust tests (CPU backend, and wgpu on the machine's Vulkan driver),
# the CPU kernels' tests in WebAssembly (in Node, through WASI), the WebAssembly build, and the
# browser tests in headless Chromium on WebGPU and on the CPU fallback. Installs what is missing
# and can be installed: lavapipe (Vulkan on the CPU) and Chromium from Debian's packages when
# run as root, the wasm32 targets, wasm-bindgen-cli, the npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/linseg-target}"

apt_packages=()
[ -e /usr/share/vulkan/icd.d/lvp_icd.x86_64.json ] || apt_packages+=(mesa-vulkan-drivers)
[ -x /usr/bin/chromium ] || apt_packages+=(chromium)
if [ ${#apt_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing ${apt_packages[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_packages[@]}" >/dev/null
  else
    # The wgpu tests fail without a Vulkan driver and the browser tests need Chromium: say so
    # now rather than after the build.
    echo "missing Debian packages: ${apt_packages[*]}; install them as root (apt-get install ${apt_packages[*]})" >&2
    exit 1
  fi
fi

# wgpu's tests run on lavapipe where it exists; XDG_RUNTIME_DIR silences Vulkan's warnings.
if [ -e /usr/share/vulkan/icd.d/lvp_icd.x86_64.json ]; then
  export VK_ICD_FILENAMES=/usr/share/vulkan/icd.d/lvp_icd.x86_64.json
fi
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
chmod 0700 "$XDG_RUNTIME_DIR"

# Each step's time, printed at the end (also when a step fails).
steps=()
step() { # NAME COMMAND...
  local name=$1 started=$SECONDS
  shift
  echo "== $name"
  "$@"
  steps+=("$(printf '%-24s %3d min %02d s' "$name" $(((SECONDS - started) / 60)) $(((SECONDS - started) % 60)))")
}
report() {
  echo "== time per step"
  for line in "${steps[@]}"; do echo "$line"; done
  printf '%-24s %3d min %02d s\n' "in all" $((SECONDS / 60)) $((SECONDS % 60))
}
trap report EXIT

step "Rust tests" cargo test --release
step "WebAssembly kernel tests" bash scripts/test-wasm-kernels.sh
step "WebAssembly build" bash scripts/build-web.sh
step "dist/" node scripts/build-dist.mjs
if ! [ -d node_modules/playwright-core ] || ! [ -d node_modules/pngjs ]; then
  step "npm packages" npm ci --no-audit --no-fund
fi
step "Node tests" node --test tests/node/
export LINSEG_BIN="$CARGO_TARGET_DIR/release/linseg"
step "browser tests" node --test tests/browser/
