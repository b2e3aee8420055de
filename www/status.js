// The status area: the backend label in the top bar, the loading progress (sticky at the top
// of the page), the message list (every message, newest first, scrollable, clearable) and the
// timings of the photo in view.
// Owns: those elements. Must not touch: the photos, the queue or the engine (it is told what
// to show).

import { formatBytes, formatMs } from './format.js';

/** The backend label, the warm-up progress, the messages and the timings. */
export class StatusArea {
  /**
   * @param {object} elements
   * @param {HTMLElement} elements.backend      the label; data-backend, data-state
   * @param {HTMLElement} elements.backendText
   * @param {HTMLElement} elements.progress     data-stage
   * @param {HTMLProgressElement} elements.progressBar
   * @param {HTMLElement} elements.progressText
   * @param {HTMLElement} elements.timings
   * @param {HTMLElement} elements.messages     the list of messages
   * @param {HTMLButtonElement} elements.clearMessages  empties the list; hidden while it is empty
   */
  constructor(elements) {
    this.ui = elements;
    elements.clearMessages.hidden = true;
    elements.clearMessages.addEventListener('click', () => {
      elements.messages.replaceChildren();
      this.#messagesChanged();
    });
  }

  /** Names the backend that runs (null: none) and sets the label's state when given. */
  showBackend(info, state) {
    const { backend, backendText } = this.ui;
    backend.dataset.backend = info ? info.backend : 'none';
    if (state) backend.dataset.state = state;
    if (!info) return;
    if (info.backend === 'webgpu') {
      backendText.textContent = `WebGPU on ${info.adapter || 'an unnamed adapter'}`;
      backend.title = info.maxBufferBytes
        ? `Largest buffer this GPU allows: ${formatBytes(info.maxBufferBytes)}`
        : '';
    } else {
      const threads = info.threads > 1 ? `${info.threads} threads` : '1 thread';
      backendText.textContent = `CPU, ${threads} · ${info.fallbackReason ?? 'WebGPU was not requested'}`;
      backend.title = `${backendText.textContent}: ${info.adapter} in a worker${info.threadsNote ? `; ${info.threadsNote}` : ''}`;
    }
  }

  /** Sets the backend label's state (starting | ready | failed); `text` replaces its words. */
  setBackendState(state, text) {
    this.ui.backend.dataset.state = state;
    if (text) this.ui.backendText.textContent = text;
  }

  /**
   * Shows a loading step; the bar hides once the stage is 'ready'. A download (`loaded` bytes,
   * of `total` when known) is said in the words and fills the bar; with no total the bar is
   * indeterminate.
   */
  showProgress({ stage, message, fraction, loaded, total }) {
    const { progress, progressBar, progressText } = this.ui;
    progress.dataset.stage = stage;
    progress.hidden = stage === 'ready';
    let text = message;
    if (loaded != null) {
      text += total ? ` ${formatMegabytes(loaded)} of ${formatMegabytes(total)}` : ` ${formatMegabytes(loaded)} so far`;
      if (total) progressBar.value = Math.min(1, loaded / total);
      else progressBar.removeAttribute('value');
    } else {
      progressBar.value = fraction ?? 0;
    }
    progressText.textContent = text;
  }

  /**
   * Says that the model is ready: its backend, the end of the warm-up and how long it took.
   * `readyAt` and `spawnedAt` (ms since the page's navigation: ready, and the worker spawned)
   * and the worker's startSteps go on the label's data for `npm run bench:page`.
   */
  showReady(info, { readyAt = null, spawnedAt = null } = {}) {
    this.showBackend(info, 'ready');
    Object.assign(this.ui.backend.dataset, {
      readyMs: String(readyAt),
      spawnedMs: String(spawnedAt),
      startSteps: JSON.stringify(info.startSteps ?? null),
    });
    this.showProgress({ stage: 'ready', message: 'Ready.', fraction: 1 });
    if (info.warmupError) this.addMessage('error', info.warmupError);
    else if (info.warmupMs != null) this.#showWarmup(info);
    if (info.threadsLimited) this.addMessage('notice', `The CPU backend runs on ${info.threadsNote}.`);
  }

