// The browser's CPU kernels in their SIMD128 form, run in Node, against the same kernels in
// their plain-float form natively. Both are one generic source (src/cpu/simd.rs) compiled for
// two vector units: the page's CPU module (www/pkg/linseg_cpu_bg.wasm, SIMD128 throughout)
// segments each fixture photo in every mode at 256 px (one pass) and 512 px (a global and a
// detail pass, which adds the resampling kernels), and `linseg segment --baseline` does the
// same with every kernel forced onto plain floats. Neither fuses multiply and add, so in mode
// none (the kernels alone) the masks are the same bytes; in the other modes they may differ
// where Burn's attention ops (outside the kernels) sum in another order: by one grey level, in
// a few pixels. A wrong lane, a swapped min/max or a missed tail in a SIMD128 kernel moves
// whole regions of the mask.
//
// Needs the wasm build (npm run build) and the CLI (cargo build --release, or LINSEG_BIN).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ROOT, cliMaskPaths } from '../../scripts/browser.mjs';
import { readPng } from '../browser/masks.mjs';

const PHOTOS = ['grace_hopper.jpg', 'rocket.jpg'].map((name) => join(ROOT, 'tests/fixtures/photos', name));
const SIZES = [256, 512];
/** The most a mask may differ by, in grey levels, and in how many of its pixels at all. */
const MAX_LEVELS = 1;
const MAX_DIFFERING_SHARE = 0.001;

/** The page's CPU module, loaded as the worker loads it, but from the file. */
async function cpuModule() {
  const path = join(ROOT, 'www/pkg/linseg_cpu.js');
  const module = await import(path).catch((err) => {
    throw new Error(`the wasm build is missing (${err.message}); run npm run build`);
  });
  module.initSync({ module: readFileSync(join(ROOT, 'www/pkg/linseg_cpu_bg.wasm')) });
  return module;
}

test('the SIMD128 kernels give the plain-float kernels’ masks in every mode', { timeout: 10 * 60_000 }, async (t) => {
  const wasm = await cpuModule();
  const engine = await wasm.Engine.start(false);
  assert.match(engine.backend().adapter, /WebAssembly SIMD/);
  const photos = PHOTOS.map((path) => ({ path, ...wasm.decodeImage(readFileSync(path), 50e6) }));
  const out = mkdtempSync(join(tmpdir(), 'linseg-simd128-'));
  try {
    for (const mode of wasm.catalog().modes) {
      engine.loadWeights(mode, readFileSync(join(ROOT, `models/selfie-${mode}.bpk`)));
      for (const size of SIZES) {
        const native = cliMaskPaths(PHOTOS, { mode, size, out: join(out, `${mode}-${size}`), baseline: true });
        for (const [i, photo] of photos.entries()) {
          const { mask } = await engine.segment(photo.rgba, photo.width, photo.height, mode, size);
          const reference = readPng(native[i]);
          assert.deepEqual([reference.width, reference.height], [photo.width, photo.height]);
          let maxLevels = 0;
          let differing = 0;
          for (let p = 0; p < mask.length; p++) {
            const levels = Math.abs(mask[p] - reference.data[p * 4]);
            maxLevels = Math.max(maxLevels, levels);
            if (levels) differing += 1;
          }
          const where = `${mode} at ${size} px on ${photo.path.split('/').pop()}`;
          t.diagnostic(`${where}: ${differing} pixels differ, by at most ${maxLevels}`);
          assert.ok(maxLevels <= MAX_LEVELS, `${where}: a pixel differs by ${maxLevels} grey levels`);
          const allowed = mode === 'none' ? 0 : MAX_DIFFERING_SHARE * mask.length;
          assert.ok(differing <= allowed, `${where}: ${differing} of ${mask.length} pixels differ`);
        }
      }
    }
  } finally {
    engine.free();
    rmSync(out, { recursive: true, force: true });
  }
});
