// Camera frames on several workers at once: the CPU backend's threads. One inference runs on
// one thread (the network's squeeze-and-excitation gates need the whole image between layers,
// so one image does not split across workers without a barrier per gate), but frames are
// independent: with N workers, N frames are segmented at the same time. Latency per frame stays
// that of one worker; frames per second grow with the cores.
// Owns: the extra engines (workers) it starts for the camera, started on open() and terminated
// on close(). Must not touch: the page's own engine beyond sending it frames (and stopping one
// superseded, see below), the page.
//
// Workers need no cross-origin isolation (nothing is shared between them: each has its own
// wasm instance and weights), so the pool is used wherever the CPU backend runs. On WebGPU there
// is one pool member, the page's engine: one GPU gains nothing from a second queue.
//
// A frame still running at a setting the camera has left (dot at 2048 px takes seconds) holds its
// worker from the new setting's frames: supersede() stops it once it has run as long as a fresh
// worker takes to start (engine.startMs), by replacing that worker (engine.cancel), as the run
// queue does for a photo; a frame that ends sooner is left to end.

import { Segmenter } from './linseg.js';

/** The most workers the camera uses, whatever the core count (each holds its own wasm memory). */
const MAX_WORKERS = 4;

/** The number of workers the camera should use on `backend`, `requested` (e.g. from the URL) first. */
function cameraWorkers(backend, requested = null) {
  if (backend !== 'cpu') return 1;
  const wanted = Number.isInteger(requested) && requested > 0 ? requested : (navigator.hardwareConcurrency || 1);
  return Math.max(1, Math.min(MAX_WORKERS, wanted));
}

/** The page's engine and, on the CPU, more engines of the same kind, for camera frames. */
export class FramePool {
  /**
   * @param {import('./linseg.js').Segmenter} engine  the page's engine (always a member)
   * @param {number | null} requested  workers asked for (?camera-workers=N), else the core count
   */
  constructor(engine, requested = null) {
    this.engine = engine;
    this.requested = requested;
    /**
     * Each worker, its frames in flight, and the newest one's { mode, size, startedAt, stopTimer }.
     * @type {{ engine: Engine, inFlight: number, frame: object | null }[]}
     */
    this.members = [{ engine, inFlight: 0, frame: null }];
    /** The setting frames go at now (supersede's), or null before the first. */
    this.wanted = null;
    /** Counts close() calls: workers started before the latest close are not kept. */
    this.closings = 0;
  }

  /** How many frames may be in flight: one per worker. */
  get lanes() {
    return this.members.length;
  }

  /**
   * Starts the extra workers the backend wants (none on WebGPU), each warmed up in `mode` (the
   * camera's at its start); resolves when they are ready.
   */
  async open(mode) {
    const closings = this.closings;
    const info = await this.engine.ready;
    const wanted = cameraWorkers(info.backend, this.requested);
    const started = [];
    while (this.members.length + started.length < wanted) {
      // One thread each: the workers already share the cores, a frame each.
      const extra = new Segmenter({ backend: 'cpu', threads: 1, mode });
      started.push(extra.start().then(() => extra, (err) => {
        extra.close();
        throw err;
      }));
    }
    for (const result of await Promise.allSettled(started)) {
      if (result.status !== 'fulfilled') continue;
      if (closings === this.closings) this.members.push({ engine: result.value, inFlight: 0, frame: null });
      else result.value.close();
    }
  }

  /** Segments a frame on the least busy worker (see Engine.frame; the bitmap is transferred). */
  async frame(bitmap, mode, size) {
    const member = this.members.reduce((best, m) => (m.inFlight < best.inFlight ? m : best));
    member.inFlight += 1;
    const frame = { mode, size, startedAt: performance.now(), stopTimer: null };
    member.frame = frame;
    try {
      return await member.engine.frame(bitmap, mode, size);
    } finally {
      member.inFlight -= 1;
      clearTimeout(frame.stopTimer);
      if (member.frame === frame) member.frame = null;
    }
  }

  /**
   * The camera moved to `mode` at `size`: each frame in flight at another setting is stopped
   * once it has run as long as its worker takes to start afresh (see the header).
   */
  supersede(mode, size) {
    this.wanted = { mode, size };
    for (const member of this.members) {
      const { frame, engine } = member;
      if (!frame || frame.stopTimer != null || (frame.mode === mode && frame.size === size)) continue;
      const wait = Math.max(0, (engine.startMs ?? Infinity) - (performance.now() - frame.startedAt));
      if (!Number.isFinite(wait)) continue;
      frame.stopTimer = setTimeout(() => {
        const { wanted } = this;
        if (member.frame !== frame || (wanted.mode === frame.mode && wanted.size === frame.size)) return;
        engine.cancel(`a camera frame of ${frame.mode} at ${frame.size} px, superseded`);
      }, wait);
    }
  }

  /** Terminates the extra workers (their wasm memory goes with them). */
  close() {
    this.closings += 1;
    for (const { engine } of this.members.slice(1)) engine.close();
    this.members.length = 1;
  }
}
