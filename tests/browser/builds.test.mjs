// Browser tests of a module build that comes after the page opened, as with `npm start` on a
// fresh machine (scripts/start.sh serves the page once the CPU build is there and makes the
// threaded and WebGPU builds after it). The server's answers for a build's files are made 404
// (Playwright's routing, which sees the worker's requests too) until the test lets them through:
//
// - the WebGPU build missing: the page starts on the CPU build and says why, segments a photo,
//   and moves to WebGPU once the build is there (www/build-watch.js, Engine.reload);
// - the threaded build missing: the default page runs one thread and says why, then moves to
//   its pool of threads.
//
// Needs what tests/browser/page.test.mjs needs, but not the CLI.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';

import { FLAGS, FLAGS_WITHOUT_WEBGPU, ROOT, launchChromium, startServer, waitForModel } from '../../scripts/browser.mjs';
import { settledPhoto } from './masks.mjs';

const MINUTE = 60_000;
const PHOTO = resolve(ROOT, 'tests/fixtures/photos/grace_hopper.jpg');
const PHOTO_NAME = 'grace_hopper.jpg';

let server;
before(async () => {
  server = await startServer();
});
after(() => server?.stop());

/**
 * Opens the page at `query` with build `name`'s files answered 404; resolves { page, close,
 * model, release } once the model has started or failed (release() lets the files through).
 */
async function openWithout(name, flags, query) {
  const { context, page, close } = await launchChromium(`builds-${name}`, flags);
  try {
    context.setDefaultTimeout(15 * MINUTE);
    const pattern = new RegExp(`/www/pkg/${name}(\\.js|_bg\\.wasm)$`);
    const missing = (route) => route.fulfill({ status: 404, contentType: 'text/plain', body: 'not built yet' });
    await context.route(pattern, missing);
    await page.goto(new URL(query, server.url).href);
    const model = await waitForModel(page, 15 * MINUTE);
    return { page, close, model, release: () => context.unroute(pattern, missing) };
  } catch (err) {
    await close();
    throw err;
  }
}

describe('a build that comes later', () => {
  test('without the WebGPU build the page runs on the CPU, says why, and moves to WebGPU once it is there', { timeout: 30 * MINUTE }, async () => {
    // ?backend=webgpu: WebGPU even on this machine's software adapter.
    const { page, close, model, release } = await openWithout('linseg', FLAGS, 'index.html?backend=webgpu');
    try {
      assert.equal(model.state, 'ready', `the model did not start: ${model.label}`);
      assert.equal(model.backend, 'cpu');
      assert.match(model.label, /the WebGPU build is not built yet/);
      await page.setInputFiles('#file-input', PHOTO);
      const settled = await settledPhoto(page, PHOTO_NAME, 10 * MINUTE);
      assert.equal(settled.state, 'done', `the photo did not segment on the CPU build: ${settled.status}`);
      await release();
      await page.waitForSelector('#backend[data-state="ready"][data-backend="webgpu"]', { timeout: 2 * MINUTE });
      // The photo is run again on the new worker at another size, on WebGPU.
      await page.selectOption('#size', '512');
      await page.waitForFunction(() => document.getElementById('timings').dataset.size === '512', null, { timeout: 10 * MINUTE });
      const again = await settledPhoto(page, PHOTO_NAME, 10 * MINUTE);
      assert.equal(again.state, 'done', `the photo did not segment after the move: ${again.status}`);
      assert.equal(await page.locator('#timings').getAttribute('data-backend'), 'webgpu');
    } finally {
      await close();
    }
  });

  test('without the threaded build the default page runs one thread, says why, and moves to its threads', { timeout: 30 * MINUTE }, async () => {
    const { page, close, model, release } = await openWithout('linseg_cpu_threads', FLAGS_WITHOUT_WEBGPU, 'index.html');
    try {
      assert.equal(model.state, 'ready', `the model did not start: ${model.label}`);
      assert.match(model.label, /^CPU, 1 thread · /);
      assert.match(await page.locator('#backend').getAttribute('title'), /one thread: the threaded build is not built yet/);
      await release();
      await page.waitForFunction(() => /^CPU, [2-9] threads · /.test(document.getElementById('backend').innerText), null, { timeout: 2 * MINUTE });
    } finally {
      await close();
    }
  });
});
