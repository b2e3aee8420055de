// The engine's life on screen: listens to the engine (its start, progress, worker replacements,
// fallbacks and crashes) and tells the status area what to show.
// Owns: only its listeners. Must not touch: the photos or the queue (it reports a recovery
// through the callback it was given).

import { formatBytes } from './format.js';

/** The engine's events shown here (page-engine.js keeps those that come before followEngine). */
export const SHOWN_EVENTS = ['progress', 'recycle', 'reload', 'cancel', 'backend', 'fallback', 'crash'];

/**
 * Shows `engine`'s life in `status`: `started` is engine.start()'s promise; `earlier` the
 * engine's events that came before this call (shown first, in order); `onSettled` runs once the
 * start has settled (started or failed), `onRecovered` after each restart from a crash.
 * @param {import('./linseg.js').Segmenter} engine
 * @param {import('./status.js').StatusArea} status
 * @param {{ started: Promise<object>, earlier?: Event[], onSettled: () => void, onRecovered: () => void }} options
 */
export function followEngine(engine, status, { started, earlier = [], onSettled, onRecovered }) {
  // After start, a 'backend' event means the worker moved (to the CPU) and runs again.
  let engineStarted = false;
  const handlers = {
    progress: (event) => status.showProgress(event.detail),
    recycle: (event) =>
      status.showProgress({
        stage: 'recycle',
        message: `Giving back the ${formatBytes(event.detail.memoryBytes)} the last run took: restarting the model…`,
        fraction: 0,
      }),
    reload: (event) =>
      status.showProgress({
        stage: 'reload',
        message: `${event.detail.reason}: restarting the model on it…`,
        fraction: 0,
      }),
    cancel: (event) =>
      status.showProgress({
        stage: 'cancel',
        message: `Stopping ${event.detail.reason}: restarting the model…`,
        fraction: 0,
      }),
    backend: (event) => status.showBackend(event.detail.info, engineStarted ? 'ready' : undefined),
    fallback: (event) => {
      status.addMessage('notice', event.detail.reason);
      status.setBackendState('starting');
    },
    crash: (event) => {
      const { message, restarting } = event.detail;
      status.showCrash(message, restarting);
      if (!restarting) return;
      engine.ready.then(
        (info) => {
          status.showBackend(info, 'ready');
          onRecovered();
        },
        (err) => {
          status.setBackendState('failed');
          status.addMessage('error', err.message);
        },
      );
    },
  };
  for (const event of earlier) handlers[event.type]?.(event);
  for (const type of SHOWN_EVENTS) engine.addEventListener(type, handlers[type]);
  started.then(
    (info) => {
      engineStarted = true;
      status.showReady(info, { readyAt: performance.now(), spawnedAt: engine.spawnedAt });
      onSettled();
    },
    (err) => {
      status.showStartFailure();
      status.addMessage('error', err.message);
      onSettled();
    },
  );
}
