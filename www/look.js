// "What does it look at?": while it is on, pointing at (or tapping) the photo shows over it the
// weights with which the attention block gathers context for the stride-16 cell under the
// pointer, in the current mode and at the current size, coloured on a log scale over the map's
// own range (a colour scale under the photo says what its ends mean) at an opacity of its own.
// The worker computes them (src/look.rs: the encoder and the block's queries and keys once per
// photo, mode and size; then one cell's weights per pointer move); this module asks, one request
// at a time (the latest pointer position wins), and paints the answer.
// Owns: the look toggle, its status line, its colour scale and opacity slider, the pointer
// listeners on the view and the heat layer it hands the overlay. Must not touch: the photo
// records, the queue's runs or the settings.

/** Decades of weight the heat map spans at most below the largest: smaller weights are not drawn. */
export const HEAT_DECADES = 3;

/**
 * The range the heat map's colours span: from an even share of the weights (their mean: what
 * each cell would get from a block that looked everywhere alike), or HEAT_DECADES below the
 * largest where that is more, to the largest. A block whose weights are spread (linear,
 * efficient) so colours only the cells it favours, over its few-fold range.
 * @returns {{ low: number, high: number, even: number }}
 */
export function heatRange(weights) {
  let high = 0;
  let sum = 0;
  for (const w of weights) {
    if (w > high) high = w;
    sum += w;
  }
  const even = weights.length ? sum / weights.length : 0;
  return { low: Math.max(even, high / 10 ** HEAT_DECADES), high, even };
}

/**
 * The heat map's colour for a weight `w` in `range` (heatRange's), on a log scale (the weights of
 * a trained block span decades: a linear scale would show its peak alone): transparent at the
 * low end and below, then dark red to opaque yellow at the high end.
 */
export function heatColour(w, { low, high }) {
  if (!(w > 0 && high > 0) || w < low) return [0, 0, 0, 0];
  const t = high > low ? Math.min(1, Math.log(w / low) / Math.log(high / low)) : 1;
  return [Math.round(120 + 135 * Math.min(1, 1.5 * t)), Math.round(255 * t * t), 0, Math.round(230 * t)];
}

/** A canvas of `width × height` pixels, one a cell, coloured by `weights` (row-major) in `range`. */
function heatGrid(weights, width, height, range) {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(width, height);
  for (let i = 0; i < weights.length; i++) image.data.set(heatColour(weights[i], range), 4 * i);
  ctx.putImageData(image, 0, 0);
  return canvas;
}

/** A weight as a share of the cell's context: "0.25 %". */
function percent(weight) {
  const value = 100 * weight;
  return `${value >= 1 ? value.toFixed(1) : value.toPrecision(2)} %`;
}

/** The index of the largest weight. */
function peakOf(weights) {
  let peak = 0;
  for (let i = 1; i < weights.length; i++) if (weights[i] > weights[peak]) peak = i;
  return peak;
}

export class LookAt {
  /**
   * @param {{
   *   elements: { toggle: HTMLInputElement, status: HTMLElement, view: HTMLCanvasElement,
   *     opacity: HTMLInputElement, opacityValue: HTMLElement, scale: HTMLElement,
   *     low: HTMLElement, high: HTMLElement },
   *   engine: import('./linseg.js').Segmenter,
   *   overlay: import('./overlay.js').Overlay,
   *   ensureDecoded: (photo: object) => Promise<boolean>,
   *   selectedPhoto: () => object | null,
   *   settings: () => { mode: string, size: number },
   * }} options
   */
  constructor({ elements, engine, overlay, ensureDecoded, selectedPhoto, settings }) {
    this.ui = elements;
    this.engine = engine;
    this.overlay = overlay;
    this.ensureDecoded = ensureDecoded;
    this.selectedPhoto = selectedPhoto;
    this.settings = settings;
    /** { key, photo, mode, size, grid…, attends, ms } of the photo the worker holds, or null. */
    this.prepared = null;
    /** The preparation under way: a promise of `prepared`. */
    this.preparing = null;
    /** The pointer position not yet asked about ({ x, y } in the photo's pixels). */
    this.pending = null;
    this.asking = false;
    /** How many answers were painted (the status line's data-update, for tests). */
    this.updates = 0;
    /** The heat layer last handed to the overlay, or null. */
    this.heat = null;
    elements.toggle.addEventListener('change', () => this.refresh());
    elements.opacity.addEventListener('input', () => {
      elements.opacityValue.textContent = `${elements.opacity.value}%`;
      if (this.heat) this.#setHeat({ ...this.heat, opacity: this.#opacity() });
    });
    const follow = (event) => this.#point(event);
    elements.view.addEventListener('pointermove', follow);
    elements.view.addEventListener('pointerdown', follow);
    this.#say('');
  }

  get on() {
    return this.ui.toggle.checked;
  }

  /** Brings the look up to date with the photo in view and the settings (call on any change). */
  refresh() {
    this.ui.view.dataset.look = String(this.on);
    this.ui.opacity.disabled = !this.on;
    this.#setHeat(null);
    this.pending = null;
    if (!this.on) {
      this.#say('');
      return;
    }
    const photo = this.selectedPhoto();
    if (!photo?.canvas) {
      this.#say('Add a photo, then point at it.');
      return;
    }
    this.#prepare(photo).catch(() => {});
  }

