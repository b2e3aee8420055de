// The model's home: a module Web Worker that owns the linseg WebAssembly instance, so that no
// model work ever runs on the page's thread.
//
// It loads the module (the full build or the CPU build; counting its bytes as they arrive, for
// the page's progress line), starts Burn on WebGPU or the CPU, warms up (compiling the shaders
// on a small blank image), loads each mode's weights once (fetched bytes are cached, so a restart
// does not fetch again), keeps the decoded photos, and answers requests strictly one at a time.
// A mode/size whose attention buffer is larger than the device allows is refused before it
// runs. When WebGPU reports 'device lost' or 'out of memory' (or the wasm's "the device failed"),
// it restarts on the CPU with start(false), reloads the weights, tells the page and retries the
// request there.
//
// Messages in:  { id, op, args }   op: catalog | start | decode | forget | cost | segment | frame |
//                                      look | lookAt
// Messages out: { id, ok: true, value } | { id, ok: false, error: { message, kind } }
//               { event: 'progress' | 'backend' | 'fallback', ... }   (see engine.js)

import { WARMUP } from './config.js';
import { countedResponse } from './download.js';

/** The wasm-bindgen module namespace, once loaded. */
let linseg = null;
/** The instance's memory (it only grows; the page replaces the worker to give it back). */
let wasmMemory = null;
/** The running linseg.Engine (src/web.rs): the device and the networks loaded on it. */
let engine = null;
/**
 * { backend: 'webgpu'|'cpu', adapter, fallbackReason, maxBufferBytes, threads, threadsNote,
 * threadsLimited } of the running engine (threads: the CPU kernels', null on WebGPU; see
 * cpuThreading).
 */
let backend = null;
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

/** mode -> Uint8Array: weight files fetched so far (kept to reload after a restart). */
const weightBytes = new Map();
/** imageId -> { rgba, width, height }: decoded photos the page may ask to segment. */
const images = new Map();
/**
 * Mode and feature-map shapes already run on this backend: later runs compile no shaders
 * (WebGPU) and find the memory they need already grown (CPU).
 */
const compiled = new Set();

/** An error whose `kind` tells the page how to present it. */
class WorkerError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

// ---------------------------------------------------------------------------------------------
// Panics. A Rust panic reaches the console (console_error_panic_hook) and then traps as a bare
// "RuntimeError: unreachable"; the panic's own words ("wgpu error: Out of Memory") are kept so
// that the page can say what happened.

let lastPanic = null;
const consoleError = console.error.bind(console);
console.error = (...args) => {
  const text = args.map(String).join(' ');
  const match = /panicked at [^\n]*\n([^\n]+)/.exec(text);
  if (match) lastPanic = match[1].trim();
  consoleError(...args);
};

/** The message of a trap, with the panic's words when there were any. */
function trapMessage(err) {
  const panic = lastPanic;
  lastPanic = null;
  return panic ? `the WebAssembly module panicked: ${panic}` : messageOf(err);
}

// A trap inside a task the wasm spawned has no request to answer: tell the page before the
// error reaches it, so that its restart names the cause.
self.addEventListener('error', (event) => {
  if (event.error instanceof WebAssembly.RuntimeError || /RuntimeError/.test(event.message)) {
    emit('panic', { message: trapMessage(event.error ?? event.message) });
  }
});

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
    replyError(id, new WorkerError('error', `unknown request "${op}"`));
    return;
  }
  serial(() => handler(args ?? {})).then(
    ([value, transfer]) => self.postMessage({ id, ok: true, value }, transfer ?? []),
    (err) => replyError(id, err),
  );
});

function replyError(id, err) {
  // A Rust panic traps the instance; its state can no longer be trusted.
  const trapped = err instanceof WebAssembly.RuntimeError;
  const kind = trapped ? 'crashed' : err instanceof WorkerError ? err.kind : 'error';
  const message = trapped ? trapMessage(err) : messageOf(err);
  self.postMessage({ id, ok: false, error: { message, kind } });
}

