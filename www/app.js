// The page's composition root: it finds the elements, makes the modules and joins them, and
// holds the page's state (the photos, the one in view, the settings). Data flows one way:
// the worker answers the segmenter (linseg.js, the library the page embeds as any page would),
// the run queue (run-queue.js) writes the answers
// into the photo records (photo.js), and app.js hands those to the views: the strip
// (strip.js), the viewer (viewer.js) and what it looks at (look.js), the status area
// (status.js, which engine-status.js keeps up with the engine), the controls (controls.js),
// the analysis panel (analyses.js) and the camera (camera-panel.js); build-watch.js moves the
// engine to a module build that comes after the page opened. The views report clicks through
// the callbacks they were given here; none of them calls back into this file otherwise.
// The segmenter itself is made and started by page-engine.js, the page's first script, so that
// the model loads while these modules download.
// Owns: the page's state (the photos, the one in view, the settings), the wiring between the
// modules and the page's `data-fact` texts. Must not touch: what each module owns (it goes
// through their functions) or the worker (the engine speaks to it).

import { DEFAULTS } from './config.js';
import { BACKENDS } from './linseg.js';
import { backendParam, catalog, engine, offline, started, takeEarlyEvents } from './page-engine.js';
import { followEngine } from './engine-status.js';
import { mountCamera } from './camera-panel.js';
import { attachFileSources, readFile } from './files.js';
import { Overlay, rgbaCanvas } from './overlay.js';
import { createPhoto, markFailed, matchesSettings, releasePhoto } from './photo.js';
import { RunQueue } from './run-queue.js';
import { StatusArea } from './status.js';
import { PhotoStrip } from './strip.js';
import { Viewer } from './viewer.js';
import { Controls } from './controls.js';
import { Analyses } from './analyses.js';
import { LookAt } from './look.js';
import { iouAgainst, personShare, loadMetrics } from './quality.js';
import { loadSample } from './sample.js';
import { formatBytes } from './format.js';

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------------------------------------
// State.

const params = new URLSearchParams(location.search);

/** @type {import('./photo.js').Photo[]} the photos on the page, in the strip's order */
const photos = [];
/** @type {import('./photo.js').Photo | null} the photo in view */
let selected = null;
let nextPhotoId = 1;
const isPresent = (photo) => photos.includes(photo);

// ---------------------------------------------------------------------------------------------
// The modules.

const overlay = new Overlay($('view'));
const viewer = new Viewer({ viewer: $('viewer'), message: $('view-message'), caption: $('caption') }, overlay);
const status = new StatusArea({
  backend: $('backend'), backendText: $('backend-text'),
  progress: $('progress'), progressBar: $('progress-bar'), progressText: $('progress-text'),
  timings: $('timings'), messages: $('errors'), clearMessages: $('clear-messages'),
});
if (backendParam !== null && !BACKENDS.includes(backendParam)) {
  const offered = BACKENDS.filter((b) => b !== 'auto').map((b) => `?backend=${b}`).join(' and ');
  status.addMessage('error', `“?backend=${backendParam}” is not a backend this page knows, so it chose one itself; the ones it knows are ${offered}.`);
}
const strip = new PhotoStrip($('photos'), {
  onPick(photo) {
    // A choice made by hand is not overridden by photos that finish decoding later.
    for (const p of photos) p.autoSelect = false;
    select(photo);
  },
  onRemove: removePhoto,
});
const controls = new Controls({
  elements: {
    settings: [{ mode: $('mode'), size: $('size') }, { mode: $('camera-mode'), size: $('camera-size') }], viewRadios: [...document.querySelectorAll('input[name="view"]')],
    opacity: $('opacity'), opacityValue: $('opacity-value'), colour: $('colour'),
    downloadMask: $('download-mask'), downloadCutout: $('download-cutout'), downloadView: $('download-view'),
    blur: $('blur'), blurValue: $('blur-value'), background: $('background'),
  },
  defaults: DEFAULTS,
  overlay,
  selectedPhoto: () => selected,
  onSettingsChange(newSettings) {
    settings = newSettings;
    if (selected) queue.schedule(selected);
    renderViewer();
    look.refresh();
  },
  onViewChange: (view) => viewer.setView(view),
  onError: (photo, text) => status.addMessage('error', `${photo.name}: ${text}`, { photo }),
  onInvalid: (text) => status.addMessage('error', `Not run: ${text}`),
});
let settings = controls.settings();

