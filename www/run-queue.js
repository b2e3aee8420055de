// The page's run queue: one model request at a time. Photos waiting for a mask at the current
// settings run first (the selected one before the others, the rest in the order they were
// queued); analysis jobs run when no photo waits, so a photo never waits behind a batch.
// A photo run whose settings were changed while it runs is superseded: once it has taken as
// long as starting a fresh worker takes (engine.startMs), the engine is asked to stop it, so a
// long run is never waited out for more than twice what stopping it would cost, and a short
// one is not stopped at all.
// A photo run asked for by a settings change waits until the settings have held for a moment
// (SETTLE_MS): a mode and a size chosen one after the other run once, at the final setting,
// not the new mode at the old size first.
// Owns: the two queues, the run count, the run in flight, and a photo's run fields (state,
// status, result, refusal, error, retried, permanent) while it is queued or running.
// Must not touch: the DOM, the photo list, the selection or the settings. It asks for those
// through the functions it was given and reports every change through its callbacks.

import { markFailed, matchesSettings, setPhotoState } from './photo.js';

/** The kinds of failure that decoding the same bytes again cannot mend. */
const PERMANENT = new Set(['bad-image', 'too-large']);

/** @typedef {import('./photo.js').Photo} Photo */

/** How long settings must hold, after a change, before a photo run starts at them (ms). */
export const SETTLE_MS = 150;

/**
 * What the queue reports; each is called after the photo record changed.
 * @typedef {object} RunQueueCallbacks
 * @property {(photo: Photo) => void} change    its state or status changed
 * @property {(photo: Photo, decoded: { width: number, height: number, rgba: Uint8Array }) => void} decoded
 *                                              the worker decoded it (again, after a crash)
 * @property {(photo: Photo) => void} result    it holds a mask at the current settings
 * @property {(photo: Photo) => void} refused   its run was refused (photo.refusal says why)
 * @property {(photo: Photo, options: { quiet: boolean }) => void} failed
 *                                              it failed (photo.error); quiet: already reported
 * @property {(err: Error) => void} jobFailed   an analysis job threw
 * @property {(run: { photo: Photo, mode: string, size: number, ms: number }) => void} [cancelled]
 *                                              a superseded run was stopped after `ms`
 */

/** The queue of photo runs and analysis jobs; see the header for its order. */
export class RunQueue {
  /**
   * @param {object} options
   * @param {{ has: Function, decode: Function, segment: Function, cancel: Function, startMs: number|null, failed: unknown, isReady: boolean, ready: Promise<unknown> }} options.engine
   * @param {(photo: Photo) => boolean} options.isPresent  false once the photo was removed
   * @param {() => Photo | null} options.selected          the photo in view
   * @param {() => { mode: string, size: number }} options.settings  what a run uses
   * @param {RunQueueCallbacks} options.on
   * @param {number} [options.settleMs]  SETTLE_MS unless given (0: no settle)
   */
  constructor({ engine, isPresent, selected, settings, on, settleMs = SETTLE_MS }) {
    this.engine = engine;
    this.isPresent = isPresent;
    this.selected = selected;
    this.settings = settings;
    this.on = on;
    /** Photos waiting for a run, in the order they were queued. */
    this.waiting = new Set();
    /** Analysis jobs (async functions), first in first out. */
    this.jobs = [];
    this.pumping = false;
    this.runCount = 0;
    /** The photo run in flight: { photo, mode, size, startedAt, stopTimer }, or null. */
    this.inFlight = null;
    this.settleMs = settleMs;
    /** The settings seen at the last schedule, and when they last changed (performance.now()). */
    this.seenSettings = null;
    this.changedAt = -Infinity;
  }

  /** Queues a photo for a run at the current settings; a bad file or a removed photo is not. */
  schedule(photo) {
    if (photo.permanent || !photo.bytes || !this.isPresent(photo)) return;
    const { mode, size } = this.settings();
    if (this.seenSettings && (this.seenSettings.mode !== mode || this.seenSettings.size !== size)) {
      this.changedAt = performance.now();
    }
    this.seenSettings = { mode, size };
    this.waiting.add(photo);
    if (photo.state !== 'running') this.#setState(photo, 'queued');
    this.#supersede();
    this.#pump();
  }

