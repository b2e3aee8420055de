// Drawing the live camera: the newest mask over the frame it was computed from (the live video
// until the first mask, or where no copy of the frame came with it). Views:
// overlay (the mask tinted in a colour at an opacity), mask (grey levels), cut-out (the person
// over a checkerboard), blur (the background through canvas `filter: blur()`, the person sharp
// over it) and replace (the person over a colour or one of the photos). Optional temporal
// smoothing: an exponential moving average of the mask over frames.
// Owns: its canvases. Must not touch: the stream, the worker or the rest of the page.

/** How much of each new mask the smoothed one takes (exponential moving average). */
export const SMOOTHING_ALPHA = 0.5;
/** The background blur's radius, in pixels of the video. */
const BLUR_PX = 12;

function layer() {
  return document.createElement('canvas');
}

function fitTo(canvas, width, height) {
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
}

/** Draws the video and its mask into one canvas in one of five views. */
export class CameraView {
  /** @param {HTMLCanvasElement} canvas */
  constructor(canvas) {
    this.canvas = canvas;
    this.view = 'overlay';
    this.opacity = 0.55;
    this.colour = '#00c878';
    this.background = null;
    this.smoothing = false;
    this.smoothed = null;
    this.hasMask = false;
    /** The frame the mask was computed from (a VideoFrame or ImageBitmap this view closes). */
    this.picture = null;
    /** True when the next draw() would differ even on the same video frame. */
    this.dirty = true;
    /** The newest mask not yet turned into the alpha layer: { mask, width, height }, or null. */
    this.pending = null;
    // The mask as alpha (white), its tint, and the person (video through the mask).
    this.alpha = layer();
    this.tint = layer();
    this.person = layer();
  }

  /** Whether draw() shows the live video (no mask yet, or none of its frames): redraw per frame. */
  get drawsLiveVideo() {
    return !(this.hasMask && this.picture);
  }

  /** The view: overlay | mask | cutout | blur | replace. */
  setView(view) {
    this.dirty = true;
    this.view = view;
    this.canvas.dataset.view = view;
  }

  /** The overlay's opacity (0..1). */
  setOpacity(opacity) {
    this.dirty = true;
    this.opacity = opacity;
  }

  /** The overlay's tint and the replacement colour (#rrggbb). */
  setColour(colour) {
    this.dirty = true;
    this.colour = colour;
    this.#retint();
  }

  /** What replaces the background: a canvas (a photo) or null for the colour. */
  setBackground(canvas) {
    this.dirty = true;
    this.background = canvas;
  }

  /** Turns the moving average of masks on or off (off forgets the average). */
  setSmoothing(on) {
    this.dirty = true;
    this.smoothing = on;
    this.smoothed = null;
  }

  /** Forgets the mask and its frame (the camera stopped). */
  clear() {
    this.dirty = true;
    this.hasMask = false;
    this.smoothed = null;
    this.pending = null;
    this.#setPicture(null);
    this.canvas.dataset.hasMask = 'false';
  }

  /**
   * Takes a new mask (width*height bytes, 0..255) and the frame it was computed from (owned from
   * now on; null: draw over the live video). The mask becomes the alpha layer only when drawn:
   * on a busy machine masks come faster than the page paints, and turning each into pixels on
   * arrival took the page's paints down to a quarter of the masks' rate; one that a newer mask
   * replaces before the next paint is now never turned into pixels. The moving average, when
   * on, takes every mask.
   */
  setMask(mask, width, height, picture = null) {
    this.#setPicture(picture);
    if (this.smoothing) {
      if (!this.smoothed || this.smoothed.length !== mask.length) this.smoothed = Float32Array.from(mask);
      const s = this.smoothed;
      for (let i = 0; i < mask.length; i++) s[i] += SMOOTHING_ALPHA * (mask[i] - s[i]);
    }
    this.pending = { mask, width, height };
    this.hasMask = true;
    this.dirty = true;
    this.canvas.dataset.hasMask = 'true';
  }