  /** What a prepared look is good for: the photo, the settings, and the worker that holds it. */
  #key(photo) {
    const { mode, size } = this.settings();
    return `${photo.id}/${mode}/${size}/${this.engine.generation}`;
  }

  /** The worker's look at `photo` with the current settings, prepared once. */
  async #prepare(photo) {
    const key = this.#key(photo);
    if (this.prepared?.key === key) {
      this.#sayReady();
      return this.prepared;
    }
    if (this.preparing?.key === key) return this.preparing.promise;
    const { mode, size } = this.settings();
    this.prepared = null;
    this.#say(`Preparing ${mode} at ${size} px…`);
    const promise = (async () => {
      if (!(await this.ensureDecoded(photo))) throw new Error(photo.error ?? 'the photo could not be decoded');
      const started = performance.now();
      const value = await this.engine.prepareLook(photo.id, mode, size);
      return { key, photo, mode, size, ...value, roundTripMs: performance.now() - started };
    })();
    this.preparing = { key, promise };
    try {
      const prepared = await promise;
      if (this.preparing?.key !== key) return prepared;
      this.prepared = prepared;
      this.#sayReady();
      return prepared;
    } catch (err) {
      if (this.preparing?.key === key) {
        // The worker was replaced under it (a run stopped for newer settings, a crash): the
        // fresh one is asked again once it is ready.
        if (err?.kind === 'cancelled' || err?.kind === 'crashed') this.engine.ready.then(() => this.refresh(), () => {});
        else this.#say(`Could not look: ${err?.message ?? err}`, 'error');
      }
      throw err;
    } finally {
      if (this.preparing?.key === key) this.preparing = null;
    }
  }

  #sayReady() {
    const p = this.prepared;
    if (!p.attends) {
      this.#say(`${p.mode} has no attention block: it gathers no context, so there is nothing to show.`);
      return;
    }
    this.#say(`Point at the photo: ${p.mode} at ${p.size} px attends over ${p.gridWidth} × ${p.gridHeight} cells (prepared in ${p.roundTripMs.toFixed(0)} ms).`);
  }

  #point(event) {
    if (!this.on) return;
    const point = this.overlay.photoPoint(event.clientX, event.clientY);
    if (!point) return;
    this.pending = point;
    this.#ask();
  }

  /** Asks for the latest pointer position, one request at a time. */
  async #ask() {
    if (this.asking) return;
    this.asking = true;
    try {
      while (this.pending && this.on) {
        const point = this.pending;
        this.pending = null;
        const photo = this.selectedPhoto();
        if (!photo?.canvas) break;
        const prepared = await this.#prepare(photo);
        if (!prepared.attends || this.prepared !== prepared) continue;
        const started = performance.now();
        let looked;
        try {
          looked = await this.engine.lookAt(point.x, point.y);
        } catch (err) {
          // A worker replaced meanwhile (a restart, or the memory given back) holds no look:
          // prepare again in the new one and ask for the same point.
          if (this.#key(photo) === prepared.key) throw err;
          this.pending ??= point;
          continue;
        }
        const roundTripMs = performance.now() - started;
        if (this.prepared !== prepared || this.selectedPhoto() !== photo) continue;
        if (looked) this.#show(prepared, looked, roundTripMs);
      }
    } catch (err) {
      this.prepared = null;
      this.#say(`Could not look: ${err?.message ?? err}`, 'error');
    } finally {
      this.asking = false;
    }
  }

  #show(prepared, { column, row, weights, ms }, roundTripMs) {
    const { gridWidth, gridHeight, cellWidth, cellHeight } = prepared;
    const range = heatRange(weights);
    this.#setHeat({
      grid: heatGrid(weights, gridWidth, gridHeight, range),
      width: gridWidth * cellWidth,
      height: gridHeight * cellHeight,
      cell: [column * cellWidth, row * cellHeight, cellWidth, cellHeight],
      opacity: this.#opacity(),
      range,
    });
    const peak = peakOf(weights);
    const status = this.ui.status;
    status.dataset.column = String(column);
    status.dataset.row = String(row);
    status.dataset.peak = String(peak);
    status.dataset.sum = weights.reduce((a, b) => a + b, 0).toFixed(4);
    status.dataset.ms = ms.toFixed(3);
    status.dataset.update = String(++this.updates);
    this.#say(
      `${prepared.mode}: cell (${column}, ${row}) of ${gridWidth} × ${gridHeight} gathers most from cell ` +
        `(${peak % gridWidth}, ${Math.floor(peak / gridWidth)}) · ${ms.toFixed(2)} ms to compute, ` +
        `${roundTripMs.toFixed(1)} ms per update`,
    );
  }

  #opacity() {
    return Number(this.ui.opacity.value) / 100;
  }

  /** Hands `heat` (null: none) to the overlay, and shows its colour scale while there is one. */
  #setHeat(heat) {
    this.heat = heat;
    this.overlay.setHeat(heat);
    const { scale, low, high } = this.ui;
    scale.hidden = !heat;
    if (!heat) return;
    const { range } = heat;
    scale.dataset.low = String(range.low);
    scale.dataset.high = String(range.high);
    const fold = range.high / range.low;
    low.textContent = range.low > range.even
      ? `${percent(range.low)} or less: no colour`
      : `${percent(range.low)} (an even share) or less: no colour`;
    high.textContent = `${percent(range.high)}: full colour · a cell’s share of the context, on a log scale ` +
      `over this map’s ${fold < 10 ? fold.toFixed(1) : Math.round(fold)}-fold range`;
  }

  #say(text, kind = 'info') {
    const status = this.ui.status;
    status.textContent = text;
    status.hidden = !text;
    status.dataset.kind = kind;
  }
}