  /** Says that the worker died and whether it is restarting (on the CPU). */
  showCrash(message, restarting) {
    if (restarting) {
      this.addMessage('error', `The model stopped (${message}); it is restarting on the CPU.`);
      this.setBackendState('starting');
    } else {
      this.addMessage('error', `The model stopped (${message}) and could not be restarted; reload the page.`);
      this.setBackendState('failed', 'Not running: reload the page');
    }
  }

  /** Says that the model could not start, in the label and the progress area. */
  showStartFailure() {
    this.showBackend(null, 'failed');
    this.ui.backendText.textContent = 'Not running';
    this.ui.progress.dataset.stage = 'failed';
    this.ui.progressBar.value = 0;
    this.ui.progressText.textContent = 'The model could not start.';
  }

  /**
   * Adds a line to the message list; kind: error | refused | notice. A message said already
   * (the same kind and words) moves to the top rather than being listed twice.
   */
  addMessage(kind, text, { photo } = {}) {
    const { messages } = this.ui;
    for (const old of [...messages.children]) {
      if (old.dataset.kind === kind && old.firstChild.textContent === text) old.remove();
    }
    const li = document.createElement('li');
    li.className = `message message-${kind}`;
    li.dataset.kind = kind;
    if (photo) li.dataset.photoId = String(photo.id);
    const body = document.createElement('span');
    body.textContent = text;
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'message-close';
    close.setAttribute('aria-label', 'Dismiss this message');
    close.textContent = '×';
    close.addEventListener('click', () => {
      li.remove();
      this.#messagesChanged();
    });
    li.append(body, close);
    messages.prepend(li);
    this.#messagesChanged();
  }

  /** Takes the messages about `photo` off the list (it was removed). */
  forgetPhoto(photo) {
    for (const li of this.ui.messages.querySelectorAll(`[data-photo-id="${photo.id}"]`)) li.remove();
    this.#messagesChanged();
  }

  /** Says that `mode` at `size` px did not run (`refusal`: why) in place of a run's timings. */
  showNotRun({ mode, size, refusal }) {
    const t = this.ui.timings;
    for (const key of ['mode', 'size', 'totalMs', 'backend', 'firstRun']) delete t.dataset[key];
    t.dataset.refused = 'true';
    const head = Object.assign(document.createElement('span'), {
      className: 'timings-head',
      textContent: `${mode} at ${size} px: not run`,
    });
    const reason = Object.assign(document.createElement('span'), { className: 'timings-refusal', textContent: refusal });
    t.replaceChildren(head, reason);
  }

