// Charts for the analysis panel, as inline SVG: horizontal bars of time and block memory per
// mode ("Compare modes") and a log–log line chart of time against resolution per mode
// ("Resolution sweep"). A refused run is drawn, not left out: an outlined bar at the memory it
// would have needed, a marked point in the sweep with its reason in a note under the chart.
// A chart with nothing measured yet says "no data" rather than drawing empty axes.
// Each chart is drawn at the width it is given (its box's, in CSS pixels) at a scale of one, so
// that its text is as large as style.css says at any width; a narrow box stacks the compare
// chart's panels and puts the legends under the plots.
// Colours, text and gridlines come from style.css classes.
// Owns: the chart container's children. Must not touch: anything else on the page.

import { formatBytes, formatMs } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';

/** The modes' colours (the Okabe–Ito palette, safe for colour-blind readers); `none` stays grey. */
const MODE_COLOURS = {
  none: '#8a919c',
  dot: '#d55e00',
  linear: '#0072b2',
  efficient: '#009e73',
  'criss-cross': '#cc79a7',
  issa: '#e69f00',
  sa: '#56b4e9',
  caa: '#000000',
};

/** Colours for modes without one of their own (from Paul Tol's muted palette). */
const SPARE_COLOURS = ['#882255', '#44aa99', '#999933', '#332288'];

/**
 * A mode's colour: its own where it has one, else one of the spare colours picked by its name,
 * so that a newly registered mode is drawn (and always in the same colour) without an edit here.
 */
export function modeColour(mode) {
  if (MODE_COLOURS[mode]) return MODE_COLOURS[mode];
  let hash = 0;
  for (const ch of String(mode)) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  return SPARE_COLOURS[hash % SPARE_COLOURS.length];
}

function el(name, attributes = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text != null) node.textContent = text;
  return node;
}

function svgRoot(width, height, label) {
  return el('svg', {
    viewBox: `0 0 ${width} ${height}`,
    class: 'chart',
    role: 'img',
    'aria-label': label,
    preserveAspectRatio: 'xMidYMid meet',
  });
}

/** Below this width (CSS px) the charts stack what sits side by side on a wide screen. */
export const NARROW_CHART = 560;

/** The width a chart is drawn at for a box `boxWidth` wide (a box not laid out yet: 760). */
export function chartWidth(boxWidth) {
  return boxWidth > 0 ? Math.floor(boxWidth) : 760;
}

/**
 * `text` as a chart title at (x, y), broken into lines that fit `width` (13 px text, about
 * 7.5 px a character); returns the y below its last line.
 */
function title(svg, x, y, text, width) {
  const perLine = Math.max(12, Math.floor(width / 7.5));
  const lines = [];
  for (const word of text.split(' ')) {
    const last = lines.at(-1);
    if (last != null && `${last} ${word}`.length <= perLine) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  lines.forEach((line, i) => svg.append(el('text', { x, y: y + 12 + i * 17, class: 'chart-title' }, line)));
  return y + lines.length * 17;
}

/**
 * A legend of `items` ({ label, draw(x, y) }) under a plot: as many columns as fit `width`
 * from x, rows 20 px apart from y; returns the y below it.
 */
function legendBelow(svg, x, y, width, items) {
  const columnWidth = 120;
  const columns = Math.max(1, Math.floor(width / columnWidth));
  items.forEach((item, i) => {
    const lx = x + (i % columns) * columnWidth;
    const ly = y + 10 + Math.floor(i / columns) * 20;
    item.draw(lx + 18, ly);
    svg.append(el('text', { x: lx + 42, y: ly + 4, class: 'chart-label' }, item.label));
  });
  return y + Math.ceil(items.length / columns) * 20 + 4;
}

/** About `count` round ticks from 0 to at least `max`. */
function linearTicks(max, count = 4) {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw);
  const ticks = [];
  for (let t = 0; t <= max + step * 0.999; t += step) ticks.push(t);
  return ticks;
}

