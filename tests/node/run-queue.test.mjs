// Unit tests of www/run-queue.js, the page's run queue, with a scripted engine instead of the
// worker: which photo runs next, re-runs after a settings change, removal while queued, failed
// and refused runs, the retry after a crash, stopping a superseded run, analysis jobs behind
// the photos, and the settle (a run asked for by a settings change waits until the settings
// have held SETTLE_MS, so that a mode and a size chosen one after the other run once, at the
// final setting; a photo added without a change waits for nothing).
// Run with `node --test tests/node/`.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { LinsegError } from '../../www/linseg-error.js';
import { createPhoto } from '../../www/photo.js';
import { RunQueue, SETTLE_MS } from '../../www/run-queue.js';

/**
 * An engine whose answers the test scripts. Every decode and segment is logged as
 * "decode <id>" / "segment <id> <mode> <size>". By photo id, `failDecode` holds the error its
 * decodes throw and `failSegment` the errors its next segments throw, one per call (a function
 * there is called at that moment and its error thrown). With `hold` set, a segment waits until
 * `release()` or `cancel(reason)` (logged "cancel <reason>", which rejects it as the real
 * engine does); `startMs` is what the queue reads as the cost of a fresh worker.
 */
function fakeEngine() {
  return {
    log: [],
    decoded: new Set(),
    failed: null,
    isReady: true,
    ready: Promise.resolve(),
    failDecode: new Map(),
    failSegment: new Map(),
    startMs: 40,
    hold: false,
    held: [],
    release() {
      for (const { resolve } of this.held.splice(0)) resolve();
    },
    cancel(reason) {
      this.log.push(`cancel ${reason}`);
      this.decoded.clear();
      for (const { reject } of this.held.splice(0)) reject(new LinsegError('cancelled', `stopped: ${reason}`));
    },
    has(id) {
      return this.decoded.has(id);
    },
    async decode(id) {
      await Promise.resolve();
      this.log.push(`decode ${id}`);
      const err = this.failDecode.get(id);
      if (err) throw err;
      this.decoded.add(id);
      return { width: 4, height: 3, rgba: new Uint8Array(48) };
    },
    async segmentImage(id, mode, size) {
      await Promise.resolve();
      this.log.push(`segment ${id} ${mode} ${size}`);
      if (this.hold) await new Promise((resolve, reject) => this.held.push({ resolve, reject }));
      const errors = this.failSegment.get(id);
      if (errors?.length) {
        const err = errors.shift();
        throw typeof err === 'function' ? err() : err;
      }
      return { mode, size, mask: `mask ${id}`, totalMs: 1 };
    },
  };
}

/**
 * A queue over a scripted engine and a photo list; `events` records what it reported. No settle
 * unless `settleMs` is given (the settle's own tests, at the end, give SETTLE_MS).
 */
function setup({ settings = { mode: 'linear', size: 256 }, settleMs = 0 } = {}) {
  const engine = fakeEngine();
  const photos = [];
  const events = [];
  const page = { engine, photos, events, settings, selected: null };
  page.queue = new RunQueue({
    engine,
    settleMs,
    isPresent: (photo) => photos.includes(photo),
    selected: () => page.selected,
    settings: () => page.settings,
    on: {
      change: (photo) => events.push(`${photo.name} ${photo.state}`),
      decoded: (photo) => events.push(`${photo.name} decoded`),
      result: (photo) => events.push(`${photo.name} result ${photo.result.mode} ${photo.result.size}`),
      refused: (photo) => events.push(`${photo.name} refused: ${photo.refusal}`),
      failed: (photo, { quiet }) => events.push(`${photo.name} failed${quiet ? ' quietly' : ''}: ${photo.error}`),
      jobFailed: (err) => events.push(`job failed: ${err.message}`),
      cancelled: ({ photo, mode, size }) => events.push(`${photo.name} cancelled ${mode} ${size}`),
    },
  });
  page.add = (name) => {
    const photo = createPhoto({ id: photos.length + 1, name, autoSelect: false });
    photo.bytes = new Uint8Array([1]);
    photos.push(photo);
    return photo;
  };
  return page;
}

