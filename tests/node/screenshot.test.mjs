// The README's pictures of the page (docs/page.jpg, docs/page-modes.jpg) are made by
// `npm run screenshot` from the page's sources; docs/page.json records the hash of the sources
// they were made from. A change to the page's sources without new pictures fails here.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';

import { pageSources, pageSourcesHash } from '../../scripts/page-sources.mjs';

const docs = (name) => new URL(`../../docs/${name}`, import.meta.url);

test('the pictures of the page were made from the page as it is', () => {
  for (const picture of ['page.jpg', 'page-modes.jpg']) assert.ok(existsSync(docs(picture)), `docs/${picture} is missing`);
  const record = JSON.parse(readFileSync(docs('page.json'), 'utf8'));
  assert.equal(record.page_sources_sha256, pageSourcesHash(),
    'the page changed since docs/page.jpg was made: run `npm run screenshot` (after `npm run build`) and commit the pictures');
});

test('the hash covers the page, its scripts and its style sheet, not the built modules', () => {
  const sources = pageSources();
  for (const path of ['index.html', 'www/app.js', 'www/worker.js', 'www/style.css']) assert.ok(sources.includes(path), path);
  assert.ok(!sources.some((path) => path.startsWith('www/pkg/') || path.startsWith('www/samples/')), sources.join(', '));
});
