// The model's home: a module Web Worker that owns the linseg WebAssembly instance, so that no
// model work ever runs on the page's thread. This file takes the page's requests (protocol.js)
// and answers them strictly one at a time; the jobs behind them live in their own modules:
//   worker-messages.js  errors and events to the page, the words of a panic
//   worker-module.js    which build of the module to load (WebGPU, CPU, threads), loading it
//   worker-engine.js    the running engine, the weights, moving to the CPU when WebGPU fails
//   worker-pixels.js    camera frames and the formats only the browser decodes
// A mode/size whose attention buffer is larger than the device allows is refused before it
// runs; when WebGPU fails mid-run the run is retried on the CPU.
// Owns: the request queue, the decoded photos, the runs and their timing. Must not touch: the
// page's state (it only answers).

import { WARMUP } from './config.js';
import { LinsegError } from './linseg-error.js';
import { emit, isDeviceFailure, messageOf, progress, replyError } from './worker-messages.js';
import { loadModule, loaded, requireModule, setBaseUrl, threadsFor } from './worker-module.js';
import { compiled, current, ensureWeights, fallBackToCpu, nameAdapter, prefetchWeights, requireEngine, startEngine } from './worker-engine.js';
import { browserDecode, framePixels } from './worker-pixels.js';

/**
 * A failure to simulate on the first photo's run, for the tests of the recovery paths
 * (?fault=…): 'device-lost' (WebGPU fails mid-run: the fallback to the CPU) or 'crash' (the
 * module traps mid-run: the engine's restart); null once taken, or when none was asked for.
 */
let fault = null;

/** Whether the simulated failure `kind` is due now; it is taken (happens once). */
function takeFault(kind) {
  if (fault !== kind) return false;
  fault = null;
  return true;
}

/** imageId -> { rgba, width, height }: decoded photos the page may ask to segment. */
const images = new Map();

// ---------------------------------------------------------------------------------------------
// One request at a time: every operation waits for the previous one to settle.

let tail = Promise.resolve();

function serial(task) {
  const run = tail.then(() => task());
  tail = run.catch(() => {});
  return run;
}

self.addEventListener('message', (event) => {
  const { id, op, args } = event.data ?? {};
  const handler = OPS[op];
  if (!handler) {
    replyError(id, new LinsegError('internal', `unknown request "${op}"`));
    return;
  }
  serial(() => handler(args ?? {})).then(
    ([value, transfer]) => self.postMessage({ id, ok: true, value }, transfer ?? []),
    (err) => replyError(id, err),
  );
});

// ---------------------------------------------------------------------------------------------
// Running the network. A run's cost is the engine's report ({ flops, peakBytes,
// largestBufferBytes, featureHeight, featureWidth, refusal, refusedBytes }); `refusal` says why
// it may not run here.

/** What a first run sets up for: the mode and the shapes (the feature map stands for them). */
function shapeKey(mode, cost) {
  return `${mode}:${cost.featureHeight}x${cost.featureWidth}`;
}

/**
 * The block's cost of `mode` at `size` here. Throws what the engine would throw for the run
 * (an unknown mode, a size not offered, 'refused' with the reason), before its weights load.
 */
function checkCost(mode, width, height, size) {
  current.engine.admit(mode, width, height, size);
  return current.engine.cost(mode, width, height, size);
}

/**
 * The engine's segment, timed from the call to the answer: `totalMs` becomes that, and
 * `boundaryMs` what it holds beyond the engine's own steps (the pixels copied in, the reply
 * built and copied out).
 */
async function timedSegment(rgba, width, height, mode, size) {
  const threads = current.backend.backend === 'cpu' ? threadsFor(size) : null;
  if (threads) loaded.linseg.limitThreads(threads);
  const called = performance.now();
  const result = await current.engine.segment(rgba, width, height, mode, size);
  const totalMs = performance.now() - called;
  const steps = result.preprocessMs + result.inferenceMs + result.readbackMs + result.postprocessMs;
  return { ...result, threads, totalMs, boundaryMs: Math.max(0, totalMs - steps) };
}

/**
 * Segments RGBA pixels with `mode` at `size` once the request passes the fit rule; when WebGPU
 * fails on the way, restarts on the CPU and runs there (checked again: the limits differ).
 * -> { result (the engine's reply, timed by timedSegment), cost, first (the first run of its
 *    mode and shape on this backend), fellBack }
 */
async function segmentPixels(rgba, width, height, mode, size, { loseDevice = false } = {}) {
  let cost = checkCost(mode, width, height, size);
  await ensureWeights(mode);
  let first = !compiled.has(shapeKey(mode, cost));
  let fellBack = false;
  let result;
  try {
    if (loseDevice && current.backend.backend === 'webgpu') {
      throw new LinsegError('backend-lost', 'the device failed: the GPU device was lost (simulated by ?fault=device-lost)');
    }
    result = await timedSegment(rgba, width, height, mode, size);
  } catch (err) {
    if (current.backend?.backend !== 'webgpu' || !isDeviceFailure(err)) throw err;
    await fallBackToCpu(err);
    fellBack = true;
    first = true;
    cost = checkCost(mode, width, height, size);
    await ensureWeights(mode);
    result = await timedSegment(rgba, width, height, mode, size);
  }
  compiled.add(shapeKey(mode, cost));
  return { result, cost, first, fellBack };
}

