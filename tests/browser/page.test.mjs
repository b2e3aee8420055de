// Browser tests of the page (index.html + www/), run with `node --test tests/browser/`.
//
// They start scripts/serve.mjs on a free loopback port and drive Debian's Chromium through
// playwright-core, headless, four times: on WebGPU asked for (?backend=webgpu: SwiftShader, a
// software Vulkan; slow: the first run compiles shaders for minutes, so timeouts are generous
// and no time is asserted), on the CPU asked for on one thread (?backend=cpu&threads=1), with no
// backend asked for, where the page must pass over the software adapter for the CPU (threaded,
// a thread per core) and say why, and in a browser without WebGPU, where the page must fall back
// to the CPU by itself (here on two threads, the threaded build, whatever the cores). Each suite uploads a person photo, waits for its
// mask, downloads it and compares it with the native CLI's mask for the same photo, mode and
// size (IoU at 128 >= 0.98), again at 512 px where two passes are fused, switches through
// every mode, uploads bad files, and checks that no request left the page's origin and that
// nothing was logged as an error. A fifth, on the CPU, checks the page's details: the loading
// line, the narrow screen, the messages, a long run stopped when the settings change under it,
// the memory given back after a large run, the analyses (Compare modes, the resolution sweep
// and its Cancel), and the note when a mask finds no person. Server and browser come from
// scripts/browser.mjs.
//
// Needs: /usr/bin/chromium (or CHROMIUM_BIN), `npm ci`, the wasm in www/pkg/, the weights in
// models/, and the CLI (LINSEG_BIN, else $CARGO_TARGET_DIR/release/linseg, the folder
// ~/.cache/linseg-target by default). Screenshots go to tests/browser/output/<suite>.png.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';

import { PNG } from 'pngjs';

import { FLAGS, FLAGS_WITHOUT_WEBGPU, ROOT, cliMaskPaths, launchChromium, offeredModes, startServer, waitForModel } from '../../scripts/browser.mjs';
import { maskIou, readPng, settledPhoto } from './masks.mjs';
import { formatQuality, heldOutHeading, qualityAt } from '../../www/quality.js';
import { DEFAULTS, WARMUP } from '../../www/config.js';
import { letterbox } from '../../bench/letterbox.mjs';

const OUTPUT = join(ROOT, 'tests/browser/output');

/** The modes the page offers (read from its mode select once the model is ready). */
let MODES = [];
const MODE = 'linear';
const SIZE = 256;
// Above the trained 256 px the page runs a global and a detail pass (src/refine.rs).
const TWO_PASS_SIZE = 512;
const MIN_IOU = 0.98;

/** What the panel should show as a mode's held-out IoU at a size: models/metrics.json's figures. */
const METRICS = JSON.parse(readFileSync(join(ROOT, 'models/metrics.json'), 'utf8'));
const heldOutIou = (mode, size) => formatQuality(qualityAt(METRICS, mode, size));

// SwiftShader runs WebGPU on the CPU: warm-up and each mode's first run compile shaders.
const MINUTE = 60_000;
const START_TIMEOUT = 15 * MINUTE;
const RUN_TIMEOUT = 15 * MINUTE;
const TEST_TIMEOUT = 45 * MINUTE;

/** The person photo: the registry's astronaut when the helper has produced it. */
function pickPhoto() {
  const candidates = [
    process.env.LINSEG_TEST_PHOTO,
    'tests/fixtures/photos/astronaut.png',
    'tests/fixtures/photos/grace_hopper.jpg',
    'tests/fixtures/golden/astronaut.input.png',
  ].filter(Boolean);
  for (const candidate of candidates) {
    const path = resolve(ROOT, candidate);
    if (existsSync(path)) return path;
  }
  throw new Error(`no person photo found; looked for ${candidates.join(', ')}`);
}

const PHOTO = pickPhoto();
const PHOTO_NAME = basename(PHOTO);
const PHOTO_STEM = basename(PHOTO, extname(PHOTO));
const WORK = mkdtempSync(join(tmpdir(), 'linseg-browser-'));

// ---------------------------------------------------------------------------------------------
// Helpers.

/**
 * Points at the photo's pixel at fractions (fx, fy) of its width and height, with "What does it
 * look at?" on, and waits for the answer: { column, row, peak, sum, ms, expected: [column, row] }
 * (expected: the stride-16 cell src/look.rs must pick at `size`, worked out here from the
 * photo's size).
 */
async function lookAt(page, fx, fy, size, previous = null) {
  await page.locator('#view').scrollIntoViewIfNeeded(); // a pointer only reaches what is in sight
  const box = await page.locator('#view').boundingBox();
  const [width, height] = await page.locator('#view').evaluate((c) => [c.width, c.height]);
  const status = page.locator('[data-testid="look-status"]');
  // From outside the photo, so that the move is one even when the pointer was there already.
  await page.mouse.move(Math.max(0, box.x - 5), Math.max(0, box.y - 5));
  await page.mouse.move(box.x + fx * box.width, box.y + fy * box.height);
  await page.waitForFunction(([prev]) => {
    const el = document.querySelector('[data-testid="look-status"]');
    return el.dataset.update && el.dataset.update !== prev;
  }, [previous], { timeout: RUN_TIMEOUT });
  const read = (name) => status.getAttribute(`data-${name}`);
  // The pixel under the pointer, as the page computes it, and the cell over it (a cell is 16
  // input pixels; the input as the pass at `size` has it, src/refine.rs).
  const { scaled } = letterbox(width, height, size);
  const [x, y] = [fx * box.width * (width / box.width), fy * box.height * (height / box.height)];
  const cell = (at, side, scaledSide) => Math.floor(at / ((16 * side) / scaledSide));
  return {
    column: Number(await read('column')), row: Number(await read('row')), peak: Number(await read('peak')),
    sum: Number(await read('sum')), ms: Number(await read('ms')), key: await read('update'),
    expected: [cell(x, width, scaled[0]), cell(y, height, scaled[1])],
  };
}