function emit(event, detail) {
  self.postMessage({ event, ...detail });
}

/** A loading step; `bytes` ({ loaded, total }) when it is a download. */
function progress(stage, message, fraction, bytes = {}) {
  emit('progress', { stage, message, fraction, ...bytes });
}

/** Fetches `url`; throws a WorkerError of `kind` that names `what` unless the answer is ok. */
async function fetchOk(url, kind, what) {
  let response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new WorkerError(kind, `${what} could not be fetched from ${url.pathname}: ${messageOf(err)}`);
  }
  if (!response.ok) {
    throw new WorkerError(kind, `${what} could not be fetched: ${url.pathname} answered ${response.status} ${response.statusText}`.trim());
  }
  return response;
}

/** The response with its download reported as 'progress' events of `stage`. */
function reported(response, stage, message, fraction) {
  return countedResponse(response, (loaded, total) => progress(stage, message, fraction, { loaded, total }));
}

// ---------------------------------------------------------------------------------------------
// Module, backend, weights.

/**
 * Which build of the module to load, and why it is the CPU build when it is: the full build
 * (www/pkg/linseg.js: WebGPU, the CPU as its fallback) where WebGPU will be used, the CPU build
 * (linseg_cpu.js, a fifth of the size) where it will not: asked for the CPU, no WebGPU in this
 * browser, or a software adapter the page passes over.
 * -> { name: 'linseg' | 'linseg_cpu', reason: string | null }
 */
async function chooseBuild({ preferGpu, acceptSoftwareGpu }) {
  const cpu = (reason) => ({ name: 'linseg_cpu', reason });
  if (!preferGpu) return cpu(null);
  if (!self.navigator.gpu) return cpu('this browser has no WebGPU');
  let adapter = null;
  try {
    adapter = await self.navigator.gpu.requestAdapter();
  } catch {
    // As good as none.
  }
  gpuAdapter = adapter;
  if (!adapter) return cpu('this browser offers no WebGPU adapter');
  const software = acceptSoftwareGpu ? null : softwareName(adapter);
  if (software) return cpu(`WebGPU here is software (${software}), slower than the CPU`);
  return { name: 'linseg', reason: null };
}

/**
 * The adapter's name when it is a software fallback (SwiftShader, in Chromium without a usable
 * GPU), else null. Such an adapter runs WebGPU on the CPU, 13–40× slower than the wasm CPU
 * backend on the development machine.
 */
function softwareName(adapter) {
  const info = adapter.info;
  if (!(info?.isFallbackAdapter ?? adapter.isFallbackAdapter)) return null;
  const words = [info?.vendor, info?.architecture].filter((word) => word && typeof word === 'string');
  return words.length ? words.join(' ') : 'the browser’s fallback adapter';
}

/** The most threads the threaded CPU build starts unasked (the camera's workers share the cores). */
const MAX_THREADS = 4;
/** The most it starts when asked (?threads=N). */
const MAX_REQUESTED_THREADS = 16;

/**
 * How many threads the CPU kernels split each layer among, and why one when it is one: several
 * only in a cross-origin isolated page, the one place browsers let WebAssembly threads share
 * memory (a SharedArrayBuffer). `requested`: a number, or null for one per core (at most
 * MAX_THREADS). -> { threads, note, limited } (limited: more were wanted than the page allows)
 */
function cpuThreading(requested) {
  const wanted = requested
    ? Math.min(requested, MAX_REQUESTED_THREADS)
    : Math.min(MAX_THREADS, self.navigator.hardwareConcurrency || 1);
  if (wanted <= 1) {
    return { threads: 1, note: requested === 1 ? 'one thread, as asked' : 'one thread: one core', limited: false };
  }
  if (!self.crossOriginIsolated) {
    const note = 'one thread: the page is not cross-origin isolated, so WebAssembly threads cannot share memory';
    return { threads: 1, note, limited: true };
  }
  return { threads: wanted, note: null, limited: false };
}

