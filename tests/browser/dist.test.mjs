// The folder `npm run build` makes (dist/), as a static host gives it: served by a plain server
// (scripts/plain-server.mjs: no cross-origin isolation headers, no compression) from a copy in
// a temporary folder, in headless Chromium without WebGPU (the CPU path, threads when the page
// is isolated). The page loads, gets its isolation from the service worker's one reload and
// runs the threaded build, segments the sample; with the server stopped, a reload still does;
// a new build (the copy edited and sealed again) replaces the cached one; the minimal example
// blurs a dropped photo's background; `npm pack`'s package, installed in a scratch folder,
// segments a photo like the CLI.
//
// Needs: dist/ (npm run build), Chromium, npm (for npm pack and install), the CLI (LINSEG_BIN).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { FLAGS_WITHOUT_WEBGPU, ROOT, cliMaskPaths, launchChromium, waitForModel } from '../../scripts/browser.mjs';
import { startPlainServer } from '../../scripts/plain-server.mjs';
import { SAMPLE } from '../../www/sample.js';
import { iou, readPng, settledPhoto } from './masks.mjs';

const MINUTE = 60_000;
const DIST = join(ROOT, 'dist');
const PHOTO = join(ROOT, 'tests/fixtures/photos/grace_hopper.jpg');

/** The build id a page names (dist's index.html <meta name="linseg-build">). */
const pageBuild = (page) => page.evaluate(() => document.querySelector('meta[name="linseg-build"]')?.content ?? null);
const buildOf = (dir) => /<meta name="linseg-build" content="([^"]+)">/.exec(readFileSync(join(dir, 'index.html'), 'utf8'))?.[1];

/** Waits for the sample the page was asked for to appear, then to settle. */
async function sampleSettled(page) {
  await page.waitForSelector(`[data-testid="photo"][data-name="${SAMPLE.name}"]`, { timeout: 5 * MINUTE });
  return settledPhoto(page, SAMPLE.name, 5 * MINUTE);
}

