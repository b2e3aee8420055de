// "All modes side by side": the photo's masks from every mode of a Compare modes run in a grid,
// each tile the photo with its mask, where the mode differs from `none` marked (gained in
// orange, lost in magenta), with its time and how much of the photo it changes.
// Owns: the grid's tiles. Must not touch: the runs (analyses.js gives it their masks) or the
// photo records.

import { formatMs } from './format.js';
import { iouAgainst, maskAgreement } from './quality.js';

/** The longer side of a tile, in pixels. */
export const TILE = 240;

/** Person pixels (≥ 128) where `mask` and `reference` (same size) disagree, as counts and a share. */
export function maskDifference(mask, reference) {
  const { maskOnly: gained, referenceOnly: lost } = maskAgreement(mask, reference);
  return { gained, lost, share: mask.length ? (gained + lost) / mask.length : 0 };
}

/** A mask sampled (nearest) to `width × height`. */
function sample(mask, maskWidth, maskHeight, width, height) {
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = Math.min(maskHeight - 1, Math.floor(((y + 0.5) * maskHeight) / height)) * maskWidth;
    for (let x = 0; x < width; x++) {
      out[y * width + x] = mask[row + Math.min(maskWidth - 1, Math.floor(((x + 0.5) * maskWidth) / width))];
    }
  }
  return out;
}

/** Tints of a tile: person in both, gained against none, lost against none. */
const TINTS = { person: [0, 200, 120], gained: [255, 140, 0], lost: [230, 0, 180] };

/** The grid of a Compare modes run, filled as its runs finish. */
export class MaskGrid {
  /** @param {HTMLElement} container  emptied and filled with one figure per mode */
  constructor(container) {
    this.container = container;
    this.photo = null;
    this.reference = null;
  }

  /**
   * Starts a grid for `photo` (a canvas) over `modes`, with the photo's true mask where it has
   * one (each tile then says its IoU); `null` hides it.
   */
  reset(photo, modes = [], truth = null) {
    this.photo = photo;
    this.truth = truth;
    this.reference = null;
    this.tiles = new Map();
    this.container.replaceChildren();
    this.container.hidden = !photo;
    if (!photo) return;
    const legend = Object.assign(document.createElement('p'), {
      className: 'muted mask-legend',
      textContent: 'Every mode’s mask side by side. Green: a person for both this mode and none; orange: for this mode only; magenta: for none only.',
    });
    this.container.append(legend);
    const scale = TILE / Math.max(photo.width, photo.height);
    this.size = [Math.max(1, Math.round(photo.width * scale)), Math.max(1, Math.round(photo.height * scale))];
    for (const mode of modes) {
      const figure = Object.assign(document.createElement('figure'), { className: 'mask-tile' });
      figure.dataset.testid = 'mode-mask';
      figure.dataset.mode = mode;
      figure.dataset.state = 'queued';
      const canvas = Object.assign(document.createElement('canvas'), { width: this.size[0], height: this.size[1] });
      const caption = Object.assign(document.createElement('figcaption'), { textContent: `${mode} · queued` });
      figure.append(canvas, caption);
      this.container.append(figure);
      this.tiles.set(mode, { figure, canvas, caption });
    }
  }

  /**
   * Shows `mode`'s run: `result` (the engine's answer: mask, totalMs) or null with `state` and
   * `message`. `none`'s mask, once given, is what the others are compared with.
   */
  show(mode, result, state, message = '') {
    const tile = this.tiles?.get(mode);
    if (!tile) return;
    tile.figure.dataset.state = state;
    if (!result) {
      tile.caption.textContent = `${mode} · ${message || state}`;
      return;
    }
    const { width, height } = this.photo;
    if (mode === 'none') this.reference = result.mask;
    const difference = this.reference && mode !== 'none' ? maskDifference(result.mask, this.reference) : null;
    this.#paint(tile.canvas, result.mask, mode === 'none' ? null : this.reference);
    tile.figure.dataset.differs = difference ? difference.share.toFixed(4) : mode === 'none' ? '0' : '';
    const changed = difference
      ? ` · differs from none on ${(100 * difference.share).toFixed(1)}% (+${percent(difference.gained, width * height)} −${percent(difference.lost, width * height)})`
      : '';
    const iou = this.truth ? iouAgainst(result.mask, this.truth) : null;
    if (iou != null) tile.figure.dataset.iou = iou.toFixed(3);
    const scored = iou != null ? ` · this photo: IoU ${iou.toFixed(3)} against its true mask` : '';
    tile.caption.textContent = `${mode} · ${formatMs(result.totalMs)}${scored}${changed}`;
  }

  /** The photo at tile size with `mask` tinted over it, differences from `reference` marked. */
  #paint(canvas, mask, reference) {
    const [w, h] = this.size;
    const { width, height } = this.photo;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(this.photo, 0, 0, w, h);
    const image = ctx.getImageData(0, 0, w, h);
    const m = sample(mask, width, height, w, h);
    const r = reference ? sample(reference, width, height, w, h) : null;
    for (let i = 0; i < m.length; i++) {
      const a = m[i] >= 128;
      const b = r ? r[i] >= 128 : a;
      const tint = a && b ? TINTS.person : a ? TINTS.gained : b ? TINTS.lost : null;
      if (!tint) continue;
      const alpha = a && b ? 0.45 : 0.85;
      for (let c = 0; c < 3; c++) image.data[4 * i + c] = Math.round(image.data[4 * i + c] * (1 - alpha) + tint[c] * alpha);
    }
    ctx.putImageData(image, 0, 0);
  }
}

function percent(count, total) {
  return `${((100 * count) / total).toFixed(1)}%`;
}
