// The heat map's colours (www/look.js): a log scale from an even share of the weights (or
// HEAT_DECADES below the largest, where that is more) to the largest, transparent at its low
// end and opaque yellow at its top.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { HEAT_DECADES, heatColour, heatRange } from '../../www/look.js';

test('the largest weight is opaque yellow; an even share, less, and a zero weight are not drawn', () => {
  const range = heatRange([0.1, 0.5, 0.4, 0]);
  assert.deepEqual(range, { low: 0.25, high: 0.5, even: 0.25 });
  assert.deepEqual(heatColour(0.5, range), [255, 255, 0, 230]);
  assert.equal(heatColour(0.25, range)[3], 0);
  assert.equal(heatColour(0.1, range)[3], 0);
  assert.ok(heatColour(0.4, range)[3] > 0);
  assert.deepEqual(heatColour(0, range), [0, 0, 0, 0]);
  assert.deepEqual(heatColour(0, heatRange([0, 0])), [0, 0, 0, 0]);
});

test('weights more than HEAT_DECADES below the largest are not drawn, and opacity falls with the weight', () => {
  const max = 0.5;
  const weights = [max, ...Array(10_000).fill(max * 10 ** -(HEAT_DECADES + 1))];
  const range = heatRange(weights);
  assert.equal(range.low, max / 10 ** HEAT_DECADES);
  assert.equal(heatColour(max * 10 ** -(HEAT_DECADES + 0.1), range)[3], 0);
  const alphas = [0, 1, 2].map((decades) => heatColour(max * 10 ** -decades, range)[3]);
  assert.ok(alphas[0] > alphas[1] && alphas[1] > alphas[2] && alphas[2] > 0, `opacity ${alphas.join(', ')}`);
});

test('weights spread over a narrow range (linear attention) colour only the cells favoured', () => {
  // 1/1024 on average, most of them near the largest: a log scale over three decades below the
  // largest drew every cell in near full colour.
  const weights = Array.from({ length: 1024 }, (_, i) => (i < 100 ? 0.2 : 1 + 0.2 * Math.sqrt(i / 1023)));
  const total = weights.reduce((a, b) => a + b, 0);
  const range = heatRange(weights.map((w) => w / total));
  const alphas = weights.map((w) => heatColour(w / total, range)[3]);
  assert.equal(Math.max(...alphas), 230);
  const strong = alphas.filter((a) => a > 172).length / alphas.length;
  assert.ok(strong < 0.5, `${(100 * strong).toFixed(0)} % of the cells drawn near full colour`);
});
