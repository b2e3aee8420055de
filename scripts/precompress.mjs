#!/usr/bin/env node
// Writes FILE.br beside each FILE given, brotli at quality 11: what scripts/serve.mjs sends to
// browsers that accept br, in place of compressing at request time (quality 11 takes ~20 s on
// the 15 MB wasm, too long for a first request; quality 9, the server's own, is 14 % larger).
//
//   node scripts/precompress.mjs www/pkg/linseg_bg.wasm

import { readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { brotliCompress, constants } from 'node:zlib';

for (const file of process.argv.slice(2)) {
  const data = await readFile(file);
  const started = performance.now();
  const body = await promisify(brotliCompress)(data, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  });
  await writeFile(`${file}.br`, body);
  const seconds = ((performance.now() - started) / 1e3).toFixed(1);
  console.log(`${file}.br: ${body.length} bytes (${data.length} raw), brotli 11 in ${seconds} s`);
}
