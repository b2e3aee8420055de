// Browser tests of the CPU backend's threads (www/worker.js loads the threaded build,
// www/pkg/linseg_cpu_threads.js, where the page is cross-origin isolated):
//
// - the same photo, mode and sizes on one thread and on three (uneven bands of rows) give the
//   same mask, byte for byte: splitting a layer among threads changes no value;
// - the default page (no ?threads=) runs 256 px on one thread of its pool and larger sizes on
//   all of them (src/web/mod.rs ONE_THREAD_UP_TO), while a number asked for holds at every size,
//   and its threads start without a console warning;
// - served without cross-origin isolation (scripts/serve.mjs --no-isolation), the page runs the
//   one-thread build and says why, and still segments.
//
// Needs what tests/browser/page.test.mjs needs, but not the CLI.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { FLAGS_WITHOUT_WEBGPU, ROOT, launchChromium, startServer, waitForModel } from '../../scripts/browser.mjs';
import { settledPhoto } from './masks.mjs';

const MINUTE = 60_000;
const PHOTO = resolve(ROOT, 'tests/fixtures/photos/grace_hopper.jpg');
const PHOTO_NAME = 'grace_hopper.jpg';
const WORK = mkdtempSync(join(tmpdir(), 'linseg-threads-'));

/**
 * Opens the page at `query` on `server`, waits for the model, segments the photo in mode
 * linear at each of `sizes` and downloads each mask. Resolves { label, title, modules,
 * messages, warnings, timings: string[], masks: Buffer[] } (modules: the wasm files fetched;
 * messages: the message list; warnings: the console's, from the page and its workers; timings:
 * each run's timing line's head).
 */
async function segmentOn(server, query, sizes) {
  const { context, page, close } = await launchChromium(`threads-${sizes.join('-')}`, FLAGS_WITHOUT_WEBGPU);
  try {
    context.setDefaultTimeout(10 * MINUTE);
    const modules = [];
    const warnings = [];
    context.on('console', (message) => {
      if (message.type() === 'warning') warnings.push(message.text());
    });
    context.on('request', (request) => {
      if (request.url().endsWith('.wasm')) modules.push(new URL(request.url()).pathname.split('/').pop());
    });
    await page.goto(new URL(query, server.url).href);
    const model = await waitForModel(page, 10 * MINUTE);
    assert.equal(model.state, 'ready', `the model did not start: ${model.label}`);
    await page.selectOption('#mode', 'linear');
    const masks = [];
    const timings = [];
    for (const [i, size] of sizes.entries()) {
      await page.selectOption('#size', String(size));
      if (i === 0) await page.setInputFiles('#file-input', PHOTO);
      await page.waitForFunction((wanted) => document.getElementById('timings').dataset.size === wanted, String(size));
      const settled = await settledPhoto(page, PHOTO_NAME, 10 * MINUTE);
      assert.equal(settled.state, 'done', `the photo did not segment at ${size} px: ${settled.status}`);
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-mask')]);
      const path = join(WORK, `${query.replace(/\W+/g, '-')}-${size}.png`);
      await download.saveAs(path);
      masks.push(readFileSync(path));
      timings.push(await page.locator('.timings-head').innerText());
    }
    return {
      label: model.label,
      title: await page.locator('#backend').getAttribute('title'),
      modules,
      messages: await page.locator('#errors').innerText(),
      warnings,
      timings,
      masks,
    };
  } finally {
    await close();
  }
}

describe('the CPU backend on threads', () => {
  let isolated;
  let plain;

  before(async () => {
    isolated = await startServer();
    plain = await startServer(['--no-isolation']);
  });

  after(async () => {
    await isolated?.stop();
    await plain?.stop();
    rmSync(WORK, { recursive: true, force: true });
  });

  test('three threads give the masks of one, byte for byte', { timeout: 20 * MINUTE }, async () => {
    // 512 px: above the trained size, two passes; 256 px: one.
    const sizes = [256, 512];
    const one = await segmentOn(isolated, 'index.html?backend=cpu&threads=1', sizes);
    const three = await segmentOn(isolated, 'index.html?backend=cpu&threads=3', sizes);
    assert.match(one.label, /^CPU, 1 thread · /);
    assert.match(three.label, /^CPU, 3 threads · /);
    // The kernels' own count (Rayon's pool in the module), as the engine reports it.
    assert.match(three.title, /linseg CPU kernels \(WebAssembly SIMD, 3 threads\)/);
    assert.match(one.title, /linseg CPU kernels \(WebAssembly SIMD, one thread\)/);
    // Asked for, the number holds at every size.
    for (const timings of three.timings) assert.match(timings, /on the CPU, 3 threads$/);
    for (const timings of one.timings) assert.match(timings, /on the CPU$/);
    assert.deepEqual(one.modules, ['linseg_cpu_bg.wasm']);
    assert.deepEqual(three.modules, ['linseg_cpu_threads_bg.wasm']);
    for (const [i, size] of sizes.entries()) {
      assert.ok(one.masks[i].equals(three.masks[i]), `the masks at ${size} px differ between one and three threads`);
    }
  });

  test('the default page runs 256 px on one thread and larger sizes on all of its pool', { timeout: 20 * MINUTE }, async () => {
    const run = await segmentOn(isolated, 'index.html?backend=cpu', [256, 512]);
    const pool = Number(/^CPU, (\d+) threads? · /.exec(run.label)?.[1]);
    assert.ok(pool >= 1, `no thread count in the label: ${run.label}`);
    assert.match(run.timings[0], /on the CPU$/, 'a 256 px run split among threads');
    assert.match(run.timings[1], pool > 1 ? new RegExp(`on the CPU, ${pool} threads$`) : /on the CPU$/);
    assert.deepEqual(run.warnings.filter((text) => /deprecated/.test(text)), [], 'a thread started with deprecated arguments');
  });

  test('without cross-origin isolation the page runs on one thread and says why', { timeout: 20 * MINUTE }, async () => {
    const run = await segmentOn(plain, 'index.html?backend=cpu', [256]);
    assert.match(run.label, /^CPU, 1 thread · /);
    assert.deepEqual(run.modules, ['linseg_cpu_bg.wasm']);
    assert.match(run.title, /not cross-origin isolated/);
    assert.match(run.messages, /The CPU backend runs on one thread: the page is not cross-origin isolated/);
  });
});
