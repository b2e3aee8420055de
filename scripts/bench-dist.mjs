#!/usr/bin/env node
// What hosting dist/ costs a visitor, printed: the bytes a first visit downloads on each path
// (dist/sizes.json, raw, gzip and brotli), the page's ready time from a plain static host
// (scripts/plain-server.mjs: no isolation headers, no compression) on a first visit and offline
// on the second, each in a Chromium started for it, and the library's time per segment against
// the engine under it (the same worker, the photo decoded once).
//
//   npm run bench:dist [-- --runs N]        (needs dist/: npm run build)

import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { FLAGS_WITHOUT_WEBGPU, ROOT, launchChromium } from './browser.mjs';
import { startPlainServer } from './plain-server.mjs';

const DIST = join(ROOT, 'dist');
const PHOTO = join(ROOT, 'tests/fixtures/photos/grace_hopper.jpg');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 20;

if (!existsSync(join(DIST, 'sizes.json'))) {
  console.error('bench-dist: dist/ is missing: run npm run build');
  process.exit(1);
}

const mb = (n) => `${(n / 1e6).toFixed(2)} MB`;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const sizes = JSON.parse(readFileSync(join(DIST, 'sizes.json'), 'utf8'));
console.log(`dist/ build ${sizes.id}: what a first visit downloads (the page, the build it loads, the weights of none and linear)`);
for (const [path, { raw, gzip, brotli }] of Object.entries(sizes.firstVisit)) {
  console.log(`  ${path.padEnd(18)} ${mb(raw)} raw · ${mb(gzip)} gzip · ${mb(brotli)} brotli`);
}

const work = mkdtempSync(join(tmpdir(), 'linseg-bench-dist-'));
try {
  for (const attempt of [1, 2]) {
    const site = join(work, `site-${attempt}`);
    cpSync(DIST, site, { recursive: true });
    let server = await startPlainServer(site);
    const browser = await launchChromium(`bench-dist-${attempt}`, FLAGS_WITHOUT_WEBGPU);
    try {
      const { page } = browser;
      let started = Date.now();
      await page.goto(server.url);
      await page.waitForSelector('#backend[data-state="ready"]', { timeout: 300_000 });
      const first = Date.now() - started;
      const label = (await page.locator('#backend').innerText()).trim();
      const { port } = server;
      await server.stop();
      started = Date.now();
      await page.reload();
      await page.waitForSelector('#backend[data-state="ready"]', { timeout: 300_000 });
      const offline = Date.now() - started;
      server = await startPlainServer(site, { port });
      console.log(`page ready from a plain static host, run ${attempt}: first visit ${(first / 1e3).toFixed(2)} s (the service worker's reload included), offline ${(offline / 1e3).toFixed(2)} s; ${label}`);
    } finally {
      await browser.close();
      await server.stop();
    }
  }

  const site = join(work, 'site-library');
  cpSync(DIST, site, { recursive: true });
  writeFileSync(join(site, 'bench.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="bench.js"></script>\n');
  writeFileSync(join(site, 'bench.js'), "import { Segmenter } from './linseg.js';\nwindow.Segmenter = Segmenter;\n");
  const server = await startPlainServer(site);
  const browser = await launchChromium('bench-dist-library', FLAGS_WITHOUT_WEBGPU);
  try {
    const { page } = browser;
    await page.goto(`${server.url}bench.html`);
    await page.waitForFunction(() => window.Segmenter);
    const times = await page.evaluate(
      async ({ b64, runs }) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const segmenter = await window.Segmenter.create({ backend: 'cpu', threads: 1, mode: 'linear' });
        const bitmap = await createImageBitmap(new Blob([bytes]));
        await segmenter.decode('engine', bytes, { pixels: false });
        const ways = {
          'engine (photo decoded once)': () => segmenter.segmentImage('engine', 'linear', 256),
          'engine, decode + segment': async () => {
            await segmenter.decode('engine-again', bytes, { pixels: false });
            await segmenter.segmentImage('engine-again', 'linear', 256);
          },
          'library, the same bitmap': () => segmenter.segment(bitmap),
          'library, a new bitmap': async () => segmenter.segment(await createImageBitmap(bitmap)),
          'library, JPEG bytes': () => segmenter.segment(bytes),
        };
        const ms = Object.fromEntries(Object.keys(ways).map((name) => [name, []]));
        // Each way's runs one after the other (the same bitmap is the same source only so), in
        // two rounds, so that a slow spell of the machine falls on every way alike.
        for (const round of [0, 1]) {
          for (const [name, run] of Object.entries(ways)) {
            for (let i = 0; i < 3 + runs / 2; i++) {
              const started = performance.now();
              await run();
              if (i >= 3) ms[name].push(performance.now() - started);
            }
          }
        }
        segmenter.close();
        return ms;
      },
      { b64: readFileSync(PHOTO).toString('base64'), runs },
    );
    // Each of the library's ways against the engine's way that does the same work.
    const against = { 'library, the same bitmap': 'engine (photo decoded once)', 'library, a new bitmap': 'engine (photo decoded once)', 'library, JPEG bytes': 'engine, decode + segment' };
    console.log(`one segment at 256 px, linear, CPU one thread, median of ${runs} (the call as the page makes it, answer included):`);
    for (const [name, values] of Object.entries(times)) {
      const base = against[name];
      const ratio = base ? `  ${(median(values) / median(times[base])).toFixed(3)}× ${base}` : '';
      console.log(`  ${name.padEnd(28)} ${median(values).toFixed(2)} ms${ratio}`);
    }
  } finally {
    await browser.close();
    await server.stop();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
