// The camera's numbers: frames per second and per-frame latency (median and 95th percentile)
// over a sliding window, the sentences that state them (and warn when a setting cannot keep up
// with live video), and the "Compare modes" table of the camera.
// Owns: its numbers, its words and the table it is given. Must not touch: the stream, the
// workers or any other part of the page.

import { formatMs } from './format.js';
import { modeColour } from './charts.js';
import { percentile } from './stats.js';

/** 14.96 -> "15.0 fps"; null -> "–". */
export function formatFps(fps) {
  return fps == null || !Number.isFinite(fps) ? '–' : `${fps.toFixed(1)} fps`;
}

/** "1 frame", "2 frames", "1,191 frames". */
export function plural(count, noun) {
  return `${count.toLocaleString('en-US')} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * Below this rate, or above this latency, a setting does not keep up with live video: the
 * picture moves in jumps and the mask follows the person well behind. A setting is judged on
 * LIVE_JUDGED_AFTER masks, or on its first mask not being back after LIVE_FIRST_MASK_MS (that
 * one loads the mode's weights, and more on a camera just started).
 */
export const LIVE_MIN_FPS = 5;
export const LIVE_MAX_LATENCY_MS = 500;
export const LIVE_JUDGED_AFTER = 3;
export const LIVE_FIRST_MASK_MS = 2000;

/** Whether figures `{ fps, medianMs, frames }` at a setting keep up with live video (null: too early to say). */
export function keepsUp({ fps, medianMs, frames }) {
  if (frames < LIVE_JUDGED_AFTER) return null;
  return fps >= LIVE_MIN_FPS && medianMs <= LIVE_MAX_LATENCY_MS;
}

/**
 * The camera's figure line, and a warning when the setting cannot keep up with live video.
 * @param {object} f
 * @param {'off'|'starting'|'live'} f.state
 * @param {string} f.mode  the setting frames are sent at (not the last mask's)
 * @param {number} f.size
 * @param {string} f.where  "the CPU (2 workers, a frame each)", "WebGPU", or "…" before a mask
 * @param {{ fps: number|null, medianMs: number|null, p95Ms: number|null, frames: number }} f.summary
 *   this setting's masks since it was chosen (or the camera started)
 * @param {number} f.sinceMs  how long frames have been sent at this setting
 * @param {number} f.processed  masks shown since the start
 * @param {number} f.dropped  frames skipped since the start (a newer one replaced them)
 * @param {number|null} f.frameWidth  the camera's frames, once known
 * @param {number|null} f.frameHeight
 * @param {{ mode: string, size: number, fps: number } | null} f.keptUp  the last setting seen to keep up here
 * @returns {{ text: string, warning: string | null }}
 */
export function describeCamera(f) {
  if (f.state === 'off') {
    return { text: f.processed ? `Stopped after ${plural(f.processed, 'frame')}.` : 'The camera is off.', warning: null };
  }
  const setting = `${f.mode} at ${f.size} px`;
  const { fps, medianMs, p95Ms, frames } = f.summary;
  const text = frames
    ? `${formatFps(fps)} · latency ${formatMs(medianMs)} median, ${formatMs(p95Ms)} p95 · ` +
      `${setting} on ${f.where} · ${plural(f.dropped, 'frame')} skipped`
    : `${setting}: waiting for the first mask…`;
  const notes = [];
  const slowFirst = !frames && f.sinceMs > LIVE_FIRST_MASK_MS;
  if (keepsUp(f.summary) === false || slowFirst) {
    const measured = frames
      ? `${setting} gives ${formatFps(fps)}, each mask ${formatSeconds(medianMs)} behind the camera`
      : `${setting} has given no mask in ${formatSeconds(f.sinceMs)}`;
    const other = f.keptUp && !(f.keptUp.mode === f.mode && f.keptUp.size === f.size);
    notes.push(
      `Too slow for live video: ${measured}. ` +
        (other
          ? `A smaller size or a cheaper mode keeps up: ${f.keptUp.mode} at ${f.keptUp.size} px ran ${formatFps(f.keptUp.fps)} here.`
          : 'A smaller size or a cheaper mode is faster.'),
    );
  }
  const longer = Math.max(f.frameWidth ?? 0, f.frameHeight ?? 0);
  if (longer && f.size > longer) {
    notes.push(
      `The camera’s ${f.frameWidth}×${f.frameHeight} frames are scaled up ${(f.size / longer).toFixed(1)}× to ${f.size} px, ` +
        'which adds time but no detail.',
    );
  }
  return { text, warning: notes.length ? notes.join(' ') : null };
}

/** 850 -> "0.9 s", 7900 -> "7.9 s", 120 -> "120 ms". */
function formatSeconds(ms) {
  return ms < 1000 ? formatMs(ms) : `${(ms / 1000).toFixed(1)} s`;
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
