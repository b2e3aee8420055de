// Browser tests of the live camera (www/camera*.js), run with `node --test tests/browser/`.
//
// Chromium's fake camera plays a clip that scripts/make-camera-clip.mjs writes: a slow pan over
// a fixture photo of a person. On the CPU backend (?backend=cpu; WebGPU here is SwiftShader,
// slow) they check that the camera starts only on a click and names its button for a screen
// reader, that a snapshot's mask (a frame of the loop) agrees with the CLI's on the same
// picture (IoU ≥ 0.9) and the snapshot joins the photos, that fps and latency are shown, that
// 300 frames leave no queue (never more than one frame in flight per worker and one waiting) and no
// growing JS heap, that every view draws, that "Compare modes" tables every mode, that Stop,
// a hidden tab and a camera that goes away release it; with a webcam's 640×480 frames, that the
// mode and size are on the screen with the live video at 1280×800 and 390×844 and set what the
// camera runs; with a clip of a person moving fast,
// that the mask is drawn over the frame it was computed from (the offset between the person
// and the mask on the screen does not depend on the way they move); in browsers whose camera
// is denied, missing or in use, that the page says which and still segments photos; in another,
// on WebGPU, that frames are segmented there and the figures say so.
//
// Needs what page.test.mjs needs (Chromium, `npm ci`, www/pkg/, models/, the CLI).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { PNG } from 'pngjs';

import { FLAGS, ROOT, cliMaskPaths, launchChromium, offeredModes, startServer, waitForModel } from '../../scripts/browser.mjs';
import { SWEEP_MARKER_PX, SWEEP_MARKER_STEP, makeCameraClip, makeSweepClip, sweepAt } from '../../scripts/make-camera-clip.mjs';
import { median } from '../../www/stats.js';
import { iou } from './masks.mjs';

const MINUTE = 60_000;
const MODE = 'linear';
const SIZE = 256;
const MIN_IOU = 0.9;
const PHOTO = join(ROOT, 'tests/fixtures/photos/grace_hopper.jpg');
/** A webcam's usual frames: how large the video is on the screen decides what fits beside it. */
const WEBCAM = { width: 640, height: 480 };
const WORK = mkdtempSync(join(tmpdir(), 'linseg-camera-'));

