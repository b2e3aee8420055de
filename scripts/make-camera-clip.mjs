#!/usr/bin/env node
// Writes a fake camera clip for Chromium's --use-file-for-fake-video-capture: a slow pan over a
// fixture photo of a person, as Y4M (4:2:0, BT.601 limited range, 30 fps). The camera tests and
// `npm run bench:page` make it in a temporary folder; it is never committed.
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

/** One frame as I420 (Y, then U and V at half resolution), bilinear from the crop window. */
function frameI420(photo, crop, width, height) {
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
  const parts = [Buffer.from(`YUV4MPEG2 W${width} H${height} F30:1 Ip A1:1 C420jpeg\n`)];
  for (let i = 0; i < frames; i++) {
    parts.push(Buffer.from('FRAME\n'), frameI420(image, cropAt(image, i, frames, width / height), width, height));
  }
  writeFileSync(out, Buffer.concat(parts));
  return out;
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