// ---------------------------------------------------------------------------------------------
// Operations.

const OPS = {
  /**
   * Loads the build of the module that start will use (see chooseBuild).
   * args: { gpu, threads, baseUrl, warmupMode } (as for start; gpu: the page's choice of build,
   *   www/gpu-choice.js; threads: the CPU's, null for one per core; baseUrl: the folder holding
   *   www/pkg/ and models/, null for the one above this worker's; warmupMode: the mode start
   *   warms up in, null for WARMUP.mode)
   * -> { modes, sizes, trainedSize, maxFileBytes, maxPixels, webgpu }: what the model offers
   *    (src/web/catalog.rs); webgpu: whether this build has WebGPU
   */
  async catalog({ gpu, threads = null, baseUrl = null, warmupMode = null }) {
    if (!loaded.linseg) {
      setBaseUrl(baseUrl);
      // The warm-up's weights download while the module is chosen, fetched and compiled.
      prefetchWeights(warmupMode ?? WARMUP.mode);
    }
    await loadModule({ gpu, threads, baseUrl });
    return [loaded.linseg.catalog()];
  },

  /**
   * args: { gpu, forcedReason, threads, baseUrl, warmupMode, fault } (forcedReason: why the page
   *   wants the CPU, shown as the fallback reason; the CPU build's own reason comes first;
   *   warmupMode: the mode whose weights are loaded and run once before ready, so that a first
   *   photo in it waits for nothing; WARMUP.mode when null or not a mode)
   * -> { ...backend info, warmupMs, warmupError, startSteps: { moduleMs, backendMs, weightsMs,
   *    warmupMs } } (startSteps: how long each step of starting took, from the worker's start)
   */
  async start({ gpu, forcedReason = null, threads = null, baseUrl = null, warmupMode = null, fault: simulate = null }) {
    fault = simulate;
    await loadModule({ gpu, threads, baseUrl });
    // The worker's clock starts with the worker: each step's end, for startSteps.
    const moduleAt = performance.now();
    const { webgpu: preferGpu, modes } = loaded.linseg.catalog();
    const warmup = { ...WARMUP, mode: modes.includes(warmupMode) ? warmupMode : WARMUP.mode };
    forcedReason = loaded.cpuBuildReason ?? forcedReason;

    progress('backend', preferGpu ? 'Requesting a WebGPU adapter…' : 'Starting the CPU backend…', 0.3);
    try {
      await startEngine(preferGpu, forcedReason);
      current.backend = nameAdapter(current.backend);
    } catch (err) {
      if (!preferGpu) throw new LinsegError('load-failed', `the CPU backend could not start: ${messageOf(err)}`);
      await startEngine(false, `WebGPU could not start: ${messageOf(err)}`);
    }
    emit('backend', { info: current.backend });
    const backendAt = performance.now();
    let weightsAt = null;

    let warmupError = null;
    let warmupMs = null;
    try {
      progress('weights', `Loading the weights for "${warmup.mode}"…`, 0.5);
      await ensureWeights(warmup.mode, true);
      weightsAt = performance.now();
      progress(
        'warmup',
        current.backend.backend === 'webgpu' ? 'Warming up: compiling shaders…' : 'Warming up…',
        0.7,
      );
      const { width, height, grey, mode, size } = warmup;
      const blank = new Uint8Array(width * height * 4).fill(grey);
      for (let i = 3; i < blank.length; i += 4) blank[i] = 255;
      const started = performance.now();
      await segmentPixels(blank, width, height, mode, size);
      warmupMs = performance.now() - started;
    } catch (err) {
      if (err instanceof WebAssembly.RuntimeError) throw err;
      warmupError = `warm-up failed: ${messageOf(err)}`;
    }
    progress('ready', warmupError ? 'Ready, but the warm-up failed.' : 'Ready.', 1);
    const startSteps = {
      moduleMs: moduleAt,
      backendMs: backendAt - moduleAt,
      weightsMs: weightsAt == null ? null : weightsAt - backendAt,
      warmupMs,
    };
    return [{ ...current.backend, warmupMs, warmupError, startSteps }];
  },

  /**
   * args: { imageId, bytes, maxPixels, pixels } -> { width, height, rgba } (the worker keeps the
   * photo; rgba, a copy of its pixels, only when `pixels`, else null).
   * The wasm decodes JPEG, PNG, GIF, WebP and BMP (as the CLI does); an image format it does
   * not read but a browser may (AVIF, HEIC, …: the wasm's browserFormat) goes to the browser.
   */
  async decode({ imageId, bytes, maxPixels, pixels = true }) {
    requireModule();
    let decoded;
    try {
      decoded = loaded.linseg.decodeImage(bytes, maxPixels);
    } catch (err) {
      const format = !(err instanceof WebAssembly.RuntimeError) && loaded.linseg.browserFormat(bytes);
      if (!format) throw err;
      decoded = await browserDecode(bytes, maxPixels, format);
    }
    const { width, height, rgba } = decoded;
    images.set(imageId, decoded);
    if (!pixels) return [{ width, height, rgba: null }];
    const copy = rgba.slice();
    return [{ width, height, rgba: copy }, [copy.buffer]];
  },

  /**
   * Keeps pixels the page already has as a photo to segment: a bitmap (ImageBitmap or
   * VideoFrame, transferred and closed here) or RGBA bytes (transferred).
   * args: { imageId, maxPixels, bitmap } or { imageId, maxPixels, rgba, width, height }
   * -> { width, height }
   */
  async pixels({ imageId, maxPixels, bitmap = null, rgba = null, width, height }) {
    requireModule();
    if (bitmap) {
      width = bitmap.displayWidth ?? bitmap.width;
      height = bitmap.displayHeight ?? bitmap.height;
      try {
        loaded.linseg.checkPixels(width, height, maxPixels);
        rgba = framePixels(bitmap);
      } finally {
        bitmap.close();
      }
    } else {
      loaded.linseg.checkPixels(width, height, maxPixels);
    }
    images.set(imageId, { rgba, width, height });
    return [{ width, height }];
  },

  /** args: { imageId } -> true when it was known */
  async forget({ imageId }) {
    return [images.delete(imageId)];
  },

  /** args: { mode, width, height, size } -> { cost, refusal } */
  async cost({ mode, width, height, size }) {
    requireEngine();
    const cost = current.engine.cost(mode, width, height, size);
    return [{ cost, refusal: cost.refusal }];
  },

  /**
   * A camera frame (www/camera.js): the bitmap is transferred, read and closed here, never kept.
   * args: { bitmap: ImageBitmap | VideoFrame, mode, size }
   * -> { mask, width, height, mode, size, backend, cost, readMs, preprocessMs, inferenceMs,
   *      readbackMs, postprocessMs, boundaryMs, totalMs }   (readMs: the bitmap to RGBA; the
   *      rest as for segment)
   */
  async frame({ bitmap, mode, size }) {
    requireEngine();
    const started = performance.now();
    let rgba;
    const width = bitmap.displayWidth ?? bitmap.width;
    const height = bitmap.displayHeight ?? bitmap.height;
    try {
      rgba = framePixels(bitmap);
    } finally {
      bitmap.close();
    }
    const readMs = performance.now() - started;
    const { result, cost } = await segmentPixels(rgba, width, height, mode, size);
    const { mask, ...times } = result;
    return [{ mask, width, height, mode, size, backend: current.backend.backend, cost, readMs, ...times }, [mask.buffer]];
  },

  /**
   * "What does it look at?" (src/look.rs): the photo through the encoder of `mode`'s network at
   * `size`, the block's queries and keys read back and kept for lookAt.
   * args: { imageId, mode, size } -> { gridWidth, gridHeight, cellWidth, cellHeight, attends, ms }
   */
  async look({ imageId, mode, size }) {
    requireEngine();
    const image = images.get(imageId);
    if (!image) throw new LinsegError('not-ready', `no decoded photo with id ${imageId}`);
    await ensureWeights(mode);
    return [await current.engine.prepareLook(image.rgba, image.width, image.height, mode, size)];
  },

  /**
   * args: { x, y } (the photo's pixels) -> { column, row, weights: Float32Array, ms } for the
   * cell under (x, y) in the photo last prepared by look; null off the photo or in mode none.
   */
  async lookAt({ x, y }) {
    requireEngine();
    const looked = current.engine.lookAt(x, y);
    if (!looked) return [null];
    const weights = Float32Array.from(looked.weights);
    return [{ ...looked, weights }, [weights.buffer]];
  },

  /**
   * args: { imageId, mode, size }
   * -> { mask, width, height, mode, size, backend, threads, first, fellBack, cost,
   *      preprocessMs, inferenceMs, readbackMs, postprocessMs, boundaryMs, totalMs, profile,
   *      memoryBytes }   (threads: what the CPU kernels ran on, see threadsFor; null on WebGPU)
   *   totalMs: from the call into the module to its answer; boundaryMs: what that holds beyond
   *   the module's own steps (copies in and out)
   *   profile: [{ step, layers, ms }] on the CPU kernels (inference per kind of layer), or null
   *   memoryBytes: the wasm memory's size after the run (it never shrinks; see engine.js)
   */
  async segment({ imageId, mode, size }) {
    requireEngine();
    const image = images.get(imageId);
    if (!image) throw new LinsegError('not-ready', `no decoded photo with id ${imageId}`);
    const { rgba, width, height } = image;
    if (takeFault('crash')) throw new WebAssembly.RuntimeError('unreachable executed (simulated by ?fault=crash)');

    const { result, cost, first, fellBack } = await segmentPixels(rgba, width, height, mode, size, {
      loseDevice: takeFault('device-lost'),
    });
    const { mask, ...times } = result;
    return [
      {
        mask, width, height, mode, size, backend: current.backend.backend, first, fellBack, cost,
        ...times, memoryBytes: loaded.memory.buffer.byteLength,
      },
      [mask.buffer],
    ];
  },
};

