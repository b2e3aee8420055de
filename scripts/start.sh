#!/usr/bin/env bash
# `npm start`: build the page's modules and serve the page (scripts/serve.mjs, its arguments
# passed on), the CPU build first. The page is served as soon as that one is there and works on
# it; the threaded and WebGPU builds follow while it is in use, and the page moves to each once
# its file is there (www/build-watch.js). Where every build is up to date, each step takes
# seconds and the page opens on its best build.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build-web.sh cpu
node scripts/serve.mjs "$@" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT INT TERM
bash scripts/build-web.sh threads full
echo "every build is there (the page has moved to the best of them); serving until Ctrl-C"
wait "$server"
