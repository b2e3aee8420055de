// www/stats.js: the one median and percentile rule of the page and the scripts.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { median, percentile } from '../../www/stats.js';

test('the median is the middle value, or the mean of the two middle ones', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([7]), 7);
  assert.equal(median([]), null);
});

test('the percentile is the nearest rank, and leaves its input alone', () => {
  const ten = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1];
  assert.equal(percentile(ten, 0.9), 9);
  assert.equal(percentile(ten, 0.95), 10);
  assert.equal(percentile(ten, 0), 1);
  assert.equal(percentile(ten, 1), 10);
  assert.equal(ten[0], 10);
  assert.equal(percentile([], 0.5), null);
});
