// The model's home: a module Web Worker that owns the linseg WebAssembly instance, so that no
// model work ever runs on the page's thread.
//
// It loads the module, starts Burn on WebGPU or the CPU, warms up (compiling the shaders on a
// small blank image), loads each mode's weights once (fetched bytes are cached, so a restart
// does not fetch again), keeps the decoded photos, and answers requests strictly one at a time.
// A mode/size whose attention buffer is larger than the device allows is refused before it
// runs. When WebGPU reports 'device lost' or 'out of memory' (or the wasm's "the device failed"),
// it restarts on the CPU with start(false), reloads the weights, tells the page and retries the
// request there.
//
// Messages in:  { id, op, args }   op: start | decode | forget | cost | segment | frame
// Messages out: { id, ok: true, value } | { id, ok: false, error: { message, kind } }
//               { event: 'progress' | 'backend' | 'fallback', ... }   (see engine.js)

import { CPU_BLOCK_LIMIT_BYTES, WARMUP } from './config.js';
import { formatBytes } from './format.js';

/** The wasm-bindgen module namespace, once loaded. */
let linseg = null;
/** { backend: 'webgpu'|'cpu', adapter, fallbackReason, maxBufferBytes } of the running backend. */
let backend = null;
/** mode -> Uint8Array: weight files fetched so far (kept to reload after a restart). */
const weightBytes = new Map();
/** imageId -> { rgba, width, height }: decoded photos the page may ask to segment. */
const images = new Map();
/** Mode and feature-map shapes already run on this backend: later runs compile no shaders. */
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

function progress(stage, message, fraction) {
  emit('progress', { stage, message, fraction });
}

// ---------------------------------------------------------------------------------------------
// Reading what the wasm returns: plain objects, Maps or wasm-bindgen classes with getters.

function field(object, key) {
  if (object == null) return undefined;
  if (object instanceof Map) return object.get(key);
  return object[key];
}

/** A number from a number or a BigInt (u64 fields may arrive as either). */
function num(value) {
  return value == null ? null : Number(value);
}

function backendInfo(raw, forcedReason) {
  const kind = field(raw, 'backend') === 'webgpu' ? 'webgpu' : 'cpu';
  const reason = field(raw, 'fallbackReason') ?? null;
  return {
    backend: kind,
    adapter: field(raw, 'adapter') ?? '',
    fallbackReason: kind === 'cpu' ? (forcedReason ?? reason ?? null) : null,
    maxBufferBytes: kind === 'webgpu' ? num(field(raw, 'maxBufferBytes')) : null,
  };
}

function costInfo(raw) {
  return {
    flops: num(field(raw, 'flops')),
    peakBytes: num(field(raw, 'peakBytes')),
    largestBufferBytes: num(field(raw, 'largestBufferBytes')),
    featureHeight: num(field(raw, 'featureHeight')),
    featureWidth: num(field(raw, 'featureWidth')),
  };
}

/** The CPU kernels' inference per kind of layer: [{ step, layers, ms }], or null on WebGPU. */
function profileOf(raw) {
  if (raw == null) return null;
  return Array.from(raw, (entry) => ({
    step: String(field(entry, 'step')),
    layers: num(field(entry, 'layers')),
    ms: num(field(entry, 'ms')),
  }));
}

/** A Uint8Array that owns its whole buffer, so it can be transferred to the page. */
function owned(bytes) {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return whole && bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice();
}

// ---------------------------------------------------------------------------------------------
// Module, backend, weights.

async function loadModule() {
  if (linseg) return;
  try {
    const module = await import('./pkg/linseg.js');
    await module.default();
    linseg = module;
  } catch (err) {
    throw new WorkerError(
      'module',
      `the WebAssembly module could not be loaded: ${messageOf(err)}` +
        ' (build it with `npm run build`, which writes www/pkg/)',
    );
  }
}

function requireModule() {
  if (!linseg) throw new WorkerError('module', 'the WebAssembly module is not loaded');
}

function weightsUrl(mode) {
  return new URL(`../models/selfie-${mode}.bpk`, import.meta.url);
}

