// Browser tests of what a person sees and touches on the page, on the CPU on one thread
// (?backend=cpu&threads=1), each named for what it checks. Run with
// `node --test tests/browser/ui.test.mjs`.
//
// Needs what tests/browser/page.test.mjs needs but the CLI: Chromium, `npm ci`, the wasm in
// www/pkg/ and the weights in models/. Screenshots go to tests/browser/output/ui-*.png.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { PNG } from 'pngjs';

import { ROOT, launchChromium, startServer, waitForModel } from '../../scripts/browser.mjs';
import { settledPhoto } from './masks.mjs';

const OUTPUT = join(ROOT, 'tests/browser/output');
const WORK = mkdtempSync(join(tmpdir(), 'linseg-ui-'));
const PHOTO = join(ROOT, 'tests/fixtures/photos/grace_hopper.jpg');
const PHOTO_NAME = 'grace_hopper.jpg';
const MINUTE = 60_000;
const TIMEOUT = 20 * MINUTE;
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

/** A flat grey PNG: a photo with no one in it. */
function flatPng(width = 320, height = 240, grey = 128) {
  const png = new PNG({ width, height });
  for (let i = 0; i < png.data.length; i += 4) png.data.set([grey, grey, grey, 255], i);
  return PNG.sync.write(png);
}

