// Pixels the wasm does not decode itself: camera frames (a bitmap or a VideoFrame through one
// reusable OffscreenCanvas) and image formats only the browser reads (AVIF, HEIC).
// Owns: the frame canvas. Must not touch: the engine, the photos kept or the requests.

import { LinsegError } from './linseg-error.js';
import { loaded } from './worker-module.js';

// Camera frames: one reusable OffscreenCanvas turns a bitmap (or a VideoFrame) into RGBA.

/** The OffscreenCanvas camera frames are read through (resized to each frame). */
let frameCanvas = null;

/** A bitmap's pixels as RGBA bytes (a view on the ImageData's own buffer, no copy). */
export function framePixels(bitmap) {
  const width = bitmap.displayWidth ?? bitmap.width;
  const height = bitmap.displayHeight ?? bitmap.height;
  if (!width || !height) throw new LinsegError('bad-image', 'the frame is empty (it has no pixels)');
  frameCanvas ??= new OffscreenCanvas(width, height);
  if (frameCanvas.width !== width || frameCanvas.height !== height) {
    frameCanvas.width = width;
    frameCanvas.height = height;
  }
  const ctx = frameCanvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(bitmap, 0, 0);
  const { data } = ctx.getImageData(0, 0, width, height);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

// The browser's decoder, for image formats the wasm does not read (AVIF in most browsers,
// HEIC in Safari): upright (EXIF orientation applied, as the wasm does), alpha not
// premultiplied, the same pixel limit, checked from the bitmap's size before its pixels are read.

/** { width, height, rgba } of `bytes` in `format` ("AVIF"), or a 'bad-image' LinsegError that says
 *  this browser cannot read it. */
export async function browserDecode(bytes, maxPixels, format) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes]), {
      imageOrientation: 'from-image',
      premultiplyAlpha: 'none',
      colorSpaceConversion: 'none',
    });
  } catch {
    throw new LinsegError('bad-image', `${format} is not supported by this browser`);
  }
  try {
    const { width, height } = bitmap;
    if (!width || !height) throw new LinsegError('bad-image', `the ${format} is damaged (it has no pixels)`);
    loaded.linseg.checkPixels(width, height, maxPixels);
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(bitmap, 0, 0);
    const pixels = ctx.getImageData(0, 0, width, height);
    return { width, height, rgba: new Uint8Array(pixels.data.buffer) };
  } finally {
    bitmap.close();
  }
}