const queue = new RunQueue({
  engine,
  isPresent,
  selected: () => selected,
  settings: () => settings,
  on: {
    change: renderPhoto,
    decoded(photo, decoded) {
      if (photo.canvas) return;
      photo.canvas = rgbaCanvas(decoded.rgba, decoded.width, decoded.height);
      renderPhoto(photo);
      if (photo === selected) {
        overlay.setPhoto(photo.canvas);
        renderViewer();
        updateButtons();
        look.refresh();
      } else if (!selected?.canvas || (photo.autoSelect && !(selected.autoSelect && photos.indexOf(selected) < photos.indexOf(photo)))) {
        // A newly added photo takes the view once it decodes, unless one before it in the same
        // pick already has it: the view ends on the first of a pick that decodes, whichever
        // decoded first. A file that does not decode never gets here.
        select(photo);
      }
    },
    result(photo) {
      if (photo.truth) photo.result.truthIou = iouAgainst(photo.result.mask, photo.truth);
      photo.result.personShare = personShare(photo.result.mask);
      renderPhoto(photo);
      if (photo !== selected) return;
      status.showTimings(photo.result, photo.canvas);
      showMask(photo.result.mask);
    },
    refused(photo) {
      status.addMessage('refused', `${photo.name}: ${photo.refusal}`, { photo });
      if (photo !== selected) return;
      status.showNotRun({ ...settings, refusal: photo.refusal });
      showMask(null);
    },
    failed: showFailure,
    cancelled: ({ photo, mode, size, ms }) =>
      status.addMessage('notice', `${photo.name}: stopped ${mode} at ${size} px after ${(ms / 1000).toFixed(1)} s to run the new settings sooner (a fresh model took ${(engine.startMs / 1000).toFixed(1)} s to start)`, { photo }),
    jobFailed: (err) => status.addMessage('error', `analysis: ${err?.message ?? err}`),
  },
});

const look = new LookAt({
  elements: {
    toggle: $('look'), status: $('look-status'), view: $('view'), opacity: $('heat-opacity'),
    opacityValue: $('heat-opacity-value'), scale: $('heat-scale'), low: $('heat-low'), high: $('heat-high'),
  },
  engine,
  overlay,
  ensureDecoded: (photo) => queue.ensureDecoded(photo),
  selectedPhoto: () => selected,
  settings: () => settings,
});

const analyses = new Analyses({
  elements: {
    compare: $('compare-modes'), sweep: $('resolution-sweep'), sweep2048: $('sweep-2048'),
    cancel: $('cancel-analysis'), panel: $('analysis'), title: $('analysis-title'),
    status: $('analysis-status'), chart: $('analysis-chart'), masks: $('analysis-masks'), table: $('analysis-table'),
    tableNote: $('analysis-table-note'),
  },
  engine,
  queue,
  selectedPhoto: () => selected,
  isPresent,
  size: () => settings.size,
  metrics: loadMetrics(),
});

// ---------------------------------------------------------------------------------------------
// Photos, the selection and what the views show of them.

/** Adds photos; `truth`, when given, is the first one's true mask (the sample's). */
function addFiles(files, truth = null) {
  // The photos of this pick may take the view as they decode (see `decoded`), earlier ones not.
  for (const p of photos) p.autoSelect = false;
  const added = [];
  for (const file of files) {
    const photo = createPhoto({ id: nextPhotoId++, name: file.name, autoSelect: true, truth: file === files[0] ? truth : null });
    photos.push(photo);
    added.push(photo);
    strip.add(photo);
    renderPhoto(photo);
    engine.catalog.then(({ maxFileBytes }) => readFile(file, maxFileBytes)).then(
      (bytes) => {
        photo.bytes = bytes;
        queue.schedule(photo);
      },
      (err) => {
        markFailed(photo, err, true);
        renderPhoto(photo);
        showFailure(photo, { quiet: false });
      },
    );
  }
  if (!selected && photos.length) select(photos.find((p) => p.state !== 'error') ?? photos[0]);
  // A photo that failed before it decoded has nothing to show: the new pick takes the view.
  else if (added.length && selected?.state === 'error' && !selected.canvas) select(added[0]);
  updateButtons();
}

