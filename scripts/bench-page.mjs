#!/usr/bin/env node
// The page's own figures, measured in headless Chromium: for each backend, the page's
// "Resolution sweep" (total time per run of every mode at 256, 512 and 1024 px; a mode and size
// whose shaders were not compiled yet runs once untimed first) and its "Compare modes" at 1024 px
// (the attention block's memory). Prints both tables as Markdown.
//
//   node scripts/bench-page.mjs [--backend webgpu|cpu|both] [--photo PATH]
//   npm run bench:page
//
// Needs what the browser tests need: Chromium, `npm ci`, the wasm in www/pkg/ (npm run build).
// On a machine without a GPU, WebGPU is SwiftShader, a software Vulkan: slow, and its times vary.

import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { ROOT, launchChromium, startServer, waitForModel } from './browser.mjs';

const MINUTE = 60_000;
const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'both' },
    photo: { type: 'string', default: 'tests/fixtures/photos/grace_hopper.jpg' },
  },
});
const backends = args.backend === 'both' ? ['webgpu', 'cpu'] : [args.backend];
const photo = resolve(ROOT, args.photo);

/** The analysis panel's table as Markdown. */
async function analysisTable(page) {
  const rows = await page.locator('#analysis-table tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.children].map((cell) => cell.textContent.trim())),
  );
  const [head, ...body] = rows;
  return [head, head.map(() => '---'), ...body].map((row) => `| ${row.join(' | ')} |`).join('\n');
}

/** Clicks an analysis button and waits for the analysis to finish. */
async function analyse(page, button) {
  await page.click(button);
  await page.waitForSelector('#analysis[data-state="done"], #analysis[data-state="cancelled"]', {
    timeout: 30 * MINUTE,
  });
  return {
    title: await page.locator('#analysis-title').innerText(),
    status: await page.locator('#analysis-status').innerText(),
    table: await analysisTable(page),
  };
}

const server = await startServer();
try {
  for (const backend of backends) {
    const { page, close } = await launchChromium(`bench-${backend}`);
    try {
      await page.goto(new URL(`index.html?backend=${backend}`, server.url).href);
      const model = await waitForModel(page, 15 * MINUTE);
      if (model.state !== 'ready') throw new Error(`the model did not start: ${model.label}`);
      console.log(`\n## ${model.label}\n`);

      await page.setInputFiles('#file-input', photo);
      await page.waitForSelector('[data-testid="photo"][data-state="done"]', { timeout: 15 * MINUTE });
      for (const button of ['#resolution-sweep', '#compare-modes']) {
        if (button === '#compare-modes') {
          const run = Number(await page.locator('#timings').getAttribute('data-run'));
          await page.selectOption('#size', '1024');
          await page.waitForFunction(
            (previous) => Number(document.getElementById('timings').dataset.run) > previous,
            run,
            { timeout: 15 * MINUTE },
          );
        }
        const { title, status, table } = await analyse(page, button);
        console.log(`### ${title}\n\n${table}\n\n${status}\n`);
      }
    } finally {
      await close();
    }
  }
} finally {
  await server.stop();
}