/** Loads `mode`'s weights into the wasm unless they are there; fetches each file once. */
async function ensureWeights(mode) {
  if (linseg.hasWeights(mode)) return;
  let bytes = weightBytes.get(mode);
  if (!bytes) {
    const url = weightsUrl(mode);
    let response;
    try {
      response = await fetch(url);
    } catch (err) {
      throw new WorkerError('weights', `the weights for "${mode}" could not be fetched from ${url.pathname}: ${messageOf(err)}`);
    }
    if (!response.ok) {
      throw new WorkerError(
        'weights',
        `the weights for "${mode}" are missing: ${url.pathname} answered ${response.status} ${response.statusText}`.trim(),
      );
    }
    bytes = new Uint8Array(await response.arrayBuffer());
    weightBytes.set(mode, bytes);
  }
  try {
    linseg.loadWeights(mode, bytes);
  } catch (err) {
    throw new WorkerError('weights', `the weights for "${mode}" could not be loaded: ${messageOf(err)}`);
  }
}

/** Reloads every weight file fetched so far (after the backend restarted). */
function reloadWeights() {
  for (const [mode, bytes] of weightBytes) {
    if (!linseg.hasWeights(mode)) linseg.loadWeights(mode, bytes);
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
    const adapter = await self.navigator.gpu?.requestAdapter();
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
 * The name of the browser's WebGPU adapter when it is a software fallback (SwiftShader, in
 * Chromium without a usable GPU), else null. Such an adapter runs WebGPU on the CPU, 13–40×
 * slower than the wasm CPU backend on the development machine.
 */
async function softwareAdapter() {
  try {
    const adapter = await self.navigator.gpu?.requestAdapter();
    const info = adapter?.info;
    if (!(info?.isFallbackAdapter ?? adapter?.isFallbackAdapter)) return null;
    const words = [info?.vendor, info?.architecture].filter((word) => word && typeof word === 'string');
    return words.length ? words.join(' ') : 'the browser’s fallback adapter';
  } catch {
    return null;
  }
}

/** WebGPU failed: restart on the CPU, reload the weights, tell the page. */
async function fallBackToCpu(err) {
  const cause = messageOf(err);
  const reason = `WebGPU failed (${cause}); restarted on the CPU`;
  emit('fallback', { reason });
  backend = backendInfo(await linseg.start(false), reason);
  compiled.clear();
  reloadWeights();
  emit('backend', { info: backend });
}

// ---------------------------------------------------------------------------------------------
// Refusing what cannot fit.

/** A sentence saying why `mode` at `size` cannot run here, or null when it can. */
function refusal(mode, size, cost) {
  if (backend?.backend === 'webgpu' && backend.maxBufferBytes != null) {
    if (cost.largestBufferBytes > backend.maxBufferBytes) {
      return (
        `${mode} at ${size} would need a ${formatBytes(cost.largestBufferBytes)} attention map; ` +
        `this GPU allows ${formatBytes(backend.maxBufferBytes)} per buffer`
      );
    }
    // Each map fitting is not enough: the block holds several at once (dot's scores and their
    // softmax), and a GPU out of memory loses the device. Past one buffer's worth in all, refuse.
    if (cost.peakBytes > backend.maxBufferBytes) {
      return (
        `${mode} at ${size} would need ${formatBytes(cost.peakBytes)} for its attention block at once; ` +
        `this GPU allows ${formatBytes(backend.maxBufferBytes)} per buffer`
      );
    }
  } else if (cost.peakBytes > CPU_BLOCK_LIMIT_BYTES) {
    return (
      `${mode} at ${size} would need ${formatBytes(cost.peakBytes)} for its attention block; ` +
      `the CPU fallback (32-bit WebAssembly) allows ${formatBytes(CPU_BLOCK_LIMIT_BYTES)}`
    );
  }
  return null;
}

function blockCost(mode, width, height, size) {
  return costInfo(linseg.blockCost(mode, width, height, size));
}

/** What a run compiles shaders for: the mode and the shapes (the feature map stands for them). */
function shapeKey(mode, cost) {
  return `${mode}:${cost.featureHeight}x${cost.featureWidth}`;
}

// ---------------------------------------------------------------------------------------------
// Camera frames: one reusable OffscreenCanvas turns a bitmap (or a VideoFrame) into RGBA.

/** The OffscreenCanvas camera frames are read through (resized to each frame). */
let frameCanvas = null;

/** backend:mode:W×H@size -> { cost, reason }: blockCost costs milliseconds, and every frame of
 *  a camera asks the same question. */
const frameChecks = new Map();

/** The cost of `mode` on frames of that shape, and why it cannot run here (or null); cached. */
function frameCheck(mode, width, height, size) {
  const key = `${backend?.backend}:${mode}:${width}x${height}@${size}`;
  let check = frameChecks.get(key);
  if (!check) {
    const cost = blockCost(mode, width, height, size);
    check = { cost, reason: refusal(mode, size, cost) };
    frameChecks.set(key, check);
  }
  return check;
}

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
// Operations.

const OPS = {
  /** args: { preferGpu, acceptSoftwareGpu, forcedReason } -> { ...backend info, warmupMs, warmupError } */
  async start({ preferGpu = true, acceptSoftwareGpu = false, forcedReason = null }) {
    progress('module', 'Loading the WebAssembly module…', 0.1);
    await loadModule();

    const software = preferGpu && !acceptSoftwareGpu ? await softwareAdapter() : null;
    if (software) {
      preferGpu = false;
      forcedReason = `WebGPU here is software (${software}), slower than the CPU`;
    }

    progress('backend', preferGpu ? 'Requesting a WebGPU adapter…' : 'Starting the CPU backend…', 0.3);
    try {
      backend = await nameAdapter(backendInfo(await linseg.start(Boolean(preferGpu)), forcedReason));
    } catch (err) {
      if (!preferGpu) throw new WorkerError('backend', `the CPU backend could not start: ${messageOf(err)}`);
      backend = backendInfo(await linseg.start(false), `WebGPU could not start: ${messageOf(err)}`);
    }
    compiled.clear();
    emit('backend', { info: backend });

    let warmupError = null;
    let warmupMs = null;
    try {
      progress('weights', `Loading the weights for "${WARMUP.mode}"…`, 0.5);
      await ensureWeights(WARMUP.mode);
      progress(
        'warmup',
        backend.backend === 'webgpu' ? 'Warming up: compiling shaders…' : 'Warming up…',
        0.7,
      );
      const { width, height, grey, mode, size } = WARMUP;
      const blank = new Uint8Array(width * height * 4).fill(grey);
      for (let i = 3; i < blank.length; i += 4) blank[i] = 255;
      const started = performance.now();
      try {
        await linseg.segment(blank, width, height, mode, size);
      } catch (err) {
        if (backend.backend !== 'webgpu' || !isDeviceFailure(err)) throw err;
        await fallBackToCpu(err);
        await linseg.segment(blank, width, height, mode, size);
      }
      warmupMs = performance.now() - started;
      compiled.add(shapeKey(mode, blockCost(mode, width, height, size)));
    } catch (err) {
      if (err instanceof WebAssembly.RuntimeError) throw err;
      warmupError = `warm-up failed: ${messageOf(err)}`;
    }
    progress('ready', warmupError ? 'Ready, but the warm-up failed.' : 'Ready.', 1);
    return [{ ...backend, warmupMs, warmupError }];
  },

  /** args: { imageId, bytes, maxPixels } -> { width, height, rgba } (the worker keeps a copy) */
  async decode({ imageId, bytes, maxPixels }) {
    requireModule();
    let decoded;
    try {
      // `await` also accepts a decoder that returns a promise.
      decoded = await linseg.decodeImage(bytes, maxPixels);
    } catch (err) {
      if (err instanceof WebAssembly.RuntimeError) throw err;
      throw new WorkerError('input', messageOf(err));
    }
    const width = num(field(decoded, 'width'));
    const height = num(field(decoded, 'height'));
    const rgba = field(decoded, 'rgba');
    if (!(rgba instanceof Uint8Array) || rgba.length !== width * height * 4) {
      throw new WorkerError('error', `decodeImage returned ${rgba?.length} bytes for ${width}×${height} RGBA`);
    }
    images.set(imageId, { rgba, width, height });
    const copy = rgba.slice();
    return [{ width, height, rgba: copy }, [copy.buffer]];
  },

  /** args: { imageId } -> true when it was known */
  async forget({ imageId }) {
    return [images.delete(imageId)];
  },

  /** args: { mode, width, height, size } -> { cost, refusal } */
  async cost({ mode, width, height, size }) {
    requireModule();
    const cost = blockCost(mode, width, height, size);
    return [{ cost, refusal: refusal(mode, size, cost) }];
  },

  /**
   * A camera frame (www/camera.js): the bitmap is transferred, read and closed here, never kept.
   * args: { bitmap: ImageBitmap | VideoFrame, mode, size }
   * -> { mask, width, height, mode, size, backend, readMs, preprocessMs, inferenceMs,
   *      readbackMs, postprocessMs, totalMs }   (readMs: the bitmap to RGBA)
   */
  async frame({ bitmap, mode, size }) {
    requireModule();
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
    const { cost, reason } = frameCheck(mode, width, height, size);
    if (reason) throw new WorkerError('refused', reason);
    await ensureWeights(mode);
    let raw;
    try {
      raw = await linseg.segment(rgba, width, height, mode, size);
    } catch (err) {
      if (backend?.backend !== 'webgpu' || !isDeviceFailure(err)) throw err;
      await fallBackToCpu(err);
      await ensureWeights(mode);
      raw = await linseg.segment(rgba, width, height, mode, size);
    }
    compiled.add(shapeKey(mode, cost));
    const mask = field(raw, 'mask');
    if (!(mask instanceof Uint8Array) || mask.length !== width * height) {
      throw new WorkerError('error', `segment returned a mask of ${mask?.length} bytes for ${width}×${height}`);
    }
    const out = owned(mask);
    return [
      {
        mask: out,
        width,
        height,
        mode,
        size,
        backend: backend.backend,
        readMs,
        preprocessMs: num(field(raw, 'preprocessMs')),
        inferenceMs: num(field(raw, 'inferenceMs')),
        readbackMs: num(field(raw, 'readbackMs')),
        postprocessMs: num(field(raw, 'postprocessMs')),
        totalMs: num(field(raw, 'totalMs')),
      },
      [out.buffer],
    ];
  },

  /**
   * args: { imageId, mode, size }
   * -> { mask, width, height, mode, size, backend, first, fellBack, cost,
   *      preprocessMs, inferenceMs, readbackMs, postprocessMs, totalMs, profile }
   *   profile: [{ step, layers, ms }] on the CPU kernels (inference per kind of layer), or null
   */
  async segment({ imageId, mode, size }) {
    requireModule();
    const image = images.get(imageId);
    if (!image) throw new WorkerError('unknown-image', `no decoded photo with id ${imageId}`);
    const { rgba, width, height } = image;

    const check = () => {
      const cost = blockCost(mode, width, height, size);
      const reason = refusal(mode, size, cost);
      if (reason) throw new WorkerError('refused', reason);
      return cost;
    };

    let cost = check();
    await ensureWeights(mode);
    let first = !compiled.has(shapeKey(mode, cost));
    let fellBack = false;
    let raw;
    try {
      raw = await linseg.segment(rgba, width, height, mode, size);
    } catch (err) {
      if (backend?.backend !== 'webgpu' || !isDeviceFailure(err)) throw err;
      await fallBackToCpu(err);
      fellBack = true;
      first = true;
      cost = check();
      await ensureWeights(mode);
      raw = await linseg.segment(rgba, width, height, mode, size);
    }
    compiled.add(shapeKey(mode, cost));

    const mask = field(raw, 'mask');
    if (!(mask instanceof Uint8Array) || mask.length !== width * height) {
      throw new WorkerError('error', `segment returned a mask of ${mask?.length} bytes for ${width}×${height}`);
    }
    const out = owned(mask);
    return [
      {
        mask: out,
        width,
        height,
        mode,
        size,
        backend: backend.backend,
        first,
        fellBack,
        cost,
        preprocessMs: num(field(raw, 'preprocessMs')),
        inferenceMs: num(field(raw, 'inferenceMs')),
        readbackMs: num(field(raw, 'readbackMs')),
        postprocessMs: num(field(raw, 'postprocessMs')),
        totalMs: num(field(raw, 'totalMs')),
        profile: profileOf(field(raw, 'profile')),
      },
      [out.buffer],
    ];
  },
};
