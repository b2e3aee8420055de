// The training curves as one SVG picture: the loss per step (a moving average over 50 steps)
// and the held-out IoU at 1024 px per checkpoint (as segmented, solid; one pass, dashed; a dot
// where the block kept was, the checkpoint with the best validation IoU), one colour per mode,
// from the logs `linseg train` writes (models/training-<mode>.json).
//
//   node scripts/plot-training.mjs [MODELS_DIR] [OUT_SVG]     (default: models docs/training.svg)

import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { modeColour } from '../www/charts.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const modelsDir = process.argv[2] ?? join(ROOT, 'models');
const out = process.argv[3] ?? join(ROOT, 'docs/training.svg');

const logs = readdirSync(modelsDir)
  .filter((name) => /^training-.+\.json$/.test(name))
  .sort()
  .map((name) => JSON.parse(readFileSync(join(modelsDir, name), 'utf8')));
if (logs.length === 0) throw new Error(`no training-<mode>.json in ${modelsDir}`);

const WINDOW = 50;
const movingAverage = (values) =>
  values.map((_, i) => {
    const from = Math.max(0, i - WINDOW + 1);
    const slice = values.slice(from, i + 1);
    return slice.reduce((a, b) => a + b, 0) / slice.length;
  });

const [panelW, panelH, margin] = [400, 260, { left: 52, right: 16, top: 34, bottom: 44 }];
const width = 2 * panelW + 150;
const height = panelH;
const parts = [];
const text = (x, y, s, extra = '') =>
  parts.push(`<text x="${x}" y="${y}" ${extra}>${s.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text>`);

/**
 * One panel: axes, ticks, a polyline per series ({ colour, dash, points: [[x, y]] }) and a dot
 * per mark ({ colour, point: [x, y] }).
 */
function panel(offsetX, title, xLabel, yLabel, xMax, [yMin, yMax], series, marks = []) {
  const [x0, x1] = [offsetX + margin.left, offsetX + panelW - margin.right];
  const [y0, y1] = [panelH - margin.bottom, margin.top];
  const px = (x) => x0 + ((x1 - x0) * x) / xMax;
  const py = (y) => y0 + ((y1 - y0) * (y - yMin)) / (yMax - yMin);
  text(offsetX + 4, 20, title, 'font-weight="600"');
  for (let i = 0; i <= 4; i++) {
    const y = yMin + ((yMax - yMin) * i) / 4;
    parts.push(`<line x1="${x0}" x2="${x1}" y1="${py(y)}" y2="${py(y)}" stroke="#ddd"/>`);
    text(x0 - 6, py(y) + 4, y.toFixed(2), 'text-anchor="end"');
    const x = (xMax * i) / 4;
    text(px(x), y0 + 16, String(Math.round(x)), 'text-anchor="middle"');
  }
  text((x0 + x1) / 2, panelH - 8, xLabel, 'text-anchor="middle"');
  text(offsetX + 12, (y0 + y1) / 2, yLabel, `text-anchor="middle" transform="rotate(-90 ${offsetX + 12} ${(y0 + y1) / 2})"`);
  for (const s of series) {
    // Values beyond the axis (the first steps' loss) are drawn at its edge.
    const clamp = (y) => Math.min(yMax, Math.max(yMin, y));
    const points = s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(clamp(y)).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${points}" fill="none" stroke="${s.colour}" stroke-width="1.8" ${s.dash ? 'stroke-dasharray="5 3"' : ''}/>`);
  }
  for (const { colour, point: [x, y] } of marks) {
    parts.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="4" fill="${colour}" stroke="#fff"/>`);
  }
}

const steps = Math.max(...logs.map((log) => log.loss.length));
const losses = logs.map((log) => ({ log, smooth: movingAverage(log.loss) }));
const lossMax = Math.max(...losses.flatMap(({ smooth }) => smooth.slice(WINDOW)));
panel(0, `Training loss (mean of ${WINDOW} steps; the first steps cut at the top)`, 'step', 'loss', steps, [0, 4 * Math.ceil(lossMax / 4)],
  losses.map(({ log, smooth }) => ({ colour: modeColour(log.mode), points: smooth.map((v, i) => [i + 1, v]) })));
const ious = logs.flatMap((log) => log.checkpoints.flatMap((c) => [c.heldout.segmented.iou, c.heldout.single_pass.iou]));
const iouRange = [Math.floor(Math.min(...ious) * 10) / 10, Math.ceil(Math.max(...ious) * 10) / 10];
panel(panelW, 'Held-out IoU at 1024 px', 'step', 'IoU', steps, iouRange,
  logs.flatMap((log) => [
    { colour: modeColour(log.mode), points: log.checkpoints.map((c) => [c.step, c.heldout.segmented.iou]) },
    { colour: modeColour(log.mode), dash: true, points: log.checkpoints.map((c) => [c.step, c.heldout.single_pass.iou]) },
  ]),
  logs.map((log) => {
    const kept = log.checkpoints.find((c) => c.step === log.kept_step);
    return { colour: modeColour(log.mode), point: [kept.step, kept.heldout.segmented.iou] };
  }));
logs.forEach((log, i) => {
  const y = margin.top + 18 * i + 6;
  parts.push(`<line x1="${2 * panelW + 10}" x2="${2 * panelW + 34}" y1="${y}" y2="${y}" stroke="${modeColour(log.mode)}" stroke-width="2.5"/>`);
  text(2 * panelW + 40, y + 4, `${log.mode} (${log.minutes.toFixed(1)} min)`);
});
const legendY = margin.top + 18 * logs.length + 14;
parts.push(`<line x1="${2 * panelW + 10}" x2="${2 * panelW + 34}" y1="${legendY}" y2="${legendY}" stroke="#555" stroke-width="1.8"/>`);
text(2 * panelW + 40, legendY + 4, 'as segmented');
parts.push(`<line x1="${2 * panelW + 10}" x2="${2 * panelW + 34}" y1="${legendY + 18}" y2="${legendY + 18}" stroke="#555" stroke-width="1.8" stroke-dasharray="5 3"/>`);
text(2 * panelW + 40, legendY + 22, 'one pass');
parts.push(`<circle cx="${2 * panelW + 22}" cy="${legendY + 36}" r="4" fill="#555"/>`);
text(2 * panelW + 40, legendY + 40, 'kept (best validation)');

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11" fill="#222">
<rect width="100%" height="100%" fill="#fff"/>
${parts.join('\n')}
</svg>
`;
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, svg);
console.log(out);
