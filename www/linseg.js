// linseg, the library: person segmentation in the browser with a choice of attention mechanism,
// run in a Web Worker of its own (WebGPU, or WebAssembly SIMD on the CPU). A page embeds it as
//
//   import { Segmenter } from './linseg.js';
//   const segmenter = await Segmenter.create({ mode: 'linear' });
//   const { mask, width, height } = await segmenter.segment(file, { size: 512 });
//
// and linseg's own page is its first user. Every failure is a LinsegError whose `kind` is one of
// src/error.rs's ErrorKind names (the build's .d.ts has them as a type; `segmenter.errorKinds`
// lists them). Types: linseg.d.ts.
// Owns: the public API (options, sources, results, the live-video guard). Must not touch: the
// page's elements or state.

import { Engine } from './engine.js';
import { LinsegError } from './linseg-error.js';

export { LinsegError };

/** The backends a segmenter may be asked for. */
export const BACKENDS = ['auto', 'webgpu', 'cpu'];

/** A segmenter's settings when none are given: the project's namesake mode at the trained size. */
export const DEFAULTS = { mode: 'linear', size: 256 };

/** Names the library's own photos in the worker, apart from a page's numbered ones. */
let nextImage = 1;

/**
 * Person segmentation in a worker: `Segmenter.create(options)`, then `segment(source)` for
 * photos or `segmentForVideo(frame, timestampMs)` for a live stream. Events (DOM events on the
 * segmenter): 'progress' (loading), 'backend' (the backend that runs now), 'fallback' (WebGPU
 * failed; moved to the CPU), 'crash' (the worker died and is restarted), 'recycle', 'cancel' and
 * 'reload' (the worker was replaced: to give memory back, to stop a run, to load a newer build).
 */
export class Segmenter extends Engine {
  /**
   * A ready segmenter: its worker started, the module and the first weights loaded.
   * @param {object} [options]
   * @param {string} [options.mode]  the attention mode ('linear'; `segmenter.modes` lists them)
   * @param {number} [options.size]  the processing size (256; `segmenter.sizes` lists them)
   * @param {'auto'|'webgpu'|'cpu'} [options.backend]  'auto': WebGPU on a hardware adapter, else
   *   the CPU; 'webgpu': WebGPU wherever there is an adapter, software ones too; 'cpu'
   * @param {number|null} [options.threads]  the CPU kernels' threads (null: one per core, at
   *   most four, where the page is cross-origin isolated)
   * @param {string|URL|null} [options.baseUrl]  the folder linseg's files are fetched from (the
   *   one holding www/ and models/; default: where this module is served from)
   */
  static async create(options = {}) {
    const segmenter = new Segmenter(options);
    try {
      await segmenter.start();
      await segmenter.setMode(segmenter.mode);
    } catch (err) {
      segmenter.close();
      throw LinsegError.from(err);
    }
    return segmenter;
  }

  /** Same options as `create`; call `start()` (or use `create`) before anything else. */
  constructor({ mode = DEFAULTS.mode, size = DEFAULTS.size, backend = 'auto', threads = null, baseUrl = null, fault = null } = {}) {
    if (!BACKENDS.includes(backend)) {
      throw new LinsegError('bad-option', `backend "${backend}" is not one linseg offers (${BACKENDS.join(', ')})`);
    }
    super({
      preferGpu: backend !== 'cpu',
      acceptSoftwareGpu: backend === 'webgpu',
      forcedReason: backend === 'cpu' ? 'the CPU backend was asked for' : null,
      threads,
      baseUrl,
      // A first photo in the segmenter's mode then waits for no weights and no first run.
      warmupMode: mode,
      fault,
    });
    /** The mode `segment` uses unless told otherwise. */
    this.mode = mode;
    /** The processing size `segment` uses unless told otherwise. */
    this.size = size;
    /** The last photo the library segmented: what lookAt looks into. */
    this.last = null;
    /** Whether a live-video frame is being segmented (segmentForVideo drops frames meanwhile). */
    this.videoBusy = false;
    /** Live-video frames dropped because the previous one was still running. */
    this.droppedFrames = 0;
    /** What the model offers, once started (see `modes`, `sizes`). */
    this.offered = null;
    this.catalogReady = null;
  }

