#!/usr/bin/env node
// Writes fake camera clips for Chromium's --use-file-for-fake-video-capture, as Y4M (4:2:0,
// BT.601 limited range, 30 fps): a slow pan over a fixture photo of a person (makeCameraClip),
// and the photo sweeping left and right over a blue background with each frame's number in a
// corner (makeSweepClip: where the person is in every frame is known). The camera tests and
// `npm run bench:page` make them in a temporary folder; they are never committed.
//
//   node scripts/make-camera-clip.mjs [--photo PATH] [--out FILE] [--width W] [--height H] [--frames N]
//
// The photo is decoded by linseg's own wasm decoder (www/pkg/), so a JPEG needs no extra package.

import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const DEFAULT_PHOTO = join(ROOT, 'tests/fixtures/photos/grace_hopper.jpg');

/** The photo as { width, height, rgba }, decoded by the wasm module's decodeImage. */
async function decodePhoto(path) {
  const { initSync, decodeImage } = await import(join(ROOT, 'www/pkg/linseg.js'));
  initSync({ module: readFileSync(join(ROOT, 'www/pkg/linseg_bg.wasm')) });
  const { width, height, rgba } = decodeImage(readFileSync(path), 50_000_000);
  return { width, height, rgba };
}

/** The crop window of frame `i` of `frames` (the clip's aspect), sliding corner to corner, eased. */
function cropAt(photo, i, frames, aspect) {
  const cropW = Math.min(photo.width, photo.height * aspect) * 0.85;
  const cropH = cropW / aspect;
  const t = frames > 1 ? (1 - Math.cos((Math.PI * i) / (frames - 1))) / 2 : 0;
  return { x: t * (photo.width - cropW), y: t * (photo.height - cropH), w: cropW, h: cropH };
}

/** The crop window of `photo` resampled (bilinear) to `width`×`height`, as RGB floats 0–255. */
function sampleRgb(photo, crop, width, height) {
  const rgb = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(photo.height - 1.001, crop.y + ((y + 0.5) * crop.h) / height - 0.5);
    const y0 = Math.max(0, Math.floor(sy));
    const fy = Math.max(0, sy - y0);
    for (let x = 0; x < width; x++) {
      const sx = Math.min(photo.width - 1.001, crop.x + ((x + 0.5) * crop.w) / width - 0.5);
      const x0 = Math.max(0, Math.floor(sx));
      const fx = Math.max(0, sx - x0);
      for (let c = 0; c < 3; c++) {
        const at = (xx, yy) => photo.rgba[(yy * photo.width + xx) * 4 + c];
        const top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx;
        const bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx;
        rgb[(y * width + x) * 3 + c] = top * (1 - fy) + bottom * fy;
      }
    }
  }
  return rgb;
}

/** An RGB frame (floats 0–255) as I420: Y, then U and V at half resolution. */
function i420(rgb, width, height) {
  const cw = width >> 1;
  const ch = height >> 1;
  const out = Buffer.alloc(width * height + 2 * cw * ch);
  for (let i = 0; i < width * height; i++) {
    const [r, g, b] = [rgb[i * 3], rgb[i * 3 + 1], rgb[i * 3 + 2]];
    out[i] = Math.round(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255);
  }
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
        const i = ((2 * y + dy) * width + 2 * x + dx) * 3;
        r += rgb[i] / 4;
        g += rgb[i + 1] / 4;
        b += rgb[i + 2] / 4;
      }
      out[width * height + y * cw + x] = Math.round(128 + (-37.797 * r - 74.203 * g + 112 * b) / 255);
      out[width * height + cw * ch + y * cw + x] = Math.round(128 + (112 * r - 93.786 * g - 18.214 * b) / 255);
    }
  }
  return out;
}

/**
 * Writes the clip to `out` and resolves its path: `frames` frames of `width`×`height` (even
 * numbers) panning slowly over `photo`.
 */
export async function makeCameraClip({
  photo = DEFAULT_PHOTO,
  out = join(tmpdir(), 'linseg-camera-clip.y4m'),
  width = 256,
  height = 256,
  frames = 90,
} = {}) {
  if (width % 2 || height % 2) throw new Error(`the clip needs even sides, not ${width}×${height}`);
  const image = await decodePhoto(resolve(photo));
  return writeY4m(out, width, height, frames, (i) => sampleRgb(image, cropAt(image, i, frames, width / height), width, height));
}

