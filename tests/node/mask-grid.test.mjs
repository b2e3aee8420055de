// The masks' comparison of "All modes side by side" (www/mask-grid.js).

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { maskDifference } from '../../www/mask-grid.js';

test('person pixels gained and lost against the reference, at the 128 threshold', () => {
  const reference = Uint8Array.from([0, 255, 255, 127, 128, 0]);
  const mask = Uint8Array.from([255, 255, 0, 128, 127, 0]);
  assert.deepEqual(maskDifference(mask, reference), { gained: 2, lost: 2, share: 4 / 6 });
  assert.deepEqual(maskDifference(reference, reference), { gained: 0, lost: 0, share: 0 });
});

test('masks of different sizes are refused', () => {
  assert.throws(() => maskDifference(new Uint8Array(3), new Uint8Array(4)), /different sizes/);
});
