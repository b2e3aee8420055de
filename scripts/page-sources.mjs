// The files the page is drawn from (index.html and www/'s scripts, style sheet and icon; not the
// built modules or the sample photo) and one sha256 over them. docs/page.json records the hash
// that the pictures docs/page.jpg and docs/page-modes.jpg were made from;
// tests/node/screenshot.test.mjs fails when they part.

import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The page's source files, relative to the repository root, in a fixed order. */
export function pageSources() {
  const www = readdirSync(join(ROOT, 'www'), { withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(js|css|svg)$/.test(entry.name))
    .map((entry) => `www/${entry.name}`);
  return ['index.html', ...www.sort()];
}

/** sha256 (hex) over each source file's path and bytes. */
export function pageSourcesHash() {
  const hash = createHash('sha256');
  for (const path of pageSources()) {
    hash.update(`${path}\0`);
    hash.update(readFileSync(join(ROOT, path)));
    hash.update('\0');
  }
  return hash.digest('hex');
}
