// The worker's client, under the library's Segmenter (www/linseg.js): a promise wrapper around
// worker.js's messages, whose names and shapes www/protocol.js lists
// (tests/node/protocol.test.mjs holds both sides to it).
//
// Each call posts { id, op, args } and resolves with the worker's answer (or rejects with a
// LinsegError whose `kind` is one of src/error.rs's kinds). The worker's events arrive as
// DOM events on the Engine ('progress', 'backend', 'fallback'; 'panic' is kept for the crash
// it precedes), and the Engine adds its own:
//   'crash'    { message, restarting }         the worker died; it is restarted on the CPU
//   'recycle'  { memoryBytes }                 a run left the wasm memory this large; the
//                                              worker is replaced to give it back
//   'cancel'   { reason }                      a run was stopped by replacing the worker
//   'reload'   { reason }                      the worker is replaced to load a build that
//                                              came after it started (reload())
// A WebAssembly memory never shrinks: after a run that grew it past RECYCLE_MEMORY_BYTES the
// worker is replaced by a fresh one (weights come again from the HTTP cache). A replaced or
// crashed worker loses its decoded photos: `has(imageId)` tells the caller to decode again.
// Owns: the worker (starting, replacing and restarting it) and the requests in flight. Must not
// touch: the DOM, the photos or the queue (it reports through its events).

import { chooseGpu } from './gpu-choice.js';
import { LinsegError } from './linseg-error.js';

/** A crashed worker is replaced at most this many times within RESTART_WINDOW_MS. */
const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 60_000;
/** A run that leaves the worker's wasm memory larger than this has the worker replaced. */
export const RECYCLE_MEMORY_BYTES = 1024 ** 3;

export class Engine extends EventTarget {
  /**
   * @param {{ preferGpu: boolean, acceptSoftwareGpu?: boolean, forcedReason?: string|null, threads?: number|null, baseUrl?: string|URL|null, warmupMode?: string|null, fault?: string|null }} options
   *   preferGpu false starts on the CPU; forcedReason says why (shown as the fallback reason).
   *   A software WebGPU adapter is passed over for the CPU unless acceptSoftwareGpu. threads:
   *   how many threads the CPU kernels use (null: one per core, where the page allows threads).
   *   baseUrl: the folder the wasm (www/pkg/) and the weights (models/) are fetched from (null:
   *   the one above www/).
   *   warmupMode: the mode each worker warms up in before it is ready, its weights loaded and
   *   a first run made, so that a first photo in that mode waits for nothing (null: the
   *   worker's own, WARMUP.mode of www/config.js).
   *   fault: a failure the first worker simulates on its first photo ('device-lost' or
   *   'crash'), for the tests of the recovery paths; a restarted worker gets none.
   */
  constructor({ preferGpu = true, acceptSoftwareGpu = false, forcedReason = null, threads = null, baseUrl = null, warmupMode = null, fault = null } = {}) {
    super();
    this.preferGpu = preferGpu;
    this.baseUrl = baseUrl == null ? null : String(baseUrl);
    this.acceptSoftwareGpu = acceptSoftwareGpu;
    this.forcedReason = forcedReason;
    this.threads = threads;
    this.warmupMode = warmupMode;
    this.fault = fault;
    /** The last backend info the worker reported, or null before start. */
    this.info = null;
    /**
     * What the model offers, from the wasm module (src/web/catalog.rs `catalog`): resolves with
     * { modes, modeWords, sizes, trainedSize, maxFileBytes, formats, maxPixels, cpuBlockBytes,
     * webgpu, oneThreadUpTo } once the module has loaded.
     * @type {Promise<{ modes: string[], modeWords: string[][], sizes: number[], trainedSize: number, maxFileBytes: number, formats: string, maxPixels: number, cpuBlockBytes: number, webgpu: boolean, oneThreadUpTo: number }> | null}
     */
    this.catalog = null;
    this.worker = null;
    this.nextId = 1;
    /** How many workers were started: what a worker holds (photos, a prepared look) is lost with a new one. */
    this.generation = 0;
    this.pending = new Map();
    this.decoded = new Set();
    /** When the worker was last replaced after crashes (timestamps, ms). */
    this.restarts = [];
    this.lastPanic = null;
    this.failed = null;
    this.ready = null;
    /** True once the worker has warmed up, false while one starts. */
    this.isReady = false;
    /** The wasm memory a run left behind, once it is over RECYCLE_MEMORY_BYTES. */
    this.recycleBytes = null;
    /** Why the worker is to be replaced once idle (reload()), or null. */
    this.reloadReason = null;
    /** How long the latest worker took from spawn to ready (ms): what replacing one costs. */
    this.startMs = null;
    /** When the latest worker was spawned (performance.now(), ms since the page's navigation). */
    this.spawnedAt = null;
  }

