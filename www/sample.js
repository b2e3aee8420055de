// The sample photo, one click away: a held-out composite of the quality data set (a person
// pasted on a photo without people; scripts/make-sample.mjs, provenance in
// www/samples/README.md) with its exact true mask, so that the page can say how good each mask
// is on it, not only how fast.
// Owns: fetching the sample and decoding its true mask. Must not touch: the photo records (the
// caller attaches what it gets).

/** The sample's photo and true mask, as served. */
export const SAMPLE = {
  name: 'grace-hopper-on-chelsea.jpg',
  photo: 'www/samples/grace-hopper-on-chelsea.jpg',
  truth: 'www/samples/grace-hopper-on-chelsea.mask.png',
};

/** Fetches `url`, or throws an error that names it. */
async function fetched(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status} ${response.statusText}`.trim());
  return response.blob();
}

/**
 * The sample as a File the page adds like any other, and its true mask: one byte per pixel,
 * 0–255, row-major (the PNG's grey channel).
 * @returns {Promise<{ file: File, truth: Uint8Array }>}
 */
export async function loadSample() {
  const [photo, truthPng] = await Promise.all([fetched(SAMPLE.photo), fetched(SAMPLE.truth)]);
  const bitmap = await createImageBitmap(truthPng, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const rgba = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  const truth = new Uint8Array(canvas.width * canvas.height);
  for (let i = 0; i < truth.length; i++) truth[i] = rgba[4 * i];
  return { file: new File([photo], SAMPLE.name, { type: 'image/jpeg' }), truth };
}
