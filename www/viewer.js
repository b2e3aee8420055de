// The viewer around the overlay canvas: its state (empty, loading, photo, mask, error), the
// message over the photo (what runs, what failed, or that the mask found no one) and the
// caption under it.
// Owns: the viewer figure's attributes, its message and its caption. Must not touch: the
// overlay's pixels (app.js gives it the photo and the mask), the photo records (it only
// reads them) or the queue.

import { formatSize } from './format.js';
import { NO_PERSON_SHARE } from './quality.js';

/** @typedef {import('./photo.js').Photo} Photo */

/** The state, message and caption of the figure around the overlay canvas. */
export class Viewer {
  /**
   * @param {{ viewer: HTMLElement, message: HTMLElement, caption: HTMLElement }} elements
   * @param {{ hasMask: boolean }} overlay  read only: whether a mask is drawn
   */
  constructor(elements, overlay) {
    this.ui = elements;
    this.overlay = overlay;
  }

  /** Shows the photo in view (null: none) and what is happening to it at `settings`. */
  render(photo, settings) {
    const { viewer, message: messageElement, caption: captionElement } = this.ui;
    const hasMask = this.overlay.hasMask;
    const nobody = Boolean(hasMask && photo?.state === 'done' && photo.result?.personShare < NO_PERSON_SHARE);
    let message = '';
    let state = 'empty';
    if (!photo) {
      message = 'Add a photo to begin: choose, drop or paste one.';
    } else if (photo.state === 'error' && !photo.canvas) {
      state = 'error';
      message = `${photo.name} could not be used: ${photo.error}`;
    } else if (!photo.canvas) {
      state = 'loading';
      message = photo.state === 'running' ? photo.status : 'Waiting for the model…';
    } else {
      state = hasMask ? 'mask' : 'photo';
      if (photo.state === 'refused') message = photo.refusal;
      else if (photo.state === 'error') message = photo.error;
      else if (photo.state === 'running' || photo.state === 'queued') {
        message = `Running ${settings.mode} at ${settings.size} px…`;
      } else if (nobody) {
        message = `No person found by ${photo.result.mode} at ${photo.result.size} px.`;
      }
    }
    viewer.dataset.state = state;
    viewer.dataset.busy = String(Boolean(photo && (photo.state === 'running' || photo.state === 'queued')));
    messageElement.textContent = message;
    messageElement.hidden = !message;
    messageElement.dataset.kind = photo?.state === 'refused' ? 'refused' : photo?.state === 'error' ? 'error'
      : nobody ? 'nobody' : 'info';

    const caption = [];
    if (photo) {
      caption.push(photo.name);
      if (photo.canvas) caption.push(formatSize(photo.canvas.width, photo.canvas.height));
      if (photo.result && hasMask) caption.push(`mask: ${photo.result.mode} at ${photo.result.size} px`);
      if (photo.result?.truthIou != null && hasMask) caption.push(`this photo: IoU ${photo.result.truthIou.toFixed(3)} against its true mask`);
    }
    if (nobody) caption.push(`no person found by ${photo.result.mode} at ${photo.result.size} px`);
    captionElement.dataset.person = nobody ? 'none' : '';
    captionElement.textContent = caption.join(' · ');
  }

  /** Sets which view the figure shows (overlay | mask | cutout), for the style sheet. */
  setView(view) {
    this.ui.viewer.dataset.view = view;
  }
}
