#!/usr/bin/env node
// The README's pictures of the page, made from the real page: the default page (what a person
// opens) in headless Chromium with the bundled sample segmented in linear attention at 512 px
// (docs/page.jpg), and Compare modes' masks of it side by side (docs/page-modes.jpg). Writes
// docs/page.json too: the hash of the page's sources the pictures were made from
// (scripts/page-sources.mjs); the Node tests fail once the sources change until this runs again.
//
//   npm run screenshot
//
// Needs what the browser tests need: Chromium, `npm ci`, the wasm in www/pkg/ (npm run build).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { ROOT, launchChromium, startServer, waitForModel } from './browser.mjs';
import { pageSourcesHash } from './page-sources.mjs';

const MINUTE = 60_000;
const MODE = 'linear';
const SIZE = 512;
/** The picture's width and height in CSS pixels: the top of the page and the first row of masks. */
const VIEW = { width: 1280, height: 1000 };

const server = await startServer();
const { page, close } = await launchChromium('screenshot');
try {
  await page.setViewportSize(VIEW);
  await page.goto(new URL('index.html', server.url).href);
  const model = await waitForModel(page, 5 * MINUTE);
  if (model.state !== 'ready') throw new Error(`the model did not start: ${model.label}`);
  await page.selectOption('#mode', MODE);
  await page.selectOption('#size', String(SIZE));
  await page.click('[data-testid="sample"]');
  await page.waitForSelector('[data-testid="photo"][data-state="done"]', { timeout: 5 * MINUTE });
  await page.waitForFunction(() => /IoU \d\.\d{3} against its true mask/.test(document.getElementById('caption').textContent));
  await page.click('#compare-modes');
  await page.waitForSelector('[data-testid="mode-mask"]', { timeout: 15 * MINUTE });
  await page.waitForSelector('#compare-modes:not([disabled])', { timeout: 15 * MINUTE });
  // Nothing moving: the pointer off the page, the page scrolled to its top.
  await page.mouse.move(0, 0);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(ROOT, 'docs/page.jpg'), quality: 85, clip: { x: 0, y: 0, ...VIEW } });
  await page.locator('#analysis-masks').screenshot({ path: join(ROOT, 'docs/page-modes.jpg'), quality: 85 });
  const record = { made_by: 'npm run screenshot', page_sources_sha256: pageSourcesHash(), mode: MODE, size: SIZE };
  writeFileSync(join(ROOT, 'docs/page.json'), `${JSON.stringify(record, null, 2)}\n`);
  console.log(`docs/page.jpg, docs/page-modes.jpg: ${MODE} at ${SIZE} px on the sample, on ${model.label}`);
} finally {
  await close();
  await server.stop();
}