/** Why the loaded module is the CPU build although WebGPU was wanted (see chooseBuild), or null. */
let cpuBuildReason = null;
/** { threads, note, limited } of the loaded module's CPU kernels (see cpuThreading). */
let threading = { threads: 1, note: null, limited: false };
/** The browser's WebGPU adapter chooseBuild looked at (for its name), or null. */
let gpuAdapter = null;

/**
 * Loads the build of the module `options` call for (see chooseBuild), once; on the CPU, the
 * threaded build with its pool of threads where cpuThreading allows it, the one-thread build
 * where it does not or where the threads fail to start.
 */
async function loadModule(options) {
  if (linseg) return;
  const build = await chooseBuild(options);
  cpuBuildReason = build.reason;
  threading = build.name === 'linseg'
    ? { threads: 1, note: 'one thread: the CPU fallback of the WebGPU build', limited: false }
    : cpuThreading(options.threads ?? null);
  progress('module', 'Loading the WebAssembly module…', 0.1);
  if (threading.threads > 1) {
    try {
      await instantiate('linseg_cpu_threads');
      await linseg.initThreadPool(threading.threads);
      return;
    } catch (err) {
      linseg = null;
      threading = { threads: 1, note: `one thread: threads could not start (${messageOf(err)})`, limited: true };
    }
  }
  try {
    await instantiate(build.name);
  } catch (err) {
    throw new WorkerError(
      'module',
      `the WebAssembly module could not be loaded: ${messageOf(err)}` +
        ' (build it with `npm run build`, which writes www/pkg/)',
    );
  }
}

/** Fetches, compiles and instantiates www/pkg/`name`.js and its wasm (streamed, its bytes counted). */
async function instantiate(name) {
  const module = await import(`./pkg/${name}.js`);
  const url = new URL(`./pkg/${name}_bg.wasm`, import.meta.url);
  const response = reported(await fetchOk(url, 'module', 'its file'), 'module', 'Downloading the model’s code:', 0.1);
  // Compiled while it streams in (the response is application/wasm).
  const exports = await module.default({ module_or_path: response });
  wasmMemory = exports.memory;
  linseg = module;
}

function requireModule() {
  if (!linseg) throw new WorkerError('module', 'the WebAssembly module is not loaded');
}

function requireEngine() {
  if (!engine) throw new WorkerError('module', 'the engine has not started');
}

function weightsUrl(mode) {
  return new URL(`../models/selfie-${mode}.bpk`, import.meta.url);
}

/**
 * Loads `mode`'s weights into the engine unless they are there; fetches each file once. While
 * the model starts (`reportBytes`), the download is reported as progress; later ones are not,
 * as the progress line is gone by then.
 */
async function ensureWeights(mode, reportBytes = false) {
  if (engine.hasWeights(mode)) return;
  let bytes = weightBytes.get(mode);
  if (!bytes) {
    const url = weightsUrl(mode);
    const response = await fetchOk(url, 'weights', `the weights for "${mode}"`);
    const body = reportBytes ? reported(response, 'weights', `Downloading the weights for "${mode}":`, 0.5) : response;
    bytes = new Uint8Array(await body.arrayBuffer());
    weightBytes.set(mode, bytes);
  }
  try {
    engine.loadWeights(mode, bytes);
  } catch (err) {
    throw new WorkerError('weights', `the weights for "${mode}" could not be loaded: ${messageOf(err)}`);
  }
}

/** Reloads every weight file fetched so far (after the backend restarted). */
function reloadWeights() {
  for (const [mode, bytes] of weightBytes) {
    if (!engine.hasWeights(mode)) engine.loadWeights(mode, bytes);
  }
}

/** The text of whatever the wasm threw (an Error, or a plain string from a JsValue). */
function messageOf(err) {
  return err?.message != null ? String(err.message) : String(err);
}

