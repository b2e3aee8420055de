// The protocol between the page and the model's worker (www/protocol.js) against the code on
// both sides, read as text (the worker's modules need a browser to run): every request the page
// sends has a handler and an entry in the protocol, and every entry is sent; every event the
// worker posts is in the protocol and has a reader; every error kind the worker gives is one the
// protocol names.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { ERROR_KINDS, EVENTS, REQUESTS } from '../../www/protocol.js';

const WWW = new URL('../../www/', import.meta.url).pathname;
const read = (name) => readFileSync(join(WWW, name), 'utf8');
const all = (text, pattern) => new Set([...text.matchAll(pattern)].map((match) => match[1]));
const sorted = (set) => [...set].sort();

const workerFiles = readdirSync(WWW).filter((name) => /^worker(-[a-z]+)?\.js$/.test(name));
const workerText = workerFiles.map(read).join('\n');
const pageFiles = readdirSync(WWW).filter((name) => name.endsWith('.js') && !workerFiles.includes(name));

/** The handlers of worker.js: the methods of its OPS table. */
function handlers() {
  const text = read('worker.js');
  const table = text.slice(text.indexOf('const OPS = {'));
  return all(table, /^ {2}async (\w+)\(/gm);
}

test('every request the page sends has a handler, and the protocol lists exactly those', () => {
  const sent = all(read('engine.js'), /#call\('(\w+)'/g);
  assert.deepEqual(sorted(sent), sorted(Object.keys(REQUESTS)), 'engine.js sends other requests than protocol.js lists');
  assert.deepEqual(sorted(handlers()), sorted(Object.keys(REQUESTS)), 'worker.js handles other requests than protocol.js lists');
});

test('every event the worker posts is in the protocol and has a reader', () => {
  const posted = all(workerText, /emit\('(\w+)'/g);
  assert.deepEqual(sorted(posted), sorted(Object.keys(EVENTS)), 'the worker posts other events than protocol.js lists');
  const engine = read('engine.js');
  const listened = all(pageFiles.map(read).join('\n'), /addEventListener\('(\w+)'/g);
  for (const event of posted) {
    const read = listened.has(event) || engine.includes(`event === '${event}'`);
    assert.ok(read, `nothing reads the worker's '${event}' event`);
  }
});

test('every error kind the worker gives is one the protocol names', () => {
  const kinds = all(workerText, /new WorkerError\('([\w-]+)'/g);
  for (const kind of kinds) assert.ok(ERROR_KINDS.includes(kind), `error kind '${kind}' is not in protocol.js`);
  for (const kind of ['crashed', 'error']) assert.ok(ERROR_KINDS.includes(kind), kind);
});