  /**
   * Shows a run's timings, or "No run yet." for null; `photo` (its width and height) says when
   * the run scaled the photo up beyond its own size.
   */
  showTimings(result, photo = null) {
    const t = this.ui.timings;
    delete t.dataset.refused;
    if (!result) {
      for (const key of ['mode', 'size', 'totalMs', 'backend', 'firstRun']) delete t.dataset[key];
      t.replaceChildren(Object.assign(document.createElement('span'), { className: 'muted', textContent: 'No run yet.' }));
      return;
    }
    t.dataset.mode = result.mode;
    t.dataset.size = String(result.size);
    t.dataset.totalMs = String(result.totalMs);
    t.dataset.backend = result.backend;
    t.dataset.firstRun = String(result.first);
    t.dataset.run = String(result.run);
    // The worker's wasm memory after the run (it only grows; a fresh worker gives it back).
    t.dataset.memoryBytes = String(result.memoryBytes);

    const head = document.createElement('span');
    head.className = 'timings-head';
    const twoPasses = result.globalSize != null;
    head.textContent =
      `${result.mode} at ${result.size} px` +
      (twoPasses ? ` with a ${result.globalSize} px global pass` : '') +
      ` on ${result.backend === 'webgpu' ? 'WebGPU' : 'the CPU'}` +
      (result.threads > 1 ? `, ${result.threads} threads` : '');
    const list = document.createElement('dl');
    list.className = 'timings-list';
    // Only a GPU has a result to read back: the CPU's mask is in the module's memory already.
    for (const [label, ms] of [
      ['preprocess', result.preprocessMs],
      [twoPasses ? 'inference, both passes' : 'inference', result.inferenceMs],
      ...(result.backend === 'webgpu' ? [['readback', result.readbackMs]] : []),
      ['postprocess', result.postprocessMs],
      ['in and out of the module', result.boundaryMs],
      ['total', result.totalMs],
    ]) {
      const item = document.createElement('div');
      if (label === 'total') item.className = 'total';
      item.append(
        Object.assign(document.createElement('dt'), { textContent: label }),
        Object.assign(document.createElement('dd'), { textContent: formatMs(ms) }),
      );
      list.append(item);
    }
    const parts = [head, list];
    // A first run of a mode and size pays for setting it up: compiling the shaders on WebGPU,
    // growing the module's memory on the CPU (when no earlier run needed as much).
    if (result.first) {
      parts.push(Object.assign(document.createElement('span'), {
        className: 'badge',
        textContent: result.backend === 'webgpu'
          ? 'first run: includes shader compilation'
          : 'first run of this mode and size: may include growing memory',
      }));
    }
    // A resolution above the photo's own size adds no detail, only time: say so.
    const longer = photo ? Math.max(photo.width, photo.height) : null;
    if (longer && result.size > longer) {
      parts.push(Object.assign(document.createElement('span'), {
        className: 'badge',
        textContent: `scaled up ${(result.size / longer).toFixed(1)}× from the photo's ${longer} px: no detail gained`,
      }));
      parts.at(-1).dataset.testid = 'upscaled';
    }
    if (result.profile) parts.push(profileDetails(result.profile, result.inferenceMs));
    if (result.fellBack) {
      parts.push(Object.assign(document.createElement('span'), { className: 'badge badge-warn', textContent: 'ran on the CPU after WebGPU failed' }));
    }
    t.replaceChildren(...parts);
  }

  #messagesChanged() {
    this.ui.clearMessages.hidden = this.ui.messages.children.length === 0;
  }

  /** Puts the warm-up time in the "no run yet" note, if the note is still there. */
  #showWarmup({ warmupMs, backend }) {
    const t = this.ui.timings;
    t.dataset.warmupMs = String(warmupMs);
    const note = t.querySelector('.muted');
    if (note) {
      note.textContent = `Ready. Warm-up took ${formatMs(warmupMs)}` +
        (backend === 'webgpu' ? ' (shader compilation).' : '.');
      note.dataset.testid = 'warmup';
    }
  }
}

/** 2_500_000 -> "2.5 MB": download sizes, in the units a connection's speed is quoted in. */
function formatMegabytes(bytes) {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** The inference time per kind of layer on the CPU kernels, folded under the timings. */
function profileDetails(profile, inferenceMs) {
  const details = document.createElement('details');
  details.className = 'profile';
  details.dataset.testid = 'profile';
  details.append(Object.assign(document.createElement('summary'), { textContent: 'inference by kind of layer' }));
  const table = document.createElement('table');
  for (const { step, layers, ms } of profile) {
    const row = table.insertRow();
    row.dataset.step = step;
    row.dataset.ms = String(ms);
    const share = inferenceMs > 0 ? `${Math.round((100 * ms) / inferenceMs)} %` : '';
    for (const [text, className] of [[step, ''], [`${layers}×`, 'num'], [formatMs(ms), 'num'], [share, 'num']]) {
      Object.assign(row.insertCell(), { textContent: text, className });
    }
  }
  details.append(table);
  return details;
}
