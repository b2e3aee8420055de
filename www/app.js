// Wiring of the page: controls, the photo strip, the viewer, the status area and the
// analysis panel, and the page's run queue (one model request at a time, the selected photo
// first, analysis batches last and cancellable). The model itself runs in the worker, behind
// engine.js; nothing here blocks the page for long.

import { DEFAULT_MODE, DEFAULT_SIZE, MODES, SWEEP_SIZES, TRAINED_SIZE } from './config.js';
import { Engine } from './engine.js';
import { mountCamera } from './camera-panel.js';
import { attachFileSources, readFile } from './files.js';
import { downloadBlob, Overlay, rgbaCanvas, thumbnailCanvas } from './overlay.js';
import { MODE_COLOURS, renderCompareChart, renderSweepChart } from './charts.js';
import { formatBytes, formatFlops, formatMs, formatSize } from './format.js';

const $ = (id) => document.getElementById(id);

const ui = {
  backend: $('backend'),
  backendText: $('backend-text'),
  fileInput: $('file-input'),
  dropZone: $('drop-zone'),
  photos: $('photos'),
  viewer: $('viewer'),
  view: $('view'),
  viewMessage: $('view-message'),
  caption: $('caption'),
  progress: $('progress'),
  progressBar: $('progress-bar'),
  progressText: $('progress-text'),
  timings: $('timings'),
  errors: $('errors'),
  mode: $('mode'),
  size: $('size'),
  viewRadios: [...document.querySelectorAll('input[name="view"]')],
  opacity: $('opacity'),
  opacityValue: $('opacity-value'),
  colour: $('colour'),
  downloadMask: $('download-mask'),
  downloadCutout: $('download-cutout'),
  compare: $('compare-modes'),
  sweep: $('resolution-sweep'),
  sweep2048: $('sweep-2048'),
  cancelAnalysis: $('cancel-analysis'),
  analysis: $('analysis'),
  analysisTitle: $('analysis-title'),
  analysisStatus: $('analysis-status'),
  analysisChart: $('analysis-chart'),
  analysisTable: $('analysis-table'),
};

// ---------------------------------------------------------------------------------------------
// State.

const params = new URLSearchParams(location.search);
// ?backend=cpu: the CPU backend; ?backend=webgpu: WebGPU even on a software adapter.
const backendParam = params.get('backend');
const engine = new Engine({
  preferGpu: backendParam !== 'cpu',
  acceptSoftwareGpu: backendParam === 'webgpu',
  forcedReason: backendParam === 'cpu' ? 'forced by ?backend=cpu' : null,
});

const settings = {
  mode: MODES.includes(ui.mode.value) ? ui.mode.value : DEFAULT_MODE,
  size: Number(ui.size.value) || DEFAULT_SIZE,
};

/**
 * A photo: { id, name, bytes, state, status, width, height, canvas, result, refusal,
 *            permanent (an error that no re-run will fix), li }
 * state: queued | running | done | error | refused
 */
const photos = [];
let selected = null;
let nextPhotoId = 1;
let runCount = 0;

const overlay = new Overlay(ui.view);
overlay.setOpacity(Number(ui.opacity.value) / 100);
overlay.setColour(ui.colour.value);

// ---------------------------------------------------------------------------------------------
// Status area: backend label, warm-up progress, messages, timings.

function showBackend(info, state) {
  ui.backend.dataset.backend = info ? info.backend : 'none';
  if (state) ui.backend.dataset.state = state;
  if (!info) return;
  if (info.backend === 'webgpu') {
    ui.backendText.textContent = `WebGPU on ${info.adapter || 'an unnamed adapter'}`;
    ui.backend.title = info.maxBufferBytes
      ? `Largest buffer this GPU allows: ${formatBytes(info.maxBufferBytes)}`
      : '';
  } else {
    ui.backendText.textContent = `CPU · ${info.fallbackReason ?? 'WebGPU was not requested'}`;
    ui.backend.title = `${ui.backendText.textContent} (WebAssembly in a worker)`;
  }
}

