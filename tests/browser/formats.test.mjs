// Browser tests of the image formats (issue #11), run with `node --test tests/browser/`.
//
// On the CPU backend only (the formats are decoded before any backend runs): the person photo,
// scaled to 256 px in the page, is saved as GIF, WebP (the browser's encoder), BMP, a PNG whose
// right half is transparent, and an ICO wrapping a PNG (a format the wasm does not read, so the
// worker hands it to the browser's decoder). The page's masks of the first four must agree with
// the CLI's masks of the same files (IoU >= 0.99), the ICO's with the CLI's of the PNG inside it,
// and the transparent half must be background (0). A PNG with a bad CRC, an SVG and a fake HEIC
// must say what they are in plain words, without stretching their thumbnails.
//
// Needs what page.test.mjs needs: /usr/bin/chromium, `npm ci`, www/pkg/, models/, the CLI.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { PNG } from 'pngjs';

import { FLAGS_WITHOUT_WEBGPU, ROOT, cliMaskPaths, launchChromium, startServer, waitForModel } from '../../scripts/browser.mjs';
import { maskIou, readPng, settledPhoto } from './masks.mjs';

const MODE = 'linear';
const SIZE = 256;
const MIN_IOU = 0.99;
const MINUTE = 60_000;

const PHOTO = [
  process.env.LINSEG_TEST_PHOTO,
  'tests/fixtures/photos/astronaut.png',
  'tests/fixtures/photos/grace_hopper.jpg',
  'tests/fixtures/golden/astronaut.input.png',
]
  .filter(Boolean)
  .map((candidate) => resolve(ROOT, candidate))
  .find((path) => existsSync(path));

const WORK = mkdtempSync(join(tmpdir(), 'linseg-formats-'));

// ---------------------------------------------------------------------------------------------
// Encoders for the formats the browser cannot write (BMP, GIF) and the ICO wrapper.