/** The 1, 2, 5 × 10^k values just below `min` and just above `max`: a log axis's ends. */
function logBounds(min, max) {
  const nice = (k) => [1, 2, 5].map((s) => s * 10 ** k);
  const candidates = [];
  for (let k = Math.floor(Math.log10(min)) - 1; k <= Math.ceil(Math.log10(max)); k++) {
    candidates.push(...nice(k));
  }
  const below = candidates.filter((v) => v <= min).at(-1);
  const above = candidates.find((v) => v >= max);
  return [below, above > below ? above : below * 10];
}

/** A dash pattern per mode, so that lines that run together (linear and efficient) stay apart. */
const MODE_DASHES = {
  none: '2 3',
  dot: '',
  linear: '',
  efficient: '7 4',
  'criss-cross': '',
};

/** Ticks of a log axis covering [min, max]: 1, 2, 5 × 10^k when the range is short. */
function logTicks(min, max) {
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const steps = hi - lo <= 2 ? [1, 2, 5] : [1];
  const ticks = [];
  for (let k = lo; k <= hi; k++) for (const s of steps) ticks.push(s * 10 ** k);
  const inRange = ticks.filter((t) => t >= min / 1.0001 && t <= max * 1.0001);
  return inRange.length >= 2 ? inRange : [10 ** lo, 10 ** hi];
}

function tickLabel(value) {
  if (value >= 1000) return `${value / 1000}k`.replace('.0k', 'k');
  return String(Math.round(value * 100) / 100);
}

const isNumber = (v) => v != null && Number.isFinite(v);

/** "no data" in the middle of a box, for a chart with nothing measured yet. */
function noData(svg, x, y) {
  svg.append(el('text', { x, y, class: 'chart-empty', 'text-anchor': 'middle', 'data-testid': 'no-data' }, 'no data'));
}

/**
 * Horizontal bars, one per row, in a box at (x, y) of size w×h.
 * rows: [{ label, value (number|null), colour, note (shown instead of a bar when value is null),
 *          refused (number|null: what a refused run would have needed, drawn as an outlined
 *          bar labelled "refused: …") }]
 */
function barPanel(svg, { x, y, w, h, heading, axisLabel, rows, format, scale = 1 }) {
  const labelWidth = 92;
  const top = y + 26;
  const bottom = y + h - 34;
  const left = x + labelWidth;
  const right = x + w - 64;
  const values = rows.flatMap((r) => [r.value, r.refused]).filter(isNumber);

  svg.append(el('text', { x, y: y + 12, class: 'chart-title' }, heading));
  const ticks = values.length ? linearTicks(Math.max(...values, 0) / scale) : [];
  const max = (ticks.at(-1) ?? 0) * scale || 1;
  const px = (v) => left + ((right - left) * v) / max;
  if (values.length) {
    for (const t of ticks) {
      const gx = px(t * scale);
      svg.append(el('line', { x1: gx, x2: gx, y1: top - 4, y2: bottom, class: 'chart-grid' }));
      svg.append(el('text', { x: gx, y: bottom + 14, class: 'chart-tick', 'text-anchor': 'middle' }, tickLabel(t)));
    }
    svg.append(el('text', { x: (left + right) / 2, y: bottom + 30, class: 'chart-axis', 'text-anchor': 'middle' }, axisLabel));
  } else {
    noData(svg, (left + right) / 2, bottom + 14);
  }
  svg.append(el('line', { x1: left, x2: left, y1: top - 4, y2: bottom, class: 'chart-axis-line' }));

  const band = (bottom - top) / Math.max(rows.length, 1);
  const barHeight = Math.min(18, band * 0.62);
  rows.forEach((row, i) => {
    const cy = top + band * (i + 0.5);
    svg.append(el('text', { x: left - 8, y: cy + 4, class: 'chart-label', 'text-anchor': 'end' }, row.label));
    if (isNumber(row.value)) {
      const barWidth = Math.max(1, px(row.value) - left);
      const bar = el('rect', { x: left, y: cy - barHeight / 2, width: barWidth, height: barHeight, rx: 2, fill: row.colour });
      bar.append(el('title', {}, `${row.label}: ${format(row.value)}`));
      svg.append(bar);
      svg.append(el('text', { x: left + barWidth + 6, y: cy + 4, class: 'chart-value' }, format(row.value)));
    } else if (isNumber(row.refused)) {
      const barWidth = Math.max(1, px(row.refused) - left);
      const text = `refused: ${format(row.refused)}`;
      const bar = el('rect', {
        x: left, y: cy - barHeight / 2, width: barWidth, height: barHeight, rx: 2,
        fill: 'none', stroke: row.colour, 'stroke-width': 1.5, 'stroke-dasharray': '4 3',
        class: 'chart-refused', 'data-testid': 'refused-bar',
      });
      bar.append(el('title', {}, `${row.label}: ${text}`));
      svg.append(bar);
      // Inside the bar when the bar is long, after it otherwise.
      const inside = barWidth > 120;
      svg.append(el('text', {
        x: inside ? left + 6 : left + barWidth + 6, y: cy + 4, class: 'chart-refused-label',
      }, text));
    } else {
      svg.append(el('text', { x: left + 6, y: cy + 4, class: 'chart-note' }, row.note ?? '–'));
    }
  });
}