/** Chromium's fake camera playing `clip`; `allow` false leaves the permission prompt to deny. */
function cameraFlags(clip, allow) {
  return [
    ...FLAGS,
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-video-capture=${clip}`,
    ...(allow ? ['--use-fake-ui-for-media-stream'] : ['--deny-permission-prompts']),
  ];
}

/** The camera's loop counters and figures (window.__linsegCamera.stats). */
function cameraStats(page) {
  return page.evaluate(() => window.__linsegCamera.stats);
}

/** Waits until the loop has processed `count` frames in all. */
async function waitProcessed(page, count, timeout = 5 * MINUTE) {
  await page.waitForFunction((n) => window.__linsegCamera.stats.processed >= n, count, { timeout, polling: 100 });
}

/** The JS heap in use after a garbage collection, through the DevTools protocol. */
async function heapUsed(cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  const { metrics } = await cdp.send('Performance.getMetrics');
  return metrics.find((m) => m.name === 'JSHeapUsedSize').value;
}

let server;
let clip;

/**
 * Chromium with `flags` (and `init` run before the page's scripts) on the page at `query`,
 * once its model has started: { context, page, close }.
 */
async function openPage(name, flags, query, timeout, init) {
  const opened = await launchChromium(name, flags);
  if (init) await opened.context.addInitScript(init);
  await opened.page.goto(new URL(`index.html?${query}`, server.url).href);
  const model = await waitForModel(opened.page, timeout);
  assert.equal(model.state, 'ready', `the model did not start: ${model.label}`);
  return opened;
}

before(async () => {
  clip = await makeCameraClip({ out: join(WORK, 'clip.y4m'), frames: 90 });
  server = await startServer();
});

after(async () => {
  await server?.stop();
  rmSync(WORK, { recursive: true, force: true });
});

describe('camera controls in reach', () => {
  let page;
  let close;

  before(async () => {
    const webcam = await makeCameraClip({ out: join(WORK, 'webcam.y4m'), ...WEBCAM, frames: 30 });
    ({ page, close } = await openPage('camera-reach', cameraFlags(webcam, true), 'backend=cpu', 5 * MINUTE));
    await page.click('#camera-toggle');
    await page.waitForSelector('#camera[data-state="live"]');
    await waitProcessed(page, 2);
  });

  after(async () => {
    await close?.();
  });

  test('keeps the mode and size on the screen with the live video, on a laptop and a phone, and they set what it runs', async () => {
    const modes = await offeredModes(page);
    const sizes = await page.locator('#size option').evaluateAll((options) => options.map((o) => o.value));
    /**
     * The video scrolled to `block` ('start' | 'center'): whether it is all on the screen, and
     * the ids of the enabled selects offering the modes, the sizes, that are. Scrolled and
     * measured at once, so that nothing (the figures' warning, say) moves in between.
     */
    const inReach = (block) =>
      page.evaluate(({ modes, sizes, block }) => {
        document.getElementById('camera-view').scrollIntoView({ block });
        // Within a pixel: an element at a fractional offset scrolls to a whole one.
        const onScreen = (el) => {
          const r = el.getBoundingClientRect();
          return r.width > 0 && r.height > 0 && r.top >= -1 && r.left >= -1 && r.bottom <= innerHeight + 1 && r.right <= innerWidth + 1;
        };
        const offering = (values) =>
          [...document.querySelectorAll('select')]
            .filter((s) => !s.disabled && onScreen(s) && [...s.options].map((o) => o.value).join() === values.join())
            .map((s) => s.id);
        return { video: onScreen(document.getElementById('camera-view')), mode: offering(modes), size: offering(sizes) };
      }, { modes, sizes, block });
    let reach;
    for (const viewport of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
      await page.setViewportSize(viewport);
      // The video as a person watching it scrolls it: its top at the top of the screen, or centred.
      for (const block of ['start', 'center']) {
        reach = await inReach(block);
        const where = `${viewport.width}×${viewport.height}, the video at the ${block} of the screen`;
        assert.ok(reach.video, `${where}: the video is not all on the screen`);
        assert.ok(reach.mode.length > 0, `${where}: no mode control on the screen`);
        assert.ok(reach.size.length > 0, `${where}: no resolution control on the screen`);
      }
    }
    // Chosen there, a setting is what the camera's frames run at, and the Model settings say so.
    await page.selectOption(`#${reach.mode[0]}`, 'none');
    await page.selectOption(`#${reach.size[0]}`, '512');
    await page.waitForFunction(() => {
      const timings = window.__linsegCamera.timings;
      return timings?.mode === 'none' && timings.size === 512;
    }, null, { polling: 100, timeout: 5 * MINUTE });
    // The figures follow on their next refresh.
    await page.waitForSelector('#camera-figures[data-setting="none@512"]', { timeout: MINUTE });
    assert.equal(await page.locator('#mode').inputValue(), 'none');
    assert.equal(await page.locator('#size').inputValue(), '512');
  });
});