  /**
   * Stops the run in flight once it has run as long as a fresh worker takes to start, if its
   * settings are no longer the current ones (see the header).
   */
  #supersede() {
    const run = this.inFlight;
    if (!run || run.stopTimer != null) return;
    const { mode, size } = this.settings();
    if (run.mode === mode && run.size === size) return;
    const elapsed = performance.now() - run.startedAt;
    const wait = Math.max(0, (this.engine.startMs ?? Infinity) - elapsed);
    if (!Number.isFinite(wait)) return;
    run.stopTimer = setTimeout(() => {
      const now = this.settings();
      if (this.inFlight !== run || (run.mode === now.mode && run.size === now.size)) {
        run.stopTimer = null;
        return;
      }
      this.engine.cancel(`${run.mode} at ${run.size} px, superseded by ${now.mode} at ${now.size} px`);
    }, wait);
  }

  /** Drops a removed photo from the queue (a run in flight ends without effect). */
  remove(photo) {
    this.waiting.delete(photo);
  }

  /** Starts the queue again, e.g. once a restarted worker is ready. */
  resume() {
    this.#pump();
  }

  /**
   * Queues analysis jobs behind the photos; resolves once all of them ran. A job that throws
   * is reported through `jobFailed` and the next one runs.
   * @param {Array<() => Promise<void>>} jobs
   */
  runJobs(jobs) {
    return new Promise((resolve) => {
      this.jobs.push(...jobs, async () => resolve());
      this.#pump();
    });
  }

  /** Decodes the photo in the worker unless it holds it; false when that failed. */
  async ensureDecoded(photo) {
    if (this.engine.has(photo.id)) return true;
    let decoded;
    try {
      decoded = await this.engine.decode(photo.id, photo.bytes);
    } catch (err) {
      // A bad file stays bad; a model that is not running will not decode anything either
      // (and why it is not running is already in the messages).
      if (this.engine.failed) this.#fail(photo, new Error('the model is not running'), true, true);
      else this.#fail(photo, err, PERMANENT.has(err.kind));
      return false;
    }
    if (!this.isPresent(photo)) return false;
    this.on.decoded(photo, decoded);
    return true;
  }

  #next() {
    const selected = this.selected();
    if (selected && this.waiting.has(selected)) return selected;
    for (const photo of this.waiting) {
      if (this.isPresent(photo)) return photo;
      this.waiting.delete(photo);
    }
    return null;
  }

  async #pump() {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        const photo = this.#next();
        if (photo) {
          this.waiting.delete(photo);
          // A failure of the page's own code marks the photo; the queue keeps going.
          await this.#run(photo).catch((err) => this.#fail(photo, err));
          continue;
        }
        const job = this.jobs.shift();
        if (job) {
          await job().catch((err) => this.on.jobFailed(err));
          continue;
        }
        break;
      }
    } finally {
      this.pumping = false;
    }
  }

  async #run(photo) {
    if (!this.engine.has(photo.id)) {
      // A photo added while the model loads says what it waits for.
      if (!this.engine.isReady) {
        this.#setState(photo, 'running', 'Waiting for the model…');
        await this.engine.ready?.catch(() => {});
      }
      this.#setState(photo, 'running', 'Decoding…');
    }
    if (!(await this.ensureDecoded(photo))) return;
    await this.#settled();
    const settings = this.settings();
    if (matchesSettings(photo, settings)) {
      photo.refusal = null;
      this.#setState(photo, 'done');
      this.on.result(photo);
      return;
    }
    const { mode, size } = settings;
    this.#setState(photo, 'running', `Running ${mode} at ${size}…`);
    const run = { photo, mode, size, startedAt: performance.now(), stopTimer: null };
    this.inFlight = run;
    try {
      const result = await this.engine.segmentImage(photo.id, mode, size);
      this.runCount += 1;
      photo.result = { ...result, run: this.runCount };
      photo.refusal = null;
      photo.error = null;
      photo.retried = false;
      this.#setState(photo, 'done');
      this.on.result(photo);
    } catch (err) {
      if (!this.isPresent(photo)) return;
      if (err.kind === 'cancelled') {
        this.on.cancelled?.({ photo, mode, size, ms: performance.now() - run.startedAt });
        this.schedule(photo);
      } else if (err.kind === 'refused') {
        photo.refusal = err.message;
        this.#setState(photo, 'refused', `Skipped: ${err.message}`);
        this.on.refused(photo);
      } else if ((err.kind === 'crashed' || err.kind === 'not-ready') && !photo.retried) {
        // The worker was replaced: decode again and retry once.
        photo.retried = true;
        this.schedule(photo);
      } else {
        this.#fail(photo, err);
      }
    } finally {
      clearTimeout(run.stopTimer);
      this.inFlight = null;
    }
  }

  /** Resolves once the settings have held SETTLE_MS since their last change. */
  async #settled() {
    for (;;) {
      const wait = this.changedAt + this.settleMs - performance.now();
      if (!(wait > 0)) return;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  #setState(photo, state, status) {
    setPhotoState(photo, state, status);
    this.on.change(photo);
  }

  #fail(photo, err, permanent = false, quiet = false) {
    markFailed(photo, err, permanent);
    this.on.change(photo);
    this.on.failed(photo, { quiet });
  }
}
