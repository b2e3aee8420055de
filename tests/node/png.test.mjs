// www/png.js: the greyscale mask PNG decodes back (pngjs) to the same bytes, one channel.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { PNG } from 'pngjs';

import { greyPng } from '../../www/png.js';

async function roundTrip(grey, width, height) {
  const blob = await greyPng(grey, width, height);
  assert.equal(blob.type, 'image/png');
  return PNG.sync.read(Buffer.from(await blob.arrayBuffer()));
}

test('a greyscale PNG decodes to the same grey levels', async () => {
  const width = 37;
  const height = 23;
  const grey = new Uint8Array(width * height);
  for (let i = 0; i < grey.length; i++) grey[i] = (i * 7) % 256;
  const png = await roundTrip(grey, width, height);
  assert.equal(png.width, width);
  assert.equal(png.height, height);
  assert.equal(png.colorType, 0, 'colour type 0: greyscale');
  assert.equal(png.depth, 8);
  for (let i = 0; i < grey.length; i++) {
    assert.equal(png.data[i * 4], grey[i], `pixel ${i}`);
  }
});

test('a 1×1 image and a large mostly-flat mask', async () => {
  const one = await roundTrip(Uint8Array.of(200), 1, 1);
  assert.equal(one.data[0], 200);

  const width = 4000;
  const height = 3000;
  const grey = new Uint8Array(width * height);
  for (let y = height / 3; y < (2 * height) / 3; y++) grey.fill(255, y * width + 1000, y * width + 3000);
  const started = performance.now();
  const blob = await greyPng(grey, width, height);
  const ms = performance.now() - started;
  assert.ok(ms < 3000, `encoding 12 Mpx took ${ms.toFixed(0)} ms`);
  const png = PNG.sync.read(Buffer.from(await blob.arrayBuffer()));
  const mid = (height / 2) * width;
  assert.equal(png.data[(mid + 999) * 4], 0);
  assert.equal(png.data[(mid + 1000) * 4], 255);
});

test('a buffer of the wrong length is refused', async () => {
  await assert.rejects(greyPng(new Uint8Array(5), 2, 2), /not a 2×2 image/);
});
