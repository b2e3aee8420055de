// The running engine (src/web/engine.rs's Engine) and what it needs: the weights (each file fetched
// once, reloaded after a restart), the adapter's name, starting on WebGPU or the CPU and moving
// to the CPU when WebGPU fails.
// Owns: `current` (the engine and its backend info), the weights cache and `compiled`. Must
// not touch: the module's loading, the photos or the requests' answers.

import { LinsegError } from './linseg-error.js';
import { emit, messageOf } from './worker-messages.js';
import { fetchOk, fileUrl, loaded, reported } from './worker-module.js';

/**
 * `engine`: the running linseg.Engine (src/web/engine.rs), the device and the networks loaded on it;
 * `backend`: { backend: 'webgpu'|'cpu', adapter, fallbackReason, maxBufferBytes, threads,
 * threadsNote, threadsLimited, awaitedBuild } of it (threads: the CPU kernels', null on WebGPU;
 * awaitedBuild: a better build the server does not have yet, see worker-module.js).
 */
export const current = { engine: null, backend: null };

/** mode -> Uint8Array: weight files fetched so far (kept to reload after a restart). */
const weightBytes = new Map();

/** mode -> Promise<Response>: weight files asked for ahead (prefetchWeights), not yet read. */
const weightFetches = new Map();

/**
 * Mode and feature-map shapes already run on this backend: later runs compile no shaders
 * (WebGPU) and find the memory they need already grown (CPU).
 */
export const compiled = new Set();

/** Throws unless an engine runs. */
export function requireEngine() {
  if (!current.engine) throw new LinsegError('not-ready', 'the engine has not started');
}

function weightsUrl(mode) {
  return fileUrl(`models/selfie-${mode}.bpk`);
}

/** Fetches `mode`'s weights from the server. -> Promise<Response> (rejects as fetchOk) */
function fetchWeights(mode) {
  return fetchOk(weightsUrl(mode), `the weights for "${mode}"`);
}

/**
 * Asks for `mode`'s weights now, before an engine runs (they do not depend on the build), so
 * that they download while the module is chosen, fetched and compiled; ensureWeights reads them.
 * Call it once the files' folder is known (setBaseUrl).
 */
export function prefetchWeights(mode) {
  if (weightBytes.has(mode) || weightFetches.has(mode)) return;
  const response = fetchWeights(mode);
  // ensureWeights reports a failure, when it reads this one.
  response.catch(() => {});
  weightFetches.set(mode, response);
}

/**
 * Loads `mode`'s weights into the engine unless they are there; fetches each file once (or
 * reads the one prefetchWeights asked for). While the model starts (`reportBytes`), the
 * download is reported as progress; later ones are not, as the progress line is gone by then.
 */
export async function ensureWeights(mode, reportBytes = false) {
  if (current.engine.hasWeights(mode)) return;
  let bytes = weightBytes.get(mode);
  if (!bytes) {
    const ahead = weightFetches.get(mode);
    weightFetches.delete(mode);
    const response = await (ahead ?? fetchWeights(mode));
    const body = reportBytes ? reported(response, 'weights', `Downloading the weights for "${mode}":`, 0.5) : response;
    bytes = new Uint8Array(await body.arrayBuffer());
    weightBytes.set(mode, bytes);
  }
  current.engine.loadWeights(mode, bytes);
}

/** Reloads every weight file fetched so far (after the backend restarted). */
function reloadWeights() {
  for (const [mode, bytes] of weightBytes) {
    if (!current.engine.hasWeights(mode)) current.engine.loadWeights(mode, bytes);
  }
}

/**
 * The adapter's name. wgpu cannot read names from a browser's adapter (they come back empty),
 * so when the wasm has none, the name the page read from the browser's GPUAdapterInfo supplies
 * one (e.g. "google swiftshader").
 */
export function nameAdapter(info) {
  if (info.backend !== 'webgpu' || (info.adapter && info.adapter !== 'unnamed adapter') || !loaded.adapterName) return info;
  return { ...info, adapter: loaded.adapterName };
}

/**
 * Replaces the engine with a new one (on WebGPU when `preferGpu`), freeing the old one's
 * memory; `forcedReason` says why it is on the CPU when the wasm's own reason is not the point.
 */
export async function startEngine(preferGpu, forcedReason = null) {
  current.engine?.free();
  current.engine = null;
  current.engine = await loaded.linseg.Engine.start(Boolean(preferGpu));
  const info = current.engine.backend();
  const onCpu = info.backend === 'cpu';
  current.backend = {
    ...info,
    fallbackReason: onCpu ? (forcedReason ?? info.fallbackReason) : null,
    threads: onCpu ? loaded.threading.threads : null,
    threadsNote: onCpu ? loaded.threading.note : null,
    threadsLimited: onCpu && loaded.threading.limited,
    awaitedBuild: loaded.awaitedBuild,
  };
  compiled.clear();
}

/** WebGPU failed: restart on the CPU, reload the weights, tell the page. */
export async function fallBackToCpu(err) {
  const cause = messageOf(err);
  const reason = `WebGPU failed (${cause}); restarted on the CPU`;
  emit('fallback', { reason });
  await startEngine(false, reason);
  reloadWeights();
  emit('backend', { info: current.backend });
}
