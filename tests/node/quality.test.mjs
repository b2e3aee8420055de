// www/quality.js: the analysis panel's quality figures are looked up in models/metrics.json
// (what `linseg eval` wrote), per mode, size and kind of truth; a missing file or row shows "–".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { formatQuality, loadMetrics, qualityAt, personShare, NO_PERSON_SHARE } from '../../www/quality.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const metrics = JSON.parse(readFileSync(join(ROOT, 'models/metrics.json'), 'utf8'));

const row = (mode, size, kind, iou) => ({
  mode, size, kind, images: 3,
  segmented: { iou, boundary_f: iou / 2, mae: 1 - iou },
  single_pass: { iou: 0, boundary_f: 0, mae: 1 },
});

test('a mode at a size reads its composite and real rows, as segmented', () => {
  const m = { scores: [row('linear', 512, 'composite', 0.8), row('linear', 512, 'real', 0.7), row('dot', 512, 'composite', 0.5)] };
  assert.deepEqual(qualityAt(m, 'linear', 512), {
    composite: { iou: 0.8, boundaryF: 0.4, mae: 1 - 0.8, images: 3 },
    real: { iou: 0.7, boundaryF: 0.35, mae: 1 - 0.7, images: 3 },
  });
  assert.equal(formatQuality(qualityAt(m, 'linear', 512)), '0.800 · 0.700');
  assert.equal(formatQuality(qualityAt(m, 'dot', 512)), '0.500 · –');
  assert.equal(qualityAt(m, 'linear', 1024), null);
  assert.equal(formatQuality(null), '–');
});

test('a page without metrics.json shows no figures rather than failing', async () => {
  assert.equal(await loadMetrics(async () => ({ ok: false })), null);
  assert.equal(await loadMetrics(async () => { throw new Error('offline'); }), null);
  assert.equal(formatQuality(qualityAt(null, 'linear', 256)), '–');
});

test('the committed metrics.json has every mode at every size it names, on both kinds', () => {
  const modes = [...new Set(metrics.scores.map((s) => s.mode))].filter((m) => m !== 'mediapipe');
  assert.ok(modes.includes('none') && modes.includes('linear'), modes.join());
  for (const mode of modes) {
    for (const size of metrics.sizes) {
      const q = qualityAt(metrics, mode, size);
      assert.ok(q?.composite && q?.real, `${mode} at ${size}`);
      assert.ok(q.composite.iou >= 0 && q.composite.iou <= 1);
    }
  }
});

test('a mask is scored against its true mask as linseg eval scores it', async () => {
  const { iouAgainst } = await import('../../www/quality.js');
  const truth = Uint8Array.from([255, 255, 0, 0, 200, 127]);
  const mask = Uint8Array.from([255, 0, 255, 0, 128, 0]);
  assert.equal(iouAgainst(mask, truth), 2 / 4);
  assert.equal(iouAgainst(new Uint8Array(4), new Uint8Array(4)), 1, 'no person in either');
  assert.throws(() => iouAgainst(new Uint8Array(2), new Uint8Array(3)), /different sizes/);
});

test('the person share counts the pixels at 128 or more', () => {
  assert.equal(personShare(new Uint8Array([0, 127, 128, 255])), 0.5);
  assert.equal(personShare(new Uint8Array(1000)), 0);
  assert.equal(personShare(new Uint8Array(0)), 0);
  // One person pixel in 10,000 is below the share that counts as someone found.
  const speck = new Uint8Array(10_000);
  speck[5] = 200;
  assert.ok(personShare(speck) < NO_PERSON_SHARE);
});
