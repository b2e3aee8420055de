// What the browser tests and the page benchmark share: the page's static server on a free
// loopback port, headless Debian Chromium with WebGPU on SwiftShader (a software Vulkan), and
// the CLI's masks that the page's are compared with.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

/**
 * The linseg CLI: LINSEG_BIN, else $CARGO_TARGET_DIR/release/linseg, the target folder
 * defaulting to ~/.cache/linseg-target as in scripts/test.sh.
 */
export function linsegBin() {
  if (process.env.LINSEG_BIN) return resolve(ROOT, process.env.LINSEG_BIN);
  const target = process.env.CARGO_TARGET_DIR ?? join(homedir(), '.cache/linseg-target');
  return join(resolve(ROOT, target), 'release', 'linseg');
}

/**
 * Runs `linseg segment` on `photos` (paths) in `mode` at `size`, its masks written into `out`
 * (`baseline`: on the CPU kernels' plain-float form); returns each photo's mask path, in order.
 * Throws, saying why, when the CLI is missing, fails or writes no mask.
 */
export function cliMaskPaths(photos, { mode, size, out, baseline = false }) {
  const bin = linsegBin();
  if (!existsSync(bin)) throw new Error(`the linseg CLI is not at ${bin}; build it (cargo build --release) or set LINSEG_BIN`);
  mkdirSync(out, { recursive: true });
  const args = ['segment', ...photos, '--mode', mode, '--size', String(size), '--out', out];
  const run = spawnSync(bin, baseline ? [...args, '--baseline'] : args, {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 10 * 60_000,
  });
  if (run.status !== 0) throw new Error(`linseg segment failed (${run.status ?? run.signal}):\n${run.stderr}`);
  return photos.map((photo) => {
    const path = join(out, `${basename(photo, extname(photo))}.mask.png`);
    if (!existsSync(path)) throw new Error(`linseg segment did not write ${path}`);
    return path;
  });
}

/** Headless Chromium with WebGPU: unsafe-webgpu is what enables it without a display. */
export const FLAGS = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-angle=swiftshader',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The same browser with WebGPU switched off (navigator.gpu missing). */
export const FLAGS_WITHOUT_WEBGPU = [
  ...FLAGS.filter((flag) => flag !== '--enable-unsafe-webgpu'),
  '--disable-features=WebGPU',
];

/**
 * Starts scripts/serve.mjs on a free port, with `args` added to its command line (e.g.
 * `['--mount', 'NAME=DIR']`); resolves { url, stop }.
 */
export function startServer(args = []) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts/serve.mjs'), '--port', '0', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const onData = (chunk) => {
      output += chunk;
      const match = /http:\/\/127\.0\.0\.1:\d+\//.exec(output);
      if (match) {
        child.stdout.off('data', onData);
        resolvePromise({
          url: match[0],
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done();
              const force = setTimeout(() => child.kill('SIGKILL'), 3000);
              child.once('exit', () => {
                clearTimeout(force);
                done();
              });
              child.kill('SIGTERM');
            }),
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`serve.mjs exited (${code}) before listening:\n${output}`)));
  });
}

/**
 * Launches Chromium with a fresh profile; resolves { context, page, close }, `close` also
 * removing the profile.
 */
export async function launchChromium(name, flags = FLAGS) {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_BIN)`);
  }
  const profile = mkdtempSync(join(tmpdir(), `linseg-chromium-${name}-`));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: flags,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * The attention modes the page offers, in its order: the mode select's options, which the page
 * builds from the wasm catalog (the modes' one registration, src/attention/mod.rs).
 */
export async function offeredModes(page) {
  return page.locator('#mode option').evaluateAll((options) => options.map((o) => o.value));
}

/** Waits until the page's model has started; returns the backend label's state. */
export async function waitForModel(page, timeout) {
  await page.waitForSelector('#backend[data-state="ready"], #backend[data-state="failed"]', { timeout });
  const backend = page.locator('#backend');
  return {
    state: await backend.getAttribute('data-state'),
    backend: await backend.getAttribute('data-backend'),
    label: (await backend.innerText()).trim(),
  };
}