/**
 * "Compare modes": time and attention-block memory per mode, side by side in a box at least
 * NARROW_CHART wide, one above the other in a narrower one; drawn `width` px wide.
 * rows: [{ mode, totalMs, blockBytes, refusedBytes, note }]  (null values draw `note`, e.g.
 * "refused"; a refused mode's refusedBytes is drawn in the memory panel as an outlined bar)
 */
export function renderCompareChart(container, rows, width = 760) {
  const panelHeight = Math.max(180, 80 + rows.length * 30);
  const stacked = width < NARROW_CHART;
  const height = stacked ? 2 * panelHeight + 16 : panelHeight;
  const svg = svgRoot(width, height, 'Time and attention-block memory per mode');
  const panelWidth = stacked ? width : width / 2 - 16;
  barPanel(svg, {
    x: 0, y: 0, w: panelWidth, h: panelHeight,
    heading: 'Time per run',
    axisLabel: 'total time (ms)',
    rows: rows.map((r) => ({ label: r.mode, value: r.totalMs, colour: modeColour(r.mode), note: r.note })),
    format: formatMs,
  });
  barPanel(svg, {
    x: stacked ? 0 : width / 2 + 16, y: stacked ? panelHeight + 16 : 0, w: panelWidth, h: panelHeight,
    heading: 'Attention block memory',
    axisLabel: 'peak memory of the block (MiB)',
    rows: rows.map((r) => ({
      label: r.mode, value: r.blockBytes, refused: r.refusedBytes, colour: modeColour(r.mode), note: r.note,
    })),
    format: formatBytes,
    scale: 1024 ** 2,
  });
  container.replaceChildren(svg);
}

/**
 * The frame of a plot `width` px wide: its title from the top, the plot's edges, and whether
 * its legend goes under the plot (a narrow chart) rather than to its right.
 */
function plotFrame(svg, width, heading, plotHeight) {
  const narrow = width < NARROW_CHART;
  const top = title(svg, 0, 0, heading, width) + 28;
  return { narrow, left: 64, right: narrow ? width - 16 : width - 140, top, bottom: top + plotHeight };
}

/**
 * "Resolution sweep": time against resolution per mode, both axes logarithmic, drawn `width` px
 * wide. series: [{ mode, points: [{ size, ms (number|null), refused (string|null: why it did
 * not run) }] }]; sizes: the x positions. A refused point is marked × above the plot, at its
 * size, and its reason is written in a note under the chart.
 */
