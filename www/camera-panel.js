// The Camera section of the page: its button, view controls, live figures, snapshot and the
// camera's "Compare modes". The page reaches it only through mountCamera's arguments (the
// engine, the current settings, the photos and the way to add one, the message list).
// Owns: the elements inside #camera, but for its mode and size selects (controls.js shows the
// one setting there and in the Model group; frames go at `settings()`). Must not touch: anything
// else on the page (a snapshot goes through addPhoto, a message through report). Stream and loop: camera.js; drawing:
// camera-view.js; numbers: camera-stats.js; the workers frames run on: frame-pool.js.

import { Camera, cameraErrorMessage } from './camera.js';
import { FramePool } from './frame-pool.js';
import { CameraView, SMOOTHING_ALPHA } from './camera-view.js';
import { FrameStats, describeCamera, keepsUp, parseCompareFrames, renderCameraCompare } from './camera-stats.js';

/** Results of a mode that arrive first in a comparison are not counted (weights load then). */
const COMPARE_SKIP = 2;
/** How many frames' breakdowns (where a frame's time went) are kept for window.__linsegCamera. */
const BREAKDOWN_FRAMES = 120;

/**
 * Mounts the camera into the page's #camera section.
 * @param {{ engine: import('./linseg.js').Segmenter,
 *           workers?: number | null,
 *           settings: () => { mode: string, size: number },
 *           photos: () => { id: number, name: string, canvas: HTMLCanvasElement }[],
 *           addPhoto: (file: File) => void,
 *           report: (kind: 'error'|'notice'|'refused', text: string) => void }} options
 * @returns {Camera}
 */