/** A 24-bit bottom-up BMP of RGBA pixels (alpha dropped). */
function bmp(rgba, width, height) {
  const stride = Math.ceil((width * 3) / 4) * 4;
  const out = Buffer.alloc(54 + stride * height);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(54, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(24, 28);
  out.writeUInt32LE(stride * height, 34);
  out.writeInt32LE(2835, 38);
  out.writeInt32LE(2835, 42);
  for (let y = 0; y < height; y++) {
    const row = 54 + (height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      out[row + x * 3] = rgba[i + 2];
      out[row + x * 3 + 1] = rgba[i + 1];
      out[row + x * 3 + 2] = rgba[i];
    }
  }
  return out;
}

/** A GIF of RGBA pixels on a 6×7×6 colour cube, its LZW codes all literals (9 bits, a clear
 *  code every 250), which every decoder reads. */
function gif(rgba, width, height) {
  const palette = Buffer.alloc(768);
  for (let r = 0; r < 6; r++) {
    for (let g = 0; g < 7; g++) {
      for (let b = 0; b < 6; b++) {
        const i = (r * 42 + g * 6 + b) * 3;
        palette[i] = Math.round((r * 255) / 5);
        palette[i + 1] = Math.round((g * 255) / 6);
        palette[i + 2] = Math.round((b * 255) / 5);
      }
    }
  }
  const codes = [];
  for (let p = 0; p < width * height; p++) {
    if (p % 250 === 0) codes.push(256); // clear
    const [r, g, b] = [rgba[p * 4], rgba[p * 4 + 1], rgba[p * 4 + 2]];
    codes.push(Math.round((r * 5) / 255) * 42 + Math.round((g * 6) / 255) * 6 + Math.round((b * 5) / 255));
  }
  codes.push(257); // end
  const data = [];
  let bits = 0;
  let filled = 0;
  for (const code of codes) {
    bits |= code << filled;
    filled += 9;
    while (filled >= 8) {
      data.push(bits & 255);
      bits >>= 8;
      filled -= 8;
    }
  }
  if (filled > 0) data.push(bits & 255);
  const blocks = [];
  for (let i = 0; i < data.length; i += 255) {
    const chunk = data.slice(i, i + 255);
    blocks.push(chunk.length, ...chunk);
  }
  const header = Buffer.alloc(13);
  header.write('GIF89a', 0, 'latin1');
  header.writeUInt16LE(width, 6);
  header.writeUInt16LE(height, 8);
  header[10] = 0xf7; // a global colour table of 256 entries
  const descriptor = Buffer.alloc(10);
  descriptor[0] = 0x2c;
  descriptor.writeUInt16LE(width, 5);
  descriptor.writeUInt16LE(height, 7);
  return Buffer.concat([header, palette, descriptor, Buffer.from([8, ...blocks, 0, 0x3b])]);
}

/** An ICO with one entry: a PNG of at most 256×256. */
function ico(png, width, height) {
  const head = Buffer.alloc(22);
  head.writeUInt16LE(1, 2); // type: icon
  head.writeUInt16LE(1, 4); // one image
  head[6] = width % 256;
  head[7] = height % 256;
  head.writeUInt16LE(1, 10);
  head.writeUInt16LE(32, 12);
  head.writeUInt32LE(png.length, 14);
  head.writeUInt32LE(22, 18);
  return Buffer.concat([head, png]);
}

function pngOf(rgba, width, height) {
  const image = new PNG({ width, height });
  image.data.set(rgba);
  return PNG.sync.write(image);
}

/** Shows the photo named `name` and downloads its mask through the page's button. */
async function pageMask(page, name) {
  await page.click(`[data-testid="photo"][data-name="${name}"] .thumb-pick`);
  await page.waitForFunction((n) => document.getElementById('caption')?.innerText.includes(n), name);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-mask')]);
  const path = join(WORK, `page-${name}.mask.png`);
  await download.saveAs(path);
  return readPng(path);
}

// ---------------------------------------------------------------------------------------------

describe('image formats in the page (CPU)', () => {
  let server;
  let page;
  let close;
  const files = {};
  let width;
  let height;

  before(async () => {
    assert.ok(PHOTO, 'no person photo found in tests/fixtures');
    server = await startServer();
    ({ page, close } = await launchChromium('formats', FLAGS_WITHOUT_WEBGPU));
    page.context().setDefaultTimeout(10 * MINUTE);
    await page.goto(new URL('index.html?backend=cpu', server.url).href);
    const model = await waitForModel(page, 10 * MINUTE);
    assert.equal(model.state, 'ready');

    // The photo at 256 px on its longer side: its RGBA, and the browser's WebP of it.
    const made = await page.evaluate(async (base64) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const bitmap = await createImageBitmap(new Blob([bytes]));
      const scale = 256 / Math.max(bitmap.width, bitmap.height);
      const [w, h] = [Math.round(bitmap.width * scale), Math.round(bitmap.height * scale)];
      const canvas = new OffscreenCanvas(w, h);
      const ctx = canvas.getContext('2d');
      ctx.drawImage(bitmap, 0, 0, w, h);
      const rgba = ctx.getImageData(0, 0, w, h).data;
      const webp = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/webp', quality: 0.9 })).arrayBuffer());
      const toBase64 = (array) => {
        let text = '';
        for (let i = 0; i < array.length; i += 0x8000) text += String.fromCharCode(...array.subarray(i, i + 0x8000));
        return btoa(text);
      };
      return { w, h, rgba: toBase64(rgba), webp: toBase64(webp) };
    }, readFileSync(PHOTO).toString('base64'));
    ({ w: width, h: height } = made);
    const rgba = Buffer.from(made.rgba, 'base64');
    const webp = Buffer.from(made.webp, 'base64');
    assert.equal(webp.subarray(8, 12).toString('latin1'), 'WEBP', 'the browser did not write a WebP');

    const transparent = Buffer.from(rgba);
    for (let y = 0; y < height; y++) {
      for (let x = Math.floor(width / 2); x < width; x++) transparent[(y * width + x) * 4 + 3] = 0;
    }
    const opaque = pngOf(rgba, width, height);
    const broken = pngOf(rgba, width, height);
    broken[30] ^= 0x5a; // the IHDR chunk's CRC
    Object.assign(files, {
      'photo-gif.gif': gif(rgba, width, height),
      'photo-webp.webp': webp,
      'photo-bmp.bmp': bmp(rgba, width, height),
      'photo-half.png': pngOf(transparent, width, height),
      'photo-inside.png': opaque,
      'photo-ico.ico': ico(opaque, width, height),
      'broken.png': broken,
      'drawing.svg': Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>\n'),
      'phone.heic': Buffer.concat([Buffer.from('\0\0\0\x18ftypheic\0\0\0\0mif1heic', 'latin1'), Buffer.alloc(200, 7)]),
    });
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(WORK, name), bytes);
  });

  after(async () => {
    await close?.();
    await server?.stop();
    rmSync(WORK, { recursive: true, force: true });
  });

  test('GIF, WebP, BMP and a transparent PNG segment like the CLI; an ICO through the browser', { timeout: 20 * MINUTE }, async (t) => {
    const names = ['photo-gif.gif', 'photo-webp.webp', 'photo-bmp.bmp', 'photo-half.png', 'photo-ico.ico'];
    await page.setInputFiles('#file-input', names.map((name) => join(WORK, name)));

    // The CLI's masks of the same files (the ICO's: of the PNG inside it).
    const cliFiles = [...names.filter((name) => !name.endsWith('.ico')), 'photo-inside.png'];
    const paths = cliMaskPaths(cliFiles.map((name) => join(WORK, name)), { mode: MODE, size: SIZE, out: join(WORK, 'cli') });
    const cli = (name) => readPng(paths[cliFiles.indexOf(name)]);

    for (const name of names) {
      const settled = await settledPhoto(page, name, 10 * MINUTE);
      assert.equal(settled.state, 'done', `${name} did not segment: ${settled.status}`);
      const mask = await pageMask(page, name);
      assert.deepEqual([mask.width, mask.height], [width, height], `${name}: the mask is not the photo's size`);
      const { iou, union } = maskIou(mask, cli(name.endsWith('.ico') ? 'photo-inside.png' : name));
      t.diagnostic(`${name}: IoU with the CLI's mask ${iou.toFixed(4)}`);
      assert.ok(union > 0, `${name}: neither mask finds a person`);
      assert.ok(iou >= MIN_IOU, `${name}: IoU with the CLI's mask is ${iou.toFixed(4)}, below ${MIN_IOU}`);
      if (name === 'photo-half.png') {
        for (const masks of [mask, cli(name)]) {
          for (let y = 0; y < height; y++) {
            for (let x = Math.floor(width / 2); x < width; x++) {
              assert.equal(masks.data[(y * width + x) * 4], 0, `${name}: the transparent half is not background at ${x},${y}`);
            }
          }
        }
      }
    }
  });

  test('a damaged PNG, an SVG and a HEIC say what they are in plain words', { timeout: 5 * MINUTE }, async () => {
    const expected = {
      'broken.png': 'the PNG is damaged (a checksum does not match)',
      'drawing.svg': 'SVG is a drawing, not a photo',
      'phone.heic': 'HEIC is not supported by this browser',
    };
    await page.setInputFiles('#file-input', Object.keys(expected).map((name) => join(WORK, name)));
    for (const [name, message] of Object.entries(expected)) {
      const settled = await settledPhoto(page, name, 2 * MINUTE);
      assert.equal(settled.state, 'error', `${name} should be an error, is ${settled.state}: ${settled.status}`);
      assert.equal(settled.status, message, name);
      assert.doesNotMatch(settled.status, /ChunkType|CRC error: expected|Error\b|\{/, name);
      // Its thumbnail is not stretched: at most two more lines of status than a good photo's.
      const good = await page.locator('[data-testid="photo"][data-name="photo-gif.gif"]').evaluate((li) => li.getBoundingClientRect().height);
      assert.ok(settled.height <= good + 32, `${name}: its thumbnail is ${settled.height} px tall, a photo's ${good} px`);
    }
    const errors = await page.locator('#errors').innerText();
    assert.match(errors, /broken\.png: the PNG is damaged \(a checksum does not match\)/);
    assert.doesNotMatch(errors, /ChunkType|CRC error: expected/);
  });
});
