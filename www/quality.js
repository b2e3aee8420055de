// What each mode is worth: the held-out quality `linseg eval` measured against the truth
// (models/metrics.json), looked up by mode and size for the analysis panel. The page measures
// time itself; quality it only reads, since the truth is not in the browser.
// Owns: the fetch of models/metrics.json and the lookup. Must not touch: the page.

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

/** A short line on where the figures come from, for the panel's table. */
export const QUALITY_NOTE =
  'Held-out IoU: mean over composites (exact truth) · over real photos (reference mattes), from linseg eval';

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
