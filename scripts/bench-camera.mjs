// The camera's figures for `npm run bench:page`: Chromium's fake camera plays a clip from
// scripts/make-camera-clip.mjs, the page runs on the CPU backend (?backend=cpu), and the
// camera's own "Compare modes" gives every mode a fixed number of frames at each size, once per
// number of camera workers (?camera-workers=N: one frame per worker at a time, see
// www/frame-pool.js). Prints one Markdown table per size and worker count: frames per second,
// latency median and p95 (from a frame's capture to its mask on the page), then the ratio of
// frames per second between the worker counts.
//
// benchCameraLive (run on its own: `node scripts/bench-camera.mjs`) watches the live camera at
// the default page's settings, as a person starts it, and prints its frame rate, its latency and
// where a frame's time goes (the page's window.__linsegCamera.breakdown): from capture to the
// frame sent to a worker, the worker reading its pixels, the engine (inference apart), the round
// trip's rest (messages, the worker's queue), the mask's arrival to its drawing, and the drawing.
// `--against DIR` serves another checkout of the page (its own www/pkg) and measures it in turn,
// in the same run, round by round.
//
//   node scripts/bench-camera.mjs [--seconds N] [--rounds N] [--camera-size WxH] [--query Q] [--against DIR]

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { FLAGS, launchChromium, startServer, waitForModel } from './browser.mjs';
import { makeCameraClip } from './make-camera-clip.mjs';
import { median, percentile } from '../www/stats.js';

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

// ---------------------------------------------------------------------------------------------
// The live camera, as a person starts it.

/** Frames left out at the start of a live measurement (the workers start, the weights load). */
const LIVE_SKIP_FRAMES = 30;

/** The stages of window.__linsegCamera.breakdown, in a frame's order, as the table names them. */
const STAGES = [
  ['waited', 'capture → sent'],
  ['read', 'read pixels'],
  ['inference', 'inference'],
  ['engineRest', 'engine, rest'],
  ['transfer', 'messages'],
  ['drawn', 'arrival → drawn'],
  ['draw', 'drawing'],
];

/** Chromium's fake camera playing `clip`, the permission granted. */
function cameraFlags(clip) {
  return [...FLAGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${clip}`];
}

/**
 * The live camera on the page at `url` (`clip` in the fake camera) for `seconds` after its first
 * LIVE_SKIP_FRAMES masks: { label, fps, latency: { median, p95 }, stages: { key: median ms },
 * frames, workers, source }.
 */
async function measureLive(url, clip, seconds) {
  const { page, close } = await launchChromium('bench-camera-live', cameraFlags(clip));
  try {
    await page.goto(url);
    const model = await waitForModel(page, 15 * MINUTE);
    if (model.state !== 'ready') throw new Error(`the model did not start: ${model.label}`);
    await page.click('#camera-toggle');
    await page.waitForSelector('#camera[data-state="live"]');
    const processed = () => page.evaluate(() => window.__linsegCamera.stats.processed);
    await page.waitForFunction((n) => window.__linsegCamera.stats.processed >= n, LIVE_SKIP_FRAMES, { timeout: 5 * MINUTE, polling: 100 });
    // The page's paints (animation frames), counted over the same window: what is seen.
    await page.evaluate(() => {
      window.__paints = 0;
      const count = () => {
        window.__paints += 1;
        requestAnimationFrame(count);
      };
      requestAnimationFrame(count);
    });
    const paints = () => page.evaluate(() => window.__paints);
    const start = { at: Date.now(), processed: await processed(), paints: await paints() };
    await page.waitForTimeout(seconds * 1000);
    const end = { at: Date.now(), processed: await processed(), paints: await paints() };
    const { breakdown, stats, figures, shownLatency } = await page.evaluate(() => {
      const { dataset, textContent } = document.getElementById('camera-figures');
      return {
        // A page without the breakdown (an older checkout) has only its own figures.
        breakdown: window.__linsegCamera.breakdown ?? [],
        stats: window.__linsegCamera.stats,
        figures: textContent,
        shownLatency: { median: Number(dataset.medianMs), p95: Number(dataset.p95Ms) },
      };
    });
    // The frames drawn within the window (the breakdown keeps the newest ones).
    const frames = breakdown.slice(-Math.max(1, end.processed - start.processed));
    const of = (key) => frames.map((f) => f[key]).filter((v) => Number.isFinite(v));
    return {
      label: `${model.label}; ${figures}`,
      fps: ((end.processed - start.processed) * 1000) / (end.at - start.at),
      paintsPerSecond: ((end.paints - start.paints) * 1000) / (end.at - start.at),
      latency: frames.length ? { median: median(of('latency')), p95: percentile(of('latency'), 0.95) } : shownLatency,
      shown: median(of('shown')),
      stages: Object.fromEntries(STAGES.map(([key]) => [key, median(of(key))])),
      frames: frames.length,
      workers: stats.workers,
      source: stats.source ?? 'video',
    };
  } finally {
    await close();
  }
}

/**
 * Starts `root`'s own scripts/serve.mjs (another checkout of the page) on a free port; resolves
 * { url, stop }.
 */
function serveCheckout(root) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(root, 'scripts/serve.mjs'), '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /http:\/\/127\.0\.0\.1:\d+\//.exec(output);
      if (match) resolvePromise({ url: match[0], stop: async () => child.kill('SIGTERM') });
    });
    child.once('exit', (code) => reject(new Error(`${root}'s serve.mjs exited (${code}) before listening`)));
  });
}

