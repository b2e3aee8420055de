// www/charts.js with a minimal stand-in for the DOM: a refused mode is drawn in the compare
// chart's memory panel (an outlined bar at the bytes it would have needed, labelled), refused
// sweep points are marked and their reasons written under the chart, and a chart with nothing
// measured says "no data" instead of drawing 0–1 axes, and the speed-against-quality chart tells
// modes by colour and sizes by shape.

import { test } from 'node:test';
import assert from 'node:assert/strict';

/** Just enough of a DOM node for charts.js: attributes, children, text. */
class Node {
  constructor(name) {
    this.name = name;
    this.attributes = {};
    this.children = [];
    this.dataset = {};
    this.text = '';
  }
  setAttribute(key, value) {
    this.attributes[key] = value;
  }
  getAttribute(key) {
    return this.attributes[key] ?? null;
  }
  append(...nodes) {
    this.children.push(...nodes);
  }
  replaceChildren(...nodes) {
    this.children = nodes;
  }
  set textContent(text) {
    this.text = String(text);
  }
  get textContent() {
    return this.text + this.children.map((c) => c.textContent).join('');
  }
  /** Every node below this one (depth first) that `match` accepts. */
  findAll(match) {
    return this.children.flatMap((c) => [...(match(c) ? [c] : []), ...c.findAll(match)]);
  }
}

globalThis.document = {
  createElementNS: (ns, name) => new Node(name),
  createElement: (name) => new Node(name),
};

const { renderCompareChart, renderSweepChart, tradeoffChart } = await import('../../www/charts.js');

const byTestId = (id) => (node) => node.attributes['data-testid'] === id || node.dataset.testid === id;
const GiB = 1024 ** 3;

test('a refused mode is drawn at the memory it would have needed, and sets the scale', () => {
  const container = new Node('div');
  renderCompareChart(container, [
    { mode: 'none', totalMs: 40, blockBytes: 0, refusedBytes: null, note: '40 ms' },
    { mode: 'linear', totalMs: 50, blockBytes: 64 * 1024 ** 2, refusedBytes: null, note: '50 ms' },
    { mode: 'dot', totalMs: null, blockBytes: null, refusedBytes: 1.5 * GiB, note: 'refused' },
  ]);
  const [bar] = container.findAll(byTestId('refused-bar'));
  assert.ok(bar, 'no refused bar');
  assert.equal(bar.attributes.fill, 'none', 'a refused bar is outlined, not filled');
  const text = container.textContent;
  assert.match(text, /refused: 1\.5 GiB/);
  // The refused bar is the longest: the largest memory is the refused mode's, not linear's.
  const memoryBars = container.findAll((n) => n.name === 'rect' && /[KMG]iB|\d B$/.test(n.textContent));
  assert.equal(memoryBars.length, 3);
  const widths = memoryBars.map((r) => Number(r.attributes.width));
  assert.equal(Math.max(...widths), Number(bar.attributes.width));
  assert.equal(container.findAll(byTestId('no-data')).length, 0);
});

test('a compare chart with nothing measured yet says "no data"', () => {
  const container = new Node('div');
  renderCompareChart(container, [
    { mode: 'none', totalMs: null, blockBytes: null, refusedBytes: null, note: 'running…' },
    { mode: 'dot', totalMs: null, blockBytes: null, refusedBytes: null, note: 'queued' },
  ]);
  assert.equal(container.findAll(byTestId('no-data')).length, 2, 'both panels say no data');
  assert.equal(container.findAll((n) => n.attributes.class === 'chart-tick').length, 0, 'no axis ticks');
});

test('refused sweep points are marked and their reasons written under the chart', () => {
  const container = new Node('div');
  renderSweepChart(container, {
    sizes: [256, 512, 1024],
    series: [
      { mode: 'linear', points: [{ size: 256, ms: 40 }, { size: 512, ms: 90 }, { size: 1024, ms: 300 }] },
      {
        mode: 'dot',
        points: [
          { size: 256, ms: 60 },
          { size: 512, ms: 400 },
          { size: 1024, ms: null, refused: 'the attention block needs 4.0 GiB, above the 3.0 GiB limit' },
        ],
      },
    ],
  });
  assert.equal(container.findAll(byTestId('refused-point')).length, 1);
  const [notes] = container.findAll(byTestId('refusal-notes'));
  assert.ok(notes, 'no note under the chart');
  assert.match(notes.textContent, /dot at 1024 px refused: the attention block needs 4\.0 GiB/);
});

test('an empty sweep says "no data"', () => {
  const container = new Node('div');
  renderSweepChart(container, {
    sizes: [256, 512],
    series: [{ mode: 'dot', points: [{ size: 256, ms: null }, { size: 512, ms: null }] }],
  });
  assert.equal(container.findAll(byTestId('no-data')).length, 1);
  assert.equal(container.findAll((n) => n.attributes.class === 'chart-tick').length, 0);
});

test('a mode without a colour of its own still gets one, the same every time', async () => {
  const { modeColour } = await import('../../www/charts.js');
  assert.equal(modeColour('linear'), '#0072b2');
  const colour = modeColour('a-new-mode');
  assert.match(colour, /^#[0-9a-f]{6}$/);
  assert.equal(modeColour('a-new-mode'), colour);
  assert.notEqual(colour, modeColour('none'));
});

test('speed against quality: the colour is the mode and the shape the size, both in the legend', () => {
  const points = [];
  for (const mode of ['none', 'linear']) {
    for (const [i, size] of [256, 512, 1024].entries()) points.push({ mode, size, ms: 10 * (i + 1), iou: 0.8 });
  }
  points.push({ mode: 'dot', size: 512, ms: null, iou: 0.8 });
  const svg = tradeoffChart(points);
  const drawn = svg.findAll((n) => n.attributes['data-testid'] === 'tradeoff-point');
  assert.equal(drawn.length, 6, 'a point per measured mode and size');
  const shapes = drawn.map((n) => n.attributes['data-shape']);
  assert.deepEqual(shapes, ['circle', 'square', 'triangle', 'circle', 'square', 'triangle']);
  assert.deepEqual(drawn.map((n) => n.name), ['circle', 'rect', 'polygon', 'circle', 'rect', 'polygon']);
  assert.notEqual(drawn[0].attributes.fill, drawn[3].attributes.fill, 'two modes in one colour');
  const legend = svg.findAll((n) => n.attributes['data-testid'] === 'tradeoff-size');
  assert.deepEqual(legend.map((n) => n.name), ['circle', 'rect', 'polygon']);
  const labels = svg.findAll((n) => n.name === 'text').map((n) => n.textContent);
  for (const label of ['none', 'linear', '256 px', '512 px', '1024 px']) assert.ok(labels.includes(label), `no "${label}" in the legend`);
  assert.ok(!labels.includes('dot'), 'a mode without a measured point in the legend');
  assert.ok(!labels.includes('512'), 'points still labelled by text');
});
