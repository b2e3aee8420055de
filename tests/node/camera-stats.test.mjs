// www/camera-stats.js: the camera comparison's frames per mode are taken as typed or refused
// with a reason, never replaced by a default.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { COMPARE_FRAMES, parseCompareFrames } from '../../www/camera-stats.js';

test('a whole number in range is taken as it is', () => {
  assert.deepEqual(parseCompareFrames('6'), { frames: 6 });
  assert.deepEqual(parseCompareFrames(String(COMPARE_FRAMES.max)), { frames: COMPARE_FRAMES.max });
});

test('zero, blanks, fractions, words and numbers out of range are refused with a reason', () => {
  for (const text of ['0', '', ' ', '4', '301', '7.5', 'ten', '-6']) {
    const parsed = parseCompareFrames(text);
    assert.ok(parsed.error, `${JSON.stringify(text)} was taken`);
    assert.match(parsed.error, /from 5 to 300/);
  }
});