export function renderSweepChart(container, { sizes, series }, width = 760) {
  const svg = svgRoot(width, 0, 'Time against resolution per mode, log–log');
  const { narrow, left, right, top, bottom } = plotFrame(svg, width, 'Time against resolution (log–log)', 238);

  const all = series.flatMap((s) => s.points.map((p) => p.ms)).filter((v) => v != null && v > 0);
  const refused = series.flatMap((s) => s.points.filter((p) => p.refused).map((p) => ({ mode: s.mode, ...p })));
  const notes = refused.map((p) => `${p.mode} at ${p.size} px refused: ${p.refused}`);
  if (!all.length && !refused.length) {
    noData(svg, (left + right) / 2, (top + bottom) / 2);
    fitHeight(svg, width, bottom + 48);
    container.replaceChildren(svg);
    return;
  }
  const [axisMin, axisMax] = all.length ? logBounds(Math.min(...all), Math.max(...all)) : [1, 10];
  const lo = Math.log10(axisMin);
  const hi = Math.log10(axisMax);
  const py = (v) => bottom - ((bottom - top) * (Math.log10(v) - lo)) / (hi - lo);
  const xs = sizes.map((s) => Math.log2(s));
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  const px = (s) => (x1 === x0 ? (left + right) / 2 : left + ((right - left) * (Math.log2(s) - x0)) / (x1 - x0));

  if (all.length) {
    for (const t of logTicks(10 ** lo, 10 ** hi)) {
      const gy = py(t);
      svg.append(el('line', { x1: left, x2: right, y1: gy, y2: gy, class: 'chart-grid' }));
      svg.append(el('text', { x: left - 8, y: gy + 4, class: 'chart-tick', 'text-anchor': 'end' }, tickLabel(t)));
    }
    svg.append(el('text', {
      x: 14, y: (top + bottom) / 2, class: 'chart-axis', 'text-anchor': 'middle',
      transform: `rotate(-90 14 ${(top + bottom) / 2})`,
    }, 'total time (ms; log scale)'));
  } else {
    noData(svg, (left + right) / 2, (top + bottom) / 2);
  }
  for (const s of sizes) {
    const gx = px(s);
    svg.append(el('line', { x1: gx, x2: gx, y1: top, y2: bottom, class: 'chart-grid' }));
    svg.append(el('text', { x: gx, y: bottom + 16, class: 'chart-tick', 'text-anchor': 'middle' }, String(s)));
  }
  svg.append(el('line', { x1: left, x2: left, y1: top, y2: bottom, class: 'chart-axis-line' }));
  svg.append(el('line', { x1: left, x2: right, y1: bottom, y2: bottom, class: 'chart-axis-line' }));
  svg.append(el('text', {
    x: (left + right) / 2, y: bottom + 38, class: 'chart-axis', 'text-anchor': 'middle',
  }, narrow ? 'resolution (px; log scale)' : 'resolution (longer side, px; log scale)'));

  const legend = [];
  series.forEach((s, i) => {
    const colour = modeColour(s.mode);
    const points = s.points.filter((p) => p.ms != null && p.ms > 0);
    // Runs of consecutive measured sizes are joined; a refused size leaves a gap.
    let path = '';
    let pen = false;
    for (const size of sizes) {
      const p = s.points.find((q) => q.size === size);
      if (p?.ms != null && p.ms > 0) {
        path += `${pen ? 'L' : 'M'}${px(size).toFixed(1)},${py(p.ms).toFixed(1)}`;
        pen = true;
      } else {
        pen = false;
      }
    }
    const dash = MODE_DASHES[s.mode] ?? '';
    if (path) {
      svg.append(el('path', {
        d: path, fill: 'none', stroke: colour, 'stroke-width': 2, 'stroke-dasharray': dash, class: 'chart-line',
      }));
    }
    for (const p of points) {
      const dot = el('circle', { cx: px(p.size), cy: py(p.ms), r: 3.5, fill: colour });
      dot.append(el('title', {}, `${s.mode} at ${p.size}: ${formatMs(p.ms)}`));
      svg.append(dot);
    }
    // Refused sizes: a × in the mode's colour above the plot, side by side when several modes
    // were refused at one size.
    for (const p of s.points.filter((q) => q.refused)) {
      const cx = px(p.size) + (i - (series.length - 1) / 2) * 11;
      const mark = el('text', {
        x: cx, y: top - 8, fill: colour, class: 'chart-refused-mark', 'text-anchor': 'middle', 'data-testid': 'refused-point',
      }, '×');
      mark.append(el('title', {}, `${s.mode} at ${p.size} px refused: ${p.refused}`));
      svg.append(mark);
    }
    legend.push({
      label: s.mode,
      draw: (x, y) => {
        svg.append(el('line', { x1: x - 16, x2: x + 16, y1: y, y2: y, stroke: colour, 'stroke-width': 2, 'stroke-dasharray': dash }));
        svg.append(el('circle', { cx: x, cy: y, r: 3.5, fill: colour }));
      },
    });
  });
  if (refused.length) {
    legend.push({
      label: 'refused',
      draw: (x, y) => svg.append(el('text', {
        x, y: y + 4, class: 'chart-refused-mark chart-refused-legend', 'text-anchor': 'middle',
      }, '×')),
    });
  }
  fitHeight(svg, width, drawLegend(svg, { narrow, right, top, bottom: bottom + 48, width }, legend));
  const parts = [svg];
  if (notes.length) {
    const list = document.createElement('ul');
    list.className = 'chart-notes';
    list.dataset.testid = 'refusal-notes';
    for (const note of notes) list.append(Object.assign(document.createElement('li'), { textContent: note }));
    parts.push(list);
  }
  container.replaceChildren(...parts);
}