describe('dist/ on a plain static host', () => {
  let work;
  let site;
  let server;
  let browser;

  before(async () => {
    assert.ok(existsSync(join(DIST, 'sw.js')), 'dist/ is missing: run npm run build');
    work = mkdtempSync(join(tmpdir(), 'linseg-dist-'));
    site = join(work, 'site');
    cpSync(DIST, site, { recursive: true });
    server = await startPlainServer(site);
    browser = await launchChromium('dist', FLAGS_WITHOUT_WEBGPU);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('loads, isolates itself through the service worker, runs the threaded build and segments the sample', { timeout: 10 * MINUTE }, async (t) => {
    const { page } = browser;
    const navigations = [];
    page.on('framenavigated', (frame) => frame === page.mainFrame() && navigations.push(frame.url()));
    const started = Date.now();
    await page.goto(server.url);
    const model = await waitForModel(page, 5 * MINUTE);
    t.diagnostic(`first visit: ready after ${Date.now() - started} ms (${navigations.length} navigations)`);
    assert.equal(model.state, 'ready', model.label);
    assert.equal(navigations.length, 2, 'the page reloads once, under the service worker, for its isolation');
    assert.equal(await page.evaluate(() => self.crossOriginIsolated), true);
    assert.match(model.label, /CPU, [2-9] threads/, 'the threaded build runs');
    assert.equal(await pageBuild(page), buildOf(site));
    assert.ok(server.requests.includes('/www/pkg/linseg_cpu_threads_bg.wasm'));

    await page.click('#sample');
    assert.equal((await sampleSettled(page)).state, 'done');
  });

  test('reloads and segments offline, and a new build replaces the cached one', { timeout: 10 * MINUTE }, async (t) => {
    const { page } = browser;
    const port = server.port;
    await server.stop();
    const started = Date.now();
    await page.reload();
    const offline = await waitForModel(page, 5 * MINUTE);
    t.diagnostic(`offline: ready after ${Date.now() - started} ms`);
    assert.equal(offline.state, 'ready', offline.label);
    await page.click('#sample');
    assert.equal((await sampleSettled(page)).state, 'done');

    // A new build on the host: the copy edited and sealed again.
    const first = buildOf(site);
    appendFileSync(join(site, 'www/style.css'), '\n/* a new build */\n');
    execFileSync(process.execPath, [join(ROOT, 'scripts/build-dist.mjs'), '--seal', site], { stdio: 'ignore' });
    const second = buildOf(site);
    assert.notEqual(second, first);
    server = await startPlainServer(site, { port });

    // A visit runs one build whole: the cached one while the new one installs beside it, and
    // the new one from the first visit that finds it installed (www/offline.js activates it
    // before anything starts). Which visit that is depends on how fast it installs.
    const shown = [];
    for (let visit = 0; visit < 4 && shown.at(-1) !== second; visit++) {
      await page.reload();
      await waitForModel(page, 5 * MINUTE);
      shown.push(await pageBuild(page));
      if (shown.at(-1) === second) break;
      await page.evaluate(async (deadline) => {
        const registration = await navigator.serviceWorker.getRegistration();
        await registration.update().catch(() => {});
        while (!registration.waiting && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
      }, Date.now() + MINUTE);
    }
    t.diagnostic(`builds shown on the visits after the new one: ${shown.join(', ')}`);
    assert.equal(shown.at(-1), second, 'a visit runs the new build');
    assert.ok(shown.every((id) => id === first || id === second));
    await waitForModel(page, 5 * MINUTE);
    assert.deepEqual(await page.evaluate(() => caches.keys()), [`linseg-${second}`], 'the old build is gone from the cache');
  });

  test('the minimal example blurs the background of a dropped photo and keeps the person sharp', { timeout: 10 * MINUTE }, async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}examples/minimal.html`);
    await page.waitForFunction(() => /linseg on (cpu|webgpu)/.test(document.getElementById('note').textContent), null, { timeout: 5 * MINUTE });
    const bytes = readFileSync(PHOTO).toString('base64');
    await page.evaluate(async (b64) => {
      const file = new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'photo.jpg', { type: 'image/jpeg' });
      const data = new DataTransfer();
      data.items.add(file);
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    }, bytes);
    await page.waitForFunction(() => document.getElementById('out').width > 300, null, { timeout: 5 * MINUTE });
    // Where the CLI finds the person, the view is the photo; where it finds none, it is blurred.
    const [maskPath] = cliMaskPaths([PHOTO], { mode: 'linear', size: 512, out: join(work, 'cli-minimal') });
    const mask = readPng(maskPath);
    const differences = await page.evaluate(async ({ b64, person }) => {
      const photo = await createImageBitmap(new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))]));
      const canvas = document.getElementById('out');
      const sharp = new OffscreenCanvas(photo.width, photo.height).getContext('2d');
      sharp.drawImage(photo, 0, 0);
      const a = sharp.getImageData(0, 0, photo.width, photo.height).data;
      const b = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      const mean = { person: [0, 0], background: [0, 0] };
      for (let i = 0; i < person.length; i++) {
        const where = person[i] >= 250 ? 'person' : person[i] <= 5 ? 'background' : null;
        if (!where) continue;
        mean[where][0] += Math.abs(a[4 * i] - b[4 * i]);
        mean[where][1] += 1;
      }
      return { size: [canvas.width, canvas.height, photo.width, photo.height], person: mean.person[0] / mean.person[1], background: mean.background[0] / mean.background[1] };
    }, { b64: bytes, person: Array.from(mask.data.filter((_, i) => i % 4 === 0)) });
    assert.deepEqual(differences.size.slice(0, 2), differences.size.slice(2), 'the view has the photo\'s size');
    assert.ok(differences.person < 4, `the person is drawn sharp (mean difference ${differences.person.toFixed(2)})`);
    assert.ok(differences.background > 3 * differences.person + 2, `the background is blurred (${differences.background.toFixed(2)} against the person's ${differences.person.toFixed(2)})`);
    await page.close();
  });

  test('npm pack gives a package that a page installs and segments with, as the CLI does', { timeout: 10 * MINUTE }, async () => {
    const packed = join(work, 'packed');
    mkdirSync(packed);
    execFileSync('npm', ['pack', '--pack-destination', packed], { cwd: ROOT, stdio: 'ignore' });
    const [tarball] = readdirSync(packed).filter((name) => name.endsWith('.tgz'));
    assert.ok(tarball, 'npm pack made no package');
    const scratch = join(work, 'scratch');
    mkdirSync(scratch);
    writeFileSync(join(scratch, 'package.json'), '{ "private": true }\n');
    execFileSync('npm', ['install', '--no-audit', '--no-fund', join(packed, tarball)], { cwd: scratch, stdio: 'ignore' });
    const installed = join(scratch, 'node_modules/linseg/dist');
    for (const file of ['linseg.js', 'linseg.d.ts', 'www/pkg/linseg_bg.wasm', 'www/pkg/linseg.d.ts', 'models/selfie-linear.bpk']) {
      assert.ok(existsSync(join(installed, file)), `the package holds dist/${file}`);
    }
    assert.ok(!existsSync(join(installed, 'www/pkg/linseg_bg.wasm.br')), 'the package leaves the compressed copies out');
    writeFileSync(join(scratch, 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="app.js"></script>\n');
    writeFileSync(
      join(scratch, 'app.js'),
      "import { Segmenter } from './node_modules/linseg/dist/linseg.js';\n" +
        'window.segmentBytes = async (bytes, options) => {\n' +
        '  const segmenter = await Segmenter.create();\n' +
        '  const { mask, width, height } = await segmenter.segment(bytes, options);\n' +
        '  segmenter.close();\n' +
        '  return { mask: Array.from(mask), width, height };\n' +
        '};\n',
    );
    const scratchServer = await startPlainServer(scratch);
    const page = await browser.context.newPage();
    try {
      await page.goto(scratchServer.url);
      await page.waitForFunction(() => typeof window.segmentBytes === 'function');
      const result = await page.evaluate(
        (b64) => window.segmentBytes(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)), { mode: 'linear', size: 512 }),
        readFileSync(PHOTO).toString('base64'),
      );
      const [maskPath] = cliMaskPaths([PHOTO], { mode: 'linear', size: 512, out: join(work, 'cli-package') });
      const cli = readPng(maskPath);
      assert.deepEqual([result.width, result.height], [cli.width, cli.height]);
      const { iou: overlap } = iou(Uint8Array.from(result.mask), cli.data.filter((_, i) => i % 4 === 0));
      assert.ok(overlap >= 0.98, `IoU with the CLI's mask ${overlap.toFixed(4)}`);
    } finally {
      await page.close();
      await scratchServer.stop();
    }
  });
});
