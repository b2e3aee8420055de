// Reference mattes for the quality data set: Robust Video Matting (RVM, a much stronger matting
// network than the one linseg runs) on every photo with people in models/photos.json.
//
//   node scripts/make-mattes.mjs [PHOTOS_DIR] [OUT_DIR]
//
// PHOTOS_DIR defaults to ~/.cache/linseg/photos (scripts/fetch-photos.sh), OUT_DIR to
// ~/.cache/linseg/mattes. Each matte is an 8-bit grey PNG of the photo's size, named after the
// photo's stem (`astronaut.png` -> `astronaut.png` in OUT_DIR). RVM comes from the same npm
// package as linseg's weights (scripts/fetch-selfie.sh puts rvm.json and rvm.bin in its cache);
// it is GPL-3.0 upstream, so it is run here as a tool and nothing of it is shipped
// (models/NOTICE.md). TF.js's wasm backend runs it on one thread: the same bytes every run.
//
// RVM is a video model with recurrent state. A still photo is fed as a short clip of itself
// (WARMUP_FRAMES frames), each frame's output state fed back, and the last frame's alpha kept:
// the first frame of a clip, from empty state, is the weakest.

import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import '@tensorflow/tfjs-backend-wasm';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = process.env.LINSEG_CACHE ?? join(homedir(), '.cache/linseg');
const photosDir = process.argv[2] ?? join(CACHE, 'photos');
const outDir = process.argv[3] ?? join(CACHE, 'mattes');

/** RVM's internal resolution: the photo is downsampled to this longer side for the base network. */
const BASE_SIZE = 512;
/** Frames of the still photo fed through the recurrent network; the last one's alpha is kept. */
const WARMUP_FRAMES = 3;

/** A decoded photo: RGB bytes, row-major. */
function decode(path) {
  const bytes = readFileSync(path);
  if (extname(path).toLowerCase() === '.png') {
    const png = PNG.sync.read(bytes);
    return { width: png.width, height: png.height, rgba: png.data };
  }
  const image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
  return { width: image.width, height: image.height, rgba: image.data };
}

/** RVM as a TF.js graph model, from the files scripts/fetch-selfie.sh leaves. */
async function loadRvm() {
  const dir = execFileSync('bash', [join(ROOT, 'scripts/fetch-selfie.sh')], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop();
  const json = JSON.parse(readFileSync(join(dir, 'rvm.json'), 'utf8'));
  const weightData = new Uint8Array(
    Buffer.concat(json.weightsManifest.flatMap((group) => group.paths.map((p) => readFileSync(join(dir, p))))),
  ).buffer;
  return loadGraphModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
      weightData,
      format: json.format,
      generatedBy: json.generatedBy,
      convertedBy: json.convertedBy,
      signature: json.signature,
    }),
  );
}

/** The alpha matte of one photo, 0–255, row-major. */
async function matte(model, photo) {
  const ratio = Math.min(1, BASE_SIZE / Math.max(photo.width, photo.height));
  const rgb = new Float32Array(photo.width * photo.height * 3);
  for (let i = 0, j = 0; i < photo.rgba.length; i += 4) {
    rgb[j++] = photo.rgba[i] / 255;
    rgb[j++] = photo.rgba[i + 1] / 255;
    rgb[j++] = photo.rgba[i + 2] / 255;
  }
  const src = tf.tensor4d(rgb, [1, photo.height, photo.width, 3]);
  const downsample = tf.scalar(ratio);
  let state = [0, 1, 2, 3].map(() => tf.scalar(0));
  let alpha = null;
  for (let frame = 0; frame < WARMUP_FRAMES; frame++) {
    const [pha, r1o, r2o, r3o, r4o] = await model.executeAsync(
      { src, 'r1i:0': state[0], 'r2i:0': state[1], 'r3i:0': state[2], 'r4i:0': state[3], 'downsample_ratio:0': downsample },
      ['Identity_1:0', 'Identity_2:0', 'Identity_3:0', 'Identity_4:0', 'Identity_5:0'],
    );
    tf.dispose(state);
    tf.dispose(alpha);
    state = [r1o, r2o, r3o, r4o];
    alpha = pha;
  }
  const values = await alpha.data();
  tf.dispose([src, downsample, alpha, ...state]);
  return Uint8Array.from(values, (a) => Math.round(Math.min(1, Math.max(0, a)) * 255));
}

function writeGrey(path, width, height, grey) {
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false });
  png.data = Buffer.from(grey);
  writeFileSync(path, PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }));
}

const manifest = JSON.parse(readFileSync(join(ROOT, 'models/photos.json'), 'utf8'));
await tf.setBackend('wasm');
const model = await loadRvm();
mkdirSync(outDir, { recursive: true });
for (const entry of manifest.photos.filter((p) => p.people)) {
  const started = performance.now();
  const photo = decode(join(photosDir, entry.name));
  const grey = await matte(model, photo);
  const out = join(outDir, `${basename(entry.name, extname(entry.name))}.png`);
  writeGrey(out, photo.width, photo.height, grey);
  const sha = createHash('sha256').update(readFileSync(out)).digest('hex');
  const cover = grey.reduce((sum, a) => sum + (a >= 128), 0) / grey.length;
  console.log(
    `${entry.name}: ${photo.width}×${photo.height}, person ${(100 * cover).toFixed(1)} % of the frame, ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s, sha256 ${sha.slice(0, 16)}…`,
  );
}
console.log(outDir);
