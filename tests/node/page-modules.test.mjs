// index.html's module scripts and the modulepreload links that ask for their imports at once:
// every module the page's scripts import, directly or not, is preloaded, nothing else is, and
// each script's own imports come right after it, in the order they are first imported (the
// segmenter's before app.js's, so that its worker starts first). Parsed as JavaScript (acorn).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parse } from 'acorn';

import { ROOT } from '../../scripts/browser.mjs';

const html = readFileSync(join(ROOT, 'index.html'), 'utf8');
const head = html.slice(0, html.indexOf('</head>'));

/** The static imports of www/`name`, in order (a module's `import … from` and `export … from`). */
function importsOf(name) {
  const tree = parse(readFileSync(join(ROOT, 'www', name), 'utf8'), { ecmaVersion: 'latest', sourceType: 'module' });
  return tree.body
    .filter((node) => /^(Import|ExportNamed|ExportAll)Declaration$/.test(node.type) && node.source)
    .map((node) => new URL(node.source.value, 'http://page/www/').pathname.replace('/www/', ''));
}

/** Every module `entry` imports, directly or not, depth first in import order, none of `seen`. */
function closure(entry, seen) {
  const found = [];
  const visit = (name) => {
    for (const imported of importsOf(name)) {
      if (seen.has(imported)) continue;
      seen.add(imported);
      found.push(imported);
      visit(imported);
    }
  };
  seen.add(entry);
  visit(entry);
  return found;
}

test('index.html preloads every module its scripts import, each script\'s right after it', () => {
  const tags = [...head.matchAll(/<(script type="module"|link rel="modulepreload") (?:src|href)="www\/([^"]+)"/g)]
    .map(([, kind, name]) => ({ script: kind.startsWith('script'), name }));
  const scripts = tags.filter((tag) => tag.script).map((tag) => tag.name);
  assert.deepEqual(scripts, ['page-engine.js', 'app.js'], 'the page\'s module scripts');
  const seen = new Set();
  const expected = scripts.flatMap((script) => [{ script: true, name: script }, ...closure(script, seen).map((name) => ({ script: false, name }))]);
  assert.deepEqual(tags, expected);
});
