// The photo record: its one factory, its type, and the plain rules on it (its status line,
// whether its mask is for the current settings, marking it failed).
// Owns: the record's shape. Must not touch: the DOM, the engine, the queue or the photo list.

/** @typedef {'queued' | 'running' | 'done' | 'error' | 'refused'} PhotoState */

/**
 * A photo on the page, from the moment its file is picked until it is removed.
 * @typedef {object} Photo
 * @property {number} id               unique on the page; also the worker's id for the image
 * @property {string} name             the file's name ('unnamed' when it has none)
 * @property {Uint8Array | null} bytes the file once read (kept to decode again after a crash)
 * @property {PhotoState} state
 * @property {string} status           the line under its thumbnail
 * @property {HTMLCanvasElement | null} canvas the decoded photo, once the worker decoded it
 * @property {object | null} result    the latest segmentation (the engine's answer plus `run`,
 *                                     the page's count of runs), or null before one
 * @property {string | null} refusal   why the last run was refused, or null
 * @property {string | null} error     the last failure's message, or null
 * @property {boolean} permanent       the failure is one no re-run will fix (a bad file)
 * @property {boolean} retried         the current run was already retried after a crash
 * @property {boolean} autoSelect      may take the view once it decodes (the photos of the
 *                                     latest pick, until a photo is chosen by hand)
 * @property {Uint8Array | null} truth its true mask (one byte per pixel) where it comes with
 *                                     one (the sample); each result then has `truthIou`
 */

const STATUS_TEXT = { queued: 'Queued', running: 'Running…', done: 'Done', error: 'Error', refused: 'Skipped' };

/** Makes the record of a newly picked file, queued and still being read. */
export function createPhoto({ id, name, autoSelect, truth = null }) {
  return {
    id,
    name: name || 'unnamed',
    bytes: null,
    state: 'queued',
    status: 'Reading…',
    canvas: null,
    result: null,
    refusal: null,
    error: null,
    permanent: false,
    retried: false,
    autoSelect,
    truth,
  };
}

/** Sets the photo's state and its status line (by default the state's own words). */
export function setPhotoState(photo, state, status) {
  photo.state = state;
  photo.status = status ?? (state === 'done' && photo.result
    ? `Done · ${photo.result.mode} ${photo.result.size}`
    : STATUS_TEXT[state]);
}

/** Marks the photo failed with the error's message; `permanent` when no re-run will fix it. */
export function markFailed(photo, err, permanent = false) {
  const message = err?.message ?? String(err);
  photo.permanent = photo.permanent || permanent;
  photo.error = message;
  setPhotoState(photo, 'error', message);
}

/** True when the photo's mask was made at the given mode and size. */
export function matchesSettings(photo, { mode, size }) {
  return photo.result?.mode === mode && photo.result?.size === size;
}

/** Lets go of a removed photo's pixels: its canvas's backing store, its bytes and its mask. */
export function releasePhoto(photo) {
  if (photo.canvas) {
    photo.canvas.width = 0;
    photo.canvas.height = 0;
  }
  photo.canvas = null;
  photo.bytes = null;
  photo.result = null;
}
