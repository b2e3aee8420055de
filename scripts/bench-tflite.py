#!/usr/bin/env python3
"""Time MediaPipe's own selfie_segmentation.tflite with LiteRT (TFLite) on the CPU, XNNPACK delegate.

What it does
------------
The native counterpart of `linseg bench network`: the reference runtime on the same input, so that
scripts/bench-native.sh can print linseg ÷ TFLite ratios measured in one run.
  1. loads a 256x256 RGB PNG (default tests/fixtures/golden/astronaut.input.png, the stretched
     photo that scripts/golden.py made; any other size is stretched to 256x256 with Pillow's
     BILINEAR, as golden.py does) and makes float32 [1,256,256,3] = pixel / 255 (RGB, NHWC);
  2. checks the sha256 of the .tflite (the same file golden.py used);
  3. for num_threads = 1, then 2 (--threads), builds an Interpreter(model_path, num_threads=N)
     with the default op resolver (AUTO: the XNNPACK delegate is applied by default), runs W
     untimed warm-ups (--warmup, default 5) and then N timed runs (--runs, default 50); each timed
     run is set_tensor outside the clock, then invoke() plus get_tensor(output) (a copy of the
     [1,256,256,1] probabilities) inside it -- the same span as linseg's inference + readback;
  4. checks that XNNPACK really runs the graph: LiteRT logs "Created TensorFlow Lite XNNPACK
     delegate for CPU." on stderr once per process (captured at the file-descriptor level and
     echoed to stderr),
     and the model's nodes include a DELEGATE node that reads the model's input and writes its
     output (the whole graph is one delegated partition). The model cannot even run without the
     default delegate: its final Convolution2DTransposeBias is a MediaPipe custom op that only
     XNNPACK resolves (OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES fails to prepare it);
  5. prints one JSON object on stdout:
       {"runtime": "tflite-xnnpack",
        "threads": {"1": {"median_ms": .., "p90_ms": .., "min_ms": .., "mean_ms": ..}, "2": {...}},
        "runs": 50, "warmup": 5, "litert_version": "2.3.0", "delegate": {...},
        "input": "tests/fixtures/golden/astronaut.input.png", "model": {...}, "python": "3.11.x",
        "cpus": 2, "loadavg": [..]}
     median and p90 are taken as linseg does: sorted[round((n - 1) * q)].

Model file (not committed; fetched with npm from the registry, never from a hub at run time)
-------------------------------------------------------------------------------------------
    mkdir -p ~/.cache/linseg/selfie && cd ~/.cache/linseg/selfie
    npm pack @mediapipe/selfie_segmentation@0.1.1675465747
    tar xzf mediapipe-selfie_segmentation-0.1.1675465747.tgz package/selfie_segmentation.tflite
    # -> ~/.cache/linseg/selfie/package/selfie_segmentation.tflite (249,024 B, Apache-2.0,
    #    sha256 8d13b7fa...557f27, the file scripts/golden.py checks)

Python environment (golden.py's pinned versions, from PyPI; python3.11 is what this machine has)
------------------------------------------------------------------------------------------------
    python3.11 -m venv /tmp/golden-venv
    /tmp/golden-venv/bin/pip install ai-edge-litert==2.3.0 numpy==2.4.6 pillow==13.0.0
(scikit-image is only needed by golden.py to make fixtures, not here.)
scripts/bench-native.sh does both steps when they are missing, then runs this script.

Run (from the repository root)
------------------------------
    /tmp/golden-venv/bin/python scripts/bench-tflite.py \
        --tflite ~/.cache/linseg/selfie/package/selfie_segmentation.tflite \
        [--photo tests/fixtures/golden/astronaut.input.png] [--runs 50] [--warmup 5] [--threads 1,2]
"""
import argparse
import hashlib
import json
import os
import platform
import sys
import tempfile
import time

import numpy as np
from PIL import Image

SIZE = 256
TFLITE_SHA256 = "8d13b7fae74af625c641226813616a2117bd6bca19eb3b75574621fc08557f27"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_TFLITE = os.path.join(os.path.expanduser("~"), ".cache", "linseg", "selfie", "package",
                              "selfie_segmentation.tflite")
XNNPACK_LOG = "XNNPACK delegate"


def percentile(sorted_ms, q):
    """sorted[round((n - 1) * q)], as linseg's `bench network` computes its median and p90."""
    return sorted_ms[int(round((len(sorted_ms) - 1) * q))]


class CapturedStderr:
    """Capture what native code writes to file descriptor 2 (LiteRT's INFO lines), then echo it."""

    def __enter__(self):
        sys.stderr.flush()
        self.file = tempfile.TemporaryFile(mode="w+b")
        self.saved = os.dup(2)
        os.dup2(self.file.fileno(), 2)
        return self

    def __exit__(self, *exc):
        sys.stderr.flush()
        os.dup2(self.saved, 2)
        os.close(self.saved)
        self.file.seek(0)
        self.text = self.file.read().decode("utf-8", "replace")
        self.file.close()
        sys.stderr.write(self.text)
        return False