function showProgress({ stage, message, fraction }) {
  ui.progress.dataset.stage = stage;
  ui.progress.hidden = stage === 'ready';
  ui.progressBar.value = fraction ?? 0;
  ui.progressText.textContent = message;
}

/** Adds a line to the message list; kind: error | refused | notice. */
function addMessage(kind, text, { photo } = {}) {
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
  close.addEventListener('click', () => li.remove());
  li.append(body, close);
  ui.errors.prepend(li);
  while (ui.errors.children.length > 8) ui.errors.lastElementChild.remove();
}

function showTimings(result) {
  const t = ui.timings;
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

  const head = document.createElement('span');
  head.className = 'timings-head';
  const twoPasses = result.size > TRAINED_SIZE;
  head.textContent =
    `${result.mode} at ${result.size} px` +
    (twoPasses ? ` with a ${TRAINED_SIZE} px global pass` : '') +
    ` on ${result.backend === 'webgpu' ? 'WebGPU' : 'the CPU'}`;
  const list = document.createElement('dl');
  list.className = 'timings-list';
  for (const [label, ms] of [
    ['preprocess', result.preprocessMs],
    [twoPasses ? 'inference, both passes' : 'inference', result.inferenceMs],
    ['readback', result.readbackMs],
    ['postprocess', result.postprocessMs],
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
  // Only WebGPU compiles anything on a first run; the CPU backend's first run is like any other.
  if (result.first && result.backend === 'webgpu') {
    parts.push(Object.assign(document.createElement('span'), {
      className: 'badge',
      textContent: 'first run: includes shader compilation',
    }));
  }
  if (result.profile) parts.push(profileDetails(result.profile, result.inferenceMs));
  if (result.fellBack) {
    parts.push(Object.assign(document.createElement('span'), { className: 'badge badge-warn', textContent: 'ran on the CPU after WebGPU failed' }));
  }
  t.replaceChildren(...parts);
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

// ---------------------------------------------------------------------------------------------
// The photo strip.

const STATUS_TEXT = { queued: 'Queued', running: 'Running…', done: 'Done', error: 'Error', refused: 'Skipped' };

function stem(name) {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

function createThumb(photo) {
  const li = document.createElement('li');
  li.className = 'thumb';
  li.dataset.testid = 'photo';
  li.dataset.photoId = String(photo.id);
  li.dataset.name = photo.name;

  const pick = document.createElement('button');
  pick.type = 'button';
  pick.className = 'thumb-pick';
  pick.setAttribute('aria-pressed', 'false');
  pick.addEventListener('click', () => {
    // A choice made by hand is not overridden by photos that finish decoding later.
    for (const p of photos) p.autoSelect = false;
    select(photo);
  });

  const image = document.createElement('span');
  image.className = 'thumb-image';
  const name = document.createElement('span');
  name.className = 'thumb-name';
  name.textContent = photo.name;
  name.title = photo.name;
  const status = document.createElement('span');
  status.className = 'thumb-status';
  status.dataset.testid = 'photo-status';
  pick.append(image, name, status);

  const remove = document.createElement('button');
  remove.type = 'button';
  remove.className = 'thumb-remove';
  remove.setAttribute('aria-label', `Remove ${photo.name}`);
  remove.title = 'Remove';
  remove.textContent = '×';
  remove.addEventListener('click', () => removePhoto(photo));

  li.append(pick, remove);
  photo.li = li;
  ui.photos.append(li);
}

function setState(photo, state, status) {
  photo.state = state;
  photo.status = status ?? (state === 'done' && photo.result
    ? `Done · ${photo.result.mode} ${photo.result.size}`
    : STATUS_TEXT[state]);
  renderThumb(photo);
  if (photo === selected) renderViewer();
}

function renderThumb(photo) {
  const { li } = photo;
  if (!li) return;
  li.dataset.state = photo.state;
  const status = li.querySelector('.thumb-status');
  status.textContent = photo.status;
  status.title = photo.status;
  li.querySelector('.thumb-pick').setAttribute('aria-pressed', String(photo === selected));
  li.classList.toggle('is-selected', photo === selected);
  const image = li.querySelector('.thumb-image');
  if (photo.canvas && !image.firstChild) image.append(thumbnailCanvas(photo.canvas, 160));
}

function addFiles(files) {
  let first = true;
  for (const file of files) {
    const photo = {
      id: nextPhotoId++,
      name: file.name || 'unnamed',
      bytes: null,
      state: 'queued',
      status: 'Reading…',
      canvas: null,
      result: null,
      refusal: null,
      permanent: false,
      // The first photo of a pick takes the view once it decodes; a file that does not
      // decode never does, so a bad file never takes the view from a good photo.
      autoSelect: first,
      li: null,
    };
    first = false;
    photos.push(photo);
    createThumb(photo);
    renderThumb(photo);
    readFile(file).then(
      (bytes) => {
        photo.bytes = bytes;
        schedule(photo);
      },
      (err) => fail(photo, err, true),
    );
  }
  if (!selected && photos.length) select(photos.find((p) => p.state !== 'error') ?? photos[0]);
  updateButtons();
}

function removePhoto(photo) {
  const index = photos.indexOf(photo);
  if (index < 0) return;
  photos.splice(index, 1);
  viewQueue.delete(photo.id);
  photo.li?.remove();
  engine.forget(photo.id);
  if (selected === photo) {
    selected = null;
    const next = photos[Math.min(index, photos.length - 1)];
    if (next) select(next);
    else {
      overlay.setPhoto(null);
      showTimings(null);
      renderViewer();
    }
  }
  updateButtons();
}

/** Marks the photo as failed; `quiet` keeps it off the message list (already said there). */
function fail(photo, err, permanent = false, quiet = false) {
  const message = err?.message ?? String(err);
  photo.permanent = photo.permanent || permanent;
  photo.error = message;
  setState(photo, 'error', message);
  if (!quiet) addMessage('error', `${photo.name}: ${message}`, { photo });
  updateButtons();
}

// ---------------------------------------------------------------------------------------------
// Selection and the viewer.

function select(photo) {
  selected = photo;
  for (const p of photos) renderThumb(p);
  overlay.setPhoto(photo.canvas ?? null);
  if (photo.result) overlay.setMask(photo.result.mask);
  showTimings(photo.result);
  renderViewer();
  updateButtons();
  if (photo.canvas && photo.state !== 'running' && !matchesSettings(photo)) schedule(photo);
}

function matchesSettings(photo) {
  return photo.result?.mode === settings.mode && photo.result?.size === settings.size;
}

function renderViewer() {
  const photo = selected;
  let message = '';
  let state = 'empty';
  if (!photo) {
    message = 'Add a photo to begin: choose, drop or paste one.';
  } else if (photo.state === 'error' && !photo.canvas) {
    state = 'error';
    message = `${photo.name} could not be used: ${photo.error}`;
  } else if (!photo.canvas) {
    state = 'loading';
    message = photo.state === 'running' ? 'Decoding…' : 'Waiting for the model…';
  } else {
    state = overlay.hasMask ? 'mask' : 'photo';
    if (photo.state === 'refused') message = photo.refusal;
    else if (photo.state === 'error') message = photo.error;
    else if (photo.state === 'running' || photo.state === 'queued') {
      message = `Running ${settings.mode} at ${settings.size} px…`;
    }
  }
  ui.viewer.dataset.state = state;
  ui.viewer.dataset.busy = String(Boolean(photo && (photo.state === 'running' || photo.state === 'queued')));
  ui.viewMessage.textContent = message;
  ui.viewMessage.hidden = !message;
  ui.viewMessage.dataset.kind = photo?.state === 'refused' ? 'refused' : photo?.state === 'error' ? 'error' : 'info';

  const caption = [];
  if (photo) {
    caption.push(photo.name);
    if (photo.canvas) caption.push(formatSize(photo.canvas.width, photo.canvas.height));
    if (photo.result && overlay.hasMask) {
      caption.push(`mask: ${photo.result.mode} at ${photo.result.size} px`);
    }
  }
  ui.caption.textContent = caption.join(' · ');
}

function updateButtons() {
  const hasMask = overlay.hasMask;
  ui.downloadMask.disabled = !hasMask;
  ui.downloadCutout.disabled = !hasMask;
  const canAnalyse = Boolean(selected?.canvas) && !analysis.running && !engine.failed;
  ui.compare.disabled = !canAnalyse;
  ui.sweep.disabled = !canAnalyse;
  ui.cancelAnalysis.disabled = !analysis.running;
}

// ---------------------------------------------------------------------------------------------
// The run queue: photos to decode and segment at the current settings (the selected one
// first), then analysis jobs. One request is in flight at a time.

const viewQueue = new Set();
const batchQueue = [];
let pumping = false;

function schedule(photo) {
  if (photo.permanent || !photo.bytes || !photos.includes(photo)) return;
  viewQueue.add(photo.id);
  if (photo.state !== 'running') setState(photo, 'queued');
  pump();
}

function nextPhoto() {
  if (selected && viewQueue.has(selected.id)) return selected;
  for (const id of viewQueue) {
    const photo = photos.find((p) => p.id === id);
    if (photo) return photo;
    viewQueue.delete(id);
  }
  return null;
}

async function pump() {
  if (pumping) return;
  pumping = true;
  try {
    for (;;) {
      const photo = nextPhoto();
      if (photo) {
        viewQueue.delete(photo.id);
        // A failure of the page's own code marks the photo; the queue keeps going.
        await runPhoto(photo).catch((err) => fail(photo, err));
        continue;
      }
      const job = batchQueue.shift();
      if (job) {
        await job().catch((err) => addMessage('error', `analysis: ${err?.message ?? err}`));
        continue;
      }
      break;
    }
  } finally {
    pumping = false;
  }
}

/** Decodes the photo in the worker unless it holds it; false when that failed. */
async function ensureDecoded(photo) {
  if (engine.has(photo.id)) return true;
  let decoded;
  try {
    decoded = await engine.decode(photo.id, photo.bytes);
  } catch (err) {
    // A bad file stays bad; a model that is not running will not decode anything either
    // (and why it is not running is already in the messages).
    if (engine.failed) fail(photo, new Error('the model is not running'), true, true);
    else fail(photo, err, err.kind === 'input' || err.kind === 'module');
    return false;
  }
  if (!photos.includes(photo)) return false;
  if (!photo.canvas) {
    photo.canvas = rgbaCanvas(decoded.rgba, decoded.width, decoded.height);
    renderThumb(photo);
    if (photo === selected) {
      overlay.setPhoto(photo.canvas);
      renderViewer();
      updateButtons();
    } else if (photo.autoSelect || !selected?.canvas) {
      // A newly added photo takes the view once it decodes; a file that does not decode
      // never gets here, so it never takes the view from a good photo.
      select(photo);
    }
  }
  return true;
}

/** Puts the selected photo's latest mask and timings on screen. */
function showResult(photo) {
  overlay.setMask(photo.result?.mask ?? null);
  showTimings(photo.result);
  renderViewer();
  updateButtons();
}

async function runPhoto(photo) {
  if (!engine.has(photo.id)) setState(photo, 'running', 'Decoding…');
  if (!(await ensureDecoded(photo))) return;
  const { mode, size } = settings;
  if (matchesSettings(photo)) {
    photo.refusal = null;
    setState(photo, 'done');
    if (photo === selected) showResult(photo);
    return;
  }
  setState(photo, 'running', `Running ${mode} at ${size}…`);
  try {
    const result = await engine.segment(photo.id, mode, size);
    runCount += 1;
    photo.result = { ...result, run: runCount };
    photo.refusal = null;
    photo.error = null;
    photo.retried = false;
    setState(photo, 'done');
    if (photo === selected) showResult(photo);
  } catch (err) {
    if (!photos.includes(photo)) return;
    if (err.kind === 'refused') {
      photo.refusal = err.message;
      setState(photo, 'refused', `Skipped: ${err.message}`);
      addMessage('refused', `${photo.name}: ${err.message}`, { photo });
      if (photo === selected) {
        overlay.setMask(null);
        renderViewer();
        updateButtons();
      }
    } else if ((err.kind === 'crashed' || err.kind === 'unknown-image') && !photo.retried) {
      // The worker was replaced: decode again and retry once.
      photo.retried = true;
      schedule(photo);
    } else {
      fail(photo, err);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Analysis: "Compare modes" and "Resolution sweep".

const analysis = { running: false, cancelled: false };

function startAnalysis(kind, title) {
  analysis.running = true;
  analysis.cancelled = false;
  analysis.kind = kind;
  ui.analysis.hidden = false;
  ui.analysis.dataset.kind = kind;
  ui.analysis.dataset.state = 'running';
  ui.analysisTitle.textContent = title;
  updateButtons();
}

function finishAnalysis(status) {
  analysis.running = false;
  ui.analysis.dataset.state = analysis.cancelled ? 'cancelled' : 'done';
  ui.analysisStatus.textContent = status;
  updateButtons();
}

/** Runs `mode` at `size` for the analysis; a first WebGPU run (shader compilation) is run again. */
async function measure(photo, mode, size) {
  let result = await engine.segment(photo.id, mode, size);
  if (result.first && result.backend === 'webgpu') {
    result = { ...(await engine.segment(photo.id, mode, size)), warmed: true };
  }
  return result;
}

function cellText(entry) {
  if (entry.state === 'done') return formatMs(entry.result.totalMs);
  if (entry.state === 'refused') return 'refused';
  if (entry.state === 'error') return 'error';
  if (entry.state === 'running') return 'running…';
  if (entry.state === 'cancelled') return 'cancelled';
  return 'queued';
}

function fillTable(head, rows) {
  const thead = document.createElement('thead');
  const tr = document.createElement('tr');
  head.forEach((h, i) => {
    const th = Object.assign(document.createElement('th'), { scope: 'col', textContent: h });
    // Numeric columns are right-aligned, headers included.
    if (String(rows[0]?.[i]?.className ?? '').split(' ').includes('num')) th.className = 'num';
    tr.append(th);
  });
  thead.append(tr);
  const tbody = document.createElement('tbody');
  for (const row of rows) {
    const r = document.createElement('tr');
    row.forEach((cell, i) => {
      const td = document.createElement(i === 0 ? 'th' : 'td');
      if (i === 0) {
        td.scope = 'row';
        const swatch = Object.assign(document.createElement('span'), { className: 'swatch' });
        swatch.style.background = MODE_COLOURS[cell] ?? 'transparent';
        td.append(swatch, document.createTextNode(cell));
      } else if (cell && typeof cell === 'object') {
        td.textContent = cell.text;
        if (cell.title) td.title = cell.title;
        if (cell.className) td.className = cell.className;
      } else {
        td.textContent = cell ?? '–';
      }
      r.append(td);
    });
    tbody.append(r);
  }
  ui.analysisTable.replaceChildren(thead, tbody);
}

async function runBatch(entries, photo, render) {
  for (const entry of entries) {
    batchQueue.push(async () => {
      if (analysis.cancelled || !photos.includes(photo)) {
        entry.state = 'cancelled';
        render();
        return;
      }
      entry.state = 'running';
      render();
      try {
        if (!(await ensureDecoded(photo))) throw new Error(photo.error ?? 'the photo could not be decoded');
        entry.result = await measure(photo, entry.mode, entry.size);
        entry.state = 'done';
      } catch (err) {
        entry.state = err.kind === 'refused' ? 'refused' : 'error';
        entry.message = err.message;
        // What a refused run would have needed is worth a row of its own.
        if (err.kind === 'refused' && photo.canvas) {
          entry.cost = await engine
            .cost(entry.mode, photo.canvas.width, photo.canvas.height, entry.size)
            .then((answer) => answer.cost, () => null);
        }
      }
      render();
    });
  }
  await new Promise((resolve) => {
    batchQueue.push(async () => resolve());
    pump();
  });
}

async function compareModes() {
  const photo = selected;
  if (!photo?.canvas) return;
  const size = settings.size;
  const entries = MODES.map((mode) => ({ mode, size, state: 'queued' }));
  startAnalysis('compare', `Compare modes · ${photo.name} at ${size} px`);
  const render = () => {
    const done = entries.filter((e) => !['queued', 'running'].includes(e.state)).length;
    const running = entries.find((e) => e.state === 'running');
    ui.analysisStatus.textContent = running ? `Running ${running.mode} (${done + 1} of ${entries.length})…` : '';
    renderCompareChart(ui.analysisChart, entries.map((e) => ({
      mode: e.mode,
      totalMs: e.state === 'done' ? e.result.totalMs : null,
      blockBytes: e.state === 'done' ? e.result.cost?.peakBytes : null,
      note: cellText(e),
    })));
    fillTable(
      ['Mode', 'Total', 'Inference', 'Block memory', 'Largest buffer', 'FLOPs', 'Feature map', 'Note'],
      entries.map((e) => {
        const r = e.result;
        const cost = r?.cost ?? e.cost;
        return [
          e.mode,
          { text: cellText(e), className: 'num' },
          { text: r ? formatMs(r.inferenceMs) : '–', className: 'num' },
          { text: cost ? formatBytes(cost.peakBytes) : '–', className: 'num' },
          { text: cost ? formatBytes(cost.largestBufferBytes) : '–', className: 'num' },
          { text: cost ? formatFlops(cost.flops) : '–', className: 'num' },
          { text: cost ? formatSize(cost.featureWidth, cost.featureHeight) : '–', className: 'num' },
          { text: e.message ?? (r?.warmed ? 'after a warm-up run' : ''), title: e.message ?? '' },
        ];
      }),
    );
  };
  render();
  await runBatch(entries, photo, render);
  const ok = entries.filter((e) => e.state === 'done').length;
  finishAnalysis(
    `${ok} of ${entries.length} modes ran on ${engine.info?.backend === 'webgpu' ? 'WebGPU' : 'the CPU'}` +
      (analysis.cancelled ? ' (cancelled)' : '') +
      '. Block memory is the attention block’s peak; times exclude shader compilation.',
  );
}

async function resolutionSweep() {
  const photo = selected;
  if (!photo?.canvas) return;
  const sizes = ui.sweep2048.checked ? [...SWEEP_SIZES, 2048] : [...SWEEP_SIZES];
  const entries = MODES.flatMap((mode) => sizes.map((size) => ({ mode, size, state: 'queued' })));
  startAnalysis('sweep', `Resolution sweep · ${photo.name}`);
  const render = () => {
    const done = entries.filter((e) => !['queued', 'running'].includes(e.state)).length;
    const running = entries.find((e) => e.state === 'running');
    ui.analysisStatus.textContent = running
      ? `Running ${running.mode} at ${running.size} px (${done + 1} of ${entries.length})…`
      : '';
    renderSweepChart(ui.analysisChart, {
      sizes,
      series: MODES.map((mode) => ({
        mode,
        points: entries
          .filter((e) => e.mode === mode)
          .map((e) => ({ size: e.size, ms: e.state === 'done' ? e.result.totalMs : null })),
      })),
    });
    fillTable(
      ['Mode', ...sizes.map((s) => `${s} px`)],
      MODES.map((mode) => [
        mode,
        ...sizes.map((size) => {
          const e = entries.find((x) => x.mode === mode && x.size === size);
          return { text: cellText(e), title: e.message ?? '', className: `num state-${e.state}` };
        }),
      ]),
    );
  };
  render();
  await runBatch(entries, photo, render);
  const ok = entries.filter((e) => e.state === 'done').length;
  finishAnalysis(
    `${ok} of ${entries.length} runs done` +
      (analysis.cancelled ? ' (cancelled)' : '') +
      '. Total time per run; a mode and size whose shaders were not yet compiled ran once, untimed, first. ' +
      'Hover a refused cell for the reason.',
  );
}

// ---------------------------------------------------------------------------------------------
// Controls.

function onSettingsChange() {
  settings.mode = ui.mode.value;
  settings.size = Number(ui.size.value);
  if (selected) schedule(selected);
  renderViewer();
}

ui.mode.addEventListener('change', onSettingsChange);
ui.size.addEventListener('change', onSettingsChange);

for (const radio of ui.viewRadios) {
  radio.addEventListener('change', () => {
    if (!radio.checked) return;
    overlay.setView(radio.value);
    ui.viewer.dataset.view = radio.value;
  });
}
ui.opacity.addEventListener('input', () => {
  ui.opacityValue.textContent = `${ui.opacity.value}%`;
  overlay.setOpacity(Number(ui.opacity.value) / 100);
});
ui.colour.addEventListener('input', () => overlay.setColour(ui.colour.value));

async function download(kind) {
  const photo = selected;
  if (!photo || !overlay.hasMask) return;
  try {
    const blob = kind === 'mask' ? await overlay.maskPng() : await overlay.cutoutPng();
    downloadBlob(blob, `${stem(photo.name)}.${kind}.png`);
  } catch (err) {
    addMessage('error', `${photo.name}: the ${kind} could not be saved: ${err.message}`, { photo });
  }
}
ui.downloadMask.addEventListener('click', () => download('mask'));
ui.downloadCutout.addEventListener('click', () => download('cutout'));

ui.compare.addEventListener('click', () => compareModes());
ui.sweep.addEventListener('click', () => resolutionSweep());
ui.cancelAnalysis.addEventListener('click', () => {
  analysis.cancelled = true;
  ui.analysisStatus.textContent = 'Cancelling after the current run…';
  ui.cancelAnalysis.disabled = true;
});

attachFileSources({ input: ui.fileInput, dropZone: ui.dropZone, onFiles: addFiles });

// ---------------------------------------------------------------------------------------------
// The engine.

engine.addEventListener('progress', (event) => showProgress(event.detail));
// After start, a 'backend' event means the worker moved (to the CPU) and runs again.
let engineStarted = false;
engine.addEventListener('backend', (event) => showBackend(event.detail.info, engineStarted ? 'ready' : undefined));
engine.addEventListener('fallback', (event) => {
  addMessage('notice', event.detail.reason);
  ui.backend.dataset.state = 'starting';
});
engine.addEventListener('crash', (event) => {
  const { message, restarting } = event.detail;
  addMessage('error', restarting
    ? `The model stopped (${message}); it is restarting on the CPU.`
    : `The model stopped (${message}) and could not be restarted; reload the page.`);
  ui.backend.dataset.state = restarting ? 'starting' : 'failed';
  if (!restarting) ui.backendText.textContent = 'Not running: reload the page';
  if (restarting) {
    engine.ready.then(
      (info) => {
        showBackend(info, 'ready');
        pump();
      },
      (err) => {
        ui.backend.dataset.state = 'failed';
        addMessage('error', err.message);
      },
    );
  }
});

// ---------------------------------------------------------------------------------------------
// The live camera (www/camera-panel.js): it shares the engine, the settings and the photos.

mountCamera({
  engine,
  settings: () => ({ mode: settings.mode, size: settings.size }),
  photos: () => photos.filter((p) => p.canvas),
  addPhoto: (file) => addFiles([file]),
  report: (kind, text) => addMessage(kind, text),
});

renderViewer();
updateButtons();

engine.start().then(
  (info) => {
    engineStarted = true;
    showBackend(info, 'ready');
    showProgress({ stage: 'ready', message: 'Ready.', fraction: 1 });
    if (info.warmupError) addMessage('error', info.warmupError);
    else if (info.warmupMs != null) {
      ui.timings.dataset.warmupMs = String(info.warmupMs);
      const note = ui.timings.querySelector('.muted');
      if (note) {
        note.textContent = `Ready. Warm-up took ${formatMs(info.warmupMs)}` +
          (info.backend === 'webgpu' ? ' (shader compilation).' : '.');
        note.dataset.testid = 'warmup';
      }
    }
    updateButtons();
  },
  (err) => {
    showBackend(null, 'failed');
    ui.backendText.textContent = 'Not running';
    ui.progress.dataset.stage = 'failed';
    ui.progressBar.value = 0;
    ui.progressText.textContent = 'The model could not start.';
    addMessage('error', err.message);
    updateButtons();
  },
);
