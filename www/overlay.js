// Drawing a photo and its mask: the overlay (mask tinted in a colour at an opacity over the
// photo), the mask itself (grey levels), the cut-out (the photo with the mask as its alpha,
// over a checkerboard), and the person over a blurred background or over a colour or another
// photo in its place; PNG downloads of the mask (one grey channel, www/png.js) and the
// cut-out. The canvas is drawn at the photo's full resolution and scaled by CSS; its box is told
// the photo's shape (--photo-aspect), which the style sheet follows on narrow screens.
// Owns: the canvas it was given, the canvases it makes and a download's passing link. Must not
// touch: the photo records, the queue or the settings (it is told the photo, the mask and the
// display settings).

import { greyPng } from './png.js';

/** A canvas holding RGBA pixels. */
export function rgbaCanvas(rgba, width, height) {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const pixels = new ImageData(new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.byteLength), width, height);
  canvas.getContext('2d').putImageData(pixels, 0, 0);
  return canvas;
}

/** A small copy of `source` whose longer side is at most `side` pixels. */
export function thumbnailCanvas(source, side) {
  const scale = Math.min(1, side / Math.max(source.width, source.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(source.width * scale));
  canvas.height = Math.max(1, Math.round(source.height * scale));
  const ctx = canvas.getContext('2d');
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
  return canvas;
}

function hexToRgb(hex) {
  const value = Number.parseInt(hex.replace('#', ''), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}

/** The mask as grey levels, opaque: exactly the bytes the model returned. */
function greyCanvas(mask, width, height) {
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0, j = 0; i < mask.length; i += 1, j += 4) {
    rgba[j] = rgba[j + 1] = rgba[j + 2] = mask[i];
    rgba[j + 3] = 255;
  }
  return rgbaCanvas(rgba, width, height);
}

/** The mask as alpha over a flat colour: the tint of the overlay, the stencil of the cut-out. */
function alphaCanvas(mask, width, height, colour) {
  const [r, g, b] = hexToRgb(colour);
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0, j = 0; i < mask.length; i += 1, j += 4) {
    rgba[j] = r;
    rgba[j + 1] = g;
    rgba[j + 2] = b;
    rgba[j + 3] = mask[i];
  }
  return rgbaCanvas(rgba, width, height);
}

function toPng(canvas) {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the PNG could not be encoded'))), 'image/png');
  });
}

/** Draws `source` to cover a `width × height` canvas, centred, its shape kept (cropped to fit). */
function drawCovering(ctx, source, width, height) {
  const scale = Math.max(width / source.width, height / source.height);
  const [w, h] = [source.width * scale, source.height * scale];
  ctx.drawImage(source, (width - w) / 2, (height - h) / 2, w, h);
}

/** Offers `blob` as a download named `filename`. */
export function downloadBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Draws one photo and its mask into a canvas, in one of three views. */
export class Overlay {
  /** @param {HTMLCanvasElement} canvas */
  constructor(canvas) {
    this.canvas = canvas;
    this.photo = null;
    this.mask = null;
    this.view = 'overlay';
    this.opacity = 0.55;
    this.colour = '#00c878'; // the CLI's overlay colour; the page sets its picker's value at start
    this.grey = null;
    this.tint = null;
    this.person = null;
    this.heat = null;
    /** The blur view's radius, in pixels of a 1000-pixel photo. */
    this.blur = 12;
    /** The replace view's background: a photo (a canvas), or null for the colour. */
    this.background = null;
    // Scale the canvas (up or down) to fit its box, keeping the photo's aspect ratio.
    this.resizer = new ResizeObserver(() => this.#fit());
    if (canvas.parentElement) this.resizer.observe(canvas.parentElement);
    this.draw();
  }

  #fit() {
    const { canvas, photo } = this;
    const box = canvas.parentElement;
    if (!photo || !box) return;
    const style = getComputedStyle(box);
    const width = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const height = box.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
    const scale = Math.min(width / photo.width, height / photo.height);
    if (!(scale > 0)) return;
    canvas.style.width = `${Math.floor(photo.width * scale)}px`;
    canvas.style.height = `${Math.floor(photo.height * scale)}px`;
  }

  /** The photo (a canvas from rgbaCanvas) or null; clears the mask and the heat map. */
  setPhoto(photo) {
    if (photo === this.photo) return;
    this.photo = photo;
    this.mask = null;
    this.heat = null;
    this.grey = null;
    this.tint = null;
    this.person = null;
    this.draw();
  }

  /** The mask (width*height bytes, 0..255) for the current photo, or null. */
  setMask(mask) {
    if (mask && this.photo && mask.length !== this.photo.width * this.photo.height) {
      throw new Error(`a ${mask.length}-byte mask does not fit a ${this.photo.width}×${this.photo.height} photo`);
    }
    if (mask === this.mask) return;
    this.mask = mask;
    this.grey = null;
    this.tint = null;
    this.person = null;
    this.draw();
  }

  setView(view) {
    this.view = view;
    this.draw();
  }

  /**
   * A heat map drawn over everything else, or null: { grid (a canvas, one pixel a cell),
   * width, height (the grid's extent in the photo's pixels, from its top left), cell: [x, y, w, h]
   * (the cell pointed at, in the photo's pixels, outlined), opacity (the grid's, 0–1) }.
   */
  setHeat(heat) {
    this.heat = heat;
    this.draw();
  }

  /** Client coordinates (a pointer's) as the photo's pixels; null without a photo. */
  photoPoint(clientX, clientY) {
    if (!this.photo) return null;
    const rect = this.canvas.getBoundingClientRect();
    if (!(rect.width > 0 && rect.height > 0)) return null;
    return {
      x: ((clientX - rect.left) * this.photo.width) / rect.width,
      y: ((clientY - rect.top) * this.photo.height) / rect.height,
    };
  }

