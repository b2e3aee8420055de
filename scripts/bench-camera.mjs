// The camera's figures for `npm run bench:page`: Chromium's fake camera plays a clip from
// scripts/make-camera-clip.mjs, the page runs on the CPU backend (?backend=cpu), and the
// camera's own "Compare modes" gives every mode a fixed number of frames at each size.
// Prints one Markdown table per size: frames per second, latency median and p95 (from a
// frame's capture to its mask on the page).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { FLAGS, launchChromium, waitForModel } from './browser.mjs';
import { makeCameraClip } from './make-camera-clip.mjs';

const MINUTE = 60_000;

/**
 * Runs the camera's comparison at each of `sizes` with `frames` frames per mode on the page
 * served at `server.url`; prints the tables and resolves [{ size, rows: [{ mode, fps }] }].
 */
export async function benchCamera(server, { sizes = [256, 512], frames = 30 } = {}) {
  const work = mkdtempSync(join(tmpdir(), 'linseg-bench-camera-'));
  const clip = await makeCameraClip({ out: join(work, 'clip.y4m') });
  const flags = [
    ...FLAGS,
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    `--use-file-for-fake-video-capture=${clip}`,
  ];
  const { page, close } = await launchChromium('bench-camera', flags);
  const results = [];
  try {
    await page.goto(new URL('index.html?backend=cpu', server.url).href);
    const model = await waitForModel(page, 15 * MINUTE);
    if (model.state !== 'ready') throw new Error(`the model did not start: ${model.label}`);
    await page.click('#camera-toggle');
    await page.waitForSelector('#camera[data-state="live"]');
    await page.fill('#camera-compare-frames', String(frames));
    console.log(`\n## Live camera on ${model.label} (fake camera, 256×256 at 30 fps, ${frames} frames per mode)\n`);
    for (const size of sizes) {
      await page.selectOption('#size', String(size));
      await page.click('#camera-compare');
      await page.waitForSelector('#camera[data-compare="running"]');
      await page.waitForSelector('#camera[data-compare="done"], #camera[data-compare="cancelled"]', { timeout: 20 * MINUTE });
      const table = await page.locator('#camera-compare-table tr').evaluateAll((trs) =>
        trs.map((tr) => [...tr.children].map((cell) => cell.textContent.trim())),
      );
      const [head, ...body] = table;
      console.log(`### ${size} px\n`);
      console.log([head, head.map(() => '---'), ...body].map((row) => `| ${row.join(' | ')} |`).join('\n'));
      console.log(`\n${await page.locator('#camera-compare-status').innerText()}\n`);
      const rows = await page.locator('#camera-compare-table tbody tr').evaluateAll((trs) =>
        trs.map((tr) => ({ mode: tr.dataset.mode, fps: Number(tr.dataset.fps) })),
      );
      results.push({ size, rows });
    }
  } finally {
    await close();
    rmSync(work, { recursive: true, force: true });
  }
  return results;
}
