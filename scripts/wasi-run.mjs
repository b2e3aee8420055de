// Runs a WebAssembly program built for WASI (wasm32-wasip1) in Node, with the arguments after
// its path: cargo's runner for the kernel tests in WebAssembly (scripts/test-wasm-kernels.sh),
// so that a test binary runs as it would natively. Its exit status is the program's; a trap (a
// Rust panic: WebAssembly aborts on panic) exits with 101, as a failed Rust test binary does.
//
//   node scripts/wasi-run.mjs PROGRAM.wasm [ARGUMENTS...]

import { readFileSync } from 'node:fs';
import { argv, env, exit } from 'node:process';
import { WASI } from 'node:wasi';

const [program, ...args] = argv.slice(2);
const wasi = new WASI({ version: 'preview1', args: [program, ...args], env, returnOnExit: true });
const module = await WebAssembly.compile(readFileSync(program));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
try {
  exit(wasi.start(instance));
} catch (err) {
  console.error(`${program}: ${err.message}`);
  exit(101);
}
