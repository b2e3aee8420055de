#!/usr/bin/env bash
# linseg's CPU inference against MediaPipe's own model on TFLite/XNNPACK, same input, one run:
#   1. makes sure the Python venv (golden.py's pinned ai-edge-litert, numpy, pillow; from PyPI) and
#      selfie_segmentation.tflite (npm pack @mediapipe/selfie_segmentation, cached under
#      ~/.cache/linseg/selfie/) exist, creating them quietly when missing;
#   2. runs `linseg bench network --json` on tests/fixtures/golden/astronaut.input.png with
#      RAYON_NUM_THREADS=1 and then 2;
#   3. runs scripts/bench-tflite.py (num_threads 1 and 2, invoke() + get_tensor per run);
#   4. prints a Markdown table and the ratios linseg ÷ TFLite and CPU kernels ÷ Burn generic path.
# The linseg binary is not built here: build it first (cargo build --release).
#
# Environment:
#   LINSEG_BIN         the linseg binary (default ${CARGO_TARGET_DIR:-~/.cache/linseg-target}/release/linseg)
#   LINSEG_BENCH_VENV  the venv (default /tmp/golden-venv, the one scripts/golden.py documents)
#   LINSEG_TFLITE      the model (default ~/.cache/linseg/selfie/package/selfie_segmentation.tflite)
#   LINSEG_BENCH_PHOTO the input (default tests/fixtures/golden/astronaut.input.png)
#   LINSEG_BENCH_RUNS, LINSEG_BENCH_WARMUP  timed runs and warm-ups of every runtime (50 and 5)
# The raw JSON of every runtime is left in ${TMPDIR:-/tmp}/linseg-bench-native/.
set -euo pipefail
cd "$(dirname "$0")/.."

LINSEG_BIN="${LINSEG_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/linseg-target}/release/linseg}"
VENV="${LINSEG_BENCH_VENV:-/tmp/golden-venv}"
SELFIE_DIR="$HOME/.cache/linseg/selfie"
SELFIE_VERSION="0.1.1675465747"
TFLITE="${LINSEG_TFLITE:-$SELFIE_DIR/package/selfie_segmentation.tflite}"
PHOTO="${LINSEG_BENCH_PHOTO:-tests/fixtures/golden/astronaut.input.png}"
RUNS="${LINSEG_BENCH_RUNS:-50}"
WARMUP="${LINSEG_BENCH_WARMUP:-5}"
OUT="${TMPDIR:-/tmp}/linseg-bench-native"
mkdir -p "$OUT"
LOG="$OUT/setup.log"
: >"$LOG"

fail() {
  echo "bench-native: $*" >&2
  [ -s "$LOG" ] && tail -20 "$LOG" >&2
  exit 1
}

# --- 1. the venv and the model ------------------------------------------------------------------
PY="$VENV/bin/python"
if ! "$PY" -c 'import ai_edge_litert.interpreter, numpy, PIL' >/dev/null 2>&1; then
  base=""
  for candidate in python3.11 python3.12 python3.13 python3.10 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then base="$candidate"; break; fi
  done
  [ -n "$base" ] || fail "no python3 to make $VENV with"
  [ "$base" = python3.11 ] || echo "bench-native: no python3.11 here, making $VENV with $base" >&2
  echo "bench-native: creating $VENV (ai-edge-litert==2.3.0 numpy==2.4.6 pillow==13.0.0)" >&2
  "$base" -m venv "$VENV" >>"$LOG" 2>&1 || fail "could not create $VENV"
  "$PY" -m pip install -q --disable-pip-version-check \
    ai-edge-litert==2.3.0 numpy==2.4.6 pillow==13.0.0 >>"$LOG" 2>&1 || fail "pip install failed"
fi

if [ ! -s "$TFLITE" ]; then
  [ -z "${LINSEG_TFLITE:-}" ] || fail "LINSEG_TFLITE=$TFLITE does not exist"
  command -v npm >/dev/null 2>&1 || fail "npm is needed to fetch selfie_segmentation.tflite"
  echo "bench-native: fetching @mediapipe/selfie_segmentation@$SELFIE_VERSION into $SELFIE_DIR" >&2
  mkdir -p "$SELFIE_DIR"
  tgz="mediapipe-selfie_segmentation-$SELFIE_VERSION.tgz"
  [ -s "$SELFIE_DIR/$tgz" ] ||
    (cd "$SELFIE_DIR" && npm pack --silent "@mediapipe/selfie_segmentation@$SELFIE_VERSION") >>"$LOG" 2>&1 ||
    fail "npm pack failed"
  tar xzf "$SELFIE_DIR/$tgz" -C "$SELFIE_DIR" package/selfie_segmentation.tflite >>"$LOG" 2>&1 ||
    fail "could not extract selfie_segmentation.tflite from $tgz"
fi

[ -x "$LINSEG_BIN" ] || fail "no linseg binary at $LINSEG_BIN (build it: cargo build --release)"
[ -f "$PHOTO" ] || fail "no input photo $PHOTO"

