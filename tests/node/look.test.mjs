// The heat map's colours (www/look.js): a log scale over HEAT_DECADES below the largest weight.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { HEAT_DECADES, heatColour } from '../../www/look.js';

test('the largest weight is opaque yellow and a zero weight is not drawn', () => {
  assert.deepEqual(heatColour(0.4, 0.4), [255, 255, 0, 230]);
  assert.deepEqual(heatColour(0, 0.4), [0, 0, 0, 0]);
  assert.deepEqual(heatColour(0, 0), [0, 0, 0, 0]);
});

test('weights more than HEAT_DECADES below the largest are not drawn, and opacity falls with the weight', () => {
  const max = 0.5;
  assert.equal(heatColour(max * 10 ** -(HEAT_DECADES + 0.1), max)[3], 0);
  const alphas = [0, 1, 2].map((decades) => heatColour(max * 10 ** -decades, max)[3]);
  assert.ok(alphas[0] > alphas[1] && alphas[1] > alphas[2] && alphas[2] > 0, `opacity ${alphas.join(', ')}`);
});
