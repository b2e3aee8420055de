// The engine alone: the page's worker on the CPU with a given number of threads (or, with none
// given, as the default page runs: threads by size), a photo
// segmented `warmup + runs` times in mode none, nothing drawn. scripts/bench-page.mjs drives it
// through `window.engineBench.run`.

import { Engine } from '/www/engine.js';

/**
 * Segments the photo (`photo`: its file's bytes, base64) at `size` px on a fresh CPU engine
 * with `threads` threads (null: the default page's choice). Resolves { threadsNote, ranOn,
 * inferenceMs: number[] } (ranOn: the threads the runs used; inference + readback of each
 * counted run, as the page's anchor).
 */
async function run({ photo, threads, size, runs, warmup }) {
  const engine = new Engine({ preferGpu: false, forcedReason: 'the engine bench', threads });
  try {
    const info = await engine.start();
    const bytes = Uint8Array.from(atob(photo), (c) => c.charCodeAt(0));
    await engine.decode(1, bytes);
    const inferenceMs = [];
    let ranOn = null;
    for (let i = 0; i < warmup + runs; i++) {
      const result = await engine.segmentImage(1, 'none', size);
      ranOn = result.threads;
      if (i >= warmup) inferenceMs.push(result.inferenceMs + result.readbackMs);
    }
    return { threadsNote: info.threadsNote, ranOn, inferenceMs };
  } finally {
    engine.close();
  }
}

window.engineBench = { run };