/** A failure of the GPU device itself (the contract's 'device lost' / 'out of memory', and the
 *  wasm's "the device failed: …" from a failed readback), as opposed to a bad request. */
function isDeviceFailure(err) {
  return /device (was )?lost|devicelost|out of memory|outofmemory|the device failed/i.test(messageOf(err));
}

/**
 * The adapter's name. wgpu cannot read names from a browser's adapter (they come back empty),
 * so when the wasm has none, the browser's GPUAdapterInfo supplies one (e.g. "google swiftshader").
 */
async function nameAdapter(info) {
  if (info.backend !== 'webgpu' || (info.adapter && info.adapter !== 'unnamed adapter')) return info;
  try {
    const adapter = gpuAdapter ?? (await self.navigator.gpu?.requestAdapter());
    const details = adapter?.info;
    const words = [details?.vendor, details?.architecture, details?.device, details?.description]
      .filter((word) => word && typeof word === 'string');
    if (words.length) return { ...info, adapter: [...new Set(words)].join(' ') };
  } catch {
    // Keep the wasm's word for it.
  }
  return info;
}

/**
 * Replaces the engine with a new one (on WebGPU when `preferGpu`), freeing the old one's
 * memory; `forcedReason` says why it is on the CPU when the wasm's own reason is not the point.
 */
async function startEngine(preferGpu, forcedReason = null) {
  engine?.free();
  engine = null;
  engine = await linseg.Engine.start(Boolean(preferGpu));
  const info = engine.backend();
  const onCpu = info.backend === 'cpu';
  backend = {
    ...info,
    fallbackReason: onCpu ? (forcedReason ?? info.fallbackReason) : null,
    threads: onCpu ? threading.threads : null,
    threadsNote: onCpu ? threading.note : null,
    threadsLimited: onCpu && threading.limited,
  };
  compiled.clear();
}

/** WebGPU failed: restart on the CPU, reload the weights, tell the page. */
async function fallBackToCpu(err) {
  const cause = messageOf(err);
  const reason = `WebGPU failed (${cause}); restarted on the CPU`;
  emit('fallback', { reason });
  await startEngine(false, reason);
  reloadWeights();
  emit('backend', { info: backend });
}

// ---------------------------------------------------------------------------------------------
// Running the network. A run's cost is the engine's report ({ flops, peakBytes,
// largestBufferBytes, featureHeight, featureWidth, refusal, refusedBytes }); `refusal` says why
// it may not run here.

/** What a first run sets up for: the mode and the shapes (the feature map stands for them). */
function shapeKey(mode, cost) {
  return `${mode}:${cost.featureHeight}x${cost.featureWidth}`;
}

/** The block's cost of `mode` at `size` here; throws 'refused' with the engine's reason. */
function checkCost(mode, width, height, size) {
  let cost;
  try {
    cost = engine.cost(mode, width, height, size);
  } catch (err) {
    if (err instanceof WebAssembly.RuntimeError) throw err;
    throw new WorkerError('input', messageOf(err));
  }
  if (cost.refusal) throw new WorkerError('refused', cost.refusal);
  return cost;
}

/**
 * The engine's segment, timed from the call to the answer: `totalMs` becomes that, and
 * `boundaryMs` what it holds beyond the engine's own steps (the pixels copied in, the reply
 * built and copied out).
 */