/**
 * Draws `items` as a legend: to the right of the plot (from `top`), or under it (from
 * `bottom`) when the chart is narrow; returns the height the chart needs.
 */
function drawLegend(svg, { narrow, right, top, bottom, width }, items) {
  if (narrow) return legendBelow(svg, 0, bottom, width, items);
  items.forEach((item, i) => {
    const ly = top + 6 + i * 20;
    item.draw(right + 30, ly);
    svg.append(el('text', { x: right + 48, y: ly + 4, class: 'chart-label' }, item.label));
  });
  return Math.max(bottom, top + items.length * 20 + 12);
}

/** Sets the chart's height (its viewBox and its box keep the scale of one). */
function fitHeight(svg, width, height) {
  svg.setAttribute('viewBox', `0 0 ${width} ${Math.ceil(height)}`);
}

/** The marker shapes of the speed-against-quality chart, one per size in the order sizes come. */
const SIZE_SHAPES = ['circle', 'square', 'triangle', 'diamond'];

/** A marker of `shape` centred on (x, y), about 8 px across. */
function marker(shape, x, y, attributes) {
  if (shape === 'circle') return el('circle', { cx: x, cy: y, r: 4, ...attributes });
  if (shape === 'square') return el('rect', { x: x - 3.5, y: y - 3.5, width: 7, height: 7, ...attributes });
  const points = shape === 'triangle'
    ? [[x, y - 5], [x + 4.5, y + 3.5], [x - 4.5, y + 3.5]]
    : [[x, y - 5], [x + 5, y], [x, y + 5], [x - 5, y]];
  return el('polygon', { points: points.map((p) => p.join(',')).join(' '), ...attributes });
}

/**
 * Speed against quality: one point per mode and size, the time measured here on the x axis
 * (log scale) and the held-out IoU on the composites from linseg eval on the y axis; up and to
 * the left is better. The colour is the mode, the shape the size (the legend names both), so
 * that points close together need no labels. points: [{ mode, size, ms, iou }] (points without
 * both values are left out). Returns the SVG, `width` px wide, for the caller to place under
 * the sweep's chart.
 */
