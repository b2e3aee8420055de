// The camera's numbers: frames per second and per-frame latency (median and 95th percentile)
// over a sliding window, and the "Compare modes" table of the camera.
// Owns: its numbers and the table it is given. Must not touch: the stream, the workers or any
// other part of the page.

import { formatMs } from './format.js';
import { modeColour } from './charts.js';
import { percentile } from './stats.js';

/** 14.96 -> "15.0 fps"; null -> "–". */
export function formatFps(fps) {
  return fps == null || !Number.isFinite(fps) ? '–' : `${fps.toFixed(1)} fps`;
}

/** Frame rate and latency of the last `size` frames (or the last `seconds`, whichever is less). */
export class FrameStats {
  constructor({ size = 60, seconds = 3 } = {}) {
    this.size = size;
    this.seconds = seconds;
    this.reset();
  }

  /** Forgets every frame (the mode or size changed: the figures are per mode and size). */
  reset() {
    this.done = [];
    this.latencies = [];
  }

  /** Records a frame finished at `at` (ms, performance.now()) after `latencyMs`. */
  add(at, latencyMs) {
    this.done.push(at);
    this.latencies.push(latencyMs);
    while (this.done.length > this.size || (this.done.length > 2 && at - this.done[0] > this.seconds * 1000)) {
      this.done.shift();
      this.latencies.shift();
    }
  }

  /** { fps, medianMs, p95Ms, frames }; fps needs two frames, latency one. */
  summary() {
    const n = this.done.length;
    const span = n > 1 ? this.done[n - 1] - this.done[0] : 0;
    return {
      fps: span > 0 ? ((n - 1) * 1000) / span : null,
      medianMs: percentile(this.latencies, 0.5),
      p95Ms: percentile(this.latencies, 0.95),
      frames: n,
    };
  }
}

/**
 * Fills `table` with the camera's comparison: one row per mode, { mode, state, fps, medianMs,
 * p95Ms, frames, message } each; state queued | running | done | error | refused | cancelled.
 */
export function renderCameraCompare(table, rows) {
  const head = ['Mode', 'Frames per second', 'Latency median', 'Latency p95', 'Frames', 'Note'];
  const thead = table.createTHead();
  thead.replaceChildren();
  const tr = thead.insertRow();
  head.forEach((text, i) => {
    const th = Object.assign(document.createElement('th'), { scope: 'col', textContent: text });
    if (i > 0 && i < 5) th.className = 'num';
    tr.append(th);
  });
  const tbody = document.createElement('tbody');
  for (const row of rows) {
    const r = tbody.insertRow();
    r.dataset.mode = row.mode;
    r.dataset.state = row.state;
    if (row.fps != null) r.dataset.fps = String(row.fps);
    const th = Object.assign(document.createElement('th'), { scope: 'row' });
    const swatch = Object.assign(document.createElement('span'), { className: 'swatch' });
    swatch.style.background = modeColour(row.mode);
    th.append(swatch, document.createTextNode(row.mode));
    r.append(th);
    const done = row.state === 'done';
    const cells = [
      done ? formatFps(row.fps) : row.state === 'running' ? 'running…' : row.state,
      done ? formatMs(row.medianMs) : '–',
      done ? formatMs(row.p95Ms) : '–',
      row.frames ? String(row.frames) : '–',
    ];
    for (const text of cells) Object.assign(r.insertCell(), { textContent: text, className: 'num' });
    Object.assign(r.insertCell(), { textContent: row.message ?? '', title: row.message ?? '' });
  }
  table.tBodies[0]?.remove();
  table.append(tbody);
}

/** The frames a camera comparison gives each mode: its input's bounds, as the page states them. */
export const COMPARE_FRAMES = { min: 5, max: 300 };

/**
 * The number of frames per mode typed in `text`, or why it cannot be used: a whole number in
 * COMPARE_FRAMES's range, never a silent default.
 * @returns {{ frames: number } | { error: string }}
 */
export function parseCompareFrames(text) {
  const value = Number(String(text).trim());
  const { min, max } = COMPARE_FRAMES;
  if (String(text).trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    return { error: `Frames per mode must be a whole number from ${min} to ${max}; “${text}” is not.` };
  }
  return { frames: value };
}
