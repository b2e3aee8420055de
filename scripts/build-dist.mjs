#!/usr/bin/env node
// Makes dist/: the page and the library as a folder any static host serves as it is (the last
// step of `npm run build`, after scripts/build-web.sh has made www/pkg/).
//
//   node scripts/build-dist.mjs              makes dist/ from the checkout
//   node scripts/build-dist.mjs --seal DIR   seals a copy of dist/ whose files were edited: a
//                                            new build id, hashes, sw.js, compressed copies
//
// dist/ holds index.html, www/ (the modules, the styles, the sample, the three wasm builds),
// models/ (the weights, the held-out scores, their licences), linseg.js and linseg.d.ts (the
// library's entry: `import { Segmenter } from './linseg.js'`), examples/, and what hosting
// needs: sw.js (the service worker: offline, cross-origin isolation; www/service-worker.js with
// this build's id and file hashes), _headers (COOP/COEP, CSP and caching, for hosts that read
// it: Netlify, Cloudflare Pages), a .br and a .gz beside each file that compresses, and
// sizes.json (each file raw, gzip and brotli; what a first visit downloads on each path).
// The build's id is a hash of every file; index.html names it in <meta name="linseg-build">.

import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

import { COMMON_HEADERS, ISOLATION_HEADERS } from './headers.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');

/** What dist/ takes from the checkout: [from, to]. */
const COPIES = [
  ['index.html', 'index.html'],
  ['www', 'www'],
  ['models/metrics.json', 'models/metrics.json'],
  ['models/NOTICE.md', 'models/NOTICE.md'],
  ['models/LICENSE-human-models-MIT.txt', 'models/LICENSE-human-models-MIT.txt'],
  ['examples/minimal.html', 'examples/minimal.html'],
  ['examples/minimal.js', 'examples/minimal.js'],
  ['LICENSE-MIT', 'LICENSE-MIT'],
  ['LICENSE-APACHE', 'LICENSE-APACHE'],
];

/** Files of www/ that stay out: the service worker's source (it becomes sw.js), the builds' copies. */
const LEFT_OUT = (rel) =>
  rel === 'www/service-worker.js' || rel.endsWith('.br') || rel.endsWith('.gz');

/** What compresses: text, the wasm and the weights (not images). */
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.json', '.svg', '.wasm', '.bpk', '.md', '.txt', '.ts']);

/**
 * The files the service worker fetches at install: the page's shell (its HTML, modules, styles,
 * the scores). The first visit waits for them before its one reload, so the rest (the build the
 * page runs, the weights, the sample) is kept as the page fetches it.
 */
const PRECACHED = (rel) =>
  /^(index\.html|linseg\.js|models\/metrics\.json|www\/[^/]+\.(js|css|svg)|www\/pkg\/[^/]+\.js|www\/pkg\/snippets\/.+\.js)$/.test(rel);

/** The builds the page may load, and which path (CPU, WebGPU) takes which. */
const PATHS = {
  cpu: ['www/pkg/linseg_cpu_threads.js', 'www/pkg/linseg_cpu_threads_bg.wasm'],
  'cpu (one thread)': ['www/pkg/linseg_cpu.js', 'www/pkg/linseg_cpu_bg.wasm'],
  webgpu: ['www/pkg/linseg.js', 'www/pkg/linseg_bg.wasm'],
};

function main() {
  const [flag, dir] = process.argv.slice(2);
  if (flag === '--seal') {
    if (!dir || !existsSync(join(dir, 'index.html'))) fail('--seal wants a folder made by this script');
    seal(dir);
    return;
  }
  if (flag) fail(`unknown argument ${flag} (--seal DIR)`);
  for (const name of ['linseg_bg.wasm', 'linseg_cpu_bg.wasm', 'linseg_cpu_threads_bg.wasm']) {
    if (!existsSync(join(ROOT, 'www/pkg', name))) fail(`www/pkg/${name} is missing: run scripts/build-web.sh first (npm run build does both)`);
  }
  rmSync(DIST, { recursive: true, force: true });
  for (const [from, to] of COPIES) {
    cpSync(join(ROOT, from), join(DIST, to), { recursive: true, filter: (src) => !LEFT_OUT(relative(ROOT, src).split(sep).join('/')) });
  }
  for (const name of readdirSync(join(ROOT, 'models')).filter((n) => n.endsWith('.bpk'))) {
    cpSync(join(ROOT, 'models', name), join(DIST, 'models', name));
  }
  // The library's entry at the top, where a page imports it from.
  writeFileSync(join(DIST, 'linseg.js'), "// linseg's library: see www/linseg.js.\nexport * from './www/linseg.js';\n");
  writeFileSync(join(DIST, 'linseg.d.ts'), "export * from './www/linseg.js';\n");
  seal(DIST);
}

/** What sealing writes, and so leaves out of the build's files. */
const SEALED = (rel) => rel === 'sw.js' || rel === '_headers' || rel === 'sizes.json' || rel.endsWith('.br') || rel.endsWith('.gz');

/**
 * Seals the folder `dir`: its build id (a hash of its files) named in index.html, sw.js with
 * the id, each file's SHA-256 and the files fetched at install, _headers, the compressed copies
 * and sizes.json. Sealing again after an edit gives a new id.
 */