# --- 2. linseg, Burn's rayon pool at 1 and 2 threads ----------------------------------------------
extra=()
[ -z "${LINSEG_BENCH_RUNS:-}" ] || extra+=(--runs "$RUNS")
[ -z "${LINSEG_BENCH_WARMUP:-}" ] || extra+=(--warmup "$WARMUP")
for threads in 1 2; do
  echo "bench-native: linseg, RAYON_NUM_THREADS=$threads" >&2
  RAYON_NUM_THREADS=$threads "$LINSEG_BIN" bench network --json --size 256 --mode none \
    --photo "$PHOTO" ${extra[@]+"${extra[@]}"} >"$OUT/linseg-$threads.json" ||
    fail "linseg bench network failed (RAYON_NUM_THREADS=$threads)"
done

# --- 3. TFLite / XNNPACK, num_threads 1 and 2 ---------------------------------------------------
echo "bench-native: TFLite (XNNPACK), num_threads 1 and 2" >&2
"$PY" scripts/bench-tflite.py --tflite "$TFLITE" --photo "$PHOTO" --runs "$RUNS" --warmup "$WARMUP" \
  --threads 1,2 >"$OUT/tflite.json" 2>"$OUT/tflite.stderr" || {
  cat "$OUT/tflite.stderr" >&2
  fail "bench-tflite.py failed"
}

# --- 4. the report ------------------------------------------------------------------------------
"$PY" - "$OUT" "$LINSEG_BIN" "$WARMUP" <<'EOF'
import json, os, sys

out, binary, warmup = sys.argv[1], sys.argv[2], sys.argv[3]
load = lambda name: json.load(open(os.path.join(out, name)))
linseg = {t: load(f"linseg-{t}.json") for t in ("1", "2")}
tfl = load("tflite.json")

cpu = "unknown CPU"
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
except OSError:
    pass

def ms(x):
    return f"{x:.2f}"

l1 = linseg["1"]
print(f"## linseg vs TFLite (XNNPACK): selfie segmentation, {l1['width']}×{l1['height']}, "
      f"mode {l1['mode']}, CPU\n")
print(f"- input: {tfl['input']}")
print(f"- linseg: {binary}; {l1['runs']} timed runs per path after {warmup} warm-ups; timed: "
      "inference + readback of the probabilities")
d = tfl["delegate"]
print(f"- TFLite: ai-edge-litert {tfl['litert_version']} (Python {tfl['python']}), delegate "
      f"{d['name']} ({d['delegate_nodes']} delegate node, whole graph delegated: "
      f"{'yes' if d['whole_graph_delegated'] else 'NO'}); {tfl['runs']} timed runs after "
      f"{tfl['warmup']} warm-ups; timed: {tfl['timed']}")
print(f"- machine: {os.cpu_count()} CPUs ({cpu}), load average {os.getloadavg()[0]:.2f} at the end "
      f"(TFLite started at {tfl['loadavg'][0]:.2f})\n")

rows = []
for t in ("1", "2"):
    j = linseg[t]
    rows.append(("linseg CPU kernels", j.get("kernel_threads", j["threads"]), j["median_ms"], j["p90_ms"]))
for t in ("1", "2"):
    j = linseg[t]
    rows.append(("linseg, Burn generic path", j["threads"], j["burn_median_ms"], j.get("burn_p90_ms")))
for t in ("1", "2"):
    j = tfl["threads"][t]
    rows.append(("TFLite (XNNPACK)", t, j["median_ms"], j["p90_ms"]))
print("| runtime | threads | median ms | p90 ms |")
print("|---|---|---|---|")
for name, threads, median, p90 in rows:
    print(f"| {name} | {threads} | {ms(median)} | {ms(p90) if p90 is not None else '–'} |")
print()

for t in ("1", "2"):
    ratio = linseg[t]["median_ms"] / tfl["threads"][t]["median_ms"]
    word = "thread" if t == "1" else "threads"
    label = "TFLite (XNNPACK)" if t == "1" else "TFLite"
    print(f"linseg ÷ {label}, {t} {word}: {ratio:.2f}×")
burn = [f"{linseg[t]['median_ms'] / linseg[t]['burn_median_ms']:.2f}× (RAYON_NUM_THREADS={t})"
        for t in ("1", "2")]
print(f"linseg CPU kernels ÷ Burn generic path: {', '.join(burn)}")
print()
print("Ratios are of medians; above 1× means linseg is slower. threads: RAYON_NUM_THREADS for linseg "
      "(the rayon pool Burn uses), num_threads for TFLite.")
if "kernel_threads" not in l1:
    print("The CPU kernels' own thread count is not in linseg's JSON; `linseg bench network` "
          "without --json states it in its header line.")
extra = []
if "max_abs_difference" in l1:
    extra.append(f"max |CPU kernels − Burn| of the probabilities: {l1['max_abs_difference']:.1e}")
pf = tfl["threads"]["1"].get("person_fraction")
if pf is not None:
    extra.append(f"TFLite person fraction (p > 0.5): {pf:.6f}")
if extra:
    print("; ".join(extra) + ".")
EOF
echo "raw JSON: $OUT/{linseg-1,linseg-2,tflite}.json" >&2