export function mountCamera({ engine, workers = null, settings, photos, addPhoto, report }) {
  const $ = (id) => document.getElementById(id);
  const ui = {
    section: $('camera'),
    toggle: $('camera-toggle'),
    video: $('camera-video'),
    canvas: $('camera-view'),
    figures: $('camera-figures'),
    view: $('camera-view-mode'),
    device: $('camera-device'),
    mirror: $('camera-mirror'),
    opacity: $('camera-opacity'),
    opacityValue: $('camera-opacity-value'),
    colour: $('camera-colour'),
    background: $('camera-background'),
    smoothing: $('camera-smoothing'),
    snapshot: $('camera-snapshot'),
    compare: $('camera-compare'),
    compareFrames: $('camera-compare-frames'),
    compareStatus: $('camera-compare-status'),
    compareTable: $('camera-compare-table'),
  };
  const pool = new FramePool(engine, workers);
  const camera = new Camera({
    video: ui.video,
    settings,
    segment: (bitmap, mode, size) => pool.frame(bitmap, mode, size),
    lanes: () => pool.lanes,
  });
  // The warning under the figures: a setting too slow for live video, frames scaled up.
  ui.warning = Object.assign(document.createElement('p'), { id: 'camera-warning', className: 'message-notice', hidden: true });
  ui.warning.setAttribute('role', 'status');
  ui.figures.after(ui.warning);
  const view = new CameraView(ui.canvas);
  /** The figures of the setting frames are sent at, since it was chosen or the camera started. */
  const stats = new FrameStats();
  const live = {
    presented: -1, timings: null, backend: null, lastError: null, figuresAt: 0, comparing: null, snapshot: null,
    /** The setting the figures are about ("mode@size"). */
    key: null,
    /** The last setting seen to keep up with live video here: { mode, size, fps }. */
    keptUp: null,
    /** Where recent frames' time went, newest last (see breakdown in __linsegCamera). */
    breakdown: [],
    /** Frames whose mask awaits drawing: their breakdown, completed once drawn. */
    undrawn: null,
  };

  window.__linsegCamera = {
    get stats() {
      return { ...camera.stats(), ...stats.summary(), workers: pool.lanes };
    },
    get track() {
      return camera.track;
    },
    /** The newest frame's worker timings (readMs, preprocessMs, inferenceMs, …, totalMs). */
    get timings() {
      return live.timings;
    },
    /**
     * Where recent frames' time went (ms), one entry per mask drawn: waited (captured to sent to
     * a worker, the frame's handle for the view made meanwhile), read (the worker reading its
     * pixels), inference and engineRest (the engine's run: the network, and its pre- and
     * postprocessing and copies), transfer (the round trip beyond the read and the engine:
     * messages, the worker's queue), drawn (the mask's arrival to the view drawn with it), draw
     * (the drawing itself), latency (captured to the mask's arrival), shown (captured to drawn).
     */
    get breakdown() {
      return live.breakdown.slice();
    },
    get snapshot() {
      return live.snapshot;
    },
  };

  ui.smoothing.parentElement.title =
    `An exponential moving average of the mask over frames (each new mask counts ${SMOOTHING_ALPHA * 100} %): ` +
    'steadier edges, a little lag.';

  function render() {
    const on = camera.state !== 'off';
    ui.section.dataset.state = camera.state;
    ui.toggle.textContent = on ? 'Stop camera' : 'Camera';
    ui.toggle.classList.toggle('button-primary', !on);
    ui.snapshot.disabled = camera.state !== 'live' || !view.hasMask;
    ui.compare.disabled = camera.state !== 'live' || Boolean(live.comparing);
  }

  /** The setting frames go at now; a new one starts its figures afresh. */
  function followSetting() {
    const { mode, size } = camera.setting();
    const key = `${mode}@${size}`;
    if (key === live.key) return;
    live.key = key;
    stats.reset();
    pool.supersede(mode, size);
  }

  function showFigures() {
    const now = performance.now();
    followSetting();
    const summary = stats.summary();
    const s = camera.stats();
    Object.assign(ui.figures.dataset, {
      fps: summary.fps == null ? '' : String(summary.fps),
      medianMs: summary.medianMs == null ? '' : String(summary.medianMs),
      p95Ms: summary.p95Ms == null ? '' : String(summary.p95Ms),
      processed: String(s.processed),
      dropped: String(s.dropped),
      backend: live.backend ?? '',
      workers: String(pool.lanes),
      setting: live.key ?? '',
    });
    if (camera.state !== 'off' && keepsUp(summary)) {
      const [mode, size] = live.key.split('@');
      live.keptUp = { mode, size: Number(size), fps: summary.fps };
    }
    const [mode, size] = (live.key ?? '').split('@');
    const where =
      live.backend === 'webgpu' ? 'WebGPU'
      : live.backend === 'cpu' ? `the CPU (${pool.lanes === 1 ? 'one worker' : `${pool.lanes} workers, a frame each`})`
      : '…';
    const { text, warning } = describeCamera({
      state: camera.state,
      mode,
      size: Number(size),
      where,
      summary,
      // From the first frame sent at it: frames of the setting before may hold the workers.
      sinceMs: camera.sending.key === live.key ? now - camera.sending.since : 0,
      processed: s.processed,
      dropped: s.dropped,
      frameWidth: ui.video.videoWidth || null,
      frameHeight: ui.video.videoHeight || null,
      keptUp: live.keptUp,
    });
    ui.figures.textContent = text;
    ui.warning.hidden = !warning;
    ui.warning.textContent = warning ?? '';
  }

  function paint(now) {
    if (camera.state === 'off') return;
    // A new mask (drawn over its own frame) or view; over the live video, each new video frame.
    const presented = camera.stats().presented;
    if (view.dirty || (view.drawsLiveVideo && presented !== live.presented)) {
      live.presented = presented;
      const drawStart = performance.now();
      view.draw(ui.video);
      const drawn = performance.now();
      if (live.undrawn) {
        const frame = live.undrawn;
        live.undrawn = null;
        frame.drawn = drawStart - frame.arrivedAt;
        frame.draw = drawn - drawStart;
        frame.shown = frame.latency + (drawn - frame.arrivedAt);
        delete frame.arrivedAt;
        live.breakdown.push(frame);
        if (live.breakdown.length > BREAKDOWN_FRAMES) live.breakdown.shift();
      }
    }
    if (now - live.figuresAt > 250) {
      live.figuresAt = now;
      showFigures();
    }
    requestAnimationFrame(paint);
  }

  camera.addEventListener('state', () => {
    if (camera.state === 'starting') {
      // A start's figures are its own: none of the last run's frames count.
      live.key = null;
      live.backend = null;
      live.timings = null;
      live.breakdown = [];
      live.undrawn = null;
      followSetting();
    }
    if (camera.state === 'live') requestAnimationFrame(paint);
    if (camera.state === 'off') {
      pool.close();
      view.clear();
      live.comparing?.cancel();
    }
    showFigures();
    render();
  });

  camera.addEventListener('result', ({ detail: { result, latencyMs, picture, times } }) => {
    const now = performance.now();
    followSetting();
    live.backend = result.backend;
    const { mask, ...timings } = result;
    live.timings = timings;
    live.lastError = null;
    // A mask of a setting left behind is drawn, but not counted in the new setting's figures.
    if (`${result.mode}@${result.size}` === live.key) stats.add(now, latencyMs);
    live.undrawn = {
      mode: result.mode,
      size: result.size,
      waited: times.waitedMs,
      read: result.readMs,
      inference: result.inferenceMs,
      engineRest: result.totalMs - result.inferenceMs,
      transfer: Math.max(0, times.roundTripMs - result.readMs - result.totalMs),
      latency: latencyMs,
      arrivedAt: now,
    };
    view.setMask(result.mask, result.width, result.height, picture);
    live.comparing?.add(result, latencyMs);
    render();
  });

  camera.addEventListener('frame-error', ({ detail: { error } }) => {
    // Every frame would say it again: say each different failure once.
    if (error.message === live.lastError) return;
    live.comparing?.fail(error);
    live.lastError = error.message;
    report(error.kind === 'refused' ? 'refused' : 'error', `Camera: ${error.message}`);
  });

  camera.addEventListener('ended', () => {
    report('error', 'The camera stopped sending pictures (it was unplugged, or another application took it). Press Camera to start it again.');
  });

  async function start() {
    try {
      await camera.start(ui.device.value || null);
    } catch (err) {
      report('error', cameraErrorMessage(err));
      return;
    }
    listCameras();
    // The extra workers start while the first frames run on the page's own.
    pool.open(settings().mode).catch((err) => report('notice', `Camera: the extra workers did not start (${err.message}); one worker runs the frames.`));
  }

  ui.toggle.addEventListener('click', () => (camera.state === 'off' ? start() : camera.stop()));

  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState !== 'hidden' || camera.state === 'off') return;
    camera.stop();
    report('notice', 'The camera stopped because the tab was hidden; press Camera to start it again.');
  });
  window.addEventListener('pagehide', () => camera.stop());

  /** The camera menu: every camera the browser names (names come once one was allowed). */
  async function listCameras() {
    const devices = await navigator.mediaDevices?.enumerateDevices?.().catch(() => []) ?? [];
    const cameras = devices.filter((device) => device.kind === 'videoinput' && device.deviceId);
    const running = camera.track?.readyState === 'live' ? camera.track.getSettings().deviceId : null;
    const chosen = running ?? ui.device.value;
    const options = [new Option('the default camera', '')];
    cameras.forEach((device, i) => options.push(new Option(device.label || `camera ${i + 1}`, device.deviceId)));
    ui.device.replaceChildren(...options);
    ui.device.value = options.some((o) => o.value === chosen) ? chosen : '';
  }
  navigator.mediaDevices?.addEventListener?.('devicechange', listCameras);
  ui.device.addEventListener('change', () => {
    if (camera.state === 'off') return;
    // Another camera: the stream is asked for again (the loop and its figures start afresh).
    camera.stop();
    start();
  });
  const mirror = () => (ui.canvas.dataset.mirror = String(ui.mirror.checked));
  ui.mirror.addEventListener('change', mirror);
  mirror();

  ui.view.addEventListener('change', () => view.setView(ui.view.value));
  ui.opacity.addEventListener('input', () => {
    view.setOpacity(Number(ui.opacity.value) / 100);
    ui.opacityValue.textContent = `${ui.opacity.value}%`;
  });
  ui.colour.addEventListener('input', () => view.setColour(ui.colour.value));
  ui.smoothing.addEventListener('change', () => view.setSmoothing(ui.smoothing.checked));

  /** The background menu: the colour, then each photo decoded so far. */
  function listBackgrounds() {
    const chosen = ui.background.value;
    const options = [new Option('the colour', '')];
    for (const photo of photos()) options.push(new Option(photo.name, String(photo.id)));
    ui.background.replaceChildren(...options);
    ui.background.value = options.some((o) => o.value === chosen) ? chosen : '';
  }
  ui.background.addEventListener('focus', listBackgrounds);
  ui.background.addEventListener('pointerdown', listBackgrounds);
  ui.background.addEventListener('change', () => {
    const photo = photos().find((p) => String(p.id) === ui.background.value);
    view.setBackground(photo?.canvas ?? null);
  });

  ui.snapshot.addEventListener('click', async () => {
    ui.snapshot.disabled = true;
    try {
      const { canvas, result } = await camera.snapshot();
      const blob = await new Promise((resolve, reject) => {
        canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the PNG could not be encoded'))), 'image/png');
      });
      const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
      live.snapshot = { blob, mask: result.mask, width: result.width, height: result.height, mode: result.mode, size: result.size };
      addPhoto(new File([blob], `camera-${stamp}.png`, { type: 'image/png' }));
    } catch (err) {
      if (camera.state !== 'off') report('error', `Camera: the snapshot failed: ${err.message}`);
    } finally {
      render();
    }
  });

  ui.compare.addEventListener('click', () => compareModes());

  /** Gives each mode a fixed number of frames at the current size and tables fps and latency. */
  async function compareModes() {
    const asked = parseCompareFrames(ui.compareFrames.value);
    if (asked.error) {
      ui.compareStatus.textContent = asked.error;
      ui.section.dataset.compare = 'invalid';
      return;
    }
    const { frames } = asked;
    const size = settings().size;
    const { modes } = await engine.catalog;
    const rows = modes.map((mode) => ({ mode, state: 'queued', frames: 0 }));
    const draw = () => renderCameraCompare(ui.compareTable, rows);
    ui.compareTable.hidden = false;
    ui.section.dataset.compare = 'running';
    let cancelled = false;
    for (const row of rows) {
      if (cancelled || camera.state !== 'live') {
        row.state = 'cancelled';
        continue;
      }
      row.state = 'running';
      ui.compareStatus.textContent = `Running ${row.mode} at ${size} px for ${frames} frames…`;
      draw();
      const done = [];
      const latencies = [];
      let skipped = 0;
      await new Promise((resolve) => {
        live.comparing = {
          add(result, latencyMs) {
            if (result.mode !== row.mode || result.size !== size) return;
            if (skipped < COMPARE_SKIP) {
              skipped += 1;
              return;
            }
            done.push(performance.now());
            latencies.push(latencyMs);
            row.frames = done.length;
            if (done.length >= frames) resolve();
          },
          fail(error) {
            row.state = error.kind === 'refused' ? 'refused' : 'error';
            row.message = error.message;
            resolve();
          },
          cancel() {
            cancelled = true;
            resolve();
          },
        };
        camera.modeOverride = row.mode;
        render();
      });
      camera.modeOverride = null;
      live.comparing = null;
      if (row.state !== 'running') continue;
      if (done.length < frames) {
        row.state = 'cancelled';
        continue;
      }
      const span = done[done.length - 1] - done[0];
      const summary = new FrameStats({ size: frames, seconds: Infinity });
      latencies.forEach((ms, i) => summary.add(done[i], ms));
      Object.assign(row, summary.summary(), { fps: span > 0 ? ((done.length - 1) * 1000) / span : null, state: 'done' });
      draw();
    }
    draw();
    const ok = rows.filter((r) => r.state === 'done').length;
    const where = live.backend === 'webgpu' ? 'WebGPU' : 'the CPU';
    ui.compareStatus.textContent =
      `${ok} of ${rows.length} modes ran ${frames} frames each at ${size} px on ${where}` +
      (cancelled ? ' (cancelled: the camera stopped)' : '') +
      '. Latency: from the frame’s capture to its mask.';
    ui.section.dataset.compare = cancelled ? 'cancelled' : 'done';
    render();
  }

  render();
  showFigures();
  return camera;
}
