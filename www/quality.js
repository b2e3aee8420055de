// What each mode is worth: the held-out quality `linseg eval` measured against the truth
// (models/metrics.json), looked up by mode and size for the analysis panel; and, for a photo
// that comes with its true mask (the sample), the IoU of each mask the page makes; and whether a
// mask found anyone at all.
// Owns: the fetch of models/metrics.json and the lookup. Must not touch: the page.

/**
 * Person pixels of two masks of one size (one byte per pixel, a person at 128 or more):
 * { both, maskOnly, referenceOnly }.
 */
export function maskAgreement(mask, reference) {
  if (mask.length !== reference.length) throw new Error(`masks of different sizes (${mask.length} and ${reference.length} pixels)`);
  let both = 0;
  let maskOnly = 0;
  let referenceOnly = 0;
  for (let i = 0; i < mask.length; i++) {
    const a = mask[i] >= 128;
    const b = reference[i] >= 128;
    if (a && b) both += 1;
    else if (a) maskOnly += 1;
    else if (b) referenceOnly += 1;
  }
  return { both, maskOnly, referenceOnly };
}

/** IoU of a mask against a true mask, as `linseg eval` scores it: 1 when neither has a person. */
export function iouAgainst(mask, truth) {
  const { both, maskOnly, referenceOnly } = maskAgreement(mask, truth);
  const union = both + maskOnly + referenceOnly;
  return union === 0 ? 1 : both / union;
}

/** A mask that marks less than this share of the photo as person has found no one. */
export const NO_PERSON_SHARE = 0.001;

/** The share of a mask's pixels marked as person (128 or more), in [0, 1]. */
export function personShare(mask) {
  let person = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] >= 128) person += 1;
  return mask.length === 0 ? 0 : person / mask.length;
}

/** Where the page fetches the scores from (scripts/serve.mjs serves this one file of models/). */
export const METRICS_URL = 'models/metrics.json';

/**
 * The held-out scores of one mode at one size, from metrics.json's `scores`: IoU, boundary F and
 * matte error as segmented, on the composites (exact truth) and on the real photos (reference
 * mattes). `null` where metrics.json has no such row.
 * @returns {{ composite: Quality | null, real: Quality | null } | null}
 * @typedef {{ iou: number, boundaryF: number, mae: number, images: number }} Quality
 */
export function qualityAt(metrics, mode, size) {
  const find = (kind) => {
    const row = metrics?.scores?.find((s) => s.mode === mode && s.size === size && s.kind === kind);
    return row
      ? { iou: row.segmented.iou, boundaryF: row.segmented.boundary_f, mae: row.segmented.mae, images: row.images }
      : null;
  };
  const [composite, real] = [find('composite'), find('real')];
  return composite || real ? { composite, real } : null;
}

/** "0.812 · 0.776": IoU on the composites, then on the real photos; "–" where not measured. */
export function formatQuality(quality) {
  if (!quality) return '–';
  const part = (q) => (q ? q.iou.toFixed(3) : '–');
  return `${part(quality.composite)} · ${part(quality.real)}`;
}

/** The heading of a column of formatQuality's figures (at `size` px, when given). */
export function heldOutHeading(size = null) {
  return `Held-out IoU${size != null ? ` ${size} px` : ''}: composites · real photos`;
}

/** What formatQuality's figures are, in a line under the panel's table. */
export const QUALITY_NOTE =
  'Held-out IoU: the mean IoU linseg eval measured on held-out composites (exact truth) · on ' +
  'held-out real photos (reference mattes); the same for every photo.';

/** What the figure of a photo with its own true mask is, after QUALITY_NOTE. */
export const THIS_PHOTO_NOTE = 'IoU, this photo: the mask made here against this photo’s true mask.';

/**
 * Fetches metrics.json once; resolves to null (and the page shows "–") when it cannot be had,
 * so that a missing file costs the page its quality column and nothing else.
 */
export async function loadMetrics(fetchImpl = fetch) {
  try {
    const response = await fetchImpl(METRICS_URL);
    if (!response.ok) return null;
    return await response.json();
  } catch {
    return null;
  }
}