async function timedSegment(rgba, width, height, mode, size) {
  const called = performance.now();
  const result = await engine.segment(rgba, width, height, mode, size);
  const totalMs = performance.now() - called;
  const steps = result.preprocessMs + result.inferenceMs + result.readbackMs + result.postprocessMs;
  return { ...result, totalMs, boundaryMs: Math.max(0, totalMs - steps) };
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
    if (loseDevice && backend.backend === 'webgpu') {
      throw new Error('the device failed: the GPU device was lost (simulated by ?fault=device-lost)');
    }
    result = await timedSegment(rgba, width, height, mode, size);
  } catch (err) {
    if (backend?.backend !== 'webgpu' || !isDeviceFailure(err)) throw err;
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
// Camera frames: one reusable OffscreenCanvas turns a bitmap (or a VideoFrame) into RGBA.

/** The OffscreenCanvas camera frames are read through (resized to each frame). */
let frameCanvas = null;

/** A bitmap's pixels as RGBA bytes (a view on the ImageData's own buffer, no copy). */
function framePixels(bitmap) {
  const width = bitmap.displayWidth ?? bitmap.width;
  const height = bitmap.displayHeight ?? bitmap.height;
  if (!width || !height) throw new WorkerError('input', 'the camera frame is empty');
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

// ---------------------------------------------------------------------------------------------
// The browser's decoder, for image formats the wasm does not read (AVIF in most browsers,
// HEIC in Safari): upright (EXIF orientation applied, as the wasm does), alpha not
// premultiplied, the same pixel limit, checked from the bitmap's size before its pixels are read.

/** { width, height, rgba } of `bytes` in `format` ("AVIF"), or a WorkerError('input') that says
 *  this browser cannot read it. */
async function browserDecode(bytes, maxPixels, format) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes]), {
      imageOrientation: 'from-image',
      premultiplyAlpha: 'none',
      colorSpaceConversion: 'none',
    });
  } catch {
    throw new WorkerError('input', `${format} is not supported by this browser`);
  }
  try {
    const { width, height } = bitmap;
    if (!width || !height) throw new WorkerError('input', `the ${format} is damaged (it has no pixels)`);
    const refusal = linseg.pixelLimit(width, height, maxPixels);
    if (refusal) throw new WorkerError('input', refusal);
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(bitmap, 0, 0);
    const pixels = ctx.getImageData(0, 0, width, height);
    return { width, height, rgba: new Uint8Array(pixels.data.buffer) };
  } finally {
    bitmap.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Operations.

const OPS = {
  /**
   * Loads the build of the module that start will use (see chooseBuild).
   * args: { preferGpu, acceptSoftwareGpu, threads } (as for start; threads: the CPU's, null for
   *   one per core)
   * -> { modes, sizes, trainedSize, maxFileBytes, maxPixels, webgpu }: what the model offers
   *    (src/web.rs); webgpu: whether this build has WebGPU
   */
  async catalog({ preferGpu = true, acceptSoftwareGpu = false, threads = null }) {
    await loadModule({ preferGpu, acceptSoftwareGpu, threads });
    return [linseg.catalog()];
  },

  /** args: { preferGpu, acceptSoftwareGpu, forcedReason, threads, fault } -> { ...backend info, warmupMs, warmupError } */
  async start({ preferGpu = true, acceptSoftwareGpu = false, forcedReason = null, threads = null, fault: simulate = null }) {
    fault = simulate;
    await loadModule({ preferGpu, acceptSoftwareGpu, threads });
    if (preferGpu && !linseg.catalog().webgpu) {
      preferGpu = false;
      forcedReason = cpuBuildReason;
    }

    progress('backend', preferGpu ? 'Requesting a WebGPU adapter…' : 'Starting the CPU backend…', 0.3);
    try {
      await startEngine(preferGpu, forcedReason);
      backend = await nameAdapter(backend);
    } catch (err) {
      if (!preferGpu) throw new WorkerError('backend', `the CPU backend could not start: ${messageOf(err)}`);
      await startEngine(false, `WebGPU could not start: ${messageOf(err)}`);
    }
    emit('backend', { info: backend });

    let warmupError = null;
    let warmupMs = null;
    try {
      progress('weights', `Loading the weights for "${WARMUP.mode}"…`, 0.5);
      await ensureWeights(WARMUP.mode, true);
      progress(
        'warmup',
        backend.backend === 'webgpu' ? 'Warming up: compiling shaders…' : 'Warming up…',
        0.7,
      );
      const { width, height, grey, mode, size } = WARMUP;
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
    return [{ ...backend, warmupMs, warmupError }];
  },

  /**
   * args: { imageId, bytes, maxPixels } -> { width, height, rgba } (the worker keeps a copy).
   * The wasm decodes JPEG, PNG, GIF, WebP and BMP (as the CLI does); an image format it does
   * not read but a browser may (AVIF, HEIC, …: the wasm's browserFormat) goes to the browser.
   */
  async decode({ imageId, bytes, maxPixels }) {
    requireModule();
    let decoded;
    try {
      decoded = linseg.decodeImage(bytes, maxPixels);
    } catch (err) {
      if (err instanceof WebAssembly.RuntimeError) throw err;
      const format = linseg.browserFormat(bytes);
      if (!format) throw new WorkerError('input', messageOf(err));
      decoded = await browserDecode(bytes, maxPixels, format);
    }
    const { width, height, rgba } = decoded;
    images.set(imageId, decoded);
    const copy = rgba.slice();
    return [{ width, height, rgba: copy }, [copy.buffer]];
  },

  /** args: { imageId } -> true when it was known */
  async forget({ imageId }) {
    return [images.delete(imageId)];
  },

  /** args: { mode, width, height, size } -> { cost, refusal } */
  async cost({ mode, width, height, size }) {
    requireEngine();
    const cost = engine.cost(mode, width, height, size);
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
    return [{ mask, width, height, mode, size, backend: backend.backend, cost, readMs, ...times }, [mask.buffer]];
  },

  /**
   * "What does it look at?" (src/look.rs): the photo through the encoder of `mode`'s network at
   * `size`, the block's queries and keys read back and kept for lookAt.
   * args: { imageId, mode, size } -> { gridWidth, gridHeight, cellWidth, cellHeight, attends, ms }
   */
  async look({ imageId, mode, size }) {
    requireEngine();
    const image = images.get(imageId);
    if (!image) throw new WorkerError('unknown-image', `no decoded photo with id ${imageId}`);
    await ensureWeights(mode);
    return [await engine.prepareLook(image.rgba, image.width, image.height, mode, size)];
  },

  /**
   * args: { x, y } (the photo's pixels) -> { column, row, weights: Float32Array, ms } for the
   * cell under (x, y) in the photo last prepared by look; null off the photo or in mode none.
   */
  async lookAt({ x, y }) {
    requireEngine();
    const looked = engine.lookAt(x, y);
    if (!looked) return [null];
    const weights = Float32Array.from(looked.weights);
    return [{ ...looked, weights }, [weights.buffer]];
  },

  /**
   * args: { imageId, mode, size }
   * -> { mask, width, height, mode, size, backend, threads, first, fellBack, cost,
   *      preprocessMs, inferenceMs, readbackMs, postprocessMs, boundaryMs, totalMs, profile,
   *      memoryBytes }   (threads: the CPU kernels', null on WebGPU)
   *   totalMs: from the call into the module to its answer; boundaryMs: what that holds beyond
   *   the module's own steps (copies in and out)
   *   profile: [{ step, layers, ms }] on the CPU kernels (inference per kind of layer), or null
   *   memoryBytes: the wasm memory's size after the run (it never shrinks; see engine.js)
   */
  async segment({ imageId, mode, size }) {
    requireEngine();
    const image = images.get(imageId);
    if (!image) throw new WorkerError('unknown-image', `no decoded photo with id ${imageId}`);
    const { rgba, width, height } = image;
    if (takeFault('crash')) throw new WebAssembly.RuntimeError('unreachable executed (simulated by ?fault=crash)');

    const { result, cost, first, fellBack } = await segmentPixels(rgba, width, height, mode, size, {
      loseDevice: takeFault('device-lost'),
    });
    const { mask, ...times } = result;
    return [
      {
        mask, width, height, mode, size, backend: backend.backend, threads: backend.threads, first, fellBack, cost,
        ...times, memoryBytes: wasmMemory.buffer.byteLength,
      },
      [mask.buffer],
    ];
  },
};
