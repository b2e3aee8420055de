#!/usr/bin/env python3
"""Make golden person-segmentation masks with MediaPipe Selfie Segmentation (reference for linseg).

What it does
------------
For each test photo (see PHOTOS below) it
  1. loads the original file from the registry package it comes from (or from
     tests/fixtures/photos/, where small originals are shipped) and checks its sha256;
  2. converts it to RGB and resizes it to exactly 256x256 by stretching (no crop, no
     letterbox) with Pillow's Image.resize(..., Image.Resampling.BILINEAR).  Note: Pillow's
     BILINEAR widens its triangle filter when downscaling (it antialiases), so it is NOT
     TensorFlow's resize_bilinear; that does not matter for tests, because the resized image
     itself is stored;
  3. saves that 256x256 image as tests/fixtures/golden/NAME.input.png (8-bit RGB PNG);
  4. runs selfie_segmentation.tflite with ai-edge-litert (CPU, default XNNPACK delegate) on
     float32 [1,256,256,3] = pixel / 255 (values in [0, 1], RGB order, NHWC);
  5. saves the sigmoid output p (float32 [1,256,256,1]) as tests/fixtures/golden/NAME.mask.png,
     a 16-bit grayscale PNG with value = round(p * 65535);
  6. prints the model's input/output tensor details and, per photo, the fraction of pixels
     with p > 0.5; writes tests/fixtures/golden/golden.json with the same numbers, the
     sources and the sha256 of every file.

Model file (not committed; fetch it with npm, never at run time from a hub)
---------------------------------------------------------------------------
    mkdir -p /tmp/selfie && cd /tmp/selfie
    npm pack @mediapipe/selfie_segmentation@0.1.1675465747
    tar xzf mediapipe-selfie_segmentation-0.1.1675465747.tgz package/selfie_segmentation.tflite
    # -> /tmp/selfie/package/selfie_segmentation.tflite (249,024 B, Apache-2.0)

Python environment (Python 3.11; these exact versions produced the committed fixtures)
---------------------------------------------------------------------------------------
    python3.11 -m venv /tmp/golden-venv
    /tmp/golden-venv/bin/pip install ai-edge-litert==2.3.0 numpy==2.4.6 pillow==13.0.0 \
        scikit-image==0.26.0
(scikit-image supplies astronaut, coffee, chelsea and rocket; grace_hopper.jpg from
matplotlib 3.11.2 is shipped in tests/fixtures/photos/, so matplotlib is not needed.)

Run (from the repository root)
------------------------------
    /tmp/golden-venv/bin/python scripts/golden.py --tflite /tmp/selfie/package/selfie_segmentation.tflite

Optional extra photos with people from the `ultralytics` wheel (package licence AGPL-3.0,
so they are NOT written to the repository by default; write them elsewhere with --out):
    /tmp/golden-venv/bin/pip download --no-deps --only-binary=:all: ultralytics==8.4.190 -d /tmp/wheels
    /tmp/golden-venv/bin/python scripts/golden.py --tflite ... --extra-ultralytics \
        --wheels /tmp/wheels --out /tmp/golden-extra
"""
import argparse
import hashlib
import io
import json
import os
import sys
import zipfile

import numpy as np
from PIL import Image