describe('camera on the CPU', () => {
  let page;
  let close;
  let cdp;
  const pageErrors = [];
  const consoleErrors = [];

  before(async () => {
    let context;
    ({ context, page, close } = await launchChromium('camera', cameraFlags(clip, true)));
    context.setDefaultTimeout(5 * MINUTE);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    await page.goto(new URL('index.html?backend=cpu', server.url).href);
    const model = await waitForModel(page, 5 * MINUTE);
    assert.equal(model.state, 'ready', `the model did not start: ${model.label}`);
    cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
  });

  after(async () => {
    await close?.();
  });

  test('starts only on a click, with a button a screen reader can name', async () => {
    assert.equal(await page.locator('#camera').getAttribute('data-state'), 'off');
    assert.equal(await page.evaluate(() => window.__linsegCamera.track), null, 'a camera was opened before the click');
    const button = page.getByRole('button', { name: 'Camera', exact: true });
    assert.equal(await button.count(), 1);
    const note = page.getByTestId('camera-off-note');
    assert.ok(await note.isVisible(), 'the stage is an empty box while the camera is off');
    await button.click();
    await page.waitForSelector('#camera[data-state="live"]');
    assert.ok(await note.isHidden(), 'the note stays over the live camera');
    assert.equal(await page.getByRole('button', { name: 'Stop camera', exact: true }).count(), 1);
    await waitProcessed(page, 3);
  });

  test('segments frames like the CLI does, and a snapshot joins the photos', async (t) => {
    await page.click('#camera-snapshot');
    await page.waitForFunction(() => window.__linsegCamera.snapshot);
    const shot = await page.evaluate(async () => {
      const { blob, mask, width, height, mode, size } = window.__linsegCamera.snapshot;
      const bytes = new Uint8Array(await blob.arrayBuffer());
      let png = '';
      for (let i = 0; i < bytes.length; i += 0x8000) png += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      let maskText = '';
      for (let i = 0; i < mask.length; i += 0x8000) maskText += String.fromCharCode(...mask.subarray(i, i + 0x8000));
      return { png: btoa(png), mask: btoa(maskText), width, height, mode, size };
    });
    assert.equal(shot.mode, MODE);
    assert.equal(shot.size, SIZE);
    const image = join(WORK, 'snapshot.png');
    writeFileSync(image, Buffer.from(shot.png, 'base64'));
    const [path] = cliMaskPaths([image], { mode: MODE, size: SIZE, out: join(WORK, 'cli') });
    const cli = PNG.sync.read(readFileSync(path));
    assert.deepEqual([cli.width, cli.height], [shot.width, shot.height]);
    const cliMask = Uint8Array.from({ length: cli.width * cli.height }, (_, i) => cli.data[i * 4]);
    const { iou: value, union } = iou(new Uint8Array(Buffer.from(shot.mask, 'base64')), cliMask);
    t.diagnostic(`snapshot ${shot.width}×${shot.height}: IoU with the CLI's mask ${value.toFixed(4)}`);
    assert.ok(union > 0, 'neither mask finds a person');
    assert.ok(value >= MIN_IOU, `IoU ${value.toFixed(4)} is below ${MIN_IOU}`);

    const photo = page.locator('[data-testid="photo"][data-name^="camera-"]');
    await photo.waitFor();
    await page.waitForSelector('[data-testid="photo"][data-name^="camera-"][data-state="done"]');
  });

  test('shows frames per second, latency and the backend', async () => {
    await page.waitForFunction(() => Number(document.getElementById('camera-figures').dataset.fps) > 0);
    const figures = page.locator('#camera-figures');
    const text = await figures.innerText();
    assert.match(text, /\d+\.\d fps · latency [\d.,]+ ms median, [\d.,]+ ms p95 · linear at 256 px on the CPU/);
    assert.equal(await figures.getAttribute('data-backend'), 'cpu');
  });

  test('300 frames leave no queue and no growing memory', { timeout: 15 * MINUTE }, async (t) => {
    const start = await cameraStats(page);
    const heapBefore = await heapUsed(cdp);
    await waitProcessed(page, start.processed + 300, 12 * MINUTE);
    const end = await cameraStats(page);
    const heapAfter = await heapUsed(cdp);
    t.diagnostic(
      `300 frames: ${end.fps?.toFixed(1)} fps, latency ${end.medianMs?.toFixed(1)} ms median, ` +
        `${end.p95Ms?.toFixed(1)} ms p95; captured ${end.captured - start.captured}, ` +
        `dropped ${end.dropped - start.dropped}; heap ${(heapBefore / 2 ** 20).toFixed(1)} → ${(heapAfter / 2 ** 20).toFixed(1)} MiB`,
    );
    // One frame in flight per worker of the frame pool (one per core on the CPU, at most four).
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    assert.equal(end.workers, Math.min(4, cores), 'the camera runs one worker per core');
    assert.ok(end.maxInFlight >= 1 && end.maxInFlight <= end.workers, `${end.maxInFlight} frames were in flight at once`);
    assert.ok(end.maxWaiting <= 1, 'more than one frame waited');
    assert.ok(end.inFlight <= end.workers && end.waiting <= 1);
    assert.equal(end.failed, 0, 'frames failed');
    const accounted = end.processed + end.late + end.dropped;
    assert.ok(end.captured - accounted <= end.workers + 1, `frames unaccounted for: ${JSON.stringify(end)}`);
    assert.ok(heapAfter < heapBefore * 1.5, `the JS heap grew from ${heapBefore} to ${heapAfter} bytes`);
  });

  test('draws every view', async () => {
    // The snapshot (an earlier test) is a photo now: the replaced background can be it.
    await page.focus('#camera-background');
    await page.selectOption('#camera-background', { index: 1 });
    for (const view of ['mask', 'cutout', 'blur', 'replace', 'overlay']) {
      await page.selectOption('#camera-view-mode', view);
      const before = (await cameraStats(page)).processed;
      await waitProcessed(page, before + 2);
      const painted = await page.locator('#camera-view').evaluate((canvas) => {
        const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
        let lit = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) lit += 1;
        return { view: canvas.dataset.view, lit, pixels: canvas.width * canvas.height };
      });
      assert.equal(painted.view, view);
      assert.ok(painted.lit > painted.pixels * 0.1, `${view}: the canvas is nearly empty`);
    }
  });

  test('mirrors the view as a selfie camera does, reads out the opacity, and starts the camera chosen', async () => {
    const transform = () => page.locator('#camera-view').evaluate((canvas) => getComputedStyle(canvas).transform);
    assert.equal(await transform(), 'matrix(-1, 0, 0, 1, 0, 0)', 'mirrored by default');
    await page.uncheck('#camera-mirror');
    assert.equal(await transform(), 'none');
    await page.check('#camera-mirror');
    await page.locator('#camera-opacity').fill('30');
    assert.equal(await page.locator('#camera-opacity-value').innerText(), '30%', 'the opacity has no readout');
    await page.locator('#camera-opacity').fill('55');

    const running = () => page.evaluate(() => {
      const track = window.__linsegCamera.track;
      return { id: track.id, live: track.readyState === 'live', deviceId: track.getSettings().deviceId, label: track.label };
    });
    const menu = () => page.locator('#camera-device').evaluate((select) => ({
      value: select.value,
      options: [...select.options].map((o) => ({ value: o.value, text: o.textContent })),
    }));
    const first = await running();
    const listed = await menu();
    assert.equal(listed.value, first.deviceId, 'the menu shows the camera that runs');
    assert.equal(listed.options.find((o) => o.value === first.deviceId)?.text, first.label);
    // Another choice asks for the stream again, on the camera chosen, and frames run on.
    await page.selectOption('#camera-device', '');
    await page.waitForFunction((id) => window.__linsegCamera.track?.id !== id && window.__linsegCamera.track.readyState === 'live', first.id);
    const other = await running();
    await page.selectOption('#camera-device', first.deviceId);
    await page.waitForFunction((id) => window.__linsegCamera.track?.id !== id && window.__linsegCamera.track.readyState === 'live', other.id);
    const chosen = await running();
    assert.equal(chosen.deviceId, first.deviceId);
    assert.equal((await menu()).value, first.deviceId);
    await waitProcessed(page, (await cameraStats(page)).processed + 2);
  });

  test('compares the modes on the camera', { timeout: 10 * MINUTE }, async () => {
    // Zero frames per mode is refused with its reason, not run as some default.
    await page.fill('#camera-compare-frames', '0');
    await page.click('#camera-compare');
    await page.waitForSelector('#camera[data-compare="invalid"]');
    assert.match(await page.locator('#camera-compare-status').innerText(), /from 5 to 300/);
    await page.fill('#camera-compare-frames', '6');
    await page.click('#camera-compare');
    await page.waitForSelector('#camera[data-compare="done"]', { timeout: 8 * MINUTE });
    const rows = await page.locator('#camera-compare-table tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({ mode: tr.dataset.mode, state: tr.dataset.state, fps: Number(tr.dataset.fps) })),
    );
    assert.deepEqual(rows.map((r) => r.mode), await offeredModes(page));
    for (const row of rows) {
      assert.equal(row.state, 'done', `${row.mode}: ${row.state}`);
      assert.ok(row.fps > 0, `${row.mode}: no fps`);
    }
  });

  test('Stop releases the camera', async () => {
    await page.getByRole('button', { name: 'Stop camera', exact: true }).click();
    await page.waitForSelector('#camera[data-state="off"]');
    assert.equal(await page.evaluate(() => window.__linsegCamera.track.readyState), 'ended');
    assert.equal(await page.getByRole('button', { name: 'Camera', exact: true }).count(), 1);
  });

  test('a hidden tab and a camera that goes away stop it', async () => {
    const capturedBefore = await page.evaluate(() => window.__linsegCamera.stats.captured);
    await page.click('#camera-toggle');
    await page.waitForSelector('#camera[data-state="live"]');
    // A new start counts its own frames (and so its own skipped ones), not the last run's.
    const capturedAfter = await page.evaluate(() => window.__linsegCamera.stats.captured);
    assert.ok(capturedAfter < capturedBefore, `the counters carried over: ${capturedBefore} then ${capturedAfter}`);
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      document.dispatchEvent(new Event('visibilitychange'));
      delete document.visibilityState;
    });
    await page.waitForSelector('#camera[data-state="off"]');
    assert.equal(await page.evaluate(() => window.__linsegCamera.track.readyState), 'ended');
    assert.match(await page.locator('#errors').innerText(), /camera stopped because the tab was hidden/);

    await page.click('#camera-toggle');
    await page.waitForSelector('#camera[data-state="live"]');
    // What an unplugged camera does: its track ends by itself.
    await page.evaluate(() => window.__linsegCamera.track.dispatchEvent(new Event('ended')));
    await page.waitForSelector('#camera[data-state="off"]');
    assert.match(await page.locator('#errors').innerText(), /camera stopped sending pictures/);
  });

  test('logs no errors', () => {
    assert.deepEqual(pageErrors, [], 'uncaught exceptions in the page');
    assert.deepEqual(consoleErrors, [], 'console errors');
  });
});

