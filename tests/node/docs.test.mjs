// The docs repeat figures that one file holds: the held-out quality is `linseg eval`'s
// models/metrics.json, each block's training its models/training-<mode>.json, how far a block
// can go the models/ceiling-*.json logs. These tests fail when a figure in README.md or
// models/README.md parts from its file (compared rounded to three decimals, as printed), when
// a path the docs name is not in the repository, and when a www/ module lacks the header the
// README promises.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const read = (path) => readFileSync(join(ROOT, path), 'utf8');
const json = (path) => JSON.parse(read(path));

const metrics = json('models/metrics.json');
const MODES = [...new Set(metrics.scores.map((s) => s.mode))].filter((m) => m !== 'mediapipe');

/** metrics.json's score of `mode` on `kind` images at `size`; the anchor has one, for every size. */
function score(mode, kind, size) {
  const found = metrics.scores.find((s) => s.mode === mode && s.kind === kind && (mode === 'mediapipe' || s.size === size));
  assert.ok(found, `models/metrics.json has no ${mode} ${kind} score at ${size} px`);
  return found;
}

const r3 = (x) => x.toFixed(3);

/** The text of a markdown section: from its heading line to the next heading of its level or above. */
function section(markdown, heading) {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.trim() === heading);
  assert.notEqual(start, -1, `no "${heading}" heading`);
  const level = heading.match(/^#+/)[0].length;
  const end = lines.findIndex((line, i) => i > start && /^#+ /.test(line) && line.match(/^#+/)[0].length <= level);
  return lines.slice(start + 1, end === -1 ? undefined : end).join('\n');
}

/** The markdown tables in `text`, in order: { header: [cells], rows: [[cells]] }. */
function tables(text) {
  const found = [];
  let current = null;
  for (const line of text.split('\n')) {
    if (!line.startsWith('|')) {
      current = null;
      continue;
    }
    const cells = line.replace(/^\|/, '').replace(/\|\s*$/, '').split('|').map((c) => c.trim());
    if (!current) {
      current = { header: cells, rows: [] };
      found.push(current);
    } else if (!cells.every((c) => /^:?-+:?$/.test(c))) {
      current.rows.push(cells);
    }
  }
  return found;
}

/** The first table after the line `marker` in `text`. */
function tableAfter(text, marker) {
  const at = text.indexOf(marker);
  assert.notEqual(at, -1, `no "${marker}"`);
  const [first] = tables(text.slice(at));
  assert.ok(first, `no table after "${marker}"`);
  return first;
}

/** A mode named in a table's first cell: `mediapipe` for the anchor. */
const modeOf = (cell) => (/mediapipe/i.test(cell) ? 'mediapipe' : cell.replace(/`/g, ''));

// README.md ------------------------------------------------------------------------------------

const readme = read('README.md');

test("README's Mask quality table is metrics.json's IoU at 1024 px as segmented, every mode and the anchor", () => {
  const quality = section(readme, '## Mask quality');
  const table = tableAfter(quality, 'IoU at 1024 px as segmented');
  assert.deepEqual(table.header.slice(1), ['composites', 'real photos']);
  const listed = table.rows.map(([name]) => modeOf(name));
  assert.deepEqual([...listed].sort(), [...MODES, 'mediapipe'].sort(), 'every mode once, and the anchor');
  for (const [name, composites, real] of table.rows) {
    const mode = modeOf(name);
    assert.equal(composites, r3(score(mode, 'composite', 1024).segmented.iou), `${mode}, composites`);
    assert.equal(real, r3(score(mode, 'real', 1024).segmented.iou), `${mode}, real photos`);
  }
});

test("README's one-pass and fit-to-the-held-out figures are metrics.json's and the ceiling log's", () => {
  const quality = section(readme, '## Mask quality');
  const onePass = quality.match(/in one pass at 1024 px[^]*?dot (\d\.\d{3}) and efficient (\d\.\d{3}) against none's (\d\.\d{3})/);
  assert.ok(onePass, 'the sentence on one pass at 1024 px (dot, efficient, none) changed: update this test');
  ['dot', 'efficient', 'none'].forEach((mode, i) =>
    assert.equal(onePass[i + 1], r3(score(mode, 'composite', 1024).single_pass.iou), `${mode}, one pass`));

  const ceiling = json('models/ceiling-linear-segmented.json').heldout_at_end;
  const atEnd = (kind) => r3(ceiling.find((s) => s.kind === kind && s.size === 1024).segmented.iou);
  const fit = quality.match(/the linear block reaches (\d\.\d{3}) on the\s+composites[^]*?on the real photos it\s+reaches only (\d\.\d{3})/);
  assert.ok(fit, 'the sentence on the block fit to the held-out images changed: update this test');
  assert.equal(fit[1], atEnd('composite'));
  assert.equal(fit[2], atEnd('real'));
});

test("README's headline quality row is metrics.json's", () => {
  const row = readme.split('\n').find((line) => line.startsWith('| held-out IoU at 1024 px, composites:'));
  assert.ok(row, 'no headline row on held-out IoU');
  const [what, figures] = row.split('|').slice(1, 3).map((c) => c.trim());
  const names = what.replace(/^.*composites:\s*/, '').split(' · ').map(modeOf);
  const values = figures.split(';')[0].split(' · ');
  assert.equal(values.length, names.length);
  names.forEach((mode, i) => assert.equal(values[i], r3(score(mode, 'composite', 1024).segmented.iou), mode));
  const gap = figures.match(/no mode more than (\d\.\d{3}) above none/);
  assert.ok(gap, 'the "no mode more than … above none" clause changed: update this test');
  const none = score('none', 'composite', 1024).segmented.iou;
  const best = Math.max(...MODES.map((m) => score(m, 'composite', 1024).segmented.iou));
  assert.equal(gap[1], r3(best - none));
});

test("README's dot ÷ linear row is the summary line docs/performance.md quotes", () => {
  const ratios = (text) => text.match(/time\s+(\d+\.\d)×,\s+memory\s+(\d+\.\d)×,\s+FLOPs\s+(\d+\.\d)×/)?.slice(1);
  const row = readme.split('\n').find((line) => line.includes('`linseg bench attention` |'));
  assert.ok(row, 'no headline row for linseg bench attention');
  const quoted = ratios(read('docs/performance.md'));
  assert.ok(quoted, 'docs/performance.md quotes no dot ÷ linear summary line');
  assert.deepEqual(ratios(row), quoted);
});

test('every path of this repository the docs name in backticks is there', () => {
  const docs = ['README.md', 'models/README.md', ...readdirSync(join(ROOT, 'docs')).filter((n) => n.endsWith('.md')).map((n) => `docs/${n}`)];
  const missing = [];
  for (const doc of docs) {
    // `src/…`, `www/…`, `scripts/…`, `tests/…`, `examples/…`: the folders whose files move.
    for (const [, path] of read(doc).matchAll(/`((?:src|www|scripts|tests|examples)\/[\w./-]*[\w/])`/g)) {
      if (!existsSync(join(ROOT, path))) missing.push(`${doc}: ${path}`);
    }
  }
  assert.deepEqual(missing, [], 'named in the docs but not in the repository');
});

test('every www/ module has the "Owns: … Must not touch: …" header the README promises', () => {
  for (const name of readdirSync(join(ROOT, 'www')).filter((n) => n.endsWith('.js'))) {
    const lines = read(`www/${name}`).split('\n');
    const header = lines.slice(0, lines.findIndex((line) => !line.startsWith('//'))).map((line) => line.slice(2)).join(' ');
    assert.match(header, /Owns:/, `www/${name}`);
    assert.match(header, /Must\s+not\s+touch:/, `www/${name}`);
  }
});

// models/README.md -----------------------------------------------------------------------------

const models = read('models/README.md');

/** Which score a results-table column holds: "IoU 512", "one pass 1024", "boundary F 256", "MAE 2048". */
function column(header) {
  const found = header.match(/^(IoU|one pass|boundary F|MAE) (\d+)$/);
  assert.ok(found, `unknown column "${header}"`);
  const [pass, key] = { IoU: ['segmented', 'iou'], 'one pass': ['single_pass', 'iou'], 'boundary F': ['segmented', 'boundary_f'], MAE: ['segmented', 'mae'] }[found[1]];
  return { pass, key, size: Number(found[2]) };
}

for (const [heading, kind] of [['**18 composites (exact truth)**', 'composite'], ['**4 real photos with people (reference mattes)**', 'real']]) {
  test(`models/README.md's results on ${kind} images are metrics.json's`, () => {
    const at = models.indexOf(heading);
    assert.notEqual(at, -1, `no ${heading}`);
    const [iou, boundary] = tables(models.slice(at));
    for (const table of [iou, boundary]) {
      const columns = table.header.slice(1).map(column);
      assert.deepEqual(table.rows.map(([name]) => modeOf(name)).sort(), ['mediapipe', ...MODES].sort());
      for (const [name, ...cells] of table.rows) {
        const mode = modeOf(name);
        cells.forEach((cell, i) => {
          const { pass, key, size } = columns[i];
          assert.equal(cell, r3(score(mode, kind, size)[pass][key]), `${mode}, ${table.header[i + 1]}`);
        });
      }
    }
  });
}

test("models/README.md's training table is the training logs'", () => {
  const table = tableAfter(models, '| mode | block kept after step |');
  for (const [name, step, , minutes] of table.rows) {
    const log = json(`models/training-${modeOf(name)}.json`);
    assert.equal(Number(step), log.kept_step, `${name}, kept step`);
    assert.equal(minutes, log.minutes.toFixed(1), `${name}, minutes`);
  }
  assert.deepEqual(table.rows.map(([name]) => modeOf(name)).sort(), MODES.filter((m) => m !== 'none').sort());
});

test("models/README.md's table of how far a block can go is metrics.json's and the ceiling logs'", () => {
  const table = tableAfter(models, '| held-out, IoU at 1024 px |');
  const fromScores = (s) => `${r3(s.segmented.iou)} · ${r3(s.single_pass.iou)}`;
  const ceiling = (file) => (kind) => fromScores(json(`models/${file}`).heldout_at_end.find((s) => s.kind === kind && s.size === 1024));
  const none = (kind) => score('none', kind, 1024);
  const expected = [
    [/^none/, (kind) => fromScores(none(kind))],
    [/shipped linear block/, (kind) => fromScores(score('linear', kind, 1024))],
    [/linear block, fit to these images as segmented/, ceiling('ceiling-linear-segmented.json')],
    [/linear block, fit to these images in one pass/, ceiling('ceiling-linear-one-pass.json')],
    [/block and the decoder/, ceiling('ceiling-linear-segmented-decoder.json')],
    [/targets ask/, (kind) => `${r3(none(kind).segmented.iou + 0.03)} · ${r3(none(kind).single_pass.iou + 0.1)}`],
  ];
  assert.equal(table.rows.length, expected.length);
  for (const [name, composites, real] of table.rows) {
    const [, value] = expected.find(([pattern]) => pattern.test(name)) ?? assert.fail(`unknown row "${name}"`);
    assert.equal(composites, value('composite'), `${name}, composites`);
    assert.equal(real, value('real'), `${name}, real photos`);
  }
});
