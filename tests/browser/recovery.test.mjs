// Browser tests of the page's recovery paths, each made to happen on purpose (`?fault=…`, which
// www/worker.js obeys by failing the first photo's run as asked, or a route that answers 404):
//
// - WebGPU lost mid-run: the worker restarts its engine on the CPU, says why, and the same run
//   is retried there (worker.js fallBackToCpu);
// - the module trapping mid-run: the engine replaces the worker on the CPU and the run queue
//   decodes the photo again and retries it (engine.js #onCrash, run-queue.js);
// - a module build that comes after the page opened, as with `npm start` on a fresh machine
//   (scripts/start.sh serves the page once the CPU build is there and makes the threaded and
//   WebGPU builds after it): the server's answers for the build's files are made 404
//   (Playwright's routing, which sees the worker's requests too) until the test lets them
//   through. Without the WebGPU build the page starts on the CPU build and says why, segments a
//   photo, and moves to WebGPU once the build is there (www/build-watch.js, Engine.reload);
//   without the threaded build the default page runs one thread, says why, then moves to its
//   pool of threads;
// (the last, a new worker after a run that grew the memory past 1 GiB, is page.test.mjs's
// "gives back the memory of a large run").
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

/** Opens the page at `query` and waits for the model; resolves { page, close, pageErrors }. */
async function open(name, query) {
  const { context, page, close } = await launchChromium(name);
  context.setDefaultTimeout(15 * MINUTE);
  const pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto(new URL(query, server.url).href);
  const model = await waitForModel(page, 15 * MINUTE);
  assert.equal(model.state, 'ready', `the model did not start: ${model.label}`);
  return { page, close, pageErrors, model };
}

describe('recovery', () => {
  test('a WebGPU device lost mid-run falls back to the CPU, says so, and the photo still segments', { timeout: 30 * MINUTE }, async () => {
    const { page, close, pageErrors, model } = await open('fault-device-lost', 'index.html?backend=webgpu&fault=device-lost');
    try {
      assert.equal(model.backend, 'webgpu', 'the page did not start on WebGPU');
      await page.setInputFiles('#file-input', PHOTO);
      const settled = await settledPhoto(page, PHOTO_NAME, 15 * MINUTE);
      assert.equal(settled.state, 'done', `the photo did not segment after the fallback: ${settled.status}`);
      assert.equal(await page.locator('#timings').getAttribute('data-backend'), 'cpu', 'the run was not retried on the CPU');
      await page.waitForSelector('#backend[data-state="ready"][data-backend="cpu"]');
      const messages = await page.locator('#errors').innerText();
      assert.match(messages, /WebGPU failed \(.*simulated by \?fault=device-lost\)\); restarted on the CPU/);
      assert.match(await page.locator('#backend').getAttribute('title'), /WebGPU failed/);
      assert.deepEqual(pageErrors, []);
    } finally {
      await close();
    }
  });

  test('a module that traps mid-run is replaced, and the photo still segments in the new one', { timeout: 30 * MINUTE }, async () => {
    const { page, close, pageErrors } = await open('fault-crash', 'index.html?backend=cpu&threads=1&fault=crash');
    try {
      const first = page.workers().filter((worker) => worker.url().endsWith('/worker.js'));
      assert.equal(first.length, 1, 'one model worker');
      await page.setInputFiles('#file-input', PHOTO);
      const settled = await settledPhoto(page, PHOTO_NAME, 15 * MINUTE);
      assert.equal(settled.state, 'done', `the photo did not segment after the restart: ${settled.status}`);
      const messages = await page.locator('#errors').innerText();
      assert.match(messages, /The model stopped \(.*simulated by \?fault=crash\)\); it is restarting on the CPU\./);
      await page.waitForSelector('#backend[data-state="ready"]');
      const now = page.workers().filter((worker) => worker.url().endsWith('/worker.js'));
      assert.ok(now.length >= 1 && !now.includes(first[0]), 'the crashed worker was not replaced');
      assert.equal(await page.locator('#view').getAttribute('data-has-mask'), 'true', 'no mask in view');
      assert.deepEqual(pageErrors, []);
    } finally {
      await close();
    }
  });
});

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