/**
 * The mask on the screen against the person under it, with a clip in which the photo sweeps
 * right and left at 6 px a frame (scripts/make-camera-clip.mjs, makeSweepClip). The page reads
 * the view's canvas (overlay, opaque magenta): the frame number in the corner says where the
 * photo is, the magenta pixels where the mask is. A mask drawn over a newer frame than its own
 * trails the person: to the left while the person moves right and to the right while it moves
 * left, by the speed times the frames between them; drawn over its own frame, its offset from
 * the photo is the same both ways. The offset also varies with where the photo is in the frame
 * (the mask is not the same at every place), and the samples of the two ways cover different
 * places after the turns, so the two ways are compared where the photo passes the same place: the lag is half the median, over the places sampled both
 * ways, of the difference between the median offsets there.
 */
describe('camera under motion', () => {
  const SWEEP = { frames: 34, speed: 6, photoHeight: 176, top: 56 };
  /** Frames after a turn before a sample counts (a mask from before the turn would blur it). */
  const SETTLE = 4;
  const MAX_LAG_PX = 2;
  let page;
  let close;

  before(async () => {
    const sweep = await makeSweepClip({ out: join(WORK, 'sweep.y4m'), ...SWEEP });
    ({ page, close } = await openPage('camera-motion', cameraFlags(sweep, true), 'backend=cpu', 5 * MINUTE));
  });

  after(async () => {
    await close?.();
  });

  test('draws the mask over the frame it was computed from', { timeout: 5 * MINUTE }, async (t) => {
    await page.selectOption('#size', '512');
    await page.selectOption('#camera-view-mode', 'overlay');
    await page.locator('#camera-opacity').fill('100');
    await page.locator('#camera-colour').fill('#ff00ff');
    await page.getByRole('button', { name: 'Camera', exact: true }).click();
    await waitProcessed(page, 5);
    const samples = await page.evaluate(
      async ({ count, marker, step }) => {
        const canvas = document.getElementById('camera-view');
        const out = [];
        while (out.length < count) {
          await new Promise((resolve) => setTimeout(resolve, 40));
          const { width, height } = canvas;
          const data = canvas.getContext('2d').getImageData(0, 0, width, height).data;
          const at = ((marker >> 1) * width + (marker >> 1)) * 4;
          const frame = Math.round((data[at] + data[at + 1] + data[at + 2]) / 3 / step);
          let sum = 0;
          let pixels = 0;
          for (let y = marker; y < height; y++) {
            for (let x = 0; x < width; x++) {
              const i = (y * width + x) * 4;
              if (data[i] > 180 && data[i + 1] < 50 && data[i + 2] > 180) {
                sum += x;
                pixels += 1;
              }
            }
          }
          if (pixels > 500) out.push({ frame, x: sum / pixels });
        }
        return out;
      },
      { count: 160, marker: SWEEP_MARKER_PX, step: SWEEP_MARKER_STEP },
    );
    await page.getByRole('button', { name: 'Stop camera' }).click();
    // Offsets (mask centre − photo's left edge) by the way the photo moves and where it is.
    const offsets = { right: new Map(), left: new Map() };
    for (const { frame, x } of samples) {
      const at = sweepAt(frame, SWEEP.frames, SWEEP.speed);
      if (at.sinceTurn < SETTLE) continue;
      const here = offsets[at.moving];
      if (!here.has(at.x)) here.set(at.x, []);
      here.get(at.x).push(x - at.x);
    }
    const places = [...offsets.right.keys()].filter((place) => offsets.left.has(place));
    assert.ok(places.length >= 5, `too few places sampled both ways: ${places.length}`);
    const count = (way) => places.reduce((n, place) => n + offsets[way].get(place).length, 0);
    assert.ok(count('right') >= 10 && count('left') >= 10, `too few samples each way there: ${count('right')} right, ${count('left')} left`);
    const lag = median(places.map((place) => (median(offsets.left.get(place)) - median(offsets.right.get(place))) / 2));
    const all = (way) => median(places.flatMap((place) => offsets[way].get(place)));
    t.diagnostic(
      `mask centre − photo's left edge at the ${places.length} places sampled both ways: ` +
        `${all('right').toFixed(1)} px moving right (${count('right')} samples), ` +
        `${all('left').toFixed(1)} px moving left (${count('left')}); lag ${lag.toFixed(1)} px ` +
        `(${(lag / SWEEP.speed).toFixed(2)} frames)`,
    );
    assert.ok(Math.abs(lag) <= MAX_LAG_PX, `the mask trails the person by ${lag.toFixed(1)} px (${(lag / SWEEP.speed).toFixed(1)} frames)`);
  });
});