/** The CLI's mask for the photo at a size (computed once per size, shared by the suites). */
const cliMasks = new Map();
function cliMask(size) {
  if (!cliMasks.has(size)) {
    cliMasks.set(
      size,
      Promise.resolve().then(() => {
        const [path] = cliMaskPaths([PHOTO], { mode: MODE, size, out: join(WORK, `cli-${size}`) });
        return readPng(path);
      }),
    );
  }
  return cliMasks.get(size);
}

/** Downloads the shown photo's mask through the page's button and reads it. */
async function downloadMask(page, saveAs) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-mask')]);
  assert.match(download.suggestedFilename(), new RegExp(`^${PHOTO_STEM}\\.[a-z-]+-\\d+\\.mask\\.png$`));
  await download.saveAs(saveAs);
  return readPng(saveAs);
}

/** Asserts that the page's mask matches the CLI's at `size`. */
async function assertLikeCli(t, mask, size) {
  const { iou, union } = maskIou(mask, await cliMask(size));
  t.diagnostic(`${PHOTO_NAME} at ${size} px: IoU with the CLI's mask ${iou.toFixed(4)}`);
  assert.ok(union > 0, 'neither mask finds a person');
  assert.ok(iou >= MIN_IOU, `IoU with the CLI's mask at ${size} px is ${iou.toFixed(4)}, below ${MIN_IOU}`);
}

/** The origin a request URL belongs to (blob: URLs belong to the origin inside them). */
function originOf(url) {
  const parsed = new URL(url);
  if (parsed.protocol === 'blob:') return new URL(parsed.pathname).origin;
  return parsed.origin;
}

/** Waits for a run of `mode` newer than run number `after`, or for the photo to fail. */
async function nextRun(page, name, mode, after, timeout) {
  const handle = await page.waitForFunction(
    ([photoName, wanted, previous]) => {
      const t = document.getElementById('timings');
      if (t.dataset.mode === wanted && Number(t.dataset.run) > previous) {
        return {
          ok: true,
          mode: t.dataset.mode,
          size: t.dataset.size,
          run: Number(t.dataset.run),
          totalMs: Number(t.dataset.totalMs),
        };
      }
      const li = [...document.querySelectorAll('[data-testid="photo"]')].find((el) => el.dataset.name === photoName);
      if (!li) return { ok: false, state: 'missing', status: `no photo named ${photoName} on the page` };
      if (li.dataset.state === 'error' || li.dataset.state === 'refused') {
        return { ok: false, state: li.dataset.state, status: li.querySelector('[data-testid="photo-status"]')?.textContent };
      }
      return null;
    },
    [name, mode, after],
    { timeout, polling: 250 },
  );
  return handle.jsonValue();
}

// ---------------------------------------------------------------------------------------------
// The suites.

let server;

before(async () => {
  mkdirSync(OUTPUT, { recursive: true });
  server = await startServer();
});

after(async () => {
  await server?.stop();
  rmSync(WORK, { recursive: true, force: true });
});

