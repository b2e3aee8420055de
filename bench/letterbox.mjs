// linseg's pre- and postprocessing (src/preprocess.rs) in JavaScript, for the TF.js anchor of
// the page benchmark: the same letterbox geometry, the same resampling filter (the triangle
// filter: bilinear when enlarging, widened to every covered pixel when shrinking, computed as
// the `image` crate's FilterType::Triangle does it, vertical pass first) and the same edge
// padding, so that TF.js is fed the pixels linseg feeds its own network and its mask is made
// the same way. Pure functions on typed arrays; no DOM, no TF.js.
//
// Rounding differs (this sums partly in f64; linseg's kernels may use fixed point): a rare
// channel value may differ by 1/255.

/** The network's stride: the input's sides are padded to a multiple of it (src/model/mod.rs). */
export const STRIDE = 16;

/** The size the network was trained at (src/model/mod.rs). */
export const TRAINED_SIZE = 256;

/**
 * Where a `width × height` photo sits in the network's input in the pass at processing size
 * `size` (`Plan::new`'s detail pass, src/refine.rs): up to the trained size stretched to a
 * `size × size` square (`Letterbox::stretched`), above it scaled so that its longer side is
 * `size` (rounded, `Letterbox::new`); then padded on the right and bottom to a multiple of the
 * stride. Sizes are `[width, height]`.
 * @returns {{ photo: number[], scaled: number[], input: number[] }}
 */
export function letterbox(width, height, size) {
  const pad = (side) => Math.ceil(side / STRIDE) * STRIDE;
  if (size <= TRAINED_SIZE) return { photo: [width, height], scaled: [size, size], input: [pad(size), pad(size)] };
  const scale = size / Math.max(width, height);
  const fit = (side) => Math.max(1, Math.round(side * scale));
  const scaled = [fit(width), fit(height)];
  return { photo: [width, height], scaled, input: scaled.map(pad) };
}

/**
 * The triangle filter's taps along one axis from `from` samples to `to` (`image`'s
 * `vertical_sample` / `horizontal_sample`): for each output sample, its first source index and
 * its normalised weights.
 */
function taps(from, to) {
  const ratio = from / to;
  const sratio = Math.max(ratio, 1);
  const support = sratio; // the triangle's support is 1, widened when shrinking
  const result = [];
  for (let out = 0; out < to; out++) {
    const centre = (out + 0.5) * ratio;
    const left = Math.min(Math.max(Math.floor(centre - support), 0), from - 1);
    const right = Math.min(Math.max(Math.ceil(centre + support), left + 1), from);
    const weights = [];
    let sum = 0;
    for (let i = left; i < right; i++) {
      const w = Math.max(0, 1 - Math.abs((i - (centre - 0.5)) / sratio));
      weights.push(w);
      sum += w;
    }
    result.push({ left, weights: weights.map((w) => w / sum) });
  }
  return result;
}

/**
 * Resamples `channels`-interleaved samples from `width × height` to `toWidth × toHeight` with
 * the triangle filter, vertical pass first, as `image::imageops::resize` does. `finish` maps
 * each output value (the crate clamps and rounds to the pixel type there).
 */
function resizeTriangle(src, width, height, channels, toWidth, toHeight, finish) {
  const tall = new Float32Array(width * toHeight * channels); // the crate's Rgba32FImage
  const rows = taps(height, toHeight);
  const rowLength = width * channels;
  for (let y = 0; y < toHeight; y++) {
    const { left, weights } = rows[y];
    const row = tall.subarray(y * rowLength, (y + 1) * rowLength);
    for (let i = 0; i < weights.length; i++) {
      const from = (left + i) * rowLength;
      const w = weights[i];
      for (let k = 0; k < rowLength; k++) row[k] += src[from + k] * w;
    }
  }
  const out = new Float32Array(toWidth * toHeight * channels);
  const columns = taps(width, toWidth);
  for (let x = 0; x < toWidth; x++) {
    const { left, weights } = columns[x];
    for (let y = 0; y < toHeight; y++) {
      for (let c = 0; c < channels; c++) {
        let t = 0;
        for (let i = 0; i < weights.length; i++) t += tall[(y * width + left + i) * channels + c] * weights[i];
        out[(y * toWidth + x) * channels + c] = finish(t);
      }
    }
  }
  return out;
}

/**
 * The network's input for an RGBA photo (`to_input`), but laid out NHWC as TF.js wants it:
 * `[1, H_in, W_in, 3]` float32, RGB in `[0, 1]`, alpha dropped, edge pixels repeated into the
 * padding. `rgba` is `width × height × 4` bytes.
 */
export function toInput(rgba, width, height, box) {
  const [scaledW, scaledH] = box.scaled;
  const [inputW, inputH] = box.input;
  const scaled =
    scaledW === width && scaledH === height
      ? rgba
      : resizeTriangle(rgba, width, height, 4, scaledW, scaledH, (v) => Math.round(Math.min(Math.max(v, 0), 255)));
  const values = new Float32Array(inputH * inputW * 3);
  for (let y = 0; y < inputH; y++) {
    const row = Math.min(y, scaledH - 1) * scaledW;
    for (let x = 0; x < inputW; x++) {
      const from = (row + Math.min(x, scaledW - 1)) * 4;
      const to = (y * inputW + x) * 3;
      values[to] = scaled[from] / 255;
      values[to + 1] = scaled[from + 1] / 255;
      values[to + 2] = scaled[from + 2] / 255;
    }
  }
  return values;
}

/**
 * The photo's mask from the network's probabilities over its input (`to_mask`; row-major
 * `H_in × W_in`): cropped to the scaled photo, resized to the photo, clamped to `[0, 1]`, 0–255.
 */
export function toMask(probabilities, box) {
  const [inputW] = box.input;
  const [scaledW, scaledH] = box.scaled;
  const [photoW, photoH] = box.photo;
  let map = new Float32Array(scaledW * scaledH);
  for (let y = 0; y < scaledH; y++) map.set(probabilities.subarray(y * inputW, y * inputW + scaledW), y * scaledW);
  if (scaledW !== photoW || scaledH !== photoH) {
    map = resizeTriangle(map, scaledW, scaledH, 1, photoW, photoH, (v) => Math.min(Math.max(v, 0), 1));
  }
  const mask = new Uint8Array(photoW * photoH);
  for (let i = 0; i < mask.length; i++) mask[i] = Math.round(Math.min(Math.max(map[i], 0), 1) * 255);
  return mask;
}
