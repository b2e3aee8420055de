// The protocol between the page and the model's worker (www/protocol.js) against the code on
// both sides, parsed as JavaScript (acorn; the worker's modules need a browser to run): every
// request the page sends has a handler and an entry in the protocol, and every entry is sent;
// every event the worker posts is in the protocol and has a reader; every LinsegError the page's
// modules make names its kind as a literal, and that kind is one of Rust's (src/error.rs
// ErrorKind, read from the wasm build's catalog), or passes on a kind that came from elsewhere.
//
// Needs the wasm build (npm run build) for the list of kinds.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { parse } from 'acorn';
import { simple } from 'acorn-walk';

import { EVENTS, REQUESTS } from '../../www/protocol.js';
import { SHOWN_EVENTS } from '../../www/engine-status.js';
import { ROOT } from '../../scripts/browser.mjs';

const WWW = join(ROOT, 'www');
const MODULES = readdirSync(WWW).filter((name) => name.endsWith('.js'));
const WORKER_FILES = MODULES.filter((name) => /^worker(-[a-z]+)?\.js$/.test(name));
const PAGE_FILES = MODULES.filter((name) => !WORKER_FILES.includes(name));

/** The syntax tree of www/`name`. */
const tree = (name) => parse(readFileSync(join(WWW, name), 'utf8'), { ecmaVersion: 'latest', sourceType: 'module', locations: true });
const sorted = (values) => [...new Set(values)].sort();

/** Every call of `callee` (a function name, or a private method `#name`) in `names`: { file, line, args }. */
function callsOf(names, callee) {
  const calls = [];
  for (const file of names) {
    simple(tree(file), {
      CallExpression(node) {
        const target = node.callee.type === 'MemberExpression' ? node.callee.property : node.callee;
        const name = target.type === 'PrivateIdentifier' ? `#${target.name}` : target.name;
        if (name === callee) calls.push({ file, line: node.loc.start.line, args: node.arguments });
      },
    });
  }
  return calls;
}

/** The string of a literal argument; fails, naming the place, for anything else. */
function literal(arg, where) {
  assert.ok(arg?.type === 'Literal' && typeof arg.value === 'string', `${where}: not a string literal, so it cannot be checked`);
  return arg.value;
}

test('every request the page sends has a handler, and the protocol lists exactly those', () => {
  const sent = callsOf(['engine.js'], '#call').map(({ file, line, args }) => literal(args[0], `${file}:${line}`));
  assert.deepEqual(sorted(sent), sorted(Object.keys(REQUESTS)), 'engine.js sends other requests than protocol.js lists');
  let handlers = [];
  simple(tree('worker.js'), {
    VariableDeclarator(node) {
      if (node.id.name === 'OPS') handlers = node.init.properties.map((property) => property.key.name);
    },
  });
  assert.deepEqual(sorted(handlers), sorted(Object.keys(REQUESTS)), 'worker.js handles other requests than protocol.js lists');
});

test('every event the worker posts is in the protocol and has a reader', () => {
  const posted = callsOf(WORKER_FILES, 'emit').map(({ file, line, args }) => literal(args[0], `${file}:${line}`));
  assert.deepEqual(sorted(posted), sorted(Object.keys(EVENTS)), 'the worker posts other events than protocol.js lists');
  // Read where a page module listens for it by name, or among the events engine-status.js shows.
  const listened = [...callsOf(PAGE_FILES, 'addEventListener').map(({ args }) => args[0]?.value), ...SHOWN_EVENTS];
  const engineText = readFileSync(join(WWW, 'engine.js'), 'utf8');
  for (const event of posted) {
    const read = listened.includes(event) || engineText.includes(`event === '${event}'`);
    assert.ok(read, `nothing reads the worker's '${event}' event`);
  }
});

test('every LinsegError the modules make has one of the kinds Rust lists', async () => {
  const { default: init, catalog } = await import(join(ROOT, 'www/pkg/linseg_cpu.js'));
  await init({ module_or_path: readFileSync(join(ROOT, 'www/pkg/linseg_cpu_bg.wasm')) });
  const kinds = catalog().errorKinds;
  assert.ok(kinds.includes('refused') && kinds.includes('closed'), `the catalog's kinds: ${kinds}`);
  const made = [];
  for (const file of MODULES) {
    simple(tree(file), {
      NewExpression(node) {
        if (node.callee.name !== 'LinsegError') return;
        const [kind] = node.arguments;
        // A kind passed on from an answer or a thrown error (`data.error.kind`, `err.kind`).
        const passedOn = kind?.type === 'MemberExpression' && kind.property.name === 'kind';
        const fromThrown = kind?.type === 'ConditionalExpression' && kind.test.type === 'BinaryExpression';
        if (passedOn || (fromThrown && file === 'linseg-error.js')) return;
        made.push({ kind: literal(kind, `${file}:${node.loc.start.line}`), where: `${file}:${node.loc.start.line}` });
      },
    });
  }
  assert.ok(made.length >= 10, `only ${made.length} LinsegErrors found: the walk misses them`);
  for (const { kind, where } of made) assert.ok(kinds.includes(kind), `${where}: kind '${kind}' is not one of src/error.rs's (${kinds.join(', ')})`);
  // The README's list of kinds is the same list.
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const sentence = /`err\.kind` is one of ([^(]+)\(/.exec(readme)?.[1] ?? '';
  assert.deepEqual([...sentence.matchAll(/`([a-z-]+)`/g)].map((m) => m[1]), kinds, 'README.md lists other kinds than src/error.rs');
});