  /** Starts the worker; resolves with the backend info once it is warm. */
  async start() {
    const started = super.start();
    this.catalogReady = this.catalog.then((catalog) => {
      this.offered = catalog;
    });
    const info = await started;
    await this.catalogReady;
    return info;
  }

  /** 'webgpu' or 'cpu': the backend that runs now (null before start). */
  get backend() {
    return this.info?.backend ?? null;
  }

  /** Why the segmenter runs where it does, in words. */
  get reason() {
    if (!this.info) return null;
    return this.info.fallbackReason ?? `WebGPU on ${this.info.adapter}`;
  }

  /** The attention modes, in the order the page lists them. */
  get modes() {
    return this.offered?.modes.slice() ?? [];
  }

  /** The processing sizes offered. */
  get sizes() {
    return this.offered?.sizes.slice() ?? [];
  }

  /** Every kind a LinsegError may have. */
  get errorKinds() {
    return this.offered?.errorKinds.slice() ?? [];
  }

  /**
   * Makes `mode` the one `segment` uses, loading nothing twice and reloading nothing; rejects
   * with 'unknown-mode' (the wasm's words) for a mode linseg does not have.
   */
  async setMode(mode) {
    const size = this.offered?.trainedSize ?? DEFAULTS.size;
    await this.costAt(mode, size, size, size);
    this.mode = mode;
  }

  /**
   * What `mode`'s attention block costs at `size` on a `width × height` photo (a square one by
   * default), and whether this backend refuses it: { flops, peakBytes, largestBufferBytes,
   * featureHeight, featureWidth, refusal, refusedBytes } (refusal: why not, or null).
   */
  async cost(mode, size, { width = size, height = size } = {}) {
    const { cost } = await this.costAt(mode, width, height, size);
    return cost;
  }

  /**
   * Segments a photo: `source` an ImageBitmap, ImageData, an <img>, <video> or <canvas>
   * element, an OffscreenCanvas, a VideoFrame, a Blob or File, or encoded bytes (ArrayBuffer,
   * Uint8Array). Resolves { width, height, mask, mode, size, backend, timings } — mask: a
   * Uint8ClampedArray, one 0–255 value per pixel of the photo at its own size (the
   * probability of a person × 255); with `probabilities: true` also `probabilities`, the
   * same as a Float32Array of 0–1.
   */
  async segment(source, { size = this.size, mode = this.mode, probabilities = false } = {}) {
    // The photo segmented last, again (another mode, another size): the worker still holds it
    // when it cannot have changed (a Blob, an ImageBitmap).
    const last = this.last;
    const again = last?.source === source && unchanging(source) && this.has(last.image.id);
    const image = again ? last.image : await this.#keep(source);
    let result;
    try {
      result = await this.segmentImage(image.id, mode, size);
    } catch (err) {
      // A worker replaced meanwhile (a crash, memory given back) has lost the photo: once more.
      if (err.kind !== 'not-ready' || this.has(image.id)) throw LinsegError.from(err);
      await this.#keep(source, image);
      result = await this.segmentImage(image.id, mode, size);
    }
    this.#forgetLast(image);
    this.last = { image, source, mode, size, prepared: false };
    return shape(result, probabilities);
  }

  /**
   * Segments a frame of a live stream (a <video>, a VideoFrame, an ImageBitmap, a canvas) if
   * none is running: resolves the result (as `segment`'s, with `timestampMs`) or, when the
   * previous frame is still running, null at once — frames are dropped, never queued.
   */
  async segmentForVideo(frame, timestampMs, { size = this.size, mode = this.mode, probabilities = false } = {}) {
    if (this.videoBusy) {
      this.droppedFrames += 1;
      return null;
    }
    this.videoBusy = true;
    try {
      const bitmap = await bitmapOf(frame);
      const result = await this.frame(bitmap, mode, size);
      return { ...shape(result, probabilities), timestampMs };
    } catch (err) {
      throw LinsegError.from(err);
    } finally {
      this.videoBusy = false;
    }
  }

  /**
   * The weights with which the attention block gathers context for the cell under the photo's
   * pixel (x, y), in the photo last segmented (or prepared with prepareLook): { column, row,
   * weights (a Float32Array of gridWidth × gridHeight, summing to 1), ms }, or null off the
   * photo and in mode 'none'.
   */
  async lookAt(x, y) {
    const last = this.last;
    if (last && !last.prepared) {
      await this.prepareLook(last.image.id, last.mode, last.size);
    }
    return super.lookAt(x, y);
  }