def load_input(path):
    img = Image.open(path).convert("RGB")
    if img.size != (SIZE, SIZE):
        img = img.resize((SIZE, SIZE), Image.Resampling.BILINEAR)
    return (np.asarray(img, dtype=np.float32) / 255.0)[None, ...]


def delegate_info(interp, inp_index, out_index, log):
    """What says the graph runs on XNNPACK: the log line and the DELEGATE node(s)."""
    ops = interp._get_ops_details()  # every node, the delegate's included (private but stable API)
    delegates = [op for op in ops if op["op_name"] == "DELEGATE"]
    whole = any(inp_index in op["inputs"].tolist() and out_index in op["outputs"].tolist()
                for op in delegates)
    return dict(
        xnnpack_log=XNNPACK_LOG in log,
        log_lines=[line for line in log.splitlines() if line.strip()],
        delegate_nodes=len(delegates),
        whole_graph_delegated=whole,
        model_nodes=len(ops) - len(delegates),
    )


def bench(model_path, x, threads, runs, warmup):
    from ai_edge_litert.interpreter import Interpreter

    with CapturedStderr() as captured:
        interp = Interpreter(model_path=model_path, num_threads=threads)
        interp.allocate_tensors()
    inp, = interp.get_input_details()
    out, = interp.get_output_details()
    assert inp["shape"].tolist() == [1, SIZE, SIZE, 3] and inp["dtype"] == np.float32, inp
    assert out["shape"].tolist() == [1, SIZE, SIZE, 1] and out["dtype"] == np.float32, out
    info = delegate_info(interp, inp["index"], out["index"], captured.text)

    times = []
    for run in range(warmup + runs):
        interp.set_tensor(inp["index"], x)
        start = time.perf_counter()
        interp.invoke()
        y = interp.get_tensor(out["index"])
        elapsed = time.perf_counter() - start
        if run >= warmup:
            times.append(elapsed * 1e3)
    assert y.shape == (1, SIZE, SIZE, 1) and np.isfinite(y).all()
    # person_fraction (p > 0.5) is golden.py's check number: 0.545441 for astronaut.
    times.sort()
    stats = dict(median_ms=percentile(times, 0.5), p90_ms=percentile(times, 0.9),
                 min_ms=times[0], mean_ms=sum(times) / len(times),
                 person_fraction=float((y > 0.5).mean()))
    return stats, info


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tflite", default=DEFAULT_TFLITE)
    ap.add_argument("--photo", default=os.path.join("tests", "fixtures", "golden", "astronaut.input.png"))
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--threads", default="1,2", help="comma-separated num_threads values")
    args = ap.parse_args()
    if args.runs < 1 or args.warmup < 0:
        sys.exit("--runs must be >= 1 and --warmup >= 0")

    model_bytes = open(args.tflite, "rb").read()
    digest = hashlib.sha256(model_bytes).hexdigest()
    if digest != TFLITE_SHA256:
        sys.exit(f"unexpected sha256 of {args.tflite}: {digest}")
    photo = args.photo if os.path.exists(args.photo) else os.path.join(REPO, args.photo)
    x = load_input(photo)

    import ai_edge_litert
    try:
        from importlib.metadata import version
        litert_version = version("ai-edge-litert")
    except Exception:
        litert_version = getattr(ai_edge_litert, "__version__", None)

    results, delegates = {}, {}
    for n in [int(t) for t in args.threads.split(",") if t.strip()]:
        stats, info = bench(args.tflite, x, n, args.runs, args.warmup)
        results[str(n)] = stats
        delegates[str(n)] = info
    # LiteRT logs the delegate's creation once per process, so the line comes with the first one.
    xnnpack_log = any(d["xnnpack_log"] for d in delegates.values())
    for n, d in delegates.items():
        if not (xnnpack_log and d["whole_graph_delegated"]):
            print(f"warning: num_threads={n}: XNNPACK not confirmed: {d}", file=sys.stderr)

    first = next(iter(delegates.values()))
    report = dict(
        runtime="tflite-xnnpack",
        threads=results,
        runs=args.runs,
        warmup=args.warmup,
        timed="invoke() + get_tensor(output); set_tensor outside the clock",
        litert_version=litert_version,
        delegate=dict(
            name="XNNPACK" if xnnpack_log else "unconfirmed",
            log_lines=first["log_lines"],
            delegate_nodes=first["delegate_nodes"],
            whole_graph_delegated=all(d["whole_graph_delegated"] for d in delegates.values()),
            model_nodes=first["model_nodes"],
        ),
        input=args.photo,
        model=dict(path=args.tflite, sha256=digest, bytes=len(model_bytes),
                   package="@mediapipe/selfie_segmentation@0.1.1675465747"),
        python=platform.python_version(),
        cpus=os.cpu_count(),
        loadavg=list(os.getloadavg()),
    )
    print(json.dumps(report))


if __name__ == "__main__":
    main()