function pageSuite(name, { query, backend, flags = FLAGS, label, build }) {
  describe(`page on ${name}`, () => {
    let context;
    let page;
    let close;
    const foreign = [];
    /** The wasm files the page fetched (the worker picks the build). */
    const modules = [];
    const pageErrors = [];
    const consoleErrors = [];
    // Later tests stop at once (instead of waiting out their timeouts) when the model never started.
    let started = false;
    const requireStarted = () => assert.ok(started, 'the model did not start (see the first test)');

    before(async () => {
      ({ context, page, close } = await launchChromium(name, flags));
      context.setDefaultTimeout(RUN_TIMEOUT);
      const origin = new URL(server.url).origin;
      context.on('request', (request) => {
        const url = request.url();
        if (url.startsWith('data:')) return;
        if (originOf(url) !== origin) foreign.push(url);
        if (url.endsWith('.wasm')) modules.push(new URL(url).pathname.split('/').pop());
      });
      page.on('pageerror', (err) => pageErrors.push(err.message));
      page.on('console', (message) => {
        if (message.type() === 'error') consoleErrors.push(message.text());
      });
      await page.goto(new URL(query, server.url).href);
    });

    after(async () => {
      await close?.();
    });

    test('names the backend it runs on and warms up', { timeout: TEST_TIMEOUT }, async () => {
      const model = await waitForModel(page, START_TIMEOUT);
      const errors = await page.locator('#errors').innerText();
      assert.equal(model.state, 'ready', `the model did not start:\n${errors}`);
      assert.equal(model.backend, backend);
      assert.match(model.label, label);
      assert.equal(await page.locator('#errors li').count(), 0, `warm-up reported:\n${errors}`);
      MODES = await offeredModes(page);
      assert.ok(MODES[0] === 'none' && MODES.includes(MODE), `the page offers ${MODES.join(', ')}`);
      // The full build where WebGPU runs; the CPU build, a fifth of its size, everywhere else.
      assert.deepEqual(modules, [build], 'the page loaded another build of the module');
      started = true;
    });

    test('segments a photo like the CLI does', { timeout: TEST_TIMEOUT }, async (t) => {
      requireStarted();
      // The page's part first, so that the later tests have their photo even without the CLI.
      await page.setInputFiles('#file-input', PHOTO);
      const settled = await settledPhoto(page, PHOTO_NAME, RUN_TIMEOUT);
      assert.equal(settled.state, 'done', `the photo did not segment: ${settled.status}`);

      const timings = page.locator('#timings');
      assert.equal(await timings.getAttribute('data-mode'), MODE);
      assert.equal(await timings.getAttribute('data-size'), String(SIZE));
      assert.equal(await timings.getAttribute('data-backend'), backend);
      assert.ok(Number(await timings.getAttribute('data-total-ms')) > 0, 'no total time');
      // The CPU kernels say where their inference time went, per kind of layer; WebGPU does not.
      const profile = await timings.locator('[data-testid="profile"] tr').evaluateAll((rows) =>
        rows.map((row) => [row.dataset.step, Number(row.dataset.ms)]),
      );
      if (backend === 'cpu') {
        const steps = profile.map(([step]) => step);
        for (const step of ['1×1 convolutions', 'depthwise convolutions', 'attention block']) {
          assert.ok(steps.includes(step), `the profile has no ${step}: ${steps.join(', ')}`);
        }
        assert.ok(profile.every(([, ms]) => ms >= 0) && profile.some(([, ms]) => ms > 0), 'profile times');
      } else {
        assert.equal(profile.length, 0, 'a WebGPU run shows no CPU profile');
      }

      const mask = await downloadMask(page, join(WORK, `${name}.mask.png`));
      const photo = await page.locator('#view').evaluate((canvas) => [canvas.width, canvas.height]);
      assert.deepEqual([mask.width, mask.height], photo, 'the mask is not the photo’s size');
      await page.screenshot({ path: join(OUTPUT, `${name}.png`), fullPage: true });
      await assertLikeCli(t, mask, SIZE);
    });

    test('segments above the trained size in two passes like the CLI does', { timeout: TEST_TIMEOUT }, async (t) => {
      requireStarted();
      for (const size of [TWO_PASS_SIZE, SIZE]) {
        const previous = Number(await page.locator('#timings').getAttribute('data-run'));
        await page.selectOption('#size', String(size));
        const run = await nextRun(page, PHOTO_NAME, MODE, previous, RUN_TIMEOUT);
        assert.ok(run.ok, `${size} px did not run: ${run.state}: ${run.status}`);
        assert.equal(run.size, String(size));
        if (size === TWO_PASS_SIZE) {
          await assertLikeCli(t, await downloadMask(page, join(WORK, `${name}-${size}.mask.png`)), size);
        }
      }
    });

    test('re-runs at once for every mode', { timeout: TEST_TIMEOUT }, async () => {
      requireStarted();
      // Every other mode, then back to the first: each change must bring a new timing.
      const order = [...MODES.filter((m) => m !== MODE), MODE];
      for (const mode of order) {
        const previous = Number(await page.locator('#timings').getAttribute('data-run'));
        await page.selectOption('#mode', mode);
        const run = await nextRun(page, PHOTO_NAME, mode, previous, RUN_TIMEOUT);
        assert.ok(run.ok, `${mode} did not run: ${run.state}: ${run.status}`);
        assert.ok(run.totalMs > 0, `${mode}: no total time`);
      }
      assert.equal(await page.locator('#view').getAttribute('data-has-mask'), 'true');
    });

    test('shows what a cell looks at, under the pointer', { timeout: TEST_TIMEOUT }, async () => {
      requireStarted();
      await page.selectOption('#mode', MODE);
      await page.check('[data-testid="look"]');
      const status = page.locator('[data-testid="look-status"]');
      await page.waitForFunction(() => /^Point at the photo/.test(document.querySelector('[data-testid="look-status"]').textContent),
        null, { timeout: RUN_TIMEOUT });
      const before = await page.locator('#view').evaluate((c) => c.getContext('2d').getImageData(0, 0, c.width, c.height).data.join());
      let previous = null;
      for (const [fx, fy] of [[0.3, 0.2], [0.7, 0.6]]) {
        const looked = await lookAt(page, fx, fy, SIZE, previous);
        previous = looked.key;
        assert.deepEqual([looked.column, looked.row], looked.expected, `the cell under (${fx}, ${fy})`);
        assert.ok(Math.abs(looked.sum - 1) <= 1e-3, `the weights sum to ${looked.sum}`);
        assert.ok(looked.ms >= 0, 'no time per update');
      }
      const after = await page.locator('#view').evaluate((c) => c.getContext('2d').getImageData(0, 0, c.width, c.height).data.join());
      assert.notEqual(after, before, 'no heat map was drawn over the photo');
      assert.match(await status.innerText(), new RegExp(`^${MODE}: cell \\(\\d+, \\d+\\) of \\d+ × \\d+ gathers most from`));
      await page.uncheck('[data-testid="look"]');
      assert.equal(await status.isHidden(), true, 'the look stays on after it is turned off');
    });

    test('shows bad files as errors while the good photo stays done', { timeout: TEST_TIMEOUT }, async () => {
      requireStarted();
      // A valid PNG cut in half, and a file over the 50 MB limit (sparse: no disk used).
      const whole = new PNG({ width: 64, height: 64 });
      whole.data.fill(200);
      const png = PNG.sync.write(whole);
      const huge = join(WORK, 'huge.jpg');
      writeFileSync(huge, '');
      truncateSync(huge, 51 * 1024 * 1024);
      const bad = [
        { name: 'not-an-image.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('plain text, not a JPEG\n') },
        { name: 'empty.png', mimeType: 'image/png', buffer: Buffer.alloc(0) },
        { name: 'truncated.png', mimeType: 'image/png', buffer: png.subarray(0, Math.floor(png.length / 2)) },
      ];
      await page.setInputFiles('#file-input', bad);
      await page.setInputFiles('#file-input', huge);

      for (const name of [...bad.map((b) => b.name), 'huge.jpg']) {
        const settled = await settledPhoto(page, name, RUN_TIMEOUT);
        assert.equal(settled.state, 'error', `${name} should be an error, is ${settled.state}: ${settled.status}`);
        assert.ok(settled.status.length > 0, `${name}: no message on its thumbnail`);
      }
      const errors = await page.locator('#errors').innerText();
      for (const name of ['not-an-image.jpg', 'empty.png', 'truncated.png', 'huge.jpg']) {
        assert.ok(errors.includes(name), `#errors does not mention ${name}:\n${errors}`);
      }
      assert.match(errors, /empty\.png: .*empty/i);
      assert.match(errors, /huge\.jpg: .*(limit|too large)/i);

      const good = page.locator(`[data-testid="photo"][data-name="${PHOTO_NAME}"]`);
      assert.equal(await good.getAttribute('data-state'), 'done');
      assert.equal(await page.locator('#view').getAttribute('data-has-mask'), 'true');
      assert.ok((await page.locator('#caption').innerText()).includes(PHOTO_NAME), 'the view no longer shows the good photo');

      // The page still works: another mode still runs on the good photo.
      const previous = Number(await page.locator('#timings').getAttribute('data-run'));
      await page.selectOption('#mode', 'none');
      const run = await nextRun(page, PHOTO_NAME, 'none', previous, RUN_TIMEOUT);
      assert.ok(run.ok, `the page stopped working after bad files: ${run.status}`);
    });

    test('stays on its origin and logs no errors', () => {
      assert.deepEqual(foreign, [], 'requests left the page’s origin');
      assert.deepEqual(pageErrors, [], 'uncaught exceptions in the page');
      assert.deepEqual(consoleErrors, [], 'console errors');
    });
  });
}

// SwiftShader is a software adapter: WebGPU on it only when asked for.
pageSuite('webgpu', {
  query: 'index.html?backend=webgpu',
  backend: 'webgpu',
  label: /^WebGPU on \S/,
  build: 'linseg_bg.wasm',
});
// Left to choose, the page passes over the software adapter for the faster CPU backend and says
// so; the page is cross-origin isolated, so it runs the threaded build, a thread per core.
pageSuite('software-webgpu', {
  query: 'index.html',
  backend: 'cpu',
  label: /^CPU, \d+ threads? · WebGPU here is software \(google swiftshader\), slower than the CPU$/,
  build: cpus().length > 1 ? 'linseg_cpu_threads_bg.wasm' : 'linseg_cpu_bg.wasm',
});
// One thread asked for: the CPU build without threads.
pageSuite('cpu', {
  query: 'index.html?backend=cpu&threads=1',
  backend: 'cpu',
  label: /^CPU, 1 thread · the CPU backend was asked for/,
  build: 'linseg_cpu_bg.wasm',
});
// A browser without WebGPU (navigator.gpu missing): the page falls back to the CPU by itself;
// two threads asked for, whatever the cores, so that the threaded build is tested everywhere.
pageSuite('no-webgpu', {
  query: 'index.html?threads=2',
  backend: 'cpu',
  flags: FLAGS_WITHOUT_WEBGPU,
  label: /^CPU, 2 threads · this browser (has no WebGPU|offers no WebGPU adapter)$/,
  build: 'linseg_cpu_threads_bg.wasm',
});

// ---------------------------------------------------------------------------------------------
// The page's own behaviour, on the CPU backend only (the backend does not matter to it, and
// the CPU is the one whose memory a large run grows): the loading line's byte counts, the
// backend label on a phone, every message kept, a size the model
// does not offer refused before it runs, the first photo of a pick shown, and the memory of a
// large run given back by replacing the worker.

describe('page details on cpu', () => {
  let page;
  let close;
  const pageErrors = [];

  before(async () => {
    ({ page, close } = await launchChromium('details'));
    page.context().setDefaultTimeout(RUN_TIMEOUT);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    // Every text the loading line shows, from the first.
    await page.addInitScript(() => {
      window.progressTexts = [];
      document.addEventListener('DOMContentLoaded', () => {
        const text = document.getElementById('progress-text');
        new MutationObserver(() => window.progressTexts.push(text.textContent))
          .observe(text, { childList: true, characterData: true, subtree: true });
      });
    });
    await page.goto(new URL('index.html?backend=cpu', server.url).href);
    const model = await waitForModel(page, START_TIMEOUT);
    assert.equal(model.state, 'ready');
    MODES = await offeredModes(page);
  });

  test('states the limits the model gives, in its units', async () => {
    // The catalog's limit (src/web/catalog.rs), in the units the refusal of a larger file uses.
    assert.equal(await page.locator('[data-fact="max-file-bytes"]').innerText(), '50.0 MiB');
    assert.equal(await page.locator('[data-fact="trained-size"]').innerText(), '256 px');
    assert.equal(await page.locator('[data-fact="formats"]').innerText(), 'JPEG, PNG, GIF, WebP, BMP, AVIF where the browser reads it');
  });

  after(async () => {
    await close?.();
  });

  /** Sets the mode and the size with one change (one run, not one per select). */
  const chooseSettings = (mode, size) => page.evaluate(([m, z]) => {
    document.getElementById('mode').value = m;
    const select = document.getElementById('size');
    select.value = String(z);
    select.dispatchEvent(new Event('change'));
  }, [mode, size]);

  test('counts the bytes it downloads, in a loading line that stays in sight', async () => {
    const texts = await page.evaluate(() => window.progressTexts);
    // The total too: the server states the decoded size of what it compresses.
    assert.ok(texts.some((text) => /^Downloading the model’s code: \d+\.\d MB of \d+\.\d MB$/.test(text)),
      `no byte count with its total among ${JSON.stringify(texts)}`);
    // The weights of the mode the page opens with, which the worker warms up in.
    assert.ok(texts.some((text) => text.startsWith(`Downloading the weights for "${DEFAULTS.mode}": `) && /\d+\.\d MB/.test(text)),
      `no weights byte count among ${JSON.stringify(texts)}`);
    assert.equal(await page.locator('#progress').evaluate((el) => getComputedStyle(el).position), 'sticky');
  });

  test('shows the whole backend label on a 390 px wide screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const box = await page.locator('#backend').evaluate((el) => {
      const rect = el.getBoundingClientRect();
      const text = document.getElementById('backend-text');
      return { right: rect.right, clipped: text.scrollWidth > text.clientWidth || el.scrollWidth > el.clientWidth };
    });
    await page.screenshot({ path: join(OUTPUT, 'details-390.png') });
    await page.setViewportSize({ width: 1280, height: 900 });
    assert.ok(box.right <= 390, `the label ends at ${box.right} px`);
    assert.equal(box.clipped, false, 'the label is cut off');
  });

  test('keeps every message, and clears them on request', { timeout: TEST_TIMEOUT }, async () => {
    const bad = Array.from({ length: 11 }, (_, i) => ({
      name: `bad-${i}.png`, mimeType: 'image/png', buffer: Buffer.from(`not a PNG ${i}\n`),
    }));
    await page.setInputFiles('#file-input', bad);
    for (const { name } of bad) {
      const settled = await settledPhoto(page, name, RUN_TIMEOUT);
      assert.equal(settled.state, 'error', `${name}: ${settled.status}`);
    }
    // The strip overflows; the newest thumbnail is the one in sight.
    const newest = page.locator(`[data-testid="photo"][data-name="${bad.at(-1).name}"]`);
    const inSight = await newest.evaluate((li) => {
      const [strip, box] = [li.parentElement.getBoundingClientRect(), li.getBoundingClientRect()];
      return box.left >= strip.left - 1 && box.right <= strip.right + 1;
    });
    assert.ok(inSight, 'the newest thumbnail is scrolled out of sight');
    const errors = await page.locator('#errors').innerText();
    for (const { name } of bad) assert.ok(errors.includes(name), `#errors lost ${name}:\n${errors}`);
    await page.click('#clear-messages');
    assert.equal(await page.locator('#errors li').count(), 0);
    assert.ok(await page.locator('#clear-messages').isHidden());
    for (const { name } of bad) await page.click(`[data-testid="photo"][data-name="${name}"] .thumb-remove`);
  });

  test('shows the first photo of a pick once it decodes, not the first to decode', { timeout: TEST_TIMEOUT }, async () => {
    const tiny = new PNG({ width: 1, height: 1 });
    tiny.data.fill(255);
    await page.setInputFiles('#file-input', [
      { name: PHOTO_NAME, mimeType: 'image/jpeg', buffer: readFileSync(PHOTO) },
      { name: 'tiny.png', mimeType: 'image/png', buffer: PNG.sync.write(tiny) },
    ]);
    for (const name of [PHOTO_NAME, 'tiny.png']) {
      const settled = await settledPhoto(page, name, RUN_TIMEOUT);
      assert.equal(settled.state, 'done', `${name}: ${settled.status}`);
    }
    assert.match(await page.locator('#caption').innerText(), new RegExp(`^${PHOTO_NAME.replace('.', '\\.')}`));
    await page.click('[data-testid="photo"][data-name="tiny.png"] .thumb-remove');
  });

  test('refuses a resolution the model does not offer before it runs', { timeout: TEST_TIMEOUT }, async () => {
    const run = await page.locator('#timings').getAttribute('data-run');
    await page.evaluate(() => document.getElementById('size').append(new Option('abc px', 'abc')));
    await page.selectOption('#size', 'abc');
    await page.waitForFunction(() => document.getElementById('errors').innerText.includes('abc'));
    assert.match(await page.locator('#errors').innerText(), /“abc” is not a resolution this model offers/);
    assert.equal(await page.locator('#size').inputValue(), String(SIZE), 'the select went back to the size in force');
    assert.doesNotMatch(await page.locator('#caption').innerText(), /NaN/);
    assert.doesNotMatch(await page.locator('#view-message').innerText(), /NaN/);
    assert.equal(await page.locator('#timings').getAttribute('data-run'), run, 'something ran');
  });

  test('stops a long run when the settings change under it, and runs the new ones at once', { timeout: TEST_TIMEOUT }, async (t) => {
    const timings = page.locator('#timings');
    const previous = Number(await timings.getAttribute('data-run'));
    const selected = page.locator('[data-testid="photo"].is-selected');
    const name = await selected.getAttribute('data-name');
    await chooseSettings('dot', 2048);
    await selected.locator('[data-testid="photo-status"]', { hasText: 'Running dot at 2048' }).waitFor();
    const head = 1000;
    await page.waitForTimeout(head);
    const switched = Date.now();
    await chooseSettings(MODE, SIZE);
    // The photo's mask at MODE and SIZE from before the dot run is shown again: no new run.
    await selected.locator('[data-testid="photo-status"]', { hasText: `Done · ${MODE} ${SIZE}` }).waitFor();
    const waited = Date.now() - switched;
    t.diagnostic(`dot at 2048 px stopped after ${(head / 1000).toFixed(1)} s; ` +
      `${MODE} at ${SIZE} px shown ${(waited / 1000).toFixed(1)} s after the switch (the next test times a whole dot run)`);
    assert.equal(await timings.getAttribute('data-mode'), MODE);
    assert.equal(Number(await timings.getAttribute('data-run')), previous, 'the superseded dot run still delivered a mask');
    const notice = await page.locator('#errors').innerText();
    assert.match(notice, new RegExp(`${name}: stopped dot at 2048 px after \\d+\\.\\d s`));
    await page.waitForSelector('#progress[data-stage="ready"]', { state: 'attached' });
    assert.deepEqual(pageErrors, []);
  });

  test('gives back the memory of a large run', { timeout: TEST_TIMEOUT }, async (t) => {
    const MiB = 1024 ** 2;
    const timings = page.locator('#timings');
    const before = Number(await timings.getAttribute('data-memory-bytes'));
    const previous = Number(await timings.getAttribute('data-run'));
    // The worker and the threads it started (the threaded CPU build's pool).
    const oldWorkers = page.workers();
    await chooseSettings('dot', 2048);
    const run = await nextRun(page, PHOTO_NAME, 'dot', previous, RUN_TIMEOUT);
    assert.ok(run.ok, `dot at 2048 did not run: ${run.state}: ${run.status}`);
    assert.equal(run.size, '2048');
    t.diagnostic(`dot at 2048 px, run to its end: ${(run.totalMs / 1000).toFixed(1)} s`);
    const grown = Number(await timings.getAttribute('data-memory-bytes'));
    assert.ok(grown > 1024 * MiB, `dot at 2048 left only ${grown} bytes of wasm memory: nothing to give back`);

    // The worker is replaced after the run; the photo is decoded again in the fresh one.
    await chooseSettings(MODE, SIZE);
    const next = await nextRun(page, PHOTO_NAME, MODE, run.run, RUN_TIMEOUT);
    assert.ok(next.ok, `the photo did not run in the fresh worker: ${next.state}: ${next.status}`);
    const afterBytes = Number(await timings.getAttribute('data-memory-bytes'));
    t.diagnostic(`wasm memory: ${(before / MiB).toFixed(0)} MiB before, ${(grown / MiB).toFixed(0)} MiB after dot at 2048, ` +
      `${(afterBytes / MiB).toFixed(0)} MiB after the next run`);
    assert.ok(afterBytes < before + 256 * MiB, `the wasm memory went from ${before} to ${afterBytes} bytes`);
    // A terminated worker takes its threads with it, within a few seconds.
    const lingering = () => page.workers().filter((worker) => oldWorkers.includes(worker)).length;
    for (const deadline = Date.now() + MINUTE; lingering() > 0 && Date.now() < deadline; ) await page.waitForTimeout(250);
    assert.equal(lingering(), 0, 'the old worker, or a thread it started, is still there');
    assert.deepEqual(pageErrors, []);
  });

  /** Clicks an analysis button and waits until the analysis has ended. */
  const analyse = async (button) => {
    await page.click(button);
    await page.waitForSelector('#analysis[data-state="done"], #analysis[data-state="cancelled"]');
  };

  /** The analysis table: its head's cells and its body's rows, as texts. */
  const analysisTable = () => page.locator('#analysis-table').evaluate((table) => ({
    head: [...table.querySelectorAll('thead th')].map((th) => th.textContent.trim()),
    rows: [...table.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((cell) => cell.textContent.trim())),
  }));

  // The photo is in view at SIZE in MODE, run in a fresh worker (the test above replaced it).
  test('compares the modes, each first run of a mode untimed', { timeout: TEST_TIMEOUT }, async () => {
    assert.equal(await page.locator('[data-testid="upscaled"]').count(), 0, 'a note of scaling up at 256 px');
    await analyse('#compare-modes');
    assert.match(await page.locator('#analysis-status').innerText(), new RegExp(`^${MODES.length} of ${MODES.length} modes ran on the CPU\\b`));
    const { head, rows } = await analysisTable();
    assert.deepEqual(head, ['Mode', 'Total', heldOutHeading(), 'Inference', 'Block memory', 'Largest buffer', 'FLOPs', 'Feature map', 'Note']);
    assert.deepEqual(rows.map((row) => row[0]), MODES);
    for (const row of rows) {
      assert.match(row[1], /^\d[\d,.]* ms$/, `${row[0]}'s total`);
      assert.equal(row[2], heldOutIou(row[0], Number(SIZE)), `${row[0]}'s held-out IoU, from models/metrics.json`);
      assert.match(row[3], /^\d[\d,.]* ms$/, `${row[0]}'s inference`);
    }
    const byMode = Object.fromEntries(rows.map((row) => [row[0], row]));
    assert.equal(byMode.none[4], '0 B', 'no attention block, no block memory');
    assert.notEqual(byMode.dot[4], '0 B');
    // Only the mode the photo had already run in at this size in this worker, and the mode of
    // the worker's warm-up at its size (the mode the page opens with, at 256 px, where every
    // photo is stretched to the same 16 × 16 cells), ran without a warm-up run first.
    const warm = (mode) => mode === MODE || (mode === DEFAULTS.mode && SIZE === WARMUP.size);
    assert.deepEqual(rows.map((row) => row[8]), MODES.map((mode) => (warm(mode) ? '' : 'after a warm-up run')));

    // Every mode's mask side by side, each against none's.
    const tiles = await page.locator('[data-testid="mode-mask"]').evaluateAll((figures) => figures.map((f) => ({
      mode: f.dataset.mode, state: f.dataset.state, differs: f.dataset.differs, caption: f.querySelector('figcaption').textContent,
      painted: (() => {
        const c = f.querySelector('canvas');
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        return data.some((v, i) => i % 4 !== 3 && v > 0);
      })(),
    })));
    assert.deepEqual(tiles.map((t) => t.mode), MODES, 'a tile per mode, in order');
    for (const tile of tiles) {
      assert.equal(tile.state, 'done', `${tile.mode}'s tile`);
      assert.ok(tile.painted, `${tile.mode}'s tile is blank`);
      const share = Number(tile.differs);
      assert.ok(share >= 0 && share < 0.5, `${tile.mode} differs from none on ${tile.differs}`);
      if (tile.mode !== 'none') assert.match(tile.caption, /differs from none on \d+\.\d% \(\+\d+\.\d% −\d+\.\d%\)$/);
    }
    assert.equal(tiles[0].differs, '0');
    assert.ok(tiles.some((t) => Number(t.differs) > 0), 'no mode differs from none at all');
  });

  // dot at 2048 px grows the memory past the limit, so the worker is replaced between its runs:
  // each run must find the photo decoded in whichever worker it meets.
  test('compares the modes at 2048 px, dot included, though the worker is replaced', { timeout: TEST_TIMEOUT }, async () => {
    const previous = Number(await page.locator('#timings').getAttribute('data-run'));
    await chooseSettings(MODE, 2048);
    const run = await nextRun(page, PHOTO_NAME, MODE, previous, RUN_TIMEOUT);
    assert.ok(run.ok, `${MODE} at 2048 did not run: ${run.state}: ${run.status}`);
    // The photo (grace_hopper: 512×600) is scaled up past its own size, and the page says so.
    const upscaled = await page.locator('[data-testid="upscaled"]').innerText({ timeout: 30_000 });
    const [, factor, longer] = /^scaled up (\d+\.\d)× from the photo's (\d+) px: no detail gained$/.exec(upscaled) ?? [];
    assert.ok(longer && Number(longer) < 2048, upscaled);
    assert.equal(factor, (2048 / Number(longer)).toFixed(1), upscaled);
    await analyse('#compare-modes');
    const status = await page.locator('#analysis-status').innerText();
    assert.match(status, new RegExp(`^${MODES.length} of ${MODES.length} modes ran on the CPU\\b`), status);
    const { rows } = await analysisTable();
    for (const row of rows) assert.match(row[1], /^\d[\d,.]* (ms|s)$/, `${row[0]} at 2048: ${row[1]} ${row.at(-1)}`);
    await chooseSettings(MODE, SIZE);
    assert.deepEqual(pageErrors, []);
  });

  test('shows what a cell looks at in every mode, and says that none looks at nothing', { timeout: TEST_TIMEOUT }, async (t) => {
    await page.check('[data-testid="look"]');
    const status = page.locator('[data-testid="look-status"]');
    let previous = null;
    for (const mode of MODES) {
      await chooseSettings(mode, 512);
      if (mode === 'none') {
        await page.waitForFunction(() => /has no attention block/.test(document.querySelector('[data-testid="look-status"]').textContent),
          null, { timeout: RUN_TIMEOUT });
        continue;
      }
      await page.waitForFunction((m) => document.querySelector('[data-testid="look-status"]').textContent.startsWith(`Point at the photo: ${m} at 512 px`),
        mode, { timeout: RUN_TIMEOUT });
      const looked = await lookAt(page, 0.45, 0.35, 512, previous);
      previous = looked.key;
      assert.deepEqual([looked.column, looked.row], looked.expected, `${mode}: the cell under the pointer`);
      assert.ok(Math.abs(looked.sum - 1) <= 1e-3, `${mode}: the weights sum to ${looked.sum}`);
      t.diagnostic(`${mode}: ${looked.ms.toFixed(3)} ms per cell at 512 px; ${await status.innerText()}`);
    }
    await page.uncheck('[data-testid="look"]');
    assert.deepEqual(pageErrors, []);
  });

  test('sweeps every mode at every size, and a sweep can be cancelled', { timeout: TEST_TIMEOUT }, async () => {
    await analyse('#resolution-sweep');
    const runs = MODES.length * 3;
    assert.match(await page.locator('#analysis-status').innerText(), new RegExp(`^${runs} of ${runs} runs done\\b`));
    const { head, rows } = await analysisTable();
    const sizes = [256, 512, 1024];
    assert.deepEqual(head, ['Mode', ...sizes.map((s) => `${s} px`), ...sizes.map((s) => heldOutHeading(s))]);
    assert.deepEqual(rows.map((row) => row[0]), MODES);
    for (const row of rows) {
      for (const cell of row.slice(1, 4)) assert.match(cell, /^\d[\d,.]* ms$/, `${row[0]}: ${cell}`);
      assert.deepEqual(row.slice(4), sizes.map((size) => heldOutIou(row[0], size)), `${row[0]}'s held-out IoU`);
    }
    assert.equal(await page.locator('#analysis-chart path.chart-line').count(), MODES.length, 'a line per mode');
    assert.equal(await page.locator('[data-testid="tradeoff-point"]').count(), MODES.length * sizes.length,
      'a point per mode and size in the speed-against-quality chart');

    await page.click('#resolution-sweep');
    await page.waitForSelector('#analysis-table td.state-done');
    await page.click('#cancel-analysis');
    await page.waitForSelector('#analysis[data-state="cancelled"]');
    assert.match(await page.locator('#analysis-status').innerText(), /runs done \(cancelled\)/);
    assert.ok(await page.locator('#analysis-table td.state-cancelled').count() > 0, 'no run was cancelled');
    assert.equal(await page.locator('#analysis-table td.state-queued, #analysis-table td.state-running').count(), 0);

    // The page goes on: the photo runs again when a setting changes.
    const previous = Number(await page.locator('#timings').getAttribute('data-run'));
    await chooseSettings('none', SIZE);
    const run = await nextRun(page, PHOTO_NAME, 'none', previous, RUN_TIMEOUT);
    assert.ok(run.ok, `the photo did not run after the cancelled sweep: ${run.state}: ${run.status}`);
    assert.deepEqual(pageErrors, []);
  });
  test('keeps the analysis readable on a 390 px wide screen', { timeout: TEST_TIMEOUT }, async () => {
    // The analysis panel holds the (cancelled) sweep of the test above: its charts and table.
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.locator('#analysis').scrollIntoViewIfNeeded();
      const layout = await page.evaluate(() => {
        const texts = [...document.querySelectorAll('#analysis-chart svg text')];
        const sizes = texts.map((text) => parseFloat(getComputedStyle(text).fontSize) * text.ownerSVGElement.getScreenCTM().a);
        const table = document.getElementById('analysis-table');
        return {
          texts: texts.length,
          smallest: Math.min(...sizes),
          pageWidth: document.documentElement.scrollWidth,
          tableOver: table.getBoundingClientRect().width - table.parentElement.clientWidth,
        };
      });
      // The photo's stage takes the photo's shape: no empty bands above and below it.
      const stage = await page.evaluate(() => {
        const box = document.querySelector('.stage');
        const style = getComputedStyle(box);
        return {
          inner: box.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom),
          photo: document.getElementById('view').getBoundingClientRect().height,
        };
      });
      await page.screenshot({ path: join(OUTPUT, 'details-390-analysis.png'), fullPage: true });
      assert.ok(layout.texts > 20, `only ${layout.texts} chart texts`);
      assert.ok(layout.smallest >= 9.5, `chart text drawn at ${layout.smallest.toFixed(1)} px`);
      assert.ok(layout.pageWidth <= 390, `the page is ${layout.pageWidth} px wide: it scrolls sideways`);
      assert.ok(layout.tableOver <= 1, `the table is ${layout.tableOver} px wider than its box`);
      assert.ok(stage.photo > 0 && stage.inner - stage.photo <= 2,
        `the photo is ${stage.photo.toFixed(0)} px tall in a stage ${stage.inner.toFixed(0)} px tall`);
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  test('scores every mask of the sample against its true mask', { timeout: TEST_TIMEOUT }, async () => {
    const sample = 'grace-hopper-on-chelsea.jpg';
    await chooseSettings(MODE, 512);
    await page.click('[data-testid="sample"]');
    await page.waitForSelector(`[data-testid="photo"][data-name="${sample}"]`);
    const settled = await settledPhoto(page, sample, RUN_TIMEOUT);
    assert.equal(settled.state, 'done', `the sample did not segment: ${settled.status}`);
    await page.waitForFunction((name) => document.getElementById('caption').textContent.startsWith(name), sample);
    await page.waitForFunction(() => /IoU \d\.\d{3} against its true mask/.test(document.getElementById('caption').textContent));
    const caption = await page.locator('#caption').innerText();
    const shown = Number(/IoU (\d\.\d{3}) against its true mask/.exec(caption)[1]);

    // The same IoU, computed here from the downloaded mask and the sample's mask file.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-mask')]);
    const path = join(WORK, 'sample.mask.png');
    await download.saveAs(path);
    const truth = readPng(join(ROOT, 'www/samples/grace-hopper-on-chelsea.mask.png'));
    const { iou } = maskIou(readPng(path), truth);
    assert.ok(Math.abs(iou - shown) <= 0.0005, `the page says IoU ${shown}, the masks give ${iou.toFixed(4)}`);
    assert.ok(iou > 0.8, `${MODE} at 512 px finds Grace Hopper poorly: IoU ${iou.toFixed(3)}`);

    // Compare modes scores every mode's mask on it, the same way.
    await analyse('#compare-modes');
    const scored = await page.locator('[data-testid="mode-mask"]').evaluateAll((figures) =>
      Object.fromEntries(figures.map((f) => [f.dataset.mode, f.dataset.iou])));
    assert.deepEqual(Object.keys(scored), MODES);
    for (const [mode, value] of Object.entries(scored)) assert.match(value ?? '', /^[01]\.\d{3}$/, `${mode}'s IoU`);
    assert.equal(scored[MODE], shown.toFixed(3), `${MODE}'s IoU in the grid and in the caption`);
    assert.deepEqual(pageErrors, []);
  });
  test('says when a mask finds no person, and not when it finds one', { timeout: TEST_TIMEOUT }, async () => {
    // The sample, a person, is in view from the test above.
    assert.equal(await page.locator('#caption').getAttribute('data-person'), '');
    const flat = new PNG({ width: 320, height: 240 });
    for (let i = 0; i < flat.data.length; i += 4) flat.data.set([128, 128, 128, 255], i);
    const name = 'flat-grey.png';
    await page.setInputFiles('#file-input', { name, mimeType: 'image/png', buffer: PNG.sync.write(flat) });
    const settled = await settledPhoto(page, name, RUN_TIMEOUT);
    assert.equal(settled.state, 'done', `${name}: ${settled.status}`);
    await page.waitForFunction((wanted) => document.getElementById('caption').textContent.startsWith(wanted), name);
    const caption = page.locator('#caption');
    assert.equal(await caption.getAttribute('data-person'), 'none', await caption.innerText());
    assert.match(await caption.innerText(), new RegExp(`no person found by ${MODE} at 512 px`));
    await page.click(`[data-testid="photo"][data-name="${name}"] .thumb-remove`);
  });

  test('removes every photo at once, and takes new ones after', { timeout: TEST_TIMEOUT }, async () => {
    assert.ok(await page.locator('[data-testid="photo"]').count() > 1, 'fewer than two photos to remove');
    await page.click('[data-testid="remove-all"]');
    assert.equal(await page.locator('[data-testid="photo"]').count(), 0, 'photos left in the strip');
    assert.equal(await page.locator('#viewer').getAttribute('data-state'), 'empty');
    assert.equal(await page.locator('[data-testid="remove-all"]').isHidden(), true, 'the button stays with nothing to remove');
    await page.setInputFiles('#file-input', PHOTO);
    await page.waitForSelector(`[data-testid="photo"][data-name="${PHOTO_NAME}"]`);
    const settled = await settledPhoto(page, PHOTO_NAME, RUN_TIMEOUT);
    assert.equal(settled.state, 'done', `a photo added after removing all did not segment: ${settled.status}`);
    assert.deepEqual(pageErrors, []);
  });
  test('blurs or replaces the background of a photo, and downloads the view', { timeout: TEST_TIMEOUT }, async () => {
    await page.waitForSelector('#view[data-has-mask="true"]');
    const mask = await downloadMask(page, join(WORK, 'views.mask.png'));
    const person = Array.from({ length: mask.width * mask.height }, (_, i) => mask.data[4 * i]);
    /** The canvas in `view`, as RGBA bytes. */
    const pixels = async (view) => {
      await page.click(`label[for="view-${view}"]`);
      return page.locator('#view').evaluate((c) => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data));
    };
    const setRange = (id, value) => page.evaluate(([i, v]) => {
      const input = document.getElementById(i);
      input.value = String(v);
      input.dispatchEvent(new Event('input'));
    }, [id, value]);
    await setRange('opacity', 0);
    const photo = await pixels('overlay'); // the photo itself: the mask at opacity 0
    await setRange('opacity', 55);
    /** Share of the pixels where the mask is `level` (0 or 255) whose colour differs by more than `by`. */
    const changed = (view, level, by) => {
      let n = 0;
      let differ = 0;
      person.forEach((m, i) => {
        if (m !== level) return;
        n += 1;
        if ([0, 1, 2].some((c) => Math.abs(view[4 * i + c] - photo[4 * i + c]) > by)) differ += 1;
      });
      return differ / n;
    };
    const blurred = await pixels('blur');
    assert.ok(changed(blurred, 0, 8) > 0.2, `the background is hardly blurred: ${changed(blurred, 0, 8)}`);
    assert.ok(changed(blurred, 255, 2) < 0.01, `the person is not sharp: ${changed(blurred, 255, 2)}`);
    const replaced = await pixels('replace');
    const colour = [0x00, 0xc8, 0x78];
    const background = person.map((m, i) => [m, i]).filter(([m]) => m === 0);
    const coloured = background.filter(([, i]) => colour.every((v, c) => Math.abs(replaced[4 * i + c] - v) <= 1)).length;
    assert.ok(coloured / background.length > 0.99, `the background is not replaced by the colour: ${coloured} of ${background.length}`);
    assert.ok(changed(replaced, 255, 2) < 0.01, 'the person is not kept');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-view')]);
    assert.match(download.suggestedFilename(), new RegExp(`^${PHOTO_STEM}\\.[a-z-]+-\\d+\\.replace\\.png$`));
    const path = join(WORK, 'view.png');
    await download.saveAs(path);
    const saved = readPng(path);
    assert.deepEqual([saved.width, saved.height], [mask.width, mask.height]);
    assert.deepEqual(Array.from(saved.data.subarray(0, 400)), replaced.slice(0, 400), 'the download is not the view');
    await page.click('label[for="view-overlay"]');
    assert.deepEqual(pageErrors, []);
  });
});
