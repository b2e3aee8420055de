// Browser tests of how the page behaves under a person's hand, run with
// `node --test tests/browser/`: Cancel analysis stops the run in flight (on the CPU and on
// WebGPU, here SwiftShader), a mode and a size chosen one after the other run once at the final
// setting, the camera's figures start afresh on each start and each setting and say when a
// setting cannot keep up with live video, and the camera reads its frames from the track.
// Timings are printed as diagnostics, never asserted (this machine's load decides them).
//
// Needs what page.test.mjs needs (Chromium, `npm ci`, www/pkg/, models/).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { FLAGS, ROOT, launchChromium, startServer, waitForModel } from '../../scripts/browser.mjs';
import { makeCameraClip } from '../../scripts/make-camera-clip.mjs';

const MINUTE = 60_000;
const PHOTO = join(ROOT, 'tests/fixtures/photos/grace_hopper.jpg');
const PHOTO_NAME = 'grace_hopper.jpg';
const WORK = mkdtempSync(join(tmpdir(), 'linseg-behaviour-'));

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
  rmSync(WORK, { recursive: true, force: true });
});

/**
 * Chromium with `flags` on the page at `query`, once its model has started, every 'segment'
 * request the page sends its worker logged in window.__segments as "mode@size".
 */
async function openPage(name, query, { flags = FLAGS, timeout = 5 * MINUTE } = {}) {
  const opened = await launchChromium(name, flags);
  opened.context.setDefaultTimeout(timeout);
  await opened.context.addInitScript(() => {
    window.__segments = [];
    const post = Worker.prototype.postMessage;
    Worker.prototype.postMessage = function postMessage(message, ...rest) {
      if (message?.op === 'segment') window.__segments.push(`${message.args.mode}@${message.args.size}`);
      return post.call(this, message, ...rest);
    };
  });
  opened.pageErrors = [];
  opened.page.on('pageerror', (err) => opened.pageErrors.push(err.message));
  await opened.page.goto(new URL(`index.html?${query}`, server.url).href);
  const model = await waitForModel(opened.page, timeout);
  assert.equal(model.state, 'ready', `the model did not start: ${model.label}`);
  return opened;
}

/** Adds the photo and waits until its mask is shown. */
async function addPhoto(page) {
  await page.setInputFiles('#file-input', PHOTO);
  await page.waitForSelector(`[data-testid="photo"][data-name="${PHOTO_NAME}"][data-state="done"]`);
}

/**
 * Starts `button`'s analysis, waits until its status says `running` (a RegExp), then cancels;
 * resolves { status (what was running), cancelMs (the click to the panel's cancelled state),
 * readyMs (the click to the model ready again, in its fresh worker) }.
 */
async function cancelWhileRunning(page, button, running) {
  await page.click(button);
  const status = page.locator('#analysis-status');
  await page.waitForFunction((source) => new RegExp(source).test(document.getElementById('analysis-status').textContent), running.source);
  const was = await status.innerText();
  const clicked = Date.now();
  await page.click('#cancel-analysis');
  await page.waitForSelector('#analysis[data-state="cancelled"]');
  const cancelMs = Date.now() - clicked;
  await page.waitForSelector('#progress[data-stage="ready"]', { state: 'attached' });
  const readyMs = Date.now() - clicked;
  return { status: was, cancelMs, readyMs };
}

/** The analysis table's cells: row (mode) -> column head -> { text, state }. */
function analysisCells(page) {
  return page.locator('#analysis-table').evaluate((table) => {
    const head = [...table.querySelectorAll('thead th')].map((th) => th.textContent.trim());
    const rows = {};
    for (const tr of table.querySelectorAll('tbody tr')) {
      const cells = [...tr.children];
      rows[cells[0].textContent.trim()] = Object.fromEntries(cells.map((cell, i) => [head[i], {
        text: cell.textContent.trim(),
        state: [...cell.classList].find((c) => c.startsWith('state-'))?.slice(6) ?? null,
      }]));
    }
    return rows;
  });
}

/**
 * Chooses dot, then 512 px, the one right after the other, on a page whose photo is done at
 * linear 256 px; asserts that the worker was asked for one run, at the final setting.
 */