describe('what a person sees and touches, on the CPU', () => {
  let server;
  let browser;
  let page;
  const pageErrors = [];

  before(async () => {
    mkdirSync(OUTPUT, { recursive: true });
    server = await startServer();
    browser = await launchChromium('ui');
    page = browser.page;
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${server.url}?backend=cpu&threads=1`);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(WORK, { recursive: true, force: true });
  });

  /** Picks `mode` and `size` in the Model selects. */
  const choose = async (mode, size) => {
    await page.selectOption('#mode', mode);
    await page.selectOption('#size', String(size));
  };

  /** Adds the photo file(s) and waits until `name` has settled (done, error or skipped). */
  const add = async (files, name) => {
    await page.setInputFiles('#file-input', files);
    return settledPhoto(page, name, TIMEOUT);
  };

  /** Clicks an analysis button and waits until the analysis has ended. */
  const analyse = async (button) => {
    await page.click(button);
    await page.waitForSelector('#analysis[data-state="done"], #analysis[data-state="cancelled"]', { timeout: TIMEOUT });
  };

  test('shows one focus ring at a time in the drop zone', async () => {
    // Keyboard focus: from the hidden file input (its label shows the ring) on to the sample.
    await page.focus('#file-input');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'sample');
    const rings = await page.evaluate(() => ['label[for="file-input"]', '#sample'].map((selector) => {
      const style = getComputedStyle(document.querySelector(selector));
      return style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
    }));
    assert.deepEqual(rings, [false, true], 'rings on [Choose photos…, Try the sample]');
    await page.keyboard.press('Shift+Tab');
    const labelRing = await page.locator('label[for="file-input"]').evaluate((label) => getComputedStyle(label).outlineStyle);
    assert.notEqual(labelRing, 'none', 'the file input has the focus and its label shows no ring');
  });

  test('says plainly that a ?backend it does not know is unknown, and which it knows', async () => {
    const other = await browser.context.newPage();
    try {
      await other.goto(`${server.url}?backend=gpu&threads=1`);
      const message = other.locator('#errors li', { hasText: 'backend' });
      await message.waitFor({ timeout: 30_000 });
      const text = await message.innerText();
      assert.match(text, /“\?backend=gpu” is not a backend this page knows/);
      assert.match(text, /\?backend=cpu/);
      assert.match(text, /\?backend=webgpu/);
    } finally {
      await other.close();
    }
  });

  test('disables the display settings the view in force does not use', async () => {
    const disabled = () => page.evaluate(() => ['opacity', 'blur', 'colour'].map((id) => document.getElementById(id).disabled));
    assert.deepEqual(await disabled(), [false, true, false], 'overlay: [opacity, blur, colour] disabled');
    await page.click('label[for="view-mask"]');
    assert.deepEqual(await disabled(), [true, true, true], 'mask');
    await page.click('label[for="view-blur"]');
    assert.deepEqual(await disabled(), [true, false, true], 'blur');
    await page.click('label[for="view-replace"]');
    assert.deepEqual(await disabled(), [true, true, false], 'replace');
    await page.click('label[for="view-overlay"]');
  });

  test('segments a photo; no readback row on the CPU; downloads named by mode and size', { timeout: TIMEOUT }, async () => {
    const ready = await waitForModel(page, TIMEOUT);
    assert.equal(ready.state, 'ready', ready.label);
    const settled = await add(PHOTO, PHOTO_NAME);
    assert.equal(settled.state, 'done', settled.status);
    await page.waitForSelector('#timings[data-mode="linear"]');
    const labels = await page.locator('#timings dt').allInnerTexts();
    assert.ok(labels.includes('total'), labels.join(', '));
    assert.ok(!labels.includes('readback'), `a readback row on the CPU: ${labels.join(', ')}`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-mask')]);
    assert.equal(download.suggestedFilename(), 'grace_hopper.linear-256.mask.png');
    const [view] = await Promise.all([page.waitForEvent('download'), page.click('#download-view')]);
    assert.equal(view.suggestedFilename(), 'grace_hopper.linear-256.overlay.png');
  });

  // The hint beside them says the formats and the size limit once the model has said them.
  test('keeps each drop-zone button on one line at 1280 px', async () => {
    await page.setViewportSize(DESKTOP);
    await page.waitForFunction(() => document.querySelector('[data-fact="max-file-bytes"]').textContent !== 'the size limit');
    const lines = await page.evaluate(() => ['label[for="file-input"]', '#sample'].map((selector) => {
      const range = document.createRange();
      range.selectNodeContents(document.querySelector(selector));
      return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
    }));
    assert.deepEqual(lines, [1, 1], 'lines of [Choose photos…, Try the sample]');
  });

  test('lists a message said twice once', { timeout: TIMEOUT }, async () => {
    await page.click('#clear-messages').catch(() => {});
    await page.evaluate(() => document.getElementById('size').append(new Option('abc px', 'abc')));
    for (let i = 0; i < 2; i++) {
      await page.selectOption('#size', 'abc');
      await page.waitForFunction(() => document.getElementById('errors').innerText.includes('abc'));
      await page.selectOption('#size', '256');
    }
    const messages = await page.locator('#errors li', { hasText: '“abc”' }).count();
    assert.equal(messages, 1, 'the refusal of “abc” is listed more than once');
    await page.evaluate(() => document.querySelector('#size option[value="abc"]').remove());
  });

  test('brings Compare modes’ results into view and gives their heading the focus', { timeout: TIMEOUT }, async () => {
    await page.setViewportSize(DESKTOP);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.click('#compare-modes');
    const during = await page.evaluate(() => {
      const heading = document.getElementById('analysis-title').getBoundingClientRect();
      return { focused: document.activeElement?.id ?? '', top: heading.top, bottom: heading.bottom, viewport: innerHeight };
    });
    assert.equal(during.focused, 'analysis-title', 'the focus is not on the analysis heading');
    assert.ok(during.top >= 0 && during.bottom <= during.viewport / 4,
      `the heading is at ${during.top}–${during.bottom} px of ${during.viewport}: the results below it are out of sight`);
    await page.waitForSelector('#analysis[data-state="done"]', { timeout: TIMEOUT });
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'analysis-title');
  });

  test('labels the quality figures: held-out apart from this photo', { timeout: TIMEOUT }, async () => {
    await page.click('[data-testid="sample"]');
    const sample = 'grace-hopper-on-chelsea.jpg';
    await page.waitForSelector(`[data-testid="photo"][data-name="${sample}"]`);
    const settled = await settledPhoto(page, sample, TIMEOUT);
    assert.equal(settled.state, 'done', settled.status);
    await page.waitForFunction((name) => document.getElementById('caption').textContent.startsWith(name), sample);
    await page.waitForFunction(() => /this photo: IoU \d\.\d{3}/.test(document.getElementById('caption').textContent));
    await analyse('#compare-modes');
    const head = await page.locator('#analysis-table thead th').allInnerTexts();
    const heldOut = head.find((h) => /held-out/i.test(h)) ?? '';
    assert.match(heldOut, /composites · real photos/i, `the held-out column is headed “${heldOut}”`);
    assert.ok(head.some((h) => /this photo/i.test(h)), `no column for this photo: ${head.join(' | ')}`);
    const note = page.locator('[data-testid="quality-note"]');
    assert.ok(await note.isVisible(), 'the figures are explained in a tooltip only');
    assert.match(await note.innerText(), /held-out composites.*real photos.*this photo/is);
    const captions = await page.locator('[data-testid="mode-mask"] figcaption').allInnerTexts();
    for (const caption of captions) assert.match(caption, /this photo: IoU \d\.\d{3}/, caption);
  });

  test('sweeps into view, and shows every result readably on a 390 px touch screen', { timeout: TIMEOUT }, async () => {
    await page.setViewportSize(PHONE);
    try {
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.click('#resolution-sweep');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'analysis-title');
      await page.waitForFunction(() => document.querySelectorAll('#analysis-table td.state-done').length >= 3, null, { timeout: TIMEOUT });
      await page.click('#cancel-analysis');
      await page.waitForSelector('#analysis[data-state="cancelled"]', { timeout: TIMEOUT });
      await page.locator('#analysis').scrollIntoViewIfNeeded();
      const sweep = await readability(page);
      await page.screenshot({ path: join(OUTPUT, 'ui-390-sweep.png'), fullPage: true });

      // Compare modes on the sample, from the test above: its charts, its table and its tiles.
      await analyse('#compare-modes');
      const compare = await readability(page);
      await page.screenshot({ path: join(OUTPUT, 'ui-390-compare.png'), fullPage: true });
      const tiles = await page.locator('[data-testid="mode-mask"]').evaluateAll((figures) =>
        figures.map((f) => f.getBoundingClientRect()).map((r) => ({ top: Math.round(r.top), width: r.width })));
      const targets = await smallTargets(page);

      for (const [name, layout] of [['sweep', sweep], ['compare', compare]]) {
        assert.ok(layout.charts > 0 && layout.texts > 20, `${name}: ${layout.charts} charts, ${layout.texts} texts`);
        assert.deepEqual(layout.wideCharts, [], `${name}: charts wider than their box`);
        assert.ok(layout.smallest >= 10, `${name}: chart text drawn at ${layout.smallest.toFixed(1)} px`);
        assert.deepEqual(layout.cutTexts, [], `${name}: chart text outside its chart`);
        assert.ok(layout.table <= layout.tableBox + 1, `${name}: the table is ${layout.table} px in a ${layout.tableBox} px box`);
        assert.deepEqual(layout.wide, [], `${name}: elements wider than the 390 px screen`);
      }
      assert.ok(tiles.length >= 4, `${tiles.length} tiles`);
      assert.equal(tiles[0].top, tiles[1].top, 'the first two tiles are not side by side');
      assert.notEqual(tiles[1].top, tiles[2].top, 'more than two tiles a row');
      assert.deepEqual(targets, [], 'touch targets under 44 px');
    } finally {
      await page.setViewportSize(DESKTOP);
    }
  });

  test('shows the error of each bad file added, and forgets the errors of photos removed', { timeout: TIMEOUT }, async () => {
    await page.click('[data-testid="remove-all"]');
    await page.click('#clear-messages').catch(() => {});
    await add({ name: 'empty.jpg', mimeType: 'image/jpeg', buffer: Buffer.alloc(0) }, 'empty.jpg');
    await page.waitForFunction(() => document.getElementById('view-message').textContent.includes('empty.jpg'));
    const second = await add({ name: 'garbage.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not a picture at all') }, 'garbage.jpg');
    assert.equal(second.state, 'error', second.status);
    await page.waitForFunction(() => document.getElementById('view-message').textContent.includes('garbage.jpg'), null, { timeout: 10_000 })
      .catch(() => {});
    assert.match(await page.locator('#view-message').innerText(), /garbage\.jpg could not be used/);
    assert.equal(await page.locator('#errors li').count(), 2, 'an error per bad file');
    await page.click('[data-testid="remove-all"]');
    const left = await page.locator('#errors li').allInnerTexts();
    assert.deepEqual(left.filter((text) => /empty\.jpg|garbage\.jpg/.test(text)), [], 'errors of removed photos are still listed');
  });

  test('makes a mask that finds no one a state of its own', { timeout: TIMEOUT }, async () => {
    const name = 'flat-grey.png';
    const settled = await add({ name, mimeType: 'image/png', buffer: flatPng() }, name);
    assert.equal(settled.state, 'done', settled.status);
    const thumb = page.locator(`[data-testid="photo"][data-name="${name}"]`);
    await page.waitForFunction((n) => document.querySelector(`[data-testid="photo"][data-name="${n}"]`)?.dataset.person === 'none', name);
    assert.match(await thumb.locator('[data-testid="photo-status"]').innerText(), /^No person found/);
    const message = page.locator('#view-message');
    assert.ok(await message.isVisible(), 'no message over the photo');
    assert.match(await message.innerText(), /^No person found by linear at 256 px/);
    await thumb.locator('.thumb-remove').click();
  });

  test('replaces the background with another photo', { timeout: TIMEOUT }, async () => {
    const grey = 'grey-background.png';
    await add({ name: grey, mimeType: 'image/png', buffer: flatPng(400, 300, 40) }, grey);
    const settled = await add(PHOTO, PHOTO_NAME);
    assert.equal(settled.state, 'done', settled.status);
    await page.click(`[data-testid="photo"][data-name="${PHOTO_NAME}"] .thumb-pick`);
    await page.waitForSelector('#view[data-has-mask="true"]');
    await page.click('label[for="view-replace"]');
    const options = await page.locator('#background option').allInnerTexts();
    assert.ok(options.some((o) => o.includes(grey)), `the background choices: ${options.join(', ')}`);
    const corner = () => page.locator('#view').evaluate((c) => Array.from(c.getContext('2d').getImageData(0, 0, 1, 1).data));
    assert.deepEqual(await corner(), [0x00, 0xc8, 0x78, 255], 'the colour first');
    await page.selectOption('#background', { label: `the photo ${grey}` });
    assert.deepEqual(await corner(), [40, 40, 40, 255], 'the grey photo behind the person');
    assert.equal(await page.locator('#colour').isDisabled(), true, 'the colour is live while a photo replaces the background');
    await page.selectOption('#background', '');
    await page.click('label[for="view-overlay"]');
    await page.click(`[data-testid="photo"][data-name="${grey}"] .thumb-remove`);
  });

  test('gives the heat map a colour scale and an opacity, readable in linear mode', { timeout: TIMEOUT }, async () => {
    await page.check('[data-testid="look"]');
    await page.waitForFunction(() => /^Point at the photo: linear/.test(document.querySelector('[data-testid="look-status"]').textContent),
      null, { timeout: TIMEOUT });
    assert.equal(await page.locator('#heat-opacity').isDisabled(), false, 'no opacity for the heat map');
    const view = page.locator('#view');
    await view.scrollIntoViewIfNeeded();
    const box = await view.boundingBox();
    await page.mouse.move(box.x + 2, box.y + 2);
    await page.mouse.move(box.x + box.width * 0.45, box.y + box.height * 0.35);
    const scale = page.locator('[data-testid="heat-scale"]');
    await scale.waitFor({ state: 'visible', timeout: TIMEOUT });
    const text = await scale.innerText();
    assert.match(text, /\d % \(an even share\) or less: no colour/, text);
    assert.match(text, /\d %: full colour .* log scale over this map’s [\d.]+-fold range/, text);
    await page.screenshot({ path: join(OUTPUT, 'ui-1280-heat.png') });

    const pixels = () => view.evaluate((c) => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data));
    const setOpacity = (value) => page.evaluate((v) => {
      const input = document.getElementById('heat-opacity');
      input.value = String(v);
      input.dispatchEvent(new Event('input'));
    }, value);
    await setOpacity(0);
    const bare = await pixels();
    await setOpacity(100);
    const full = await pixels();
    let strong = 0;
    let changed = 0;
    for (let i = 0; i < bare.length; i += 4) {
      const d = Math.max(...[0, 1, 2].map((c) => Math.abs(full[i + c] - bare[i + c])));
      if (d > 4) changed += 1;
      if (d > 80) strong += 1;
    }
    const n = bare.length / 4;
    assert.ok(changed / n > 0.05, `the heat map at full opacity changes ${(100 * changed / n).toFixed(1)} % of the view`);
    assert.ok(strong / n < 0.6, `the heat map covers ${(100 * strong / n).toFixed(1)} % of the view in strong colour`);
    await setOpacity(80);
    await page.uncheck('[data-testid="look"]');
    assert.ok(await scale.isHidden(), 'the scale stays when the look is off');
    assert.deepEqual(pageErrors, []);
  });
});

/**
 * The analysis panel's layout as drawn: its charts (how many, their texts and their smallest
 * size as drawn, charts wider than their box, texts outside their chart), the table's width and
 * its box's, and the elements wider than the screen (their tag and class).
 */
function readability(page) {
  return page.evaluate(() => {
    const charts = [...document.querySelectorAll('#analysis-chart svg')];
    const texts = charts.flatMap((svg) => [...svg.querySelectorAll('text')]);
    const sizes = texts.map((t) => parseFloat(getComputedStyle(t).fontSize) * t.ownerSVGElement.getScreenCTM().a);
    const box = document.getElementById('analysis-chart').getBoundingClientRect();
    const wideCharts = charts.map((svg) => svg.getBoundingClientRect()).filter((r) => r.width > box.width + 1 || r.right > box.right + 1)
      .map((r) => r.width);
    const cutTexts = texts.filter((t) => {
      const r = t.getBoundingClientRect();
      const s = t.ownerSVGElement.getBoundingClientRect();
      return r.width > 0 && (r.left < s.left - 1 || r.right > s.right + 1 || r.top < s.top - 1 || r.bottom > s.bottom + 1);
    }).map((t) => t.textContent);
    const table = document.getElementById('analysis-table');
    const wide = [...document.querySelectorAll('body *')]
      .filter((el) => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && (r.right > innerWidth + 1 || r.left < -1) && !el.closest('.strip');
      })
      .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${el.className?.baseVal ?? el.className} ${Math.round(el.getBoundingClientRect().width)}`);
    return {
      charts: charts.length,
      texts: texts.length,
      smallest: Math.min(...sizes),
      wideCharts,
      cutTexts,
      table: table.getBoundingClientRect().width,
      tableBox: table.parentElement.getBoundingClientRect().width,
      wide: [...wide, ...(document.documentElement.scrollWidth > innerWidth ? [`the page, ${document.documentElement.scrollWidth}`] : [])],
    };
  });
}

/** The visible controls smaller than 44 × 44 px (a checkbox counts with its label). */
function smallTargets(page) {
  return page.evaluate(() => {
    const selector = 'button, select, input, label.button, .segmented label, summary';
    const small = [];
    for (const el of document.querySelectorAll(selector)) {
      if (el.closest('[hidden]') || el.classList.contains('visually-hidden') || el.type === 'radio' || el.type === 'file') continue;
      const style = getComputedStyle(el);
      if (style.display === 'none' || style.visibility === 'hidden') continue;
      let rect = el.getBoundingClientRect();
      if (rect.width === 0) continue;
      if (el.type === 'checkbox') {
        const label = document.querySelector(`label[for="${el.id}"]`);
        rect = label ? label.getBoundingClientRect() : rect;
      }
      if (rect.height < 44 - 0.5 || rect.width < 44 - 0.5) {
        small.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${el.className} ${Math.round(rect.width)}×${Math.round(rect.height)}`);
      }
    }
    return small;
  });
}
