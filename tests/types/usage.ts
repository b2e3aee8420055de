// A page's use of the library, type-checked against dist/linseg.d.ts (tests/node/types.test.mjs):
// the declarations resolve, the types Rust owns come through from the wasm build's .d.ts, and a
// wrong use is an error (the lines marked @ts-expect-error).

import { BACKENDS, LinsegError, Segmenter } from '../../dist/linseg.js';
import type { CostReport, ErrorKind, Segmentation } from '../../dist/linseg.js';

export async function use(file: File, video: HTMLVideoElement): Promise<number> {
  const segmenter = await Segmenter.create({ mode: 'linear', backend: BACKENDS[0], size: 512 });
  const result: Segmentation = await segmenter.segment(file, { size: 512, probabilities: true });
  const mask: Uint8ClampedArray = result.mask;
  const cost: CostReport = await segmenter.cost('dot', 2048);
  const refused: string | null = cost.refusal;
  const peak: number = cost.peakBytes;
  const live = await segmenter.segmentForVideo(video, performance.now());
  const cell = await segmenter.lookAt(1, 2);
  const weights: Float32Array | undefined = cell?.weights;
  const catalog = await segmenter.catalog;
  const kinds: ErrorKind[] = catalog.errorKinds;
  try {
    await segmenter.setMode('dot');
  } catch (err) {
    if (err instanceof LinsegError) {
      const kind: ErrorKind = err.kind;
      // @ts-expect-error: not a kind src/error.rs has
      const wrong: ErrorKind = 'no-such-kind';
      return kind.length + wrong.length;
    }
  }
  // @ts-expect-error: a backend linseg does not offer
  await Segmenter.create({ backend: 'gpu' });
  segmenter.close();
  return mask.length + (refused?.length ?? 0) + peak + (live?.timestampMs ?? 0) + (weights?.length ?? 0) + kinds.length;
}
