// What the browser tests share about photos and masks: reading a PNG, the IoU of two masks,
// waiting for a photo on the page to settle. Not a test file (node --test runs *.test.mjs).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { PNG } from 'pngjs';

/** A PNG file as pngjs gives it: { width, height, data } with four bytes (RGBA) per pixel. */
export function readPng(path) {
  return PNG.sync.read(readFileSync(path));
}

/** IoU of two masks of one byte per pixel (or every `stride`-th byte), thresholded at 128. */
export function iou(a, b, stride = 1) {
  assert.equal(a.length, b.length, 'the masks differ in size');
  let intersection = 0;
  let union = 0;
  for (let i = 0; i < a.length; i += stride) {
    const x = a[i] >= 128;
    const y = b[i] >= 128;
    if (x && y) intersection += 1;
    if (x || y) union += 1;
  }
  return { iou: union === 0 ? 1 : intersection / union, union };
}

/** IoU of two decoded PNG masks (their first channel), thresholded at 128. */
export function maskIou(a, b) {
  assert.deepEqual([a.width, a.height], [b.width, b.height], 'mask sizes differ');
  return iou(a.data, b.data, 4);
}

/**
 * Waits until the photo named `name` leaves queued/running; returns { state, status, height }
 * (its thumbnail's height in pixels; state 'missing' at once when there is no such photo).
 */
export async function settledPhoto(page, name, timeout) {
  const handle = await page.waitForFunction(
    (photoName) => {
      const li = [...document.querySelectorAll('[data-testid="photo"]')].find((el) => el.dataset.name === photoName);
      if (!li) return { state: 'missing', status: `no photo named ${photoName} on the page` };
      if (li.dataset.state === 'queued' || li.dataset.state === 'running') return null;
      return {
        state: li.dataset.state,
        status: li.querySelector('[data-testid="photo-status"]')?.textContent ?? '',
        height: li.getBoundingClientRect().height,
      };
    },
    name,
    { timeout, polling: 250 },
  );
  return handle.jsonValue();
}