async function chooseOnce(page, t) {
  await page.selectOption('#mode', 'linear');
  await page.selectOption('#size', '256');
  await page.waitForFunction(() => {
    const timings = document.getElementById('timings').dataset;
    return timings.mode === 'linear' && timings.size === '256';
  });
  await page.evaluate(() => {
    window.__segments.length = 0;
  });
  const chosen = Date.now();
  await page.selectOption('#mode', 'dot');
  await page.selectOption('#size', '512');
  const between = Date.now() - chosen;
  await page.waitForFunction(() => {
    const timings = document.getElementById('timings').dataset;
    return timings.mode === 'dot' && timings.size === '512';
  });
  const runs = await page.evaluate(() => window.__segments.slice());
  t.diagnostic(`the two choices ${between} ms apart; runs asked of the worker: ${runs.join(', ')}`);
  assert.deepEqual(runs, ['dot@512']);
}

describe('on the CPU', () => {
  let opened;

  before(async () => {
    opened = await openPage('behaviour-cpu', 'backend=cpu');
    await addPhoto(opened.page);
  });

  after(async () => {
    await opened?.close();
  });

  test('Cancel analysis stops the run in flight, not after it', { timeout: 10 * MINUTE }, async (t) => {
    const { page } = opened;
    await page.check('#sweep-2048');
    const { status, cancelMs, readyMs } = await cancelWhileRunning(page, '#resolution-sweep', /Running \S+ at 2048 px/);
    t.diagnostic(`cancelled while "${status}": the panel said cancelled ${cancelMs} ms after the click; the model was ready again after ${readyMs} ms`);
    const [, mode] = /Running (\S+) at 2048 px/.exec(status);
    const cell = (await analysisCells(page))[mode]['2048 px'];
    assert.equal(cell.state, 'cancelled', `the run that was in flight went on to ${cell.text}`);
    assert.match(await page.locator('#analysis-status').innerText(), /\(cancelled\)/);
    await page.uncheck('#sweep-2048');

    // The page goes on in the fresh worker: the photo runs again at a new setting.
    await page.selectOption('#mode', 'none');
    await page.waitForFunction(() => document.getElementById('timings').dataset.mode === 'none');
    assert.deepEqual(opened.pageErrors, []);
  });

  test('a mode and a size chosen one after the other run once, at the final setting', async (t) => {
    await chooseOnce(opened.page, t);
  });
});