  /** Prepares "what does it look at?" for a photo the worker holds (see Engine.prepareLook). */
  async prepareLook(imageId, mode, size) {
    const prepared = await super.prepareLook(imageId, mode, size);
    if (this.last?.image.id === imageId && this.last.mode === mode && this.last.size === size) {
      this.last.prepared = true;
    } else {
      this.last = null;
    }
    return prepared;
  }

  /** Ends the worker and gives its memory back; every call after it rejects with 'closed'. */
  close() {
    super.close();
    this.last = null;
  }

  /** The worker's photo for `source`: `image` (kept again) or a new one. */
  async #keep(source, image = { id: `linseg-${nextImage++}` }) {
    const input = await inputOf(source, this.offered);
    const { width, height } = input.bytes
      ? await this.decode(image.id, input.bytes, { pixels: false })
      : await this.keepPixels(image.id, input);
    return Object.assign(image, { width, height });
  }

  /** Forgets the photo segmented before `image` (unless it is the same). */
  #forgetLast(image) {
    const previous = this.last?.image;
    if (previous && previous.id !== image.id) this.forget(previous.id);
  }
}

/** Whether `source`'s pixels cannot change between two calls: a Blob's or an ImageBitmap's. */
function unchanging(source) {
  return (typeof Blob !== 'undefined' && source instanceof Blob) || (typeof ImageBitmap !== 'undefined' && source instanceof ImageBitmap);
}

/** An engine's answer as the library's result. */
function shape(result, probabilities) {
  const { mask, width, height, mode, size, backend } = result;
  const clamped = new Uint8ClampedArray(mask.buffer, mask.byteOffset, mask.byteLength);
  const timings = {
    preprocessMs: result.preprocessMs,
    inferenceMs: result.inferenceMs,
    readbackMs: result.readbackMs,
    postprocessMs: result.postprocessMs,
    totalMs: result.totalMs,
  };
  const shaped = { width, height, mask: clamped, mode, size, backend, timings };
  if (probabilities) shaped.probabilities = Float32Array.from(clamped, (value) => value / 255);
  return shaped;
}

/**
 * What the worker takes for `source`: { bytes } for encoded bytes (a Blob read first), { bitmap }
 * for anything the browser draws, { rgba, width, height } for ImageData. Rejects with
 * 'too-large' for a file above the catalog's limit and 'bad-image' for what is no image.
 */
async function inputOf(source, offered) {
  if (source instanceof ArrayBuffer) return { bytes: new Uint8Array(source.slice(0)) };
  if (ArrayBuffer.isView(source)) {
    return { bytes: new Uint8Array(source.buffer.slice(source.byteOffset, source.byteOffset + source.byteLength)) };
  }
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    const limit = offered?.maxFileBytes;
    if (limit && source.size > limit) {
      throw new LinsegError('too-large', `the file is ${(source.size / 2 ** 20).toFixed(1)} MiB, above the limit of ${(limit / 2 ** 20).toFixed(0)} MiB`);
    }
    return { bytes: new Uint8Array(await source.arrayBuffer()) };
  }
  if (typeof ImageData !== 'undefined' && source instanceof ImageData) {
    const { width, height, data } = source;
    return { rgba: new Uint8Array(data), width, height };
  }
  return { bitmap: await bitmapOf(source) };
}

/** A fresh ImageBitmap (or VideoFrame copy) of something the browser draws; the caller's stays its own. */
async function bitmapOf(source) {
  if (typeof HTMLImageElement !== 'undefined' && source instanceof HTMLImageElement && !source.complete) {
    await source.decode().catch(() => {});
  }
  if (typeof HTMLVideoElement !== 'undefined' && source instanceof HTMLVideoElement && source.readyState < 2) {
    throw new LinsegError('not-ready', 'the video has no frame yet (wait for its loadeddata event)');
  }
  if (typeof VideoFrame !== 'undefined' && source instanceof VideoFrame) return source.clone();
  try {
    return await createImageBitmap(source);
  } catch (err) {
    const what = source?.constructor?.name ?? typeof source;
    throw new LinsegError('bad-image', `a ${what} is not an image linseg can read (${err.message})`);
  }
}