function seal(dir) {
  const index = join(dir, 'index.html');
  const html = readFileSync(index, 'utf8').replace(/\n *<meta name="linseg-build" content="[^"]*">/, '');
  if (!html.includes('<meta charset="utf-8">')) fail('index.html has no <meta charset="utf-8"> to put the build after');
  writeFileSync(index, html);

  const files = listFiles(dir).filter((rel) => !SEALED(rel));
  const hashes = Object.fromEntries(files.map((rel) => [rel, sha256(readFileSync(join(dir, rel)))]));
  const id = createHash('sha256').update(JSON.stringify(hashes)).digest('hex').slice(0, 12);
  // index.html names its build; its hash is taken after.
  writeFileSync(index, html.replace('<meta charset="utf-8">', `<meta charset="utf-8">\n  <meta name="linseg-build" content="${id}">`));
  hashes['index.html'] = sha256(readFileSync(index));

  const worker = readFileSync(join(ROOT, 'www/service-worker.js'), 'utf8');
  const build = { id, files: hashes, precache: files.filter(PRECACHED) };
  writeFileSync(join(dir, 'sw.js'), `self.LINSEG_BUILD = ${JSON.stringify(build)};\n${worker}`);
  writeFileSync(join(dir, '_headers'), HEADERS);

  const sizes = compressAll(dir, [...files, 'sw.js']);
  const report = { id, files: sizes, firstVisit: firstVisit(sizes) };
  writeFileSync(join(dir, 'sizes.json'), `${JSON.stringify(report, null, 1)}\n`);
  print(report);
}

/** Every file under `dir`, as paths relative to it with '/', sorted. */
function listFiles(dir, base = dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      return entry.isDirectory() ? listFiles(path, base) : [relative(base, path).split(sep).join('/')];
    })
    .sort();
}

function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('base64');
}

/**
 * Writes FILE.br (brotli 11; the wasm's copy from the wasm build when it is newer) and FILE.gz
 * (gzip 9) beside each compressible file; returns { path: { raw, gzip, brotli } } for all.
 */
function compressAll(dir, files) {
  const sizes = {};
  for (const rel of files) {
    const path = join(dir, rel);
    const data = readFileSync(path);
    const entry = { raw: data.length, gzip: null, brotli: null };
    if (COMPRESSIBLE.has(extname(rel)) && data.length >= 1024) {
      const built = join(ROOT, `${rel}.br`);
      const fresh = existsSync(built) && existsSync(join(ROOT, rel)) && statSync(built).mtimeMs >= statSync(join(ROOT, rel)).mtimeMs && readFileSync(join(ROOT, rel)).equals(data);
      const br = fresh
        ? readFileSync(built)
        : brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } });
      const gz = gzipSync(data, { level: 9 });
      writeFileSync(`${path}.br`, br);
      writeFileSync(`${path}.gz`, gz);
      Object.assign(entry, { gzip: gz.length, brotli: br.length });
    }
    sizes[rel] = entry;
  }
  return sizes;
}

/**
 * What a first visit downloads on each path, raw, gzip and brotli: the page's files (its HTML,
 * every module, the styles, the icon, the scores, the service worker), the build the path loads
 * and the weights it warms up with and opens on (none, linear).
 */
function firstVisit(sizes) {
  const page = Object.keys(sizes).filter(
    (rel) => rel === 'index.html' || rel === 'sw.js' || rel === 'models/metrics.json' || /^www\/[^/]+\.(js|css|svg)$/.test(rel) || rel.startsWith('www/pkg/snippets/'),
  );
  const weights = ['models/selfie-none.bpk', 'models/selfie-linear.bpk'];
  const total = (list) =>
    ['raw', 'gzip', 'brotli'].reduce((sum, key) => ({ ...sum, [key]: list.reduce((n, rel) => n + (sizes[rel][key] ?? sizes[rel].raw), 0) }), {});
  return Object.fromEntries(Object.entries(PATHS).map(([name, build]) => [name, total([...page, ...build, ...weights])]));
}

function print({ id, files, firstVisit: visits }) {
  const mb = (n) => `${(n / 1e6).toFixed(2)} MB`;
  console.log(`build ${id}: ${Object.keys(files).length} files`);
  for (const rel of Object.keys(PATHS).flatMap((name) => PATHS[name]).filter((rel) => rel.endsWith('.wasm'))) {
    const { raw, gzip, brotli } = files[rel];
    console.log(`  ${rel.padEnd(34)} ${mb(raw)} raw, ${mb(gzip)} gzip, ${mb(brotli)} brotli`);
  }
  for (const [name, { raw, gzip, brotli }] of Object.entries(visits)) {
    console.log(`  first visit, ${name.padEnd(17)} ${mb(raw)} raw, ${mb(gzip)} gzip, ${mb(brotli)} brotli`);
  }
}

function fail(message) {
  console.error(`build-dist: ${message}`);
  process.exit(1);
}

/**
 * The headers a host that reads `_headers` sends (scripts/headers.mjs: cross-origin isolation,
 * the Content-Security-Policy), every file revalidated (the service worker keeps the versioned
 * copies; the names do not change between builds), the service worker never kept by HTTP caches.
 */
const HEADERS = [
  '/*',
  ...Object.entries({ ...COMMON_HEADERS, ...ISOLATION_HEADERS }).map(([name, value]) => `  ${name}: ${value}`),
  '/*.wasm',
  '  Content-Type: application/wasm',
  '/sw.js',
  '  Cache-Control: no-cache, no-store',
  '',
].join('\n');

main();