/** Writes `frames` frames of `width`×`height`, frame i's RGB from `frameRgb(i)`, as Y4M to `out`; returns `out`. */
function writeY4m(out, width, height, frames, frameRgb) {
  const parts = [Buffer.from(`YUV4MPEG2 W${width} H${height} F30:1 Ip A1:1 C420jpeg\n`)];
  for (let i = 0; i < frames; i++) parts.push(Buffer.from('FRAME\n'), i420(frameRgb(i), width, height));
  writeFileSync(out, Buffer.concat(parts));
  return out;
}

/** The sweep clip's background (pure blue) and the side of its frame-number square. */
const SWEEP_BACKGROUND = [0, 0, 255];
export const SWEEP_MARKER_PX = 16;
/** Grey levels per frame number in the marker square (frame i is grey i × this). */
export const SWEEP_MARKER_STEP = 7;

/**
 * Where the photo is in frame `i` of a sweep of `frames` frames moving `speed` px per frame:
 * { x, moving, sinceTurn }. It moves right until the middle frame and back left, so that the
 * clip loops without a jump; `moving` is the way it went from the frame before, `sinceTurn` how
 * many frames ago it last turned.
 */
export function sweepAt(i, frames, speed) {
  const half = frames / 2;
  const x = (i <= half ? i : frames - i) * speed;
  if (i >= 1 && i <= half) return { x, moving: 'right', sinceTurn: i };
  return { x, moving: 'left', sinceTurn: i === 0 ? half : i - half };
}

/**
 * Writes the sweep clip to `out` and resolves its path: `frames` (even, at most 36) frames of
 * 256×256 in which `photo`, scaled to `photoHeight` rows from row `top`, moves `speed` px per
 * frame right then left (sweepAt) over blue; the top-left square (SWEEP_MARKER_PX) is grey
 * i × SWEEP_MARKER_STEP in frame i.
 */
export async function makeSweepClip({
  photo = DEFAULT_PHOTO,
  out = join(tmpdir(), 'linseg-sweep-clip.y4m'),
  frames = 34,
  speed = 6,
  photoHeight = 176,
  top = 56,
} = {}) {
  const size = 256;
  if (frames % 2 || frames * SWEEP_MARKER_STEP > 255) throw new Error(`the sweep needs an even number of frames up to ${Math.floor(255 / SWEEP_MARKER_STEP)}`);
  const image = await decodePhoto(resolve(photo));
  const photoWidth = Math.round((image.width * photoHeight) / image.height);
  if (sweepAt(frames / 2, frames, speed).x + photoWidth > size || top + photoHeight > size) {
    throw new Error('the sweep leaves the frame: fewer frames, a lower speed or a smaller photo');
  }
  const scaled = sampleRgb(image, { x: 0, y: 0, w: image.width, h: image.height }, photoWidth, photoHeight);
  return writeY4m(out, size, size, frames, (i) => {
    const rgb = new Float32Array(size * size * 3);
    for (let p = 0; p < size * size; p++) rgb.set(SWEEP_BACKGROUND, p * 3);
    const { x } = sweepAt(i, frames, speed);
    for (let y = 0; y < photoHeight; y++) {
      const row = scaled.subarray(y * photoWidth * 3, (y + 1) * photoWidth * 3);
      rgb.set(row, ((top + y) * size + x) * 3);
    }
    const grey = i * SWEEP_MARKER_STEP;
    for (let y = 0; y < SWEEP_MARKER_PX; y++) {
      for (let xx = 0; xx < SWEEP_MARKER_PX; xx++) rgb.fill(grey, (y * size + xx) * 3, (y * size + xx) * 3 + 3);
    }
    return rgb;
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      photo: { type: 'string' },
      out: { type: 'string' },
      width: { type: 'string', default: '256' },
      height: { type: 'string', default: '256' },
      frames: { type: 'string', default: '90' },
    },
  });
  const path = await makeCameraClip({
    photo: values.photo,
    out: values.out,
    width: Number(values.width),
    height: Number(values.height),
    frames: Number(values.frames),
  });
  console.log(path);
}
