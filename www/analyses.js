// The analysis panel: "Compare modes" (every mode at the current size) and "Resolution sweep"
// (every mode at every sweep size) on the photo in view, run as jobs on the run queue behind
// the photos. Cancel stops the run in flight at once: a wasm run cannot be interrupted, so the
// engine replaces its worker (engine.cancel), which costs a fresh worker's start (engine.startMs)
// and the photos it had decoded (decoded again when next run). Charts are drawn by charts.js;
// this module decides what runs and fills the table. When an analysis starts, the panel is
// scrolled into view and its heading takes the focus, so that its progress and results are where
// the person looks; its charts are redrawn to their box's width whenever that changes.
// Owns: the analyse and cancel buttons, the sweep-2048 box and the analysis panel. Must not
// touch: the photo records (it only reads them), the selection or the settings (it asks for
// them through the functions it was given).

import { chartWidth, modeColour, renderCompareChart, renderSweepChart, tradeoffChart } from './charts.js';
import { ANALYSIS_TIMING } from './config.js';
import { formatBytes, formatFlops, formatMs, formatSize } from './format.js';
import { MaskGrid } from './mask-grid.js';
import { QUALITY_NOTE, THIS_PHOTO_NOTE, formatQuality, heldOutHeading, iouAgainst, qualityAt } from './quality.js';

/** @typedef {import('./photo.js').Photo} Photo */