/** Waits until every queued promise has settled (the fake engine never waits on timers). */
function settle() {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

test('photos run one at a time, in the order they were queued', async () => {
  const page = setup();
  const [a, b, c] = ['a', 'b', 'c'].map(page.add);
  for (const photo of [a, b, c]) page.queue.schedule(photo);
  await settle();
  assert.deepEqual(page.engine.log, [
    'decode 1', 'segment 1 linear 256',
    'decode 2', 'segment 2 linear 256',
    'decode 3', 'segment 3 linear 256',
  ]);
  for (const photo of [a, b, c]) assert.equal(photo.state, 'done');
  assert.deepEqual([a, b, c].map((p) => p.result.run), [1, 2, 3]);
  assert.equal(a.status, 'Done · linear 256');
});

test('a photo waits as queued, and is decoding, then running, while its turn comes', async () => {
  const page = setup();
  const a = page.add('a');
  page.queue.schedule(a);
  await settle();
  assert.deepEqual(page.events, ['a queued', 'a running', 'a decoded', 'a running', 'a done', 'a result linear 256']);
});

test('a photo added before the model is ready says it waits for the model, then decodes', async () => {
  const page = setup();
  let started;
  page.engine.isReady = false;
  page.engine.ready = new Promise((resolve) => {
    started = resolve;
  });
  const a = page.add('a');
  const statuses = [];
  const change = page.queue.on.change;
  page.queue.on.change = (photo) => {
    statuses.push(photo.status);
    change(photo);
  };
  page.queue.schedule(a);
  await settle();
  assert.equal(a.status, 'Waiting for the model…');
  assert.deepEqual(page.engine.log, []);
  page.engine.isReady = true;
  started();
  await settle();
  assert.deepEqual(statuses.slice(0, 3), ['Queued', 'Waiting for the model…', 'Decoding…']);
  assert.equal(a.state, 'done');
});

test('the selected photo jumps ahead of the photos queued before it', async () => {
  const page = setup();
  const [a, b, c] = ['a', 'b', 'c'].map(page.add);
  for (const photo of [a, b, c]) page.queue.schedule(photo);
  // a is taken at once; c is selected while a runs, so c runs before b.
  page.selected = c;
  await settle();
  assert.deepEqual(page.engine.log.filter((line) => line.startsWith('segment')), [
    'segment 1 linear 256', 'segment 3 linear 256', 'segment 2 linear 256',
  ]);
});

test('queueing a waiting photo again does not run it twice', async () => {
  const page = setup();
  const [a, b] = ['a', 'b'].map(page.add);
  page.queue.schedule(a);
  page.queue.schedule(b);
  page.queue.schedule(b);
  await settle();
  assert.deepEqual(page.engine.log.filter((line) => line.startsWith('segment')), ['segment 1 linear 256', 'segment 2 linear 256']);
});

test('a settings change re-runs a photo at the new settings, without decoding again', async () => {
  const page = setup();
  const a = page.add('a');
  page.queue.schedule(a);
  await settle();
  page.settings = { mode: 'dot', size: 512 };
  page.queue.schedule(a);
  await settle();
  assert.deepEqual(page.engine.log, ['decode 1', 'segment 1 linear 256', 'segment 1 dot 512']);
  assert.equal(a.result.mode, 'dot');
  assert.equal(a.result.run, 2);
});

test('a photo whose mask matches the settings is done without a run', async () => {
  const page = setup();
  const a = page.add('a');
  page.queue.schedule(a);
  await settle();
  page.events.length = 0;
  page.queue.schedule(a);
  await settle();
  assert.deepEqual(page.engine.log, ['decode 1', 'segment 1 linear 256']);
  assert.deepEqual(page.events, ['a queued', 'a done', 'a result linear 256']);
});

test('a settings change while a photo runs queues it again; it stays running meanwhile', async () => {
  const page = setup();
  const a = page.add('a');
  page.queue.schedule(a);
  await Promise.resolve();
  await Promise.resolve();
  // The decode is under way: a is running.
  assert.equal(a.state, 'running');
  page.settings = { mode: 'none', size: 256 };
  page.queue.schedule(a);
  assert.equal(a.state, 'running');
  await settle();
  assert.deepEqual(page.engine.log.filter((line) => line.startsWith('segment')), ['segment 1 none 256']);
  assert.equal(a.result.mode, 'none');
});

/** Waits `ms` of real time (the queue's stop timer is a real timer). */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A queue whose photo a is in a held run of linear at 256 px. */
async function longRun() {
  const page = setup();
  page.engine.hold = true;
  const a = page.add('a');
  page.queue.schedule(a);
  while (page.engine.held.length === 0) await settle();
  return { page, a };
}

test('a run superseded by new settings is stopped once it has taken what a fresh worker costs', async () => {
  const { page, a } = await longRun();
  page.settings = { mode: 'dot', size: 512 };
  page.engine.hold = false;
  page.queue.schedule(a);
  // Not before it has run startMs…
  await settle();
  assert.ok(!page.engine.log.some((line) => line.startsWith('cancel')), page.engine.log.join('; '));
  // …then stopped, decoded again in the fresh worker and run at the new settings.
  await sleep(page.engine.startMs + 20);
  await settle();
  assert.deepEqual(page.engine.log, [
    'decode 1', 'segment 1 linear 256',
    'cancel linear at 256 px, superseded by dot at 512 px',
    'decode 1', 'segment 1 dot 512',
  ]);
  assert.ok(page.events.includes('a cancelled linear 256'), page.events.join('; '));
  assert.equal(a.state, 'done');
  assert.equal(a.result.mode, 'dot');
  assert.equal(a.error, null);
});

test('a superseded run that ends before a fresh worker would start is not stopped', async () => {
  const { page, a } = await longRun();
  page.settings = { mode: 'dot', size: 512 };
  page.queue.schedule(a);
  page.engine.hold = false;
  page.engine.release();
  await sleep(page.engine.startMs + 20);
  assert.deepEqual(page.engine.log, ['decode 1', 'segment 1 linear 256', 'segment 1 dot 512']);
});

test('a run is not stopped when the settings come back to its own before the stop is due', async () => {
  const { page, a } = await longRun();
  page.settings = { mode: 'dot', size: 512 };
  page.queue.schedule(a);
  page.settings = { mode: 'linear', size: 256 };
  page.queue.schedule(a);
  await sleep(page.engine.startMs + 20);
  assert.ok(!page.engine.log.some((line) => line.startsWith('cancel')), page.engine.log.join('; '));
  page.engine.release();
  await settle();
  assert.equal(a.result.mode, 'linear');
});

test('a photo removed while queued never runs', async () => {
  const page = setup();
  const [a, b, c] = ['a', 'b', 'c'].map(page.add);
  for (const photo of [a, b, c]) page.queue.schedule(photo);
  page.photos.splice(page.photos.indexOf(b), 1);
  page.queue.remove(b);
  await settle();
  assert.deepEqual(page.engine.log, ['decode 1', 'segment 1 linear 256', 'decode 3', 'segment 3 linear 256']);
  assert.equal(c.state, 'done');
});

test('a removed photo is not queued again, nor is a photo whose file is not read yet', async () => {
  const page = setup();
  const a = page.add('a');
  const b = page.add('b');
  b.bytes = null;
  page.photos.splice(page.photos.indexOf(a), 1);
  page.queue.schedule(a);
  page.queue.schedule(b);
  await settle();
  assert.deepEqual(page.engine.log, []);
  assert.deepEqual(page.events, []);
});

test('a failed run marks the photo and the queue goes on', async () => {
  const page = setup();
  const [a, b] = ['a', 'b'].map(page.add);
  page.engine.failSegment.set(1, [new LinsegError('internal', 'out of memory')]);
  page.queue.schedule(a);
  page.queue.schedule(b);
  await settle();
  assert.equal(a.state, 'error');
  assert.equal(a.status, 'out of memory');
  assert.equal(a.permanent, false);
  assert.ok(page.events.includes('a failed: out of memory'));
  assert.equal(b.state, 'done');
  // Not permanent: a later change runs it again.
  page.settings = { mode: 'dot', size: 256 };
  page.queue.schedule(a);
  await settle();
  assert.equal(a.state, 'done');
  assert.equal(a.error, null);
});

test('a refused run says why and the queue goes on', async () => {
  const page = setup();
  const [a, b] = ['a', 'b'].map(page.add);
  page.engine.failSegment.set(1, [new LinsegError('refused', 'needs 5 GiB')]);
  page.queue.schedule(a);
  page.queue.schedule(b);
  await settle();
  assert.equal(a.state, 'refused');
  assert.equal(a.refusal, 'needs 5 GiB');
  assert.equal(a.status, 'Skipped: needs 5 GiB');
  assert.ok(page.events.includes('a refused: needs 5 GiB'));
  assert.equal(b.state, 'done');
});

test('a file that does not decode fails for good and is not queued again', async () => {
  const page = setup();
  const a = page.add('a');
  page.engine.failDecode.set(1, new LinsegError('bad-image', 'not an image'));
  page.queue.schedule(a);
  await settle();
  assert.equal(a.state, 'error');
  assert.equal(a.permanent, true);
  assert.ok(page.events.includes('a failed: not an image'));
  page.queue.schedule(a);
  await settle();
  assert.deepEqual(page.engine.log, ['decode 1']);
});

test('a decode while the model is not running fails quietly and for good', async () => {
  const page = setup();
  const a = page.add('a');
  page.engine.failed = new Error('no model');
  page.engine.failDecode.set(1, new LinsegError('crashed', 'the model stopped'));
  page.queue.schedule(a);
  await settle();
  assert.equal(a.permanent, true);
  assert.ok(page.events.includes('a failed quietly: the model is not running'));
});

test('a run lost to a crash is retried once, decoding again, then fails', async () => {
  const page = setup();
  const a = page.add('a');
  const crash = () => {
    // A crashed worker loses its decoded photos.
    page.engine.decoded.clear();
    return new LinsegError('crashed', 'the model stopped');
  };
  page.engine.failSegment.set(1, [crash, crash, crash]);
  page.queue.schedule(a);
  await settle();
  assert.deepEqual(page.engine.log, ['decode 1', 'segment 1 linear 256', 'decode 1', 'segment 1 linear 256']);
  assert.equal(a.state, 'error');
  assert.ok(page.events.includes('a failed: the model stopped'));
});

test('a retry that succeeds clears the retry, so a later crash is retried again', async () => {
  const page = setup();
  const a = page.add('a');
  page.engine.failSegment.set(1, [new LinsegError('not-ready', 'no such image')]);
  page.queue.schedule(a);
  await settle();
  assert.equal(a.state, 'done');
  assert.equal(a.retried, false);
  page.engine.failSegment.set(1, [new LinsegError('crashed', 'the model stopped')]);
  page.settings = { mode: 'dot', size: 256 };
  page.queue.schedule(a);
  await settle();
  assert.equal(a.state, 'done');
  assert.equal(a.result.mode, 'dot');
});

test('analysis jobs run after the queued photos, and a photo queued meanwhile goes first', async () => {
  const page = setup();
  const [a, b] = ['a', 'b'].map(page.add);
  const order = [];
  page.queue.schedule(a);
  const done = page.queue.runJobs([
    async () => {
      order.push('job 1');
      page.queue.schedule(b);
    },
    async () => {
      order.push('job 2');
    },
  ]);
  await done;
  const segments = page.engine.log.filter((line) => line.startsWith('segment'));
  assert.deepEqual(segments, ['segment 1 linear 256', 'segment 2 linear 256']);
  assert.deepEqual(order, ['job 1', 'job 2']);
  // b, queued by job 1, ran before job 2.
  assert.equal(b.state, 'done');
});

test('a job that throws is reported and the next job runs', async () => {
  const page = setup();
  const ran = [];
  await page.queue.runJobs([
    async () => {
      throw new Error('broken');
    },
    async () => {
      ran.push('second');
    },
  ]);
  assert.deepEqual(ran, ['second']);
  assert.deepEqual(page.events, ['job failed: broken']);
});

test('a failure in the page code of a run marks the photo and the queue goes on', async () => {
  const page = setup();
  const [a, b] = ['a', 'b'].map(page.add);
  let thrown = false;
  page.queue.on.decoded = () => {
    if (!thrown) {
      thrown = true;
      throw new Error('the canvas could not be made');
    }
  };
  page.queue.schedule(a);
  page.queue.schedule(b);
  await settle();
  assert.equal(a.state, 'error');
  assert.equal(a.error, 'the canvas could not be made');
  assert.equal(b.state, 'done');
});

// The settle ------------------------------------------------------------------------------------

/** The segment runs the engine was asked for, in order. */
const segments = (page) => page.engine.log.filter((line) => line.startsWith('segment'));

test('a photo added at unchanged settings runs at once, with the settle on', async () => {
  const page = setup({ settleMs: SETTLE_MS });
  page.queue.schedule(page.add('a'));
  await sleep(0);
  assert.deepEqual(segments(page), ['segment 1 linear 256']);
});

test('a mode then a size chosen within the settle run once, at the final setting', async () => {
  const page = setup({ settleMs: SETTLE_MS });
  const a = page.add('a');
  page.queue.schedule(a);
  await sleep(0);
  page.settings = { mode: 'dot', size: 256 };
  page.queue.schedule(a);
  await sleep(SETTLE_MS / 3);
  page.settings = { mode: 'dot', size: 1024 };
  page.queue.schedule(a);
  await sleep(SETTLE_MS * 2);
  assert.deepEqual(segments(page), ['segment 1 linear 256', 'segment 1 dot 1024']);
});

test('a single change runs once the settle has passed, not before', async () => {
  const page = setup({ settleMs: SETTLE_MS });
  const a = page.add('a');
  page.queue.schedule(a);
  await sleep(0);
  page.settings = { mode: 'none', size: 256 };
  page.queue.schedule(a);
  await sleep(SETTLE_MS / 3);
  assert.deepEqual(segments(page), ['segment 1 linear 256']);
  await sleep(SETTLE_MS * 2);
  assert.deepEqual(segments(page), ['segment 1 linear 256', 'segment 1 none 256']);
});
