// The library's TypeScript declarations (dist/linseg.d.ts, with the types Rust owns generated
// into the wasm build's .d.ts by wasm-bindgen and tsify) type-check a page's use of the library,
// tests/types/usage.ts, under `tsc --strict`; its wrong uses are errors.
//
// Needs dist/ (npm run build) and the npm packages (typescript).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { ROOT } from '../../scripts/browser.mjs';

test('a page using the library type-checks against dist/linseg.d.ts', { timeout: 120_000 }, () => {
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  const run = spawnSync(
    process.execPath,
    [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'es2022', '--moduleResolution', 'bundler', '--lib', 'esnext,dom', '--skipLibCheck', 'false', join(ROOT, 'tests/types/usage.ts')],
    { cwd: ROOT, encoding: 'utf8' },
  );
  assert.equal(run.status, 0, `tsc:\n${run.stdout}${run.stderr}`);
});
