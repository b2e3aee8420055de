// The page's segmenter, made and started by the page's first script (index.html), so that its
// worker chooses, fetches and compiles the model while the rest of the page's modules are still
// downloading; app.js takes it from here. The engine's events that come before app.js listens
// are kept, for engine-status.js to show in order (takeEarlyEvents).
// Owns: the segmenter's options from the URL and its start. Must not touch: the page's elements
// (app.js and the views own them) or its state.

import { BACKENDS, Segmenter } from './linseg.js';
import { watchBuilds } from './build-watch.js';
import { DEFAULTS } from './config.js';
import { SHOWN_EVENTS } from './engine-status.js';
import { prepareOffline } from './offline.js';

const params = new URLSearchParams(location.search);

/**
 * The `?backend=` asked for, or null: `cpu` for the CPU backend, `webgpu` for WebGPU even on a
 * software adapter; app.js names any other value in an error, and the default (auto) is taken.
 */
export const backendParam = params.get('backend');

// ?threads=N: the CPU kernels' threads (default: one per core where the page allows threads).
// ?fault=device-lost|crash: the first photo's run fails so (the recovery paths' tests).
/** The page's segmenter. */
export const engine = new Segmenter({
  // The worker warms up in the mode the page opens with: a first photo waits for nothing.
  mode: DEFAULTS.mode,
  backend: BACKENDS.includes(backendParam) ? backendParam : 'auto',
  threads: Number.parseInt(params.get('threads') ?? '', 10) || null,
  fault: params.get('fault'),
});

const early = [];
const keep = (event) => early.push(event);
for (const type of SHOWN_EVENTS) engine.addEventListener(type, keep);

/**
 * The engine's events so far, in order; from now on none is kept (the caller listens itself).
 * @returns {Event[]}
 */
export function takeEarlyEvents() {
  for (const type of SHOWN_EVENTS) engine.removeEventListener(type, keep);
  return early.splice(0);
}

watchBuilds(engine);

/**
 * prepareOffline()'s answer (www/offline.js): from the folder npm run build makes, the service
 * worker comes first, and may reload the page before anything starts.
 */
export const offline = prepareOffline();

/** The engine's start once `offline` lets it start: its promise and the catalog's. */
const starting = offline.then(() => ({ ready: engine.start(), catalog: engine.catalog }));

/** engine.start()'s promise: the backend info once the engine is ready. */
export const started = starting.then(({ ready }) => ready);

/** What the model offers (engine.catalog), once the engine has started. */
export const catalog = starting.then(({ catalog: offered }) => offered);

// A start that fails before app.js listens is reported by engine-status.js once it does.
started.catch(() => {});
catalog.catch(() => {});