SIZE = 256
TFLITE_SHA256 = "8d13b7fae74af625c641226813616a2117bd6bca19eb3b75574621fc08557f27"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name, package, version, path inside the package, licence, sha256 of the original, people?
PHOTOS = [
    dict(name="astronaut", package="scikit-image", version="0.26.0", path="skimage/data/astronaut.png",
         licence="public domain (NASA photograph of Eileen Collins; skimage.data.astronaut docstring: "
                 "'No known copyright restrictions, released into the public domain')",
         sha256="88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5", person=True),
    dict(name="coffee", package="scikit-image", version="0.26.0", path="skimage/data/coffee.png",
         licence="CC0 (photographer Rachel Michetti; skimage.data.coffee docstring)",
         sha256="cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7", person=False),
    dict(name="chelsea", package="scikit-image", version="0.26.0", path="skimage/data/chelsea.png",
         licence="CC0 (photographer Stefan van der Walt; skimage.data.chelsea docstring)",
         sha256="596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb", person=False),
    dict(name="rocket", package="scikit-image", version="0.26.0", path="skimage/data/rocket.jpg",
         licence="public domain (SpaceX launch photo of DSCOVR on Falcon 9; skimage.data.rocket docstring)",
         sha256="c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c", person=False,
         shipped="rocket.jpg"),
    dict(name="grace_hopper", package="matplotlib", version="3.11.2",
         path="matplotlib/mpl-data/sample_data/grace_hopper.jpg",
         licence="public domain (official U.S. Navy portrait of Rear Admiral Grace M. Hopper, a work of "
                 "the U.S. federal government; the matplotlib package itself is under the "
                 "matplotlib licence, PSF-style)",
         sha256="a8ca6d734765703b09728ab47fe59f473d93ae3967fc24c7c0288c3c7adb7130", person=True,
         shipped="grace_hopper.jpg"),
]
EXTRA_ULTRALYTICS = [
    dict(name="bus", package="ultralytics", version="8.4.190", path="ultralytics/assets/bus.jpg",
         licence="AGPL-3.0 (ultralytics package licence; original photo rights not stated)",
         sha256="c02019c4979c191eb739ddd944445ef408dad5679acab6fd520ef9d434bfbc63", person=True),
    dict(name="zidane", package="ultralytics", version="8.4.190", path="ultralytics/assets/zidane.jpg",
         licence="AGPL-3.0 (ultralytics package licence; press photo, original rights not stated)",
         sha256="16d73869e3267a7d4ed00de8e860833bd1657c1b252e94c0c348277adc7b6edb", person=True),
]


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def load_original(photo, wheels_dir):
    """Return the original file's bytes, from the shipped copy, the installed package or a wheel."""
    candidates = []
    if photo.get("shipped"):
        candidates.append(os.path.join(REPO, "tests", "fixtures", "photos", photo["shipped"]))
    if photo["package"] == "scikit-image":
        import skimage
        candidates.append(os.path.join(os.path.dirname(os.path.dirname(skimage.__file__)), photo["path"]))
    for c in candidates:
        if os.path.exists(c):
            data = open(c, "rb").read()
            break
    else:
        data = None
        if wheels_dir:
            prefix = photo["package"].replace("-", "_") + "-" + photo["version"] + "-"
            for f in sorted(os.listdir(wheels_dir)):
                if f.startswith(prefix) and f.endswith(".whl"):
                    with zipfile.ZipFile(os.path.join(wheels_dir, f)) as z:
                        data = z.read(photo["path"])
                    break
        if data is None:
            sys.exit(f"cannot find {photo['path']} (package {photo['package']}=={photo['version']}); "
                     f"looked in {candidates} and --wheels {wheels_dir}")
    got = sha256(data)
    if got != photo["sha256"]:
        sys.exit(f"{photo['name']}: sha256 {got} != expected {photo['sha256']}")
    return data


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tflite", default="/tmp/selfie/package/selfie_segmentation.tflite")
    ap.add_argument("--out", default=os.path.join(REPO, "tests", "fixtures", "golden"))
    ap.add_argument("--wheels", default=None, help="folder with downloaded wheels (for --extra-ultralytics)")
    ap.add_argument("--extra-ultralytics", action="store_true",
                    help="also process ultralytics bus.jpg and zidane.jpg (AGPL-3.0 package)")
    args = ap.parse_args()

    from ai_edge_litert.interpreter import Interpreter

    model_bytes = open(args.tflite, "rb").read()
    if sha256(model_bytes) != TFLITE_SHA256:
        sys.exit(f"unexpected sha256 of {args.tflite}: {sha256(model_bytes)}")
    interp = Interpreter(model_path=args.tflite, num_threads=1)
    interp.allocate_tensors()
    inp = interp.get_input_details()
    out = interp.get_output_details()
    assert len(inp) == 1 and len(out) == 1
    inp, out = inp[0], out[0]
    for kind, d in (("input", inp), ("output", out)):
        print(f"model {kind}: name={d['name']} index={d['index']} shape={d['shape'].tolist()} "
              f"dtype={np.dtype(d['dtype']).name} quantization={d['quantization']}")
    assert inp["shape"].tolist() == [1, SIZE, SIZE, 3] and inp["dtype"] == np.float32
    assert out["shape"].tolist() == [1, SIZE, SIZE, 1] and out["dtype"] == np.float32

    photos = list(PHOTOS) + (EXTRA_ULTRALYTICS if args.extra_ultralytics else [])
    os.makedirs(args.out, exist_ok=True)
    manifest = dict(
        model=dict(package="@mediapipe/selfie_segmentation", version="0.1.1675465747",
                   path="selfie_segmentation.tflite", licence="Apache-2.0", sha256=TFLITE_SHA256,
                   input="float32 [1,256,256,3] RGB, pixel/255 in [0,1]",
                   output="float32 [1,256,256,1] sigmoid probability of person"),
        resize="Pillow Image.resize((256, 256), Image.Resampling.BILINEAR) after convert('RGB'); stretch",
        mask_encoding="16-bit grayscale PNG, value = round(p * 65535)",
        photos=[],
    )
    for photo in photos:
        data = load_original(photo, args.wheels)
        img = Image.open(io.BytesIO(data))
        orig_size = img.size
        img = img.convert("RGB").resize((SIZE, SIZE), Image.Resampling.BILINEAR)
        x = np.asarray(img, dtype=np.uint8)
        input_path = os.path.join(args.out, photo["name"] + ".input.png")
        Image.fromarray(x, "RGB").save(input_path, optimize=True)
        # re-read the PNG so that the model sees exactly the stored bytes
        x = np.asarray(Image.open(input_path).convert("RGB"), dtype=np.uint8)
        assert x.shape == (SIZE, SIZE, 3)

        interp.set_tensor(inp["index"], (x.astype(np.float32) / 255.0)[None])
        interp.invoke()
        p = interp.get_tensor(out["index"])[0, :, :, 0].astype(np.float64)
        q = np.round(np.clip(p, 0.0, 1.0) * 65535.0).astype(np.uint16)
        mask_path = os.path.join(args.out, photo["name"] + ".mask.png")
        Image.fromarray(q).save(mask_path, optimize=True)  # mode I;16 -> 16-bit grayscale PNG
        back = np.asarray(Image.open(mask_path))
        assert back.dtype == np.uint16 and np.array_equal(back, q), "16-bit PNG round trip failed"

        frac = float((p > 0.5).mean())
        print(f"{photo['name']:>13}: original {orig_size[0]}x{orig_size[1]}, person fraction (p>0.5) = "
              f"{frac:.4f}, mean p = {p.mean():.4f}, min {p.min():.4g}, max {p.max():.4g}")
        entry = {k: v for k, v in photo.items() if k != "sha256"}
        entry.update(original_sha256=photo["sha256"], original_size=list(orig_size),
                     input_png=os.path.basename(input_path),
                     input_png_sha256=sha256(open(input_path, "rb").read()),
                     mask_png=os.path.basename(mask_path),
                     mask_png_sha256=sha256(open(mask_path, "rb").read()),
                     person_fraction_p_gt_0_5=round(frac, 6), mean_p=round(float(p.mean()), 6))
        manifest["photos"].append(entry)
    with open(os.path.join(args.out, "golden.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
