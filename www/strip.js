// The photo strip: one thumbnail per photo, with its status line and a remove button. A mask
// that found no one is a state of its own on the thumbnail, not "Done".
// Owns: the strip's list and its items. Must not touch: the photo records (it only reads
// them) or the selection (a click is reported through onPick / onRemove).

import { thumbnailCanvas } from './overlay.js';
import { NO_PERSON_SHARE } from './quality.js';

/** @typedef {import('./photo.js').Photo} Photo */

/** The strip of thumbnails, one per photo. */
export class PhotoStrip {
  /**
   * @param {HTMLElement} list  the strip's <ul>
   * @param {{ onPick: (photo: Photo) => void, onRemove: (photo: Photo) => void }} callbacks
   */
  constructor(list, { onPick, onRemove }) {
    this.list = list;
    this.onPick = onPick;
    this.onRemove = onRemove;
    /** @type {Map<Photo, HTMLLIElement>} */
    this.items = new Map();
  }

  /** Adds the photo's thumbnail at the end of the strip. */
  add(photo) {
    const li = document.createElement('li');
    li.className = 'thumb';
    li.dataset.testid = 'photo';
    li.dataset.photoId = String(photo.id);
    li.dataset.name = photo.name;

    const pick = document.createElement('button');
    pick.type = 'button';
    pick.className = 'thumb-pick';
    pick.setAttribute('aria-pressed', 'false');
    pick.addEventListener('click', () => this.onPick(photo));

    const image = document.createElement('span');
    image.className = 'thumb-image';
    const name = document.createElement('span');
    name.className = 'thumb-name';
    name.textContent = photo.name;
    name.title = photo.name;
    const status = document.createElement('span');
    status.className = 'thumb-status';
    status.dataset.testid = 'photo-status';
    pick.append(image, name, status);

    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'thumb-remove';
    remove.setAttribute('aria-label', `Remove ${photo.name}`);
    remove.title = 'Remove';
    remove.textContent = '×';
    remove.addEventListener('click', () => this.onRemove(photo));

    li.append(pick, remove);
    this.items.set(photo, li);
    this.list.append(li);
    // The newest photo is at the end: scroll the strip (only the strip) to show it.
    this.list.scrollLeft = this.list.scrollWidth;
  }

  /** Brings the photo's thumbnail up to date: state, status line, selection, picture. */
  render(photo, isSelected) {
    const li = this.items.get(photo);
    if (!li) return;
    li.dataset.state = photo.state;
    const nobody = photo.state === 'done' && photo.result?.personShare < NO_PERSON_SHARE;
    li.dataset.person = nobody ? 'none' : '';
    const status = li.querySelector('.thumb-status');
    status.textContent = nobody ? `No person found · ${photo.result.mode} ${photo.result.size}` : photo.status;
    status.title = status.textContent;
    li.querySelector('.thumb-pick').setAttribute('aria-pressed', String(isSelected));
    li.classList.toggle('is-selected', isSelected);
    const image = li.querySelector('.thumb-image');
    if (photo.canvas && !image.firstChild) image.append(thumbnailCanvas(photo.canvas, 160));
  }

  /** Takes the photo's thumbnail off the strip and lets go of its pixels. */
  remove(photo) {
    const li = this.items.get(photo);
    if (!li) return;
    const thumbnail = li.querySelector('.thumb-image canvas');
    if (thumbnail) {
      thumbnail.width = 0;
      thumbnail.height = 0;
    }
    li.remove();
    this.items.delete(photo);
  }
}
