// The camera's figures for `npm run bench:page`: Chromium's fake camera plays a clip from
// scripts/make-camera-clip.mjs, the page runs on the CPU backend (?backend=cpu), and the
// camera's own "Compare modes" gives every mode a fixed number of frames at each size, once per
// number of camera workers (?camera-workers=N: one frame per worker at a time, see
// www/frame-pool.js). Prints one Markdown table per size and worker count: frames per second,
// latency median and p95 (from a frame's capture to its mask on the page), then the ratio of
// frames per second between the worker counts.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { FLAGS, launchChromium, waitForModel } from './browser.mjs';
import { makeCameraClip } from './make-camera-clip.mjs';

const MINUTE = 60_000;

/** The fake camera's frame size unless another is asked for: a common webcam's, 4:3. */
export const CAMERA_SIZE = { width: 640, height: 480 };

/**
 * Runs the camera's comparison at each of `sizes` with `frames` frames per mode on the page
 * served at `server.url`, with each of `workers` camera workers, the fake camera's frames
 * `camera.width`×`camera.height`; prints the tables and the ratios, and resolves
 * [{ workers, size, rows: [{ mode, fps }] }].
 */
export async function benchCamera(server, { sizes = [256, 512], frames = 30, workers = [1, 2], camera = CAMERA_SIZE } = {}) {
  const results = [];
  for (const count of workers) results.push(...(await benchWorkers(server, { sizes, frames, workers: count, camera })));
  for (const size of sizes) {
    const fps = (count, mode) =>
      results.find((r) => r.workers === count && r.size === size)?.rows.find((row) => row.mode === mode)?.fps;
    for (const count of workers.slice(1)) {
      const line = ['none', 'linear', 'dot']
        .map((mode) => `${mode} ${(fps(count, mode) / fps(workers[0], mode)).toFixed(2)}×`)
        .join(', ');
      console.log(`camera fps, ${count} workers ÷ ${workers[0]} at ${size} px: ${line}`);
    }
  }
  return results;
}

/** The camera's comparison at each size with `workers` camera workers (see benchCamera). */
async function benchWorkers(server, { sizes, frames, workers, camera }) {
  const work = mkdtempSync(join(tmpdir(), 'linseg-bench-camera-'));
  const clip = await makeCameraClip({ out: join(work, 'clip.y4m'), ...camera });
  const flags = [
    ...FLAGS,
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    `--use-file-for-fake-video-capture=${clip}`,
  ];
  const { page, close } = await launchChromium('bench-camera', flags);
  const results = [];
  try {
    await page.goto(new URL(`index.html?backend=cpu&camera-workers=${workers}`, server.url).href);
    const model = await waitForModel(page, 15 * MINUTE);
    if (model.state !== 'ready') throw new Error(`the model did not start: ${model.label}`);
    await page.click('#camera-toggle');
    await page.waitForSelector('#camera[data-state="live"]');
    await page.fill('#camera-compare-frames', String(frames));
    console.log(
      `\n## Live camera on ${model.label}, ${workers} camera worker${workers === 1 ? '' : 's'} ` +
        `(fake camera, ${camera.width}×${camera.height} at 30 fps, ${frames} frames per mode)\n`,
    );
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
      results.push({ workers, size, rows });
    }
  } finally {
    await close();
    rmSync(work, { recursive: true, force: true });
  }
  return results;
}