export function tradeoffChart(points, width = 760) {
  const svg = svgRoot(width, 0, 'Time against held-out IoU on composites per mode and size');
  const { narrow, left, right, top, bottom } = plotFrame(svg, width, 'Speed against quality (held-out IoU on composites)', 212);
  const shown = points.filter((p) => p.ms > 0 && p.iou != null);
  if (!shown.length) {
    noData(svg, (left + right) / 2, (top + bottom) / 2);
    fitHeight(svg, width, bottom + 48);
    return svg;
  }
  const [axisMin, axisMax] = logBounds(Math.min(...shown.map((p) => p.ms)), Math.max(...shown.map((p) => p.ms)));
  const lo = Math.log10(axisMin);
  const hi = Math.log10(axisMax);
  const px = (ms) => left + ((right - left) * (Math.log10(ms) - lo)) / (hi - lo);
  const ious = shown.map((p) => p.iou);
  const iouLo = Math.max(0, Math.floor(Math.min(...ious) * 10) / 10);
  const iouHi = Math.min(1, Math.ceil(Math.max(...ious) * 10) / 10 + (Math.min(...ious) === Math.max(...ious) ? 0.1 : 0));
  const py = (iou) => bottom - ((bottom - top) * (iou - iouLo)) / (iouHi - iouLo || 1);
  for (const t of logTicks(axisMin, axisMax)) {
    svg.append(el('line', { x1: px(t), x2: px(t), y1: top, y2: bottom, class: 'chart-grid' }));
    svg.append(el('text', { x: px(t), y: bottom + 16, class: 'chart-tick', 'text-anchor': 'middle' }, tickLabel(t)));
  }
  for (let i = 0; i <= 4; i++) {
    const v = iouLo + ((iouHi - iouLo) * i) / 4;
    svg.append(el('line', { x1: left, x2: right, y1: py(v), y2: py(v), class: 'chart-grid' }));
    svg.append(el('text', { x: left - 8, y: py(v) + 4, class: 'chart-tick', 'text-anchor': 'end' }, v.toFixed(2)));
  }
  svg.append(el('text', { x: (left + right) / 2, y: bottom + 38, class: 'chart-axis', 'text-anchor': 'middle' }, 'total time here (ms; log scale)'));
  svg.append(el('text', {
    x: 14, y: (top + bottom) / 2, class: 'chart-axis', 'text-anchor': 'middle', transform: `rotate(-90 14 ${(top + bottom) / 2})`,
  }, 'held-out IoU, composites'));
  const modes = [...new Set(shown.map((p) => p.mode))];
  const sizes = [...new Set(shown.map((p) => p.size))].sort((a, b) => a - b);
  const shapeOf = (size) => SIZE_SHAPES[sizes.indexOf(size) % SIZE_SHAPES.length];
  for (const p of shown) {
    const point = marker(shapeOf(p.size), px(p.ms), py(p.iou), {
      fill: modeColour(p.mode), 'data-testid': 'tradeoff-point', 'data-shape': shapeOf(p.size),
    });
    point.append(el('title', {}, `${p.mode} at ${p.size} px: ${formatMs(p.ms)}, held-out IoU ${p.iou.toFixed(3)}`));
    svg.append(point);
  }
  const legend = [
    ...modes.map((mode) => ({ label: mode, draw: (x, y) => svg.append(marker('circle', x, y, { fill: modeColour(mode) })) })),
    ...sizes.map((size) => ({
      label: `${size} px`,
      draw: (x, y) => svg.append(marker(shapeOf(size), x, y, { class: 'chart-size-marker', 'data-testid': 'tradeoff-size' })),
    })),
  ];
  fitHeight(svg, width, drawLegend(svg, { narrow, right, top, bottom: bottom + 48, width }, legend));
  return svg;
}