  /** Creates the worker and starts the backend; resolves with the backend info after warm-up. */
  start() {
    this.#launch();
    return this.ready;
  }

  /**
   * Decodes a photo in the worker (which keeps it); resolves { width, height, rgba } (rgba null
   * unless `pixels`).
   */
  async decode(imageId, bytes, { pixels = true } = {}) {
    await this.ready;
    // A copy travels, so the caller keeps its bytes (to decode again after a crash).
    const { maxPixels } = await this.catalog;
    const value = await this.#call('decode', { imageId, bytes, maxPixels, pixels });
    this.decoded.add(imageId);
    return value;
  }

  /**
   * Keeps pixels as a photo in the worker: `{ bitmap }` (an ImageBitmap or VideoFrame, which is
   * transferred: the caller must not use it again) or `{ rgba, width, height }` (rgba's buffer
   * is transferred). Resolves { width, height }.
   */
  async keepPixels(imageId, { bitmap = null, rgba = null, width = 0, height = 0 }) {
    try {
      await this.ready;
    } catch (err) {
      bitmap?.close();
      throw err;
    }
    const { maxPixels } = await this.catalog;
    const args = bitmap ? { imageId, maxPixels, bitmap } : { imageId, maxPixels, rgba, width, height };
    const value = await this.#call('pixels', args, [bitmap ?? rgba.buffer]);
    this.decoded.add(imageId);
    return value;
  }

  /** True when the current worker holds the decoded photo. */
  has(imageId) {
    return this.decoded.has(imageId);
  }

  /** Drops a photo from the worker. */
  forget(imageId) {
    if (!this.decoded.delete(imageId) || !this.worker) return Promise.resolve(false);
    return this.#call('forget', { imageId }).catch(() => false);
  }

  /** The attention block's cost and, when it cannot run here, the reason: { cost, refusal }. */
  async costAt(mode, width, height, size) {
    await this.ready;
    return this.#call('cost', { mode, width, height, size });
  }

  /** Segments a decoded photo: { mask, ...timings, first, fellBack, cost, backend }. */
  async segmentImage(imageId, mode, size) {
    await this.ready;
    return this.#call('segment', { imageId, mode, size });
  }

  /**
   * Prepares "what does it look at?" for a decoded photo in `mode` at `size`:
   * { gridWidth, gridHeight, cellWidth, cellHeight, attends, ms }.
   */
  async prepareLook(imageId, mode, size) {
    await this.ready;
    return this.#call('look', { imageId, mode, size });
  }

  /**
   * The weights of the cell under the photo's pixel (x, y) in the photo last prepared:
   * { column, row, weights: Float32Array, ms }, or null off the photo or in mode none.
   */
  async lookAt(x, y) {
    await this.ready;
    return this.#call('lookAt', { x, y });
  }

  /**
   * Segments a camera frame: the ImageBitmap or VideoFrame is transferred (the caller must not
   * use it again) and closed by the worker.
   * Resolves { mask, width, height, mode, size, backend, readMs, ...timings }.
   */
  async frame(bitmap, mode, size) {
    try {
      await this.ready;
    } catch (err) {
      bitmap.close();
      throw err;
    }
    if (!this.worker) bitmap.close();
    return this.#call('frame', { bitmap, mode, size }, [bitmap]);
  }

  /**
   * Stops whatever the worker is running by replacing it with a fresh one on the same backend:
   * its unanswered requests reject with kind 'cancelled', and its decoded photos are lost (a
   * wasm run cannot be interrupted from outside; a new worker costs about `startMs`).
   */
  cancel(reason) {
    const worker = this.worker;
    if (!worker || !this.isReady) return;
    this.#replace('cancel', { reason });
    this.#rejectPending(worker, new LinsegError('cancelled', `stopped: ${reason}`));
  }

  /**
   * Replaces the worker by a fresh one, which loads the module builds there now (one that
   * `npm start` finished after the page opened), as soon as no request is in flight.
   */
  reload(reason) {
    this.reloadReason = reason;
    if (this.worker && this.isReady && this.pending.size === 0) this.#reloadNow();
  }