  /** Turns the newest mask (the moving average, when on) into the alpha layer and its tint. */
  #takePending() {
    if (!this.pending) return;
    const { mask, width, height } = this.pending;
    this.pending = null;
    const shown = this.smoothing && this.smoothed?.length === mask.length ? Uint8Array.from(this.smoothed, Math.round) : mask;
    fitTo(this.alpha, width, height);
    const image = new ImageData(width, height);
    const rgba = image.data;
    rgba.fill(255);
    for (let i = 0, j = 3; i < shown.length; i += 1, j += 4) rgba[j] = shown[i];
    this.alpha.getContext('2d').putImageData(image, 0, 0);
    this.#retint();
  }

  #setPicture(picture) {
    this.picture?.close();
    this.picture = picture;
  }

  #retint() {
    const { alpha, tint } = this;
    if (!alpha.width) return;
    fitTo(tint, alpha.width, alpha.height);
    const ctx = tint.getContext('2d');
    ctx.globalCompositeOperation = 'source-over';
    ctx.clearRect(0, 0, tint.width, tint.height);
    ctx.drawImage(alpha, 0, 0);
    ctx.globalCompositeOperation = 'source-in';
    ctx.fillStyle = this.colour;
    ctx.fillRect(0, 0, tint.width, tint.height);
    ctx.globalCompositeOperation = 'source-over';
  }

  /** The frame through the mask, at the frame's size. */
  #personLayer(source, width, height) {
    const { person } = this;
    fitTo(person, width, height);
    const ctx = person.getContext('2d');
    ctx.globalCompositeOperation = 'source-over';
    ctx.clearRect(0, 0, width, height);
    ctx.drawImage(source, 0, 0, width, height);
    ctx.globalCompositeOperation = 'destination-in';
    ctx.drawImage(this.alpha, 0, 0, width, height);
    ctx.globalCompositeOperation = 'source-over';
    return person;
  }

  /** Draws `source` to cover the whole canvas (cropped, not stretched). */
  #cover(ctx, source, width, height) {
    const scale = Math.max(width / source.width, height / source.height);
    const w = source.width * scale;
    const h = source.height * scale;
    ctx.drawImage(source, (width - w) / 2, (height - h) / 2, w, h);
  }

  /**
   * Draws the newest mask over its frame, or the current frame of `liveVideo` (a <video> with
   * data) while there is no mask or no frame came with it.
   */
  draw(liveVideo) {
    const source = (this.hasMask && this.picture) || liveVideo;
    const width = source.displayWidth ?? source.videoWidth ?? source.width;
    const height = source.displayHeight ?? source.videoHeight ?? source.height;
    if (!width || !height) return;
    this.dirty = false;
    this.#takePending();
    const { canvas } = this;
    fitTo(canvas, width, height);
    const ctx = canvas.getContext('2d');
    ctx.globalAlpha = 1;
    ctx.filter = 'none';
    ctx.globalCompositeOperation = 'source-over';
    ctx.clearRect(0, 0, width, height);
    if (!this.hasMask) {
      ctx.drawImage(source, 0, 0, width, height);
      return;
    }
    switch (this.view) {
      case 'mask':
        ctx.fillStyle = '#000';
        ctx.fillRect(0, 0, width, height);
        ctx.drawImage(this.alpha, 0, 0, width, height);
        break;
      case 'cutout':
        ctx.drawImage(this.#personLayer(source, width, height), 0, 0);
        break;
      case 'blur':
        // Blurring the whole frame lets the person's colours bleed a little into the background
        // around them, which hides the mask's edge better than a hole would.
        ctx.filter = `blur(${BLUR_PX}px)`;
        ctx.drawImage(source, 0, 0, width, height);
        ctx.filter = 'none';
        ctx.drawImage(this.#personLayer(source, width, height), 0, 0);
        break;
      case 'replace':
        if (this.background) this.#cover(ctx, this.background, width, height);
        else {
          ctx.fillStyle = this.colour;
          ctx.fillRect(0, 0, width, height);
        }
        ctx.drawImage(this.#personLayer(source, width, height), 0, 0);
        break;
      default:
        ctx.drawImage(source, 0, 0, width, height);
        ctx.globalAlpha = this.opacity;
        ctx.drawImage(this.tint, 0, 0, width, height);
        ctx.globalAlpha = 1;
    }
  }
}