/** The analyse buttons and the panel their results fill. */
export class Analyses {
  /**
   * @param {object} options
   * @param {object} options.elements  compare, sweep, sweep2048, cancel (inputs); panel, title,
   *                                   status, chart, masks, table, tableNote (the panel)
   * @param {import('./linseg.js').Segmenter} options.engine  segmentImage, costAt, info
   * @param {import('./run-queue.js').RunQueue} options.queue  runs the jobs, decodes
   * @param {() => Photo | null} options.selectedPhoto  the photo in view
   * @param {(photo: Photo) => boolean} options.isPresent  false once the photo was removed
   * @param {() => number} options.size    the current processing size
   * @param {Promise<object | null>} options.metrics  models/metrics.json (quality.js), or null
   */
  constructor({ elements, engine, queue, selectedPhoto, isPresent, size, metrics }) {
    this.ui = elements;
    /** The modes, in the order shown, and the sizes the sweep runs (see setChoices). */
    this.modes = [];
    this.sweepSizes = [];
    this.extraSize = null;
    this.engine = engine;
    this.queue = queue;
    this.selectedPhoto = selectedPhoto;
    this.isPresent = isPresent;
    this.size = size;
    /** The held-out scores, once fetched (null until then, and where there are none). */
    this.metrics = null;
    metrics.then((m) => {
      this.metrics = m;
    });
    this.running = false;
    this.cancelled = false;
    /** Whether one of this panel's runs is in the engine now (what Cancel stops). */
    this.measuring = false;
    this.available = false;
    /** Compare modes' masks, side by side. */
    this.grid = new MaskGrid(elements.masks);
    /** Draws the current analysis's charts at a given width (null before the first). */
    this.drawCharts = null;
    this.chartsDrawnAt = 0;
    new ResizeObserver(() => this.#redrawCharts()).observe(elements.chart);

    elements.compare.addEventListener('click', () => this.compareModes());
    elements.sweep.addEventListener('click', () => this.resolutionSweep());
    elements.cancel.addEventListener('click', () => this.cancel());
  }

  /** Stops the analysis: the run in flight now (see the header), the queued ones unrun. */
  cancel() {
    if (!this.running || this.cancelled) return;
    this.cancelled = true;
    this.ui.status.textContent = 'Cancelling…';
    this.ui.cancel.disabled = true;
    if (this.measuring) this.engine.cancel('the analysis');
  }

  /**
   * Takes what the model offers: every mode, and every size but the largest for the sweep (the
   * largest joins it when asked for: the sweep-2048 box).
   */
  setChoices({ modes, sizes }) {
    this.modes = modes;
    this.sweepSizes = sizes.slice(0, -1);
    this.extraSize = sizes.at(-1);
  }

  /** Says whether an analysis could start now (a decoded photo in view, a running model). */
  setAvailable(available) {
    this.available = available;
    this.#renderButtons();
  }

  /** Runs every mode at the current size on the photo in view. */
  async compareModes() {
    const photo = this.selectedPhoto();
    if (!photo?.canvas) return;
    const size = this.size();
    const entries = this.modes.map((mode) => ({ mode, size, state: 'queued' }));
    this.#start('compare', `Compare modes · ${photo.name} at ${size} px`);
    this.grid.reset(photo.canvas, this.modes, photo.truth);
    const render = () => {
      this.ui.status.textContent = progressText(entries, (e) => e.mode);
      for (const e of entries) {
        if (e.shown || e.state === 'queued' || e.state === 'running') continue;
        e.shown = true;
        if (e.result && photo.truth) e.truthIou = iouAgainst(e.result.mask, photo.truth);
        this.grid.show(e.mode, e.state === 'done' ? e.result : null, e.state, cellText(e));
        // The grid keeps what it needs of the mask (none's for the comparison, a tile).
        if (e.result) e.result.mask = null;
      }
      const chartRows = entries.map((e) => ({
        mode: e.mode,
        totalMs: e.state === 'done' ? e.result.totalMs : null,
        blockBytes: e.state === 'done' ? e.result.cost?.peakBytes : null,
        refusedBytes: e.state === 'refused' ? e.cost?.refusedBytes ?? null : null,
        note: cellText(e),
      }));
      this.#setCharts((width) => renderCompareChart(this.ui.chart, chartRows, width));
      const scored = Boolean(photo.truth);
      this.#fillTable(
        ['Mode', 'Total', heldOutHeading(), ...(scored ? ['IoU, this photo'] : []),
          'Inference', 'Block memory', 'Largest buffer', 'FLOPs', 'Feature map', 'Note'],
        entries.map((e) => {
          const r = e.result;
          const cost = r?.cost ?? e.cost;
          return [
            e.mode,
            { text: cellText(e), className: 'num' },
            { text: formatQuality(qualityAt(this.metrics, e.mode, size)), title: QUALITY_NOTE, className: 'num quality' },
            ...(scored ? [{ text: e.truthIou != null ? e.truthIou.toFixed(3) : '–', className: 'num quality' }] : []),
            { text: r ? formatMs(r.inferenceMs) : '–', className: 'num' },
            { text: cost ? formatBytes(cost.peakBytes) : '–', className: 'num' },
            { text: cost ? formatBytes(cost.largestBufferBytes) : '–', className: 'num' },
            { text: cost ? formatFlops(cost.flops) : '–', className: 'num' },
            { text: cost ? formatSize(cost.featureWidth, cost.featureHeight) : '–', className: 'num' },
            { text: e.message ?? (r?.warmed ? 'after a warm-up run' : ''), title: e.message ?? '' },
          ];
        }),
      );
    };
    this.#noteQuality(Boolean(photo.truth));
    render();
    this.#reveal();
    await this.#runEntries(entries, photo, render);
    const ok = entries.filter((e) => e.state === 'done').length;
    const onGpu = this.engine.info?.backend === 'webgpu';
    this.#finish(
      `${ok} of ${entries.length} modes ran on ${onGpu ? 'WebGPU' : 'the CPU'}` +
        (this.cancelled ? ' (cancelled)' : '') +
        `. Times: ${TIMING_NOTE}. Block memory is the attention block’s peak` +
        (entries.some((e) => e.state === 'refused') ? '; an outlined bar is what a refused mode would have needed.' : '.'),
    );
  }

  /** Runs every mode at every sweep size on the photo in view. */
  async resolutionSweep() {
    const photo = this.selectedPhoto();
    if (!photo?.canvas) return;
    const sizes = this.ui.sweep2048.checked ? [...this.sweepSizes, this.extraSize] : [...this.sweepSizes];
    const entries = this.modes.flatMap((mode) => sizes.map((size) => ({ mode, size, state: 'queued' })));
    this.#start('sweep', `Resolution sweep · ${photo.name}`);
    this.grid.reset(null);
    const render = () => {
      this.ui.status.textContent = progressText(entries, (e) => `${e.mode} at ${e.size} px`);
      const series = this.modes.map((mode) => ({
        mode,
        points: entries
          .filter((e) => e.mode === mode)
          .map((e) => ({
            size: e.size,
            ms: e.state === 'done' ? e.result.totalMs : null,
            refused: e.state === 'refused' ? e.message : null,
          })),
      }));
      const points = entries.map((e) => ({
        mode: e.mode,
        size: e.size,
        ms: e.state === 'done' ? e.result.totalMs : null,
        iou: qualityAt(this.metrics, e.mode, e.size)?.composite?.iou ?? null,
      }));
      this.#setCharts((width) => {
        renderSweepChart(this.ui.chart, { sizes, series }, width);
        this.ui.chart.append(tradeoffChart(points, width));
      });
      this.#fillTable(
        ['Mode', ...sizes.map((s) => `${s} px`), ...sizes.map((s) => heldOutHeading(s))],
        this.modes.map((mode) => [
          mode,
          ...sizes.map((size) => {
            const e = entries.find((x) => x.mode === mode && x.size === size);
            return { text: cellText(e), title: e.message ?? '', className: `num state-${e.state}` };
          }),
          ...sizes.map((size) => ({
            text: formatQuality(qualityAt(this.metrics, mode, size)), title: QUALITY_NOTE, className: 'num quality',
          })),
        ]),
      );
    };
    this.#noteQuality(false);
    render();
    this.#reveal();
    await this.#runEntries(entries, photo, render);
    const ok = entries.filter((e) => e.state === 'done').length;
    this.#finish(
      `${ok} of ${entries.length} runs done` +
        (this.cancelled ? ' (cancelled)' : '') +
        `. Total times: ${TIMING_NOTE}` +
        (entries.some((e) => e.state === 'refused') ? '; × marks a refused run, its reason under the chart.' : '.'),
    );
  }

  #renderButtons() {
    const canStart = this.available && !this.running;
    this.ui.compare.disabled = !canStart;
    this.ui.sweep.disabled = !canStart;
    this.ui.cancel.disabled = !this.running;
  }

  #start(kind, title) {
    this.running = true;
    this.cancelled = false;
    const { panel } = this.ui;
    panel.hidden = false;
    panel.dataset.kind = kind;
    panel.dataset.state = 'running';
    this.ui.title.textContent = title;
    this.#renderButtons();
  }

  /**
   * Brings the panel, drawn for the first time, into view and gives its heading the focus: the
   * button just pressed is disabled while the analysis runs.
   */
  #reveal() {
    this.ui.panel.scrollIntoView({ block: 'start', behavior: 'instant' });
    this.ui.title.focus({ preventScroll: true });
  }

  /** Draws the charts with `draw(width)` now and whenever their box changes width. */
  #setCharts(draw) {
    this.drawCharts = draw;
    this.chartsDrawnAt = 0;
    this.#redrawCharts();
  }

  #redrawCharts() {
    const width = chartWidth(this.ui.chart.clientWidth);
    if (!this.drawCharts || width === this.chartsDrawnAt) return;
    this.chartsDrawnAt = width;
    this.drawCharts(width);
  }

  /** Says under the table what its quality figures are (`thisPhoto`: with the photo's own). */
  #noteQuality(thisPhoto) {
    this.ui.tableNote.textContent = thisPhoto ? `${QUALITY_NOTE} ${THIS_PHOTO_NOTE}` : QUALITY_NOTE;
  }

  #finish(status) {
    this.running = false;
    this.ui.panel.dataset.state = this.cancelled ? 'cancelled' : 'done';
    this.ui.status.textContent = status;
    this.#renderButtons();
  }

  /** Queues one job per entry (mode and size) and waits for all of them. */
  #runEntries(entries, photo, render) {
    return this.queue.runJobs(entries.map((entry) => async () => {
      if (this.cancelled || !this.isPresent(photo)) {
        entry.state = 'cancelled';
        render();
        return;
      }
      entry.state = 'running';
      render();
      await afterNextFrame();
      if (this.cancelled) {
        entry.state = 'cancelled';
        render();
        return;
      }
      try {
        this.measuring = true;
        entry.result = await this.#measure(photo, entry.mode, entry.size);
        entry.state = 'done';
      } catch (err) {
        if (this.cancelled) {
          // Stopped by Cancel (the worker replaced under it), not failed.
          entry.state = 'cancelled';
        } else {
          entry.state = err.kind === 'refused' ? 'refused' : 'error';
          entry.message = err.message;
          // What a refused run would have needed is worth a row of its own.
          if (err.kind === 'refused' && photo.canvas) {
            entry.cost = await this.engine
              .costAt(entry.mode, photo.canvas.width, photo.canvas.height, entry.size)
              .then((answer) => answer.cost, () => null);
          }
        }
      } finally {
        this.measuring = false;
      }
      render();
    }));
  }

  /**
   * Runs `mode` at `size` and returns the run with the median total of ANALYSIS_TIMING's runs
   * (one run where it is slow). A first run of that mode at that size is not counted: on
   * WebGPU it compiles the shaders, on the CPU it grows the module's memory (fresh pages, each
   * faulted in: 109 against 76 ms for none at 1024 px) and sets up the attention block (dot at
   * 256 px: 19 against 7 ms), costs that would fall on whichever mode a sweep runs first.
   */
  async #measure(photo, mode, size) {
    // Decoded again before each run: a run that grew the memory past the limit has the worker
    // replaced (engine.js), and the fresh worker has not seen the photo.
    const segment = async () => {
      if (!(await this.queue.ensureDecoded(photo))) throw new Error(photo.error ?? 'the photo could not be decoded');
      if (this.cancelled) throw new Error('the analysis was cancelled');
      return this.engine.segmentImage(photo.id, mode, size);
    };
    const first = await segment();
    const runs = first.first ? [await segment()] : [first];
    while (runs.length < ANALYSIS_TIMING.runs && runs[0].totalMs < ANALYSIS_TIMING.singleRunMs) {
      runs.push(await segment());
    }
    runs.sort((a, b) => a.totalMs - b.totalMs);
    return { ...runs[(runs.length - 1) >> 1], warmed: first.first };
  }

  #fillTable(head, rows) {
    const thead = document.createElement('thead');
    const tr = document.createElement('tr');
    head.forEach((h, i) => {
      const th = Object.assign(document.createElement('th'), { scope: 'col', textContent: h });
      // Numeric columns are right-aligned, headers included.
      if (String(rows[0]?.[i]?.className ?? '').split(' ').includes('num')) th.className = 'num';
      tr.append(th);
    });
    thead.append(tr);
    const tbody = document.createElement('tbody');
    for (const row of rows) {
      const r = document.createElement('tr');
      row.forEach((cell, i) => {
        const td = document.createElement(i === 0 ? 'th' : 'td');
        // A narrow screen shows each row as a card, every cell under its column's name.
        td.dataset.label = head[i];
        if (i === 0) {
          td.scope = 'row';
          const swatch = Object.assign(document.createElement('span'), { className: 'swatch' });
          swatch.style.background = modeColour(cell);
          td.append(swatch, document.createTextNode(cell));
        } else if (cell && typeof cell === 'object') {
          td.textContent = cell.text;
          if (cell.title) td.title = cell.title;
          if (cell.className) td.className = cell.className;
        } else {
          td.textContent = cell ?? '–';
        }
        r.append(td);
      });
      tbody.append(r);
    }
    this.ui.table.replaceChildren(thead, tbody);
  }
}

