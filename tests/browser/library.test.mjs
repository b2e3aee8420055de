// The library (dist/linseg.js: Segmenter, LinsegError) as another page uses it, from a copy of
// dist/ on a plain static server (scripts/plain-server.mjs), in headless Chromium: its masks
// against the CLI's, every kind of source, the probabilities, what a cell looks at, a live
// stream that never runs two frames at once, a cancel, and every LinsegError kind a page can
// meet, each reached here (the kinds are src/error.rs's; 'backend-lost' and 'crashed' are
// reached by tests/browser/recovery.test.mjs through the page, 'file' by the Rust tests, and
// 'internal' is what no path should give).
//
// Needs: dist/ (npm run build), Chromium, the CLI (LINSEG_BIN).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';

import { FLAGS, ROOT, cliMaskPaths, launchChromium } from '../../scripts/browser.mjs';
import { startPlainServer } from '../../scripts/plain-server.mjs';
import { iou, readPng } from './masks.mjs';

const MINUTE = 60_000;
const DIST = join(ROOT, 'dist');
const PHOTO = join(ROOT, 'tests/fixtures/photos/grace_hopper.jpg');
const CAMERA_FLAGS = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];

/** A PNG that says it is `width × height` and holds a few bytes: too large before any decoding. */
function pngClaiming(width, height) {
  const chunk = (type, data) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.alloc(16))), chunk('IEND', Buffer.alloc(0))]);
}

/** The page's call of `fn(linseg, arg)` in the test page; a thrown LinsegError comes back as { kind, message }. */
function inPage(page, fn, arg) {
  return page.evaluate(
    async ({ source, arg }) => {
      const run = new Function('linseg', 'arg', `return (${source})(linseg, arg);`);
      try {
        return { value: await run(window.linseg, arg) };
      } catch (err) {
        return { error: { kind: err.kind ?? null, name: err.name, message: err.message } };
      }
    },
    { source: fn.toString(), arg },
  );
}

