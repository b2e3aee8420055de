// Unit tests of the run queue's settle (www/run-queue.js): a photo run asked for by a settings
// change waits until the settings have held SETTLE_MS, so that a mode and a size chosen one
// after the other run once, at the final setting; a photo added without a change waits for
// nothing. Run with `node --test tests/node/`.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { createPhoto } from '../../www/photo.js';
import { RunQueue, SETTLE_MS } from '../../www/run-queue.js';

/** A queue over an engine that logs "segment <id> <mode> <size>" and answers at once. */
function setup() {
  const log = [];
  const engine = {
    failed: null,
    isReady: true,
    ready: Promise.resolve(),
    startMs: null,
    decoded: new Set(),
    has: (id) => engine.decoded.has(id),
    async decode(id) {
      engine.decoded.add(id);
      return { width: 4, height: 3, rgba: new Uint8Array(48) };
    },
    async segmentImage(id, mode, size) {
      log.push(`segment ${id} ${mode} ${size}`);
      return { mode, size, mask: 'mask', totalMs: 1 };
    },
    cancel() {},
  };
  const photos = [];
  const page = { log, photos, settings: { mode: 'linear', size: 256 } };
  const ignore = () => {};
  page.queue = new RunQueue({
    engine,
    isPresent: (photo) => photos.includes(photo),
    selected: () => photos[0] ?? null,
    settings: () => page.settings,
    on: { change: ignore, decoded: ignore, result: ignore, refused: ignore, failed: ignore, jobFailed: ignore },
  });
  page.add = (name) => {
    const photo = createPhoto({ id: photos.length + 1, name, autoSelect: false });
    photo.bytes = new Uint8Array([1]);
    photos.push(photo);
    return photo;
  };
  return page;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test('a photo added at unchanged settings runs at once', async () => {
  const page = setup();
  page.queue.schedule(page.add('a'));
  await sleep(0);
  assert.deepEqual(page.log, ['segment 1 linear 256']);
});

test('a mode then a size chosen within the settle run once, at the final setting', async () => {
  const page = setup();
  const a = page.add('a');
  page.queue.schedule(a);
  await sleep(0);
  page.settings = { mode: 'dot', size: 256 };
  page.queue.schedule(a);
  await sleep(SETTLE_MS / 3);
  page.settings = { mode: 'dot', size: 1024 };
  page.queue.schedule(a);
  await sleep(SETTLE_MS * 2);
  assert.deepEqual(page.log, ['segment 1 linear 256', 'segment 1 dot 1024']);
});

test('a single change runs once the settle has passed, not before', async () => {
  const page = setup();
  const a = page.add('a');
  page.queue.schedule(a);
  await sleep(0);
  page.settings = { mode: 'none', size: 256 };
  page.queue.schedule(a);
  await sleep(SETTLE_MS / 3);
  assert.deepEqual(page.log, ['segment 1 linear 256']);
  await sleep(SETTLE_MS * 2);
  assert.deepEqual(page.log, ['segment 1 linear 256', 'segment 1 none 256']);
});