  #reloadNow() {
    const reason = this.reloadReason;
    this.reloadReason = null;
    this.#replace('reload', { reason });
  }

  /** Stops the worker for good (its memory goes with it); unanswered requests are rejected. */
  close() {
    const worker = this.worker;
    this.failed = new LinsegError('closed', 'the segmenter was closed');
    if (!worker) return;
    worker.terminate();
    this.worker = null;
    this.#rejectPending(worker, this.failed);
  }

  /** Rejects with `error` every request `worker` has not answered. */
  #rejectPending(worker, error) {
    for (const [id, entry] of this.pending) {
      if (entry.worker !== worker) continue;
      this.pending.delete(id);
      entry.reject(error);
    }
  }

  /** Spawns a worker and sets `ready` to its warm-up. */
  #launch() {
    this.isReady = false;
    this.recycleBytes = null;
    const spawned = performance.now();
    this.spawnedAt = spawned;
    this.ready = this.#spawn().then((info) => {
      this.info = info;
      this.isReady = true;
      this.startMs = performance.now() - spawned;
      return info;
    });
    this.ready.catch((err) => {
      this.failed = err;
    });
  }

  #spawn() {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'linseg' });
    this.worker = worker;
    this.generation += 1;
    this.decoded.clear();
    worker.addEventListener('message', (event) => this.#onMessage(event.data));
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      const message = this.lastPanic ?? (event.message || 'the worker stopped with an error');
      this.lastPanic = null;
      this.#onCrash(worker, message);
    });
    worker.addEventListener('messageerror', () => {
      this.#onCrash(worker, 'a message from the worker could not be read');
    });
    const fault = this.fault;
    this.fault = null;
    const forcedReason = this.forcedReason;
    // The build is chosen here while the worker's scripts download (see gpu-choice.js).
    const load = chooseGpu({ preferGpu: this.preferGpu, acceptSoftwareGpu: this.acceptSoftwareGpu }).then((gpu) => {
      if (this.worker !== worker) throw this.failed ?? new LinsegError('crashed', 'the worker stopped before it started');
      return { gpu, threads: this.threads, baseUrl: this.baseUrl, warmupMode: this.warmupMode };
    });
    this.catalog = load.then((args) => this.#call('catalog', args));
    // A crash of the first load leaves `catalog` rejected; `ready` reports it.
    this.catalog.catch(() => {});
    return Promise.all([load, this.catalog]).then(([args]) =>
      this.#call('start', { ...args, forcedReason, fault }),
    );
  }

  #call(op, args, transfer = []) {
    if (!this.worker) return Promise.reject(this.failed ?? new LinsegError('crashed', 'the model is not running'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker: this.worker });
      this.worker.postMessage({ id, op, args }, transfer);
    });
  }

  #onMessage(data) {
    if (data == null) return;
    if (data.event) {
      const { event, ...detail } = data;
      if (event === 'backend') this.info = { ...this.info, ...detail.info };
      // A replacement worker starts where this one moved to, not on the GPU that failed.
      if (event === 'fallback') {
        this.preferGpu = false;
        this.forcedReason = detail.reason;
      }
      // The words of a panic whose trap the worker's 'error' event is about to report.
      if (event === 'panic') {
        this.lastPanic = detail.message;
        return;
      }
      this.dispatchEvent(new CustomEvent(event, { detail }));
      return;
    }
    const entry = this.pending.get(data.id);
    if (!entry) return;
    this.pending.delete(data.id);
    if (data.ok && data.value?.memoryBytes > RECYCLE_MEMORY_BYTES) this.recycleBytes = data.value.memoryBytes;
    // Replaced before the answer is delivered, so that the caller's next request waits for the
    // fresh worker; not while another request is in flight in this one.
    if (this.recycleBytes != null && this.pending.size === 0) this.#recycle();
    else if (this.reloadReason != null && this.pending.size === 0) this.#reloadNow();
    if (data.ok) {
      entry.resolve(data.value);
    } else {
      const err = new LinsegError(data.error.kind, data.error.message);
      entry.reject(err);
      if (err.kind === 'crashed') this.#onCrash(entry.worker, err.message);
    }
  }

  /** The worker died (or its wasm trapped): reject what it held and start a fresh one on the CPU. */
  #onCrash(worker, message) {
    if (worker !== this.worker) return;
    worker.terminate();
    this.worker = null;
    this.decoded.clear();
    this.#rejectPending(worker, new LinsegError('crashed', `the model stopped: ${message}`));
    const now = performance.now();
    this.restarts = this.restarts.filter((t) => now - t < RESTART_WINDOW_MS);
    const restarting = this.restarts.length < MAX_RESTARTS;
    this.dispatchEvent(new CustomEvent('crash', { detail: { message, restarting } }));
    if (!restarting) {
      this.failed = new LinsegError('crashed', `the model stopped and was not restarted: ${message}`);
      return;
    }
    this.restarts.push(now);
    this.preferGpu = false;
    this.forcedReason = `restarted on the CPU after the model stopped (${message})`;
    this.#launch();
  }

  /** Replaces the worker by a fresh one on the same backend, giving its memory back. */
  #recycle() {
    const memoryBytes = this.recycleBytes;
    this.recycleBytes = null;
    this.#replace('recycle', { memoryBytes });
  }

  /** Terminates the worker and launches a fresh one on the same backend, announcing `event`. */
  #replace(event, detail) {
    this.worker.terminate();
    this.worker = null;
    this.dispatchEvent(new CustomEvent(event, { detail }));
    this.#launch();
  }
}