/**
 * The live camera on each of `pages` ({ name, url } of index.html with its query), `rounds`
 * times in turn, `seconds` each; prints one table row per page and round.
 */
export async function benchCameraLive(pages, { seconds = 15, rounds = 1, camera = CAMERA_SIZE } = {}) {
  const work = mkdtempSync(join(tmpdir(), 'linseg-bench-camera-live-'));
  const rows = [];
  try {
    const clip = await makeCameraClip({ out: join(work, 'clip.y4m'), ...camera });
    for (let round = 1; round <= rounds; round++) {
      for (const { name, url } of pages) {
        const r = await measureLive(url, clip, seconds);
        console.log(`${name}, round ${round}: ${r.label} (frames from the ${r.source})`);
        rows.push([
          `${name}, round ${round}`,
          r.fps.toFixed(1),
          r.paintsPerSecond.toFixed(1),
          ms(r.latency.median),
          ms(r.latency.p95),
          ...STAGES.map(([key]) => ms(r.stages[key])),
          ms(r.shown),
          String(r.frames),
        ]);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const head = ['', 'fps', 'paints/s', 'latency median', 'latency p95', ...STAGES.map(([, title]) => title), 'capture → drawn', 'frames'];
  console.log(
    `\n## Live camera, as a person starts it (fake camera, ${camera.width}×${camera.height} at 30 fps; ` +
      `${seconds} s after the first ${LIVE_SKIP_FRAMES} masks; stage medians over the frames drawn)\n`,
  );
  console.log([head, head.map(() => '---'), ...rows].map((row) => `| ${row.join(' | ')} |`).join('\n'));
  console.log(
    '\nfps: masks a second; paints/s: the page\'s animation frames a second (a mask is seen at most once a paint); ' +
      'latency: capture to the mask back on the page (what the page shows; a page without the breakdown: its own ' +
      'figures of its last 3 s); capture → sent: the frame waiting for a ' +
      'free worker, its handle for the view made meanwhile; messages: the round trip beyond the worker\'s read and ' +
      'engine; arrival → drawn: the mask waiting for the next animation frame.',
  );
  return rows;
}

/** 12.345 -> "12.3 ms"; null -> "–". */
function ms(value) {
  return value == null || !Number.isFinite(value) ? '–' : `${value.toFixed(1)} ms`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values: args } = parseArgs({
    options: {
      seconds: { type: 'string', default: '15' },
      rounds: { type: 'string', default: '1' },
      'camera-size': { type: 'string', default: `${CAMERA_SIZE.width}x${CAMERA_SIZE.height}` },
      query: { type: 'string', default: '' },
      against: { type: 'string' },
    },
  });
  const size = /^(\d+)x(\d+)$/.exec(args['camera-size']);
  if (!size) throw new Error(`--camera-size takes WIDTHxHEIGHT (e.g. 640x480), not ${args['camera-size']}`);
  const servers = [await startServer()];
  const pages = [{ name: 'this checkout', url: new URL(`index.html?${args.query}`, servers[0].url).href }];
  try {
    if (args.against) {
      servers.push(await serveCheckout(resolve(args.against)));
      pages.push({ name: args.against, url: new URL(`index.html?${args.query}`, servers[1].url).href });
    }
    await benchCameraLive(pages, {
      seconds: Number(args.seconds),
      rounds: Number(args.rounds),
      camera: { width: Number(size[1]), height: Number(size[2]) },
    });
  } finally {
    for (const server of servers) await server.stop();
  }
}