/**
 * Cameras that do not start, each in a browser of its own: the page must say why in plain words
 * and go on segmenting photos. A camera in use by another application cannot be staged with
 * Chromium's fake devices, so that case makes getUserMedia fail as Chromium does then
 * (NotReadableError) before the page loads.
 */
const FAILURES = [
  { name: 'denied', flags: () => cameraFlags(clip, false), message: /Camera access was denied/ },
  {
    name: 'missing',
    // The permission granted, but no fake device: this machine has no camera.
    flags: () => [...FLAGS, '--use-fake-ui-for-media-stream'],
    message: /No camera was found/,
  },
  {
    name: 'in use',
    flags: () => cameraFlags(clip, true),
    init: () => {
      navigator.mediaDevices.getUserMedia = () =>
        Promise.reject(new DOMException('Could not start video source', 'NotReadableError'));
    },
    message: /The camera is in use by another application/,
  },
];

for (const failure of FAILURES) {
  describe(`camera ${failure.name}`, () => {
    let page;
    let close;

    before(async () => {
      const name = `camera-${failure.name.replace(' ', '-')}`;
      ({ page, close } = await openPage(name, failure.flags(), 'backend=cpu', 5 * MINUTE, failure.init));
    });

    after(async () => {
      await close?.();
    });

    test('says why the camera did not start, and the page still works', { timeout: 5 * MINUTE }, async () => {
      await page.getByRole('button', { name: 'Camera', exact: true }).click();
      await page.waitForFunction(
        (source) => new RegExp(source).test(document.getElementById('errors').textContent),
        failure.message.source,
        { timeout: MINUTE },
      );
      assert.equal(await page.locator('#camera').getAttribute('data-state'), 'off');
      assert.equal(await page.getByRole('button', { name: 'Camera', exact: true }).count(), 1);
      await page.setInputFiles('#file-input', PHOTO);
      await page.waitForSelector('[data-testid="photo"][data-state="done"]', { timeout: 3 * MINUTE });
    });
  });
}

describe('camera on WebGPU', () => {
  let page;
  let close;

  before(async () => {
    // ?backend=webgpu: WebGPU even on this machine's software adapter (SwiftShader).
    ({ page, close } = await openPage('camera-webgpu', cameraFlags(clip, true), 'backend=webgpu', 10 * MINUTE));
  });

  after(async () => {
    await close?.();
  });

  test('segments frames on WebGPU, on one worker, and says so', { timeout: 10 * MINUTE }, async () => {
    await page.getByRole('button', { name: 'Camera', exact: true }).click();
    await page.waitForSelector('#camera[data-state="live"]');
    await waitProcessed(page, 3, 8 * MINUTE);
    await page.waitForFunction(() => /WebGPU/.test(document.getElementById('camera-figures').textContent), null, {
      timeout: MINUTE,
    });
    const stats = await cameraStats(page);
    assert.equal(stats.workers, 1, 'one GPU gains nothing from more workers');
    assert.equal(stats.failed, 0);
    assert.equal(await page.locator('#camera-figures').getAttribute('data-backend'), 'webgpu');
    await page.getByRole('button', { name: 'Stop camera' }).click();
    assert.equal(await page.evaluate(() => window.__linsegCamera.track.readyState), 'ended');
  });
});