/**
 * Resolves once the browser has drawn its next frame (the progress just rendered), so that
 * drawing the page does not share the cores with the run timed next: without it the first run
 * of an analysis, which opens the panel, took 10 ms where later runs of the same mode took 6–7.
 * A hidden tab draws nothing (and gives no frames): there it resolves at once, and when the
 * tab is hidden while it waits.
 */
function afterNextFrame() {
  if (document.hidden) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      document.removeEventListener('visibilitychange', done);
      resolve();
    };
    document.addEventListener('visibilitychange', done);
    requestAnimationFrame(() => setTimeout(done, 0));
  });
}

/** How the analyses' times were taken (#measure), as the finished panel says. */
const TIMING_NOTE =
  `the median of ${ANALYSIS_TIMING.runs} runs (one run where it took ${ANALYSIS_TIMING.singleRunMs / 1000} s or more), ` +
  'after an untimed run of a mode and size not run before (shaders compiled, memory grown)';

/** "Running <what> (n of m)…" while an entry runs, else nothing. */
function progressText(entries, describe) {
  const done = entries.filter((e) => !['queued', 'running'].includes(e.state)).length;
  const running = entries.find((e) => e.state === 'running');
  return running ? `Running ${describe(running)} (${done + 1} of ${entries.length})…` : '';
}

/** An entry's cell: its time once done, else its state. */
function cellText(entry) {
  if (entry.state === 'done') return formatMs(entry.result.totalMs);
  if (entry.state === 'refused') return 'refused';
  if (entry.state === 'error') return 'error';
  if (entry.state === 'running') return 'running…';
  if (entry.state === 'cancelled') return 'cancelled';
  return 'queued';
}