  /** The blur view's radius, in pixels of a 1000-pixel photo (scaled to the photo's size). */
  setBlur(blur) {
    this.blur = blur;
    this.draw();
  }

  /** The replace view's background: a photo (a canvas), or null for the colour. */
  setBackground(background) {
    this.background = background;
    this.draw();
  }

  setOpacity(opacity) {
    this.opacity = opacity;
    this.draw();
  }

  setColour(colour) {
    this.colour = colour;
    this.tint = null;
    this.person = null;
    this.draw();
  }

  get hasMask() {
    return Boolean(this.photo && this.mask);
  }

  #greyMask() {
    this.grey ??= greyCanvas(this.mask, this.photo.width, this.photo.height);
    return this.grey;
  }

  #tintMask() {
    this.tint ??= alphaCanvas(this.mask, this.photo.width, this.photo.height, this.colour);
    return this.tint;
  }

  /** The person alone (the cut-out), kept while the photo and the mask stay: the blur and
   *  replace views draw it at every redraw (a pointer move with the heat map on). */
  #person() {
    if (!this.person) {
      this.person = document.createElement('canvas');
      this.person.width = this.photo.width;
      this.person.height = this.photo.height;
      this.#cutout(this.person);
    }
    return this.person;
  }

  /** The photo with the mask as its alpha. */
  #cutout(target) {
    const ctx = target.getContext('2d');
    ctx.clearRect(0, 0, target.width, target.height);
    ctx.drawImage(this.photo, 0, 0);
    ctx.globalCompositeOperation = 'destination-in';
    ctx.drawImage(this.#tintMask(), 0, 0);
    ctx.globalCompositeOperation = 'source-over';
    return target;
  }

  draw() {
    const { canvas, photo, mask } = this;
    canvas.dataset.view = this.view;
    canvas.dataset.hasMask = String(Boolean(photo && mask));
    if (!photo) {
      canvas.width = 0;
      canvas.height = 0;
      canvas.style.width = '';
      canvas.style.height = '';
      canvas.parentElement?.style.removeProperty('--photo-aspect');
      return;
    }
    if (canvas.width !== photo.width || canvas.height !== photo.height) {
      canvas.width = photo.width;
      canvas.height = photo.height;
      // The box's shape where the style sheet lets it follow the photo (narrow screens).
      canvas.parentElement?.style.setProperty('--photo-aspect', `${photo.width} / ${photo.height}`);
      this.#fit();
    }
    this.#render(canvas);
    this.#drawHeat(canvas.getContext('2d'));
  }

  /** The photo in the current view into `target` (the photo's size), without the heat map. */
  #render(target) {
    const { photo, mask } = this;
    const ctx = target.getContext('2d');
    ctx.globalAlpha = 1;
    ctx.globalCompositeOperation = 'source-over';
    ctx.clearRect(0, 0, target.width, target.height);
    if (!mask) {
      ctx.drawImage(photo, 0, 0);
    } else if (this.view === 'mask') {
      ctx.drawImage(this.#greyMask(), 0, 0);
    } else if (this.view === 'cutout') {
      this.#cutout(target);
    } else if (this.view === 'blur' || this.view === 'replace') {
      if (this.view === 'blur') {
        ctx.filter = `blur(${(this.blur * Math.max(photo.width, photo.height)) / 1000}px)`;
        ctx.drawImage(photo, 0, 0);
        ctx.filter = 'none';
      } else if (this.background?.width > 0) {
        drawCovering(ctx, this.background, target.width, target.height);
      } else {
        ctx.fillStyle = this.colour;
        ctx.fillRect(0, 0, target.width, target.height);
      }
      ctx.drawImage(this.#person(), 0, 0);
    } else {
      ctx.drawImage(photo, 0, 0);
      ctx.globalAlpha = this.opacity;
      ctx.drawImage(this.#tintMask(), 0, 0);
      ctx.globalAlpha = 1;
    }
  }

  #drawHeat(ctx) {
    const { heat } = this;
    if (!heat) return;
    ctx.imageSmoothingEnabled = false;
    ctx.globalAlpha = heat.opacity ?? 1;
    ctx.drawImage(heat.grid, 0, 0, heat.width, heat.height);
    ctx.globalAlpha = 1;
    ctx.imageSmoothingEnabled = true;
    const [x, y, w, h] = heat.cell;
    ctx.lineWidth = Math.max(2, Math.round(Math.max(this.photo.width, this.photo.height) / 300));
    ctx.strokeStyle = '#ffffff';
    ctx.strokeRect(x, y, w, h);
  }

  /** The mask as a PNG: one grey channel, the photo's size, exactly the model's bytes. */
  maskPng() {
    if (!this.hasMask) return Promise.reject(new Error('there is no mask yet'));
    return greyPng(this.mask, this.photo.width, this.photo.height);
  }

  /** The current view as a PNG, the photo's size (without the heat map). */
  viewPng() {
    if (!this.hasMask) return Promise.reject(new Error('there is no mask yet'));
    const target = document.createElement('canvas');
    target.width = this.photo.width;
    target.height = this.photo.height;
    this.#render(target);
    return toPng(target);
  }

  /** The cut-out as a PNG (the photo, transparent where the mask says background). */
  cutoutPng() {
    if (!this.hasMask) return Promise.reject(new Error('there is no mask yet'));
    const target = document.createElement('canvas');
    target.width = this.photo.width;
    target.height = this.photo.height;
    return toPng(this.#cutout(target));
  }
}