function removePhoto(photo) {
  const index = photos.indexOf(photo);
  if (index < 0) return;
  photos.splice(index, 1);
  queue.remove(photo);
  strip.remove(photo);
  status.forgetPhoto(photo);
  engine.forget(photo.id);
  if (selected === photo) {
    selected = null;
    const next = photos[Math.min(index, photos.length - 1)];
    if (next) select(next);
    else {
      overlay.setPhoto(null);
      status.showTimings(null);
      renderViewer();
      look.refresh();
    }
  }
  releasePhoto(photo);
  updateButtons();
}

function select(photo) {
  selected = photo;
  for (const p of photos) strip.render(p, p === selected);
  overlay.setPhoto(photo.canvas ?? null);
  if (photo.state === 'refused') {
    status.showNotRun({ ...settings, refusal: photo.refusal });
  } else {
    if (photo.result) overlay.setMask(photo.result.mask);
    status.showTimings(photo.result, photo.canvas);
  }
  renderViewer();
  updateButtons();
  look.refresh();
  if (photo.canvas && photo.state !== 'running' && !matchesSettings(photo, settings)) queue.schedule(photo);
}

/** Shows a photo's changed state: its thumbnail, and the viewer when it is in view. */
function renderPhoto(photo) {
  strip.render(photo, photo === selected);
  controls.setBackgrounds(photos.filter((p) => p.canvas));
  if (photo === selected) renderViewer();
}

function renderViewer() {
  viewer.render(selected, settings);
}

/** Draws the selected photo's latest mask (null: none) and brings the views up to date. */
function showMask(mask) {
  overlay.setMask(mask);
  renderViewer();
  updateButtons();
}

/** Says that a photo failed (in the messages unless `quiet`: said there already). */
function showFailure(photo, { quiet }) {
  if (!quiet) status.addMessage('error', `${photo.name}: ${photo.error}`, { photo });
  updateButtons();
}

function updateButtons() {
  controls.setDownloadsEnabled(overlay.hasMask);
  $('remove-all').hidden = photos.length === 0;
  controls.setBackgrounds(photos.filter((p) => p.canvas));
  analyses.setAvailable(Boolean(selected?.canvas) && !engine.failed);
}

attachFileSources({ input: $('file-input'), dropZone: $('drop-zone'), onFiles: (files) => addFiles(files) });
$('remove-all').addEventListener('click', () => {
  for (const photo of [...photos]) removePhoto(photo);
});
$('sample').addEventListener('click', () => {
  loadSample().then(
    ({ file, truth }) => addFiles([file], truth),
    (err) => status.addMessage('error', `The sample could not be loaded: ${err.message}`),
  );
});

// ---------------------------------------------------------------------------------------------
// The live camera (www/camera-panel.js): it shares the engine, the settings and the photos.

mountCamera({
  engine,
  // ?camera-workers=N: the camera's CPU workers (default: one per core, at most four).
  workers: Number.parseInt(params.get('camera-workers') ?? '', 10) || null,
  settings: () => ({ mode: settings.mode, size: settings.size }),
  photos: () => photos.filter((p) => p.canvas),
  addPhoto: (file) => addFiles([file]),
  report: (kind, text) => status.addMessage(kind, text),
});

/** The page's text states the model's limits as the catalog gives them (one owner per fact). */
function showFacts({ maxFileBytes, trainedSize, formats }) {
  const facts = { 'max-file-bytes': formatBytes(maxFileBytes), 'trained-size': `${trainedSize} px`, formats };
  for (const el of document.querySelectorAll('[data-fact]')) el.textContent = facts[el.dataset.fact] ?? el.textContent;
}

renderViewer();
updateButtons();

followEngine(engine, status, { started, earlier: takeEarlyEvents(), onSettled: updateButtons, onRecovered: () => queue.resume() });
offline.then(({ note }) => {
  if (note) status.addMessage('notice', note);
});
catalog.then((offered) => {
  showFacts(offered);
  controls.setChoices(offered);
  analyses.setChoices(offered);
  settings = controls.settings();
}, () => {});