describe('the library on a plain static host', () => {
  let work;
  let server;
  let browser;
  let page;
  const photoB64 = readFileSync(PHOTO).toString('base64');

  before(async () => {
    assert.ok(existsSync(join(DIST, 'linseg.js')), 'dist/ is missing: run npm run build');
    work = mkdtempSync(join(tmpdir(), 'linseg-library-'));
    const site = join(work, 'site');
    cpSync(DIST, site, { recursive: true });
    // A host whose weight file for linear is damaged, and one that has no linseg at all.
    mkdirSync(join(site, 'broken/models'), { recursive: true });
    cpSync(join(DIST, 'www'), join(site, 'broken/www'), { recursive: true });
    cpSync(join(DIST, 'models/selfie-none.bpk'), join(site, 'broken/models/selfie-none.bpk'));
    writeFileSync(join(site, 'broken/models/selfie-linear.bpk'), Buffer.from('not a weight file'));
    writeFileSync(join(site, 'test.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="test.js"></script>\n');
    writeFileSync(
      join(site, 'test.js'),
      "import * as linseg from './linseg.js';\n" +
        'window.bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));\n' +
        'window.segmenter = await linseg.Segmenter.create({ backend: "cpu" });\n' +
        'window.linseg = linseg;\n',
    );
    server = await startPlainServer(site);
    browser = await launchChromium('library', [...FLAGS, ...CAMERA_FLAGS]);
    page = browser.page;
    await page.goto(`${server.url}test.html`);
    await page.waitForFunction(() => window.linseg, null, { timeout: 5 * MINUTE });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('says which backend it took and why, and what it offers', async () => {
    const { value } = await inPage(page, () => {
      const s = window.segmenter;
      return { backend: s.backend, reason: s.reason, modes: s.modes, sizes: s.sizes, kinds: s.errorKinds, mode: s.mode };
    });
    assert.equal(value.backend, 'cpu');
    assert.match(value.reason, /CPU backend was asked for/);
    assert.ok(value.modes.includes('linear') && value.modes.includes('dot') && value.modes.length === 8, value.modes.join());
    assert.deepEqual(value.sizes, [256, 512, 1024, 2048]);
    assert.equal(value.mode, 'linear');
    for (const kind of ['bad-image', 'too-large', 'unknown-mode', 'bad-size', 'refused', 'closed', 'cancelled', 'backend-lost']) {
      assert.ok(value.kinds.includes(kind), kind);
    }
  });

  test('segments encoded bytes as the CLI does, at one pass and at two', { timeout: 10 * MINUTE }, async (t) => {
    for (const size of [256, 512]) {
      const { value, error } = await inPage(
        page,
        async (_, { b64, size }) => {
          const { mask, width, height, mode, backend, timings } = await window.segmenter.segment(window.bytes(b64), { size });
          return { mask: Array.from(mask), isClamped: mask instanceof Uint8ClampedArray, width, height, mode, backend, totalMs: timings.totalMs };
        },
        { b64: photoB64, size },
      );
      assert.equal(error, undefined, error?.message);
      assert.ok(value.isClamped, 'the mask is a Uint8ClampedArray');
      const [path] = cliMaskPaths([PHOTO], { mode: 'linear', size, out: join(work, `cli-${size}`) });
      const cli = readPng(path);
      assert.deepEqual([value.width, value.height], [cli.width, cli.height]);
      const { iou: overlap } = iou(Uint8Array.from(value.mask), cli.data.filter((_, i) => i % 4 === 0));
      t.diagnostic(`${size} px: IoU with the CLI ${overlap.toFixed(4)}, ${value.totalMs.toFixed(0)} ms`);
      assert.ok(overlap >= 0.98, `IoU with the CLI's mask at ${size}: ${overlap.toFixed(4)}`);
    }
  });

  test('takes every kind of source, each giving the mask of the photo at its own size', { timeout: 10 * MINUTE }, async () => {
    const { value, error } = await inPage(
      page,
      async (_, b64) => {
        const bytes = window.bytes(b64);
        const blob = new Blob([bytes], { type: 'image/jpeg' });
        const bitmap = await createImageBitmap(blob);
        const canvas = Object.assign(document.createElement('canvas'), { width: bitmap.width, height: bitmap.height });
        canvas.getContext('2d').drawImage(bitmap, 0, 0);
        const img = new Image();
        img.src = URL.createObjectURL(blob);
        const offscreen = new OffscreenCanvas(bitmap.width, bitmap.height);
        offscreen.getContext('2d').drawImage(bitmap, 0, 0);
        const imageData = canvas.getContext('2d').getImageData(0, 0, bitmap.width, bitmap.height);
        const sources = { bytes, buffer: bytes.buffer.slice(0), blob, bitmap, canvas, img, offscreen, imageData };
        const reference = await window.segmenter.segment(bytes);
        const results = {};
        for (const [name, source] of Object.entries(sources)) {
          const { mask, width, height } = await window.segmenter.segment(source);
          let agree = 0;
          for (let i = 0; i < mask.length; i++) agree += (mask[i] >= 128) === (reference.mask[i] >= 128);
          results[name] = { width, height, agreement: agree / mask.length };
        }
        // The caller's bitmap is still its own.
        results.bitmapStillOpen = bitmap.width > 0;
        return { results, width: reference.width, height: reference.height };
      },
      photoB64,
    );
    assert.equal(error, undefined, error?.message);
    for (const [name, result] of Object.entries(value.results)) {
      if (name === 'bitmapStillOpen') continue;
      assert.deepEqual([result.width, result.height], [value.width, value.height], name);
      assert.ok(result.agreement > 0.99, `${name}: ${result.agreement}`);
    }
    assert.equal(value.results.bitmapStillOpen, true);
  });

  test('gives the probabilities, a mode of the call, and what a cell looks at', { timeout: 10 * MINUTE }, async () => {
    const { value, error } = await inPage(
      page,
      async (_, b64) => {
        const result = await window.segmenter.segment(window.bytes(b64), { mode: 'dot', probabilities: true });
        const exact = result.probabilities.every((p, i) => Math.abs(p - result.mask[i] / 255) < 1e-6);
        const looked = await window.segmenter.lookAt(result.width / 2, result.height / 3);
        const sum = looked.weights.reduce((a, b) => a + b, 0);
        const cost = await window.segmenter.cost('dot', 2048);
        return { mode: result.mode, length: result.probabilities.length, pixels: result.width * result.height, exact, sum, cells: looked.weights.length, isFloat: looked.weights instanceof Float32Array, cost };
      },
      photoB64,
    );
    assert.equal(error, undefined, error?.message);
    assert.equal(value.mode, 'dot');
    assert.equal(value.length, value.pixels);
    assert.ok(value.exact, 'the probabilities are the mask over 255');
    assert.ok(value.isFloat && value.cells > 1 && Math.abs(value.sum - 1) < 1e-3, `weights over ${value.cells} cells sum to ${value.sum}`);
    assert.equal(value.cost.featureWidth, 128);
    assert.ok(value.cost.peakBytes > 2 ** 30, `dot at 2048 holds ${value.cost.peakBytes} bytes at its peak`);
  });

  test('a live stream: never two frames at once, frames dropped rather than queued', { timeout: 10 * MINUTE }, async (t) => {
    const { value, error } = await inPage(page, async () => {
      const segmenter = window.segmenter;
      const video = document.createElement('video');
      video.muted = true;
      video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
      await video.play();
      let running = 0;
      let most = 0;
      const frame = segmenter.frame.bind(segmenter);
      segmenter.frame = async (...args) => {
        running += 1;
        most = Math.max(most, running);
        try {
          return await frame(...args);
        } finally {
          running -= 1;
        }
      };
      const results = [];
      const calls = [];
      const until = performance.now() + 3000;
      while (performance.now() < until) {
        // Faster than any camera: two requests a frame.
        calls.push(segmenter.segmentForVideo(video, performance.now()), segmenter.segmentForVideo(video, performance.now()));
        await new Promise((resolve) => requestAnimationFrame(resolve));
      }
      for (const result of await Promise.all(calls)) if (result) results.push(result);
      segmenter.frame = frame;
      video.srcObject.getTracks().forEach((track) => track.stop());
      const ordered = results.every((r, i) => i === 0 || r.timestampMs > results[i - 1].timestampMs);
      return { most, segmented: results.length, dropped: segmenter.droppedFrames, calls: calls.length, ordered, size: [results[0].width, results[0].height] };
    });
    assert.equal(error, undefined, error?.message);
    t.diagnostic(`${value.calls} requests: ${value.segmented} segmented, ${value.dropped} dropped`);
    assert.equal(value.most, 1, 'never two frames at once');
    assert.ok(value.segmented >= 3 && value.dropped > 0, `${value.segmented} segmented, ${value.dropped} dropped`);
    assert.equal(value.segmented + value.dropped, value.calls);
    assert.ok(value.ordered);
    assert.deepEqual(value.size, [640, 480]);
  });

  test('each failure has its kind: bad bytes, too large, unknown mode, bad size, nothing to look at, bad options', { timeout: 5 * MINUTE }, async () => {
    const cases = {
      'bad-image': [(_, b) => window.segmenter.segment(new TextEncoder().encode('not a photo at all')), null],
      'bad-image ': [() => window.segmenter.segment(42), null],
      'too-large': [(_, b64) => window.segmenter.segment(window.bytes(b64)), pngClaiming(10_000, 10_000).toString('base64')],
      'too-large ': [() => window.segmenter.segment(new Blob([new Uint8Array(51 * 2 ** 20)])), null],
      'unknown-mode': [() => window.segmenter.setMode('lineer'), null],
      'unknown-mode ': [(_, b64) => window.segmenter.segment(window.bytes(b64), { mode: 'lineer' }), photoB64],
      'bad-size': [(_, b64) => window.segmenter.segment(window.bytes(b64), { size: 300 }), photoB64],
      'bad-option': [(linseg) => linseg.Segmenter.create({ backend: 'gpu' }), null],
    };
    for (const [name, [fn, arg]] of Object.entries(cases)) {
      const { error } = await inPage(page, fn, arg);
      assert.equal(error?.name, 'LinsegError', `${name}: ${JSON.stringify(error)}`);
      assert.equal(error.kind, name.trim(), `${name}: ${error.message}`);
      assert.ok(error.message.length > 10, error.message);
    }
    // Nothing segmented by a fresh segmenter: nothing to look at.
    const fresh = await inPage(page, async (linseg) => {
      const segmenter = await linseg.Segmenter.create({ backend: 'cpu' });
      try {
        return await segmenter.lookAt(10, 10);
      } finally {
        segmenter.close();
      }
    });
    assert.equal(fresh.error?.kind, 'not-ready', JSON.stringify(fresh));
  });

  test('a host without the files, or with damaged weights, says so by kind', { timeout: 5 * MINUTE }, async () => {
    const missing = await inPage(page, (linseg) => linseg.Segmenter.create({ backend: 'cpu', baseUrl: '/nowhere/' }));
    assert.equal(missing.error?.kind, 'load-failed', JSON.stringify(missing));
    assert.match(missing.error.message, /nowhere/);
    const damaged = await inPage(page, async (linseg, b64) => {
      const segmenter = await linseg.Segmenter.create({ backend: 'cpu', baseUrl: new URL('broken/', location.href) });
      try {
        return await segmenter.segment(window.bytes(b64), { mode: 'linear' });
      } finally {
        segmenter.close();
      }
    }, photoB64);
    assert.equal(damaged.error?.kind, 'bad-weights', JSON.stringify(damaged));
  });

  test('a size the backend refuses is refused before it runs (WebGPU, where one buffer has a limit)', { timeout: 15 * MINUTE }, async (t) => {
    const { value, error } = await inPage(
      page,
      async (linseg, b64) => {
        const segmenter = await linseg.Segmenter.create({ backend: 'webgpu' });
        try {
          let refused = null;
          for (const mode of segmenter.modes) {
            for (const size of segmenter.sizes) {
              const cost = await segmenter.cost(mode, size);
              if (cost.refusal && !refused) refused = { mode, size, refusal: cost.refusal };
            }
          }
          if (!refused) return { backend: segmenter.backend, refused };
          // A square photo, as the cost above was asked for.
          const photo = await createImageBitmap(new Blob([window.bytes(b64)]));
          const square = new OffscreenCanvas(600, 600);
          square.getContext('2d').drawImage(photo, 0, 0, 600, 600);
          const started = performance.now();
          const outcome = await segmenter.segment(square, { mode: refused.mode, size: refused.size }).then(() => ({ kind: 'ran' }), (err) => ({ kind: err.kind, message: err.message }));
          return { backend: segmenter.backend, refused, ...outcome, ms: performance.now() - started };
        } finally {
          segmenter.close();
        }
      },
      photoB64,
    );
    assert.equal(error, undefined, error?.message);
    assert.equal(value.backend, 'webgpu');
    assert.ok(value.refused, 'no mode at any size is refused on this adapter');
    t.diagnostic(`${value.refused.mode} at ${value.refused.size}: ${value.message} (${value.ms.toFixed(0)} ms)`);
    assert.equal(value.kind, 'refused');
    assert.equal(value.message, value.refused.refusal, 'the run is refused in the words the cost gave');
  });

  test('a cancel stops the run in progress at once; a closed segmenter refuses every call', { timeout: 10 * MINUTE }, async (t) => {
    const { value, error } = await inPage(
      page,
      async (linseg, b64) => {
        const segmenter = await linseg.Segmenter.create({ backend: 'cpu' });
        const running = segmenter.segment(window.bytes(b64), { mode: 'dot', size: 2048 }).then(
          () => ({ kind: 'finished' }),
          (err) => ({ kind: err.kind, at: performance.now() }),
        );
        await new Promise((resolve) => setTimeout(resolve, 1500));
        const cancelledAt = performance.now();
        segmenter.cancel('the test');
        const outcome = await running;
        const after = await segmenter.segment(window.bytes(b64), { size: 256 }).then((r) => r.width);
        segmenter.close();
        const closed = await segmenter.segment(window.bytes(b64)).then(() => null, (err) => err.kind);
        const closedMode = await segmenter.setMode('dot').then(() => null, (err) => err.kind);
        return { outcome: outcome.kind, ms: outcome.at - cancelledAt, after, closed, closedMode };
      },
      photoB64,
    );
    assert.equal(error, undefined, error?.message);
    t.diagnostic(`cancel to rejection: ${value.ms.toFixed(0)} ms`);
    assert.equal(value.outcome, 'cancelled');
    assert.ok(value.after > 0, 'a cancelled segmenter segments the next photo');
    assert.equal(value.closed, 'closed');
    assert.equal(value.closedMode, 'closed');
  });
});
