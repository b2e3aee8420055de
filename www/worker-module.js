// Which build of the linseg module the worker loads, and loading it: the full build where WebGPU
// will run, the CPU build elsewhere, threaded where the page allows threads; each download
// counted for the page's progress line.
// Owns: the loaded module (`loaded`). Must not touch: the engine, the photos or the requests.

import { countedResponse } from './download.js';
import { LinsegError } from './linseg-error.js';
import { messageOf, progress } from './worker-messages.js';

/**
 * The loaded module: `linseg` the wasm-bindgen namespace; `memory` the instance's memory (it
 * only grows; the page replaces the worker to give it back); `cpuBuildReason` why it is the CPU
 * build although WebGPU was wanted (see chooseBuild), or null; `threading` { threads, note,
 * limited, asked } of its CPU kernels (see cpuThreading); `adapterName` the WebGPU adapter's name
 * as the page read it (www/gpu-choice.js), or null; `awaitedBuild` the build this worker wanted
 * but the server does not have yet ('linseg' or 'linseg_cpu_threads': `npm start` builds them
 * after the CPU build), or null.
 */
export const loaded = {
  linseg: null,
  memory: null,
  cpuBuildReason: null,
  threading: { threads: 1, note: null, limited: false, asked: false },
  /** Runs at this size or below use one thread unless asked (the catalog's oneThreadUpTo). */
  oneThreadUpTo: 0,
  adapterName: null,
  awaitedBuild: null,
  /** The folder linseg's files are served from, holding www/pkg/ and models/ (see fileUrl). */
  baseUrl: new URL('../', import.meta.url),
};

/** Takes linseg's files from `baseUrl` (null: the folder above this worker's www/). */
export function setBaseUrl(baseUrl) {
  if (baseUrl) loaded.baseUrl = new URL(baseUrl, self.location.href);
}

/** The URL of one of linseg's files, `path` from the folder that holds www/ and models/. */
export function fileUrl(path) {
  return new URL(path, loaded.baseUrl);
}

/** Fetches `url`; throws a 'load-failed' LinsegError that names `what` unless the answer is ok. */
export async function fetchOk(url, what) {
  let response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new LinsegError('load-failed', `${what} could not be fetched from ${url.pathname}: ${messageOf(err)}`);
  }
  if (!response.ok) {
    throw new LinsegError('load-failed', `${what} could not be fetched: ${url.pathname} answered ${response.status} ${response.statusText}`.trim());
  }
  return response;
}

/** The response with its download reported as 'progress' events of `stage`. */
export function reported(response, stage, message, fraction) {
  return countedResponse(response, (received, total) => progress(stage, message, fraction, { loaded: received, total }));
}

/**
 * Which build of the module to load, as the page chose (www/gpu-choice.js, `gpu`), and why it is
 * the CPU build when it is: the full build (www/pkg/linseg.js: WebGPU, the CPU as its fallback)
 * where WebGPU will be used, the CPU build (linseg_cpu.js, a fifth of the size) where it will
 * not. -> { name: 'linseg' | 'linseg_cpu', reason: string | null }
 */
function chooseBuild({ gpu }) {
  loaded.adapterName = gpu.adapter;
  return gpu.webgpu ? { name: 'linseg', reason: null } : { name: 'linseg_cpu', reason: gpu.reason };
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
  const asked = Boolean(requested);
  if (wanted <= 1) {
    return { threads: 1, note: requested === 1 ? 'one thread, as asked' : 'one thread: one core', limited: false, asked };
  }
  if (!self.crossOriginIsolated) {
    const note = 'one thread: the page is not cross-origin isolated, so WebAssembly threads cannot share memory';
    return { threads: 1, note, limited: true, asked };
  }
  return { threads: wanted, note: null, limited: false, asked };
}

/**
 * The threads a CPU run at `size` uses: the pool's, except one at the sizes where the split
 * costs more than it brings (the catalog's oneThreadUpTo, src/web/mod.rs) when no number was asked.
 */
export function threadsFor(size) {
  const { threads, asked } = loaded.threading;
  if (threads <= 1 || asked) return threads;
  return size <= loaded.oneThreadUpTo ? 1 : threads;
}

/** Why a build is missing: `npm start` serves the page before it has built them all. */
const NOT_BUILT_YET = 'is not built yet (npm start builds it after the CPU build; the page moves to it once it is there)';

/**
 * Loads the build of the module `options` call for (see chooseBuild), once; on the CPU, the
 * threaded build with its pool of threads where cpuThreading allows it, the one-thread build
 * where it does not or where the threads fail to start. A build the server does not have (yet)
 * is replaced by the CPU build and named in `loaded.awaitedBuild`.
 */
export async function loadModule(options) {
  if (loaded.linseg) return;
  setBaseUrl(options.baseUrl);
  let build = chooseBuild(options);
  progress('module', 'Loading the WebAssembly module…', 0.1);
  if (build.name === 'linseg') {
    loaded.threading = { threads: 1, note: 'one thread: the CPU fallback of the WebGPU build', limited: false, asked: false };
    try {
      await instantiate('linseg');
      return;
    } catch (err) {
      if (!(await notServed('linseg'))) throw moduleError(err);
      loaded.awaitedBuild = 'linseg';
      build = { name: 'linseg_cpu', reason: `the WebGPU build ${NOT_BUILT_YET}` };
    }
  }
  loaded.cpuBuildReason = build.reason;
  loaded.threading = cpuThreading(options.threads ?? null);
  if (loaded.threading.threads > 1) {
    try {
      await instantiate('linseg_cpu_threads');
      await loaded.linseg.initThreadPool(loaded.threading.threads);
      return;
    } catch (err) {
      loaded.linseg = null;
      const missing = await notServed('linseg_cpu_threads');
      if (missing) loaded.awaitedBuild ??= 'linseg_cpu_threads';
      const why = missing ? `the threaded build ${NOT_BUILT_YET}` : `threads could not start (${messageOf(err)})`;
      loaded.threading = { threads: 1, note: `one thread: ${why}`, limited: true, asked: false };
    }
  }
  try {
    await instantiate('linseg_cpu');
  } catch (err) {
    throw moduleError(err);
  }
}

/** The error of a module that could not be loaded, with what to do about it. */
function moduleError(err) {
  return new LinsegError(
    'load-failed',
    `the WebAssembly module could not be loaded: ${messageOf(err)}` +
      ' (build it with `npm run build`, which writes www/pkg/)',
  );
}

/** The URL of build `name`'s wasm file. */
function wasmUrl(name) {
  return fileUrl(`www/pkg/${name}_bg.wasm`);
}

/** Whether the server answers 404 for build `name`'s wasm file (not built, or not yet). */
async function notServed(name) {
  try {
    return (await fetch(wasmUrl(name), { method: 'HEAD', cache: 'no-store' })).status === 404;
  } catch {
    return false;
  }
}

/** Fetches, compiles and instantiates www/pkg/`name`.js and its wasm (streamed, its bytes counted). */
async function instantiate(name) {
  const module = await import(fileUrl(`www/pkg/${name}.js`).href);
  const url = wasmUrl(name);
  const response = reported(await fetchOk(url, 'its file'), 'module', 'Downloading the model’s code:', 0.1);
  // Compiled while it streams in (the response is application/wasm).
  const exports = await module.default({ module_or_path: response });
  loaded.memory = exports.memory;
  loaded.linseg = module;
  loaded.oneThreadUpTo = module.catalog().oneThreadUpTo;
}

/** Throws unless the module is loaded. */
export function requireModule() {
  if (!loaded.linseg) throw new LinsegError('not-ready', 'the WebAssembly module is not loaded');
}
