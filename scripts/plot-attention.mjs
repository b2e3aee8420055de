// The attention blocks' time and memory against the number of positions, log–log, one line per
// mode, as one SVG picture, from `linseg bench attention --json` (square maps, C = 128). Also
// prints each mode's time and peak memory at 64 × 64 as a share of dot-product attention's.
//
//   linseg bench attention --json > bench.jsonl
//   node scripts/plot-attention.mjs bench.jsonl [OUT_SVG]        (default: docs/attention.svg)

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { modeColour } from '../www/charts.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const [input, out = join(ROOT, 'docs/attention.svg')] = process.argv.slice(2);
if (!input) throw new Error('usage: node scripts/plot-attention.mjs BENCH.jsonl [OUT_SVG]');
const CHANNELS = 128;

const rows = readFileSync(input, 'utf8')
  .split('\n')
  .filter((line) => line.startsWith('{'))
  .map((line) => JSON.parse(line))
  .filter((r) => r.mode && r.channels === CHANNELS && r.height === r.width && r.mode !== 'none');
const modes = [...new Set(rows.map((r) => r.mode))];

const [panelW, panelH] = [380, 280];
const margin = { left: 70, right: 14, top: 34, bottom: 46 };
const width = 2 * panelW + 150;
const parts = [];
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
const text = (x, y, s, extra = '') => parts.push(`<text x="${x}" y="${y}" ${extra}>${esc(s)}</text>`);

/** A log–log panel of `value(row)` against N, one polyline per mode; skipped cases left out. */
function panel(offsetX, title, yLabel, value, format) {
  const points = rows.filter((r) => value(r) > 0);
  const xs = points.map((r) => r.height * r.width);
  const ys = points.map(value);
  const [x0, x1] = [Math.log10(Math.min(...xs)), Math.log10(Math.max(...xs))];
  const [y0, y1] = [Math.floor(Math.log10(Math.min(...ys))), Math.ceil(Math.log10(Math.max(...ys)))];
  const [left, right] = [offsetX + margin.left, offsetX + panelW - margin.right];
  const [top, bottom] = [margin.top, panelH - margin.bottom];
  const px = (n) => left + ((right - left) * (Math.log10(n) - x0)) / (x1 - x0);
  const py = (v) => bottom - ((bottom - top) * (Math.log10(v) - y0)) / (y1 - y0);
  text(offsetX + 4, 18, title, 'font-weight="600"');
  for (let e = y0; e <= y1; e++) {
    parts.push(`<line x1="${left}" x2="${right}" y1="${py(10 ** e)}" y2="${py(10 ** e)}" stroke="#ddd"/>`);
    text(left - 6, py(10 ** e) + 4, format(10 ** e), 'text-anchor="end"');
  }
  for (const n of [...new Set(xs)].sort((a, b) => a - b)) {
    parts.push(`<line x1="${px(n)}" x2="${px(n)}" y1="${top}" y2="${bottom}" stroke="#eee"/>`);
    text(px(n), bottom + 14, `${Math.sqrt(n)}²`, 'text-anchor="middle"');
  }
  text((left + right) / 2, panelH - 10, 'positions N (map side², log scale)', 'text-anchor="middle"');
  text(offsetX + 12, (top + bottom) / 2, yLabel, `text-anchor="middle" transform="rotate(-90 ${offsetX + 12} ${(top + bottom) / 2})"`);
  for (const mode of modes) {
    const line = points.filter((r) => r.mode === mode).sort((a, b) => a.height - b.height);
    const path = line.map((r) => `${px(r.height * r.width).toFixed(1)},${py(value(r)).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${path}" fill="none" stroke="${modeColour(mode)}" stroke-width="2"/>`);
    for (const r of line) {
      parts.push(`<circle cx="${px(r.height * r.width).toFixed(1)}" cy="${py(value(r)).toFixed(1)}" r="2.5" fill="${modeColour(mode)}"/>`);
    }
  }
}

const ms = (v) => (v >= 1 ? `${v} ms` : `${v.toPrecision(1)} ms`);
const bytes = (v) => {
  const [unit, scale] = v >= 1e9 ? ['GB', 1e9] : v >= 1e6 ? ['MB', 1e6] : ['kB', 1e3];
  return `${+(v / scale).toPrecision(3)} ${unit}`;
};
const backend = rows[0]?.backend ?? '?';
panel(0, `Block time (median, ${backend}, C = ${CHANNELS})`, 'time (log scale)', (r) => r.median_ms, ms);
panel(panelW, `Block peak memory (C = ${CHANNELS})`, 'intermediates (log scale)', (r) => r.peak_bytes, bytes);
const skipped = rows.filter((r) => r.skipped);
if (skipped.length) {
  // Under the legend: the cases the benchmark refused (over its memory limit), one a line.
  const y = margin.top + 18 * (modes.length + 1);
  text(2 * panelW + 10, y, 'not run (over 1 GiB):', 'font-size="10" fill="#666"');
  skipped.forEach((r, i) => text(2 * panelW + 10, y + 14 * (i + 1), `${r.mode} at ${r.height}²`, 'font-size="10" fill="#666"'));
}
modes.forEach((mode, i) => {
  const y = margin.top + 18 * i + 6;
  parts.push(`<line x1="${2 * panelW + 10}" x2="${2 * panelW + 34}" y1="${y}" y2="${y}" stroke="${modeColour(mode)}" stroke-width="2.5"/>`);
  text(2 * panelW + 40, y + 4, mode);
});

mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${panelH}" viewBox="0 0 ${width} ${panelH}" font-family="sans-serif" font-size="11" fill="#222">
<rect width="100%" height="100%" fill="#fff"/>
${parts.join('\n')}
</svg>
`);
console.log(out);

const at64 = (mode) => rows.find((r) => r.mode === mode && r.height === 64);
const dot = at64('dot');
if (dot?.median_ms) {
  console.log(`at 64×64, C = ${CHANNELS}, as a share of dot's (${dot.median_ms.toFixed(2)} ms, ${bytes(dot.peak_bytes)}):`);
  for (const mode of modes.filter((m) => m !== 'dot')) {
    const r = at64(mode);
    if (r?.median_ms) {
      console.log(`  ${mode.padEnd(12)} time ${(r.median_ms / dot.median_ms).toFixed(3)}  memory ${(r.peak_bytes / dot.peak_bytes).toFixed(4)}`);
    }
  }
}
