// The engine's life on screen: listens to the engine (its start, progress, worker replacements,
// fallbacks and crashes) and tells the status area what to show.
// Owns: only its listeners. Must not touch: the photos or the queue (it reports a recovery
// through the callback it was given).

import { formatBytes } from './format.js';

/**
 * Shows `engine`'s life in `status`: `started` is engine.start()'s promise; `onSettled` runs
 * once it has settled (started or failed), `onRecovered` after each restart from a crash.
 * @param {import('./linseg.js').Segmenter} engine
 * @param {import('./status.js').StatusArea} status
 * @param {{ started: Promise<object>, onSettled: () => void, onRecovered: () => void }} options
 */
export function followEngine(engine, status, { started, onSettled, onRecovered }) {
  // After start, a 'backend' event means the worker moved (to the CPU) and runs again.
  let engineStarted = false;
  engine.addEventListener('progress', (event) => status.showProgress(event.detail));
  engine.addEventListener('recycle', (event) =>
    status.showProgress({
      stage: 'recycle',
      message: `Giving back the ${formatBytes(event.detail.memoryBytes)} the last run took: restarting the model…`,
      fraction: 0,
    }),
  );
  engine.addEventListener('reload', (event) =>
    status.showProgress({
      stage: 'reload',
      message: `${event.detail.reason}: restarting the model on it…`,
      fraction: 0,
    }),
  );
  engine.addEventListener('cancel', (event) =>
    status.showProgress({
      stage: 'cancel',
      message: `Stopping ${event.detail.reason}: restarting the model…`,
      fraction: 0,
    }),
  );
  engine.addEventListener('backend', (event) => status.showBackend(event.detail.info, engineStarted ? 'ready' : undefined));
  engine.addEventListener('fallback', (event) => {
    status.addMessage('notice', event.detail.reason);
    status.setBackendState('starting');
  });
  engine.addEventListener('crash', (event) => {
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
  });
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