describe('on WebGPU (SwiftShader)', () => {
  let opened;

  before(async () => {
    opened = await openPage('behaviour-webgpu', 'backend=webgpu', { timeout: 10 * MINUTE });
    await addPhoto(opened.page);
  });

  after(async () => {
    await opened?.close();
  });

  test('Cancel analysis stops the run in flight there too', { timeout: 15 * MINUTE }, async (t) => {
    const { page } = opened;
    assert.equal(await page.locator('#backend').getAttribute('data-backend'), 'webgpu');
    const { status, cancelMs, readyMs } = await cancelWhileRunning(page, '#compare-modes', /Running \S+ \(2 of/);
    t.diagnostic(`cancelled while "${status}": the panel said cancelled ${cancelMs} ms after the click; the model was ready again after ${readyMs} ms`);
    const [, mode] = /Running (\S+) /.exec(status);
    const cell = (await analysisCells(page))[mode].Total;
    assert.equal(cell.text, 'cancelled', `the run that was in flight went on to ${cell.text}`);
    assert.deepEqual(opened.pageErrors, []);
  });

  test('a mode and a size chosen one after the other run once there too', { timeout: 10 * MINUTE }, async (t) => {
    await chooseOnce(opened.page, t);
  });
});

describe('the camera', () => {
  let opened;

  before(async () => {
    // A webcam's frames, 640×480.
    const clip = await makeCameraClip({ out: join(WORK, 'clip.y4m'), frames: 90, width: 640, height: 480 });
    const flags = [
      ...FLAGS,
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      `--use-file-for-fake-video-capture=${clip}`,
    ];
    opened = await openPage('behaviour-camera', 'backend=cpu', { flags });
  });

  after(async () => {
    await opened?.close();
  });

  /** Starts the camera; resolves the figures and counts as they were when it went live. */
  async function startCamera(page) {
    const atLive = page.evaluate(() => new Promise((resolve) => {
      const section = document.getElementById('camera');
      const observer = new MutationObserver(() => {
        if (section.dataset.state !== 'live') return;
        observer.disconnect();
        const figures = document.getElementById('camera-figures');
        resolve({ text: figures.textContent, fps: figures.dataset.fps, frames: window.__linsegCamera.stats.frames });
      });
      observer.observe(section, { attributes: true, attributeFilter: ['data-state'] });
    }));
    await page.click('#camera-toggle');
    return atLive;
  }

  test('reads its frames from the track, at speed', { timeout: 5 * MINUTE }, async (t) => {
    const { page } = opened;
    await startCamera(page);
    await page.waitForFunction(() => window.__linsegCamera.stats.processed >= 60, null, { polling: 100 });
    const stats = await page.evaluate(() => window.__linsegCamera.stats);
    t.diagnostic(await page.locator('#camera-figures').innerText());
    assert.equal(stats.source, 'track', 'the frames are read back from the <video>');
    const breakdown = await page.evaluate(() => window.__linsegCamera.breakdown);
    const med = (key) => {
      const values = breakdown.map((b) => b[key]).sort((a, b) => a - b);
      return values[(values.length - 1) >> 1]?.toFixed(1);
    };
    const stages = ['waited', 'read', 'inference', 'engineRest', 'transfer', 'drawn', 'draw', 'latency', 'shown'];
    t.diagnostic(`medians over ${breakdown.length} frames (ms): ${stages.map((key) => `${key} ${med(key)}`).join(', ')}`);
  });

  test('figures start afresh on a new start, not with the last run’s', async () => {
    const { page } = opened;
    await page.waitForFunction(() => Number(document.getElementById('camera-figures').dataset.fps) > 0);
    await page.click('#camera-toggle');
    await page.waitForSelector('#camera[data-state="off"]');
    const atLive = await startCamera(page);
    assert.equal(atLive.frames, 0, `the new start counted ${atLive.frames} frames of the last one`);
    assert.equal(atLive.fps, '', `the new start showed the last run's ${atLive.fps} fps`);
    assert.match(atLive.text, /^linear at 256 px: waiting for the first mask…$/);
  });

  test('a new setting is named at once, and one too slow for live video says so', { timeout: 5 * MINUTE }, async (t) => {
    const { page } = opened;
    await page.waitForFunction(() => Number(document.getElementById('camera-figures').dataset.fps) > 0);
    await page.selectOption('#mode', 'dot');
    await page.selectOption('#size', '2048');
    const chosen = Date.now();
    await page.waitForFunction(() => / dot at 2048 px|^dot at 2048 px/.test(document.getElementById('camera-figures').textContent), null, { timeout: 1000 });
    assert.equal(await page.locator('#camera-figures').getAttribute('data-fps'), '', 'the new setting carries the old one’s rate');
    const warning = page.locator('#camera-warning');
    await page.waitForFunction(() => /Too slow for live video/.test(document.getElementById('camera-warning').textContent));
    const text = await warning.innerText();
    t.diagnostic(`${Date.now() - chosen} ms after the choice: ${text}`);
    assert.ok(await warning.isVisible(), 'the warning is hidden');
    assert.match(text, /dot at 2048 px/);
    assert.match(text, /A smaller size or a cheaper mode keeps up: linear at 256 px ran \d+\.\d fps here\./);
    assert.match(text, /640×480 frames are scaled up 3\.2× to 2048 px/);

    // Back to a setting that keeps up: the frames still running at the slow one are stopped.
    const back = Date.now();
    await page.selectOption('#mode', 'linear');
    await page.selectOption('#size', '256');
    await page.waitForFunction(() => Number(document.getElementById('camera-figures').dataset.fps) > 0, null, { timeout: MINUTE });
    t.diagnostic(`back at linear 256 px: two masks there ${Date.now() - back} ms after the choice`);
    assert.equal(await warning.isVisible(), false, 'the warning stays once the setting keeps up');
    await page.click('#camera-toggle');
    await page.waitForSelector('#camera[data-state="off"]');
    assert.equal(await warning.isVisible(), false, 'the warning outlives the camera');
  });
});
