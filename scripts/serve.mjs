#!/usr/bin/env node
// A tiny static server for the linseg page, on loopback unless told otherwise.
//
//   node scripts/serve.mjs [--port N] [--host ADDRESS] [--dist] [--mount NAME=DIR ...] [--allow PATH ...]
//                                        (or PORT=N; default 8080; 0 picks a free port)
//
// `--dist` serves the folder `npm run build` makes (dist/, everything in it) instead of the
// checkout; `--host 0.0.0.0` listens on every network interface, so that a phone on the same
// network can open the page (the server says who can reach it then).
//
// Serves only what the page loads, from an allowlist: `/` and `/index.html`, everything under
// `www/` (the modules, the style, the worker and the wasm in www/pkg/), the weights
// `models/*.bpk` and the held-out scores `models/metrics.json`; everything else is 404, so the
// repository's other files (Cargo.toml, scripts/, node_modules/, README.md, ...) are neither served nor revealed. `--allow PATH` adds
// a repository path (a file, or a folder when it ends in `/`), `--mount NAME=DIR` a folder
// served at /NAME/: the page benchmark uses both, for bench/, the TF.js scripts in
// node_modules/ and the TF.js graph in its download cache. Never a directory listing or a
// dotfile (.git, .env, ...), and a symlink may not lead out of the folder it is served from
// (out of the repository, for the default allowlist).
//
// Each response says what the page needs to run safely: `application/wasm` and `text/javascript`
// for the WebAssembly and module-worker loads, and the headers of scripts/headers.mjs
// (cross-origin isolation, the Content-Security-Policy, nosniff, no referrer).
//
// Text, wasm and .bpk responses are compressed (brotli, else gzip, per Accept-Encoding; Vary
// says so) once per file version, on its first request, and kept in memory until the file
// changes (its size or mtime; each wasm's size, raw and in brotli: `npm run build`). Every file
// has an ETag and a Last-Modified, and with `Cache-Control: no-cache` a reload revalidates and
// gets `304 Not Modified` without a body. GET and HEAD only.

import { createServer } from 'node:http';
import { networkInterfaces } from 'node:os';
import { createReadStream } from 'node:fs';
import { open, readFile, readdir, realpath, stat } from 'node:fs/promises';
import { dirname, extname, join, relative, resolve, sep, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlibConstants, gzip } from 'node:zlib';

import { COMMON_HEADERS, ISOLATION_HEADERS } from './headers.mjs';

const LOOPBACK = '127.0.0.1';
const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.bpk': 'application/octet-stream',
  '.bin': 'application/octet-stream',
};

/**
 * The extensions worth compressing. Measured with brotli at quality 9 (gzip -6): linseg.js
 * 55.8 kB -> 10.5 kB, a .bpk 451 kB -> 258 kB (270 kB); the wasm's sizes: `npm run build`.
 * Not .bin (the TF.js graph's weights shrink 6%) nor images, which are compressed already.
 */
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.map', '.wasm', '.svg', '.txt', '.md', '.bpk']);

/** The largest file compressed in memory; bigger ones go out as they are. */
const MAX_COMPRESSED_SIZE = 256 * 1024 * 1024;

/**
 * Brotli's quality for a file of `size` bytes. 11 is cheap on the small text files (40 ms for
 * linseg.js) but takes 22 s on the full wasm and 0.8 s per .bpk, where 9 takes 1.3 s and 45 ms
 * (14 % larger): a first load waits once per build for 1.3 s rather than 22 s. The wasm's
 * quality-11 copy is made once by the build instead (FILE.br beside it; see precompressedBody).
 */
const brotliQuality = (size) => (size <= 256 * 1024 ? 11 : 9);

const ENCODERS = {
  br: (data) =>
    promisify(brotliCompress)(data, {
      params: {
        [zlibConstants.BROTLI_PARAM_QUALITY]: brotliQuality(data.length),
        [zlibConstants.BROTLI_PARAM_SIZE_HINT]: data.length,
      },
    }),
  gzip: (data) => promisify(gzip)(data, { level: 6 }),
};

/** The headers every response carries: main() leaves out the isolation under --no-isolation. */
let baseHeaders = { ...COMMON_HEADERS, ...ISOLATION_HEADERS };

/** A repository path for --allow: one segment or more, none empty, starting with `.` or holding `\`. */
const SAFE_PATH = /^(?:[^/.\\\0][^/\\\0]*\/)*[^/.\\\0][^/\\\0]*\/?$/;

/**
 * What the page loads, as rules on a repository path ('a/b.js', no leading slash): `path` a
 * file, or a folder when it ends in '/' (everything below it, or with `flat`, only its own files,
 * and with `ext` only those with that extension). `inRepo`: its real path must stay inside the
 * repository's.
 */
const PAGE_RULES = [
  { path: 'index.html', inRepo: true },
  { path: 'www/', inRepo: true },
  { path: 'models/', flat: true, ext: '.bpk', inRepo: true },
  { path: 'models/metrics.json', inRepo: true },
];

/** True when the repository path `rel` falls under `rule`. */
function matches(rule, rel) {
  if (!rule.path.endsWith('/')) return rel === rule.path;
  if (!rel.startsWith(rule.path) || rel.length === rule.path.length) return false;
  const rest = rel.slice(rule.path.length);
  if (rule.flat && rest.includes('/')) return false;
  return !rule.ext || extname(rest).toLowerCase() === rule.ext;
}

function usage(code) {
  const text =
    'usage: node scripts/serve.mjs [--port N] [--mount NAME=DIR ...] [--allow PATH ...] [--no-isolation]\n' +
    '  --port N          the port (PORT=N also works; default 8080; 0 = any free port)\n' +
    '  --host ADDRESS    the address to listen on (default 127.0.0.1; 0.0.0.0: every interface)\n' +
    '  --dist            serve dist/, the folder npm run build makes, instead of the checkout\n' +
    '  --mount NAME=DIR  also serve the folder DIR at /NAME/\n' +
    '  --allow PATH      also serve this repository file, or folder when PATH ends in /\n' +
    '  --no-isolation    no cross-origin isolation (COOP/COEP): the page runs the CPU on one thread';
  (code ? console.error : console.log)(text);
  process.exit(code);
}

/**
 * The port from `--port N` / `--port=N`, else $PORT, else 8080; the mounts from each `--mount
 * NAME=DIR` (NAME one path segment, not a dotfile); the extra rules from each `--allow PATH`
 * (relative to the repository, no dotfiles); `--no-isolation` to send no COOP/COEP headers.
 * As { port, mounts: [[NAME, DIR]], allows: [rule], isolation }.
 */
function parseArgs(argv, env) {
  let value = env.PORT ?? '8080';
  const mounts = [];
  const allows = [];
  let isolation = true;
  let host = LOOPBACK;
  let dist = false;
  const fail = (message) => {
    console.error(`serve: ${message}`);
    process.exit(2);
  };
  for (let i = 0; i < argv.length; i++) {
    // `--flag VALUE` or `--flag=VALUE`.
    const eq = argv[i].startsWith('--') ? argv[i].indexOf('=') : -1;
    const flag = eq > 0 ? argv[i].slice(0, eq) : argv[i];
    const next = () => (eq > 0 ? argv[i].slice(eq + 1) : argv[++i] ?? '');
    if (flag === '--port') value = next();
    else if (flag === '--host') host = next();
    else if (flag === '--dist') dist = true;
    else if (flag === '--mount') {
      const arg = next();
      const match = /^([A-Za-z0-9_-][A-Za-z0-9._-]*)=(.+)$/.exec(arg);
      if (!match) fail(`--mount wants NAME=DIR, got ${JSON.stringify(arg)}`);
      mounts.push([match[1], resolve(match[2])]);
    } else if (flag === '--allow') {
      const path = next().replace(/^\.\//, '');
      if (!SAFE_PATH.test(path)) fail(`--allow wants a repository path without dotfiles, got ${JSON.stringify(path)}`);
      allows.push({ path, inRepo: false });
    } else if (flag === '--no-isolation') isolation = false;
    else if (flag === '--help' || flag === '-h') usage(0);
    else fail(`unknown argument ${JSON.stringify(argv[i])} (--help lists them)`);
  }
  const port = Number(value);
  if (value === '' || !Number.isInteger(port) || port < 0 || port > 65535) fail(`invalid port ${JSON.stringify(value)}`);
  if (!host) fail('--host wants an address');
  return { port, host, dist, mounts, allows, isolation };
}

/** True when `child` is `root` itself or lies inside it. */
function inside(root, child) {
  const rel = relative(root, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** A request's path as its segments, or a status: 400 when it does not decode, 404 when refused. */
function segments(url) {
  let pathname;
  try {
    // The WHATWG parser also resolves `.`/`..` and `%2e` segments and reads `\` as `/`.
    pathname = new URL(url ?? '/', 'http://localhost').pathname;
  } catch {
    return 400;
  }
  // Encoded separators and NUL never name a file here.
  if (/%(2f|5c|00)/i.test(pathname)) return 404;
  let decoded;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return 400;
  }
  const parts = decoded.split('/').filter((p) => p !== '');
  // No dotfiles or dot-directories (.git, .env, ..), which also rules out any `..` traversal.
  if (parts.some((p) => p.startsWith('.') || p.includes('\\') || p.includes('\0'))) return 404;
  return { pathname, parts };
}

/**
 * Maps a request's segments to a file, or null (-> 404): under a mount's folder when the first
 * segment names one, else in the repository when a rule allows it (a directory only through its
 * allowed index.html, never listed). The file's real path must lie inside its base's: the
 * mount's folder, the rule's file or folder, and for the page's own rules the repository.
 * Resolves { file, size, mtimeMs, index } (`index`: a directory's index.html). With `dist`, every
 * path is a file of that folder.
 */
async function resolveFile(parts, { mounts, rules, realRoot, dist }) {
  let file;
  let base;
  let rule;
  let index = false;
  const mount = dist ?? (parts.length > 1 ? mounts.get(parts[0]) : undefined);
  if (mount) {
    base = mount;
    file = join(mount, ...parts.slice(dist ? 0 : 1));
  } else {
    const rel = parts.join('/');
    const candidates = rel === '' ? ['index.html'] : [rel, `${rel}/index.html`];
    for (const candidate of candidates) {
      rule = rules.find((r) => matches(r, candidate));
      if (rule) {
        index = candidate !== rel;
        file = join(ROOT, candidate);
        break;
      }
    }
    if (!rule) return null;
    base = join(ROOT, rule.path);
  }
  if (!inside(base, file)) return null;
  try {
    let info = await stat(file);
    if (info.isDirectory()) {
      if (index) return null;
      const rel = relative(ROOT, join(file, 'index.html')).split(sep).join('/');
      if (!mount && !matches(rule, rel)) return null;
      file = join(file, 'index.html');
      index = true;
      info = await stat(file);
    }
    if (!info.isFile()) return null;
    const [real, realBase] = await Promise.all([realpath(file), realpath(base)]);
    if (!inside(realBase, real)) return null;
    if (rule?.inRepo && !inside(realRoot, realBase)) return null;
    return { file, size: info.size, mtimeMs: info.mtimeMs, index };
  } catch {
    return null;
  }
}

/** Accept-Encoding's choice among ENCODERS: the highest q, brotli before gzip; null: identity. */
function chooseEncoding(header) {
  if (!header) return null;
  const q = new Map();
  for (const item of header.split(',')) {
    const [name, ...params] = item.trim().toLowerCase().split(';');
    if (!name) continue;
    const param = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = param ? Number(param.slice(2)) : 1;
    q.set(name === 'x-gzip' ? 'gzip' : name, Number.isFinite(value) ? value : 0);
  }
  let best = null;
  let bestQ = 0;
  for (const name of Object.keys(ENCODERS)) {
    const value = q.get(name) ?? q.get('*') ?? 0;
    if (value > bestQ) [best, bestQ] = [name, value];
  }
  return best;
}

/**
 * The compressed bodies, one per file and encoding: { key (size and mtime), body: Promise }.
 * A file's new version replaces its old one; requests that arrive while it is compressed share
 * the one compression.
 */
const compressed = new Map();

/** The suffix of the copies the build writes beside a file, per encoding. */
const PRECOMPRESSED = { br: '.br', gzip: '.gz' };

/**
 * The copy the build wrote beside `file` in `encoding` (scripts/precompress.mjs: FILE.br,
 * FILE.gz), when that copy is at least as new as the file; else null.
 */
async function precompressedBody(file, encoding, info) {
  const copy = `${file}${PRECOMPRESSED[encoding]}`;
  try {
    return (await stat(copy)).mtimeMs >= info.mtimeMs ? await readFile(copy) : null;
  } catch {
    return null;
  }
}

/** `file` (of the version `key`) compressed with `encoding`, from memory after the first time. */
function compressedBody(file, key, encoding) {
  const id = `${encoding}:${file}`;
  const cached = compressed.get(id);
  if (cached?.key === key) return cached.body;
  const entry = { key, body: null };
  entry.body = (async () => {
    const handle = await open(file, 'r');
    try {
      const info = await handle.stat();
      // The file changed since it was looked at: serve this, but do not keep it under the old key.
      if (`${info.size}-${info.mtimeMs}` !== key && compressed.get(id) === entry) compressed.delete(id);
      return (await precompressedBody(file, encoding, info)) ?? (await ENCODERS[encoding](await handle.readFile()));
    } finally {
      await handle.close();
    }
  })();
  compressed.set(id, entry);
  entry.body.catch(() => {
    if (compressed.get(id) === entry) compressed.delete(id);
  });
  return entry.body;
}

/**
 * Compresses the page's own files (what PAGE_RULES serves) in brotli, one after the other, so
 * that a first visit finds them compressed: with a server just started, the page's scripts and
 * the warm-up's weights compressed at their first request took half a second of a first
 * visit's 1.5 s to ready on the development machine. Started as the server listens, not
 * awaited (a few hundred milliseconds; the wasm's brotli copy is the build's, only read here): a
 * request that comes meanwhile shares the compression under way.
 */
async function warmCompressed(site) {
  const paths = ['index.html', 'models/metrics.json'];
  for (const dir of ['www', 'models']) {
    const names = await readdir(join(ROOT, dir), { recursive: true }).catch(() => []);
    paths.push(...names.map((name) => `${dir}/${name.split(sep).join('/')}`));
  }
  for (const path of paths) {
    const parts = path.split('/');
    if (parts.some((part) => part.startsWith('.')) || !COMPRESSIBLE.has(extname(path).toLowerCase())) continue;
    const found = await resolveFile(parts, site);
    if (!found || found.size === 0 || found.size > MAX_COMPRESSED_SIZE) continue;
    await compressedBody(found.file, `${found.size}-${found.mtimeMs}`, 'br').catch(() => {});
  }
}

/** True when If-None-Match (else If-Modified-Since) says the client's copy is current. */
function notModified(req, etag, mtimeMs) {
  const match = req.headers['if-none-match'];
  if (match !== undefined) {
    if (match.trim() === '*') return true;
    const tag = etag.replace(/^W\//, '');
    return match.split(',').some((t) => t.trim().replace(/^W\//, '') === tag);
  }
  const since = Date.parse(req.headers['if-modified-since'] ?? '');
  return Number.isFinite(since) && Math.floor(mtimeMs / 1000) * 1000 <= since;
}

function send(res, status, text, extra = {}) {
  const body = `${status} ${text}\n`;
  res.writeHead(status, {
    ...baseHeaders,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    ...extra,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

async function handle(req, res, site) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'Method Not Allowed', { Allow: 'GET, HEAD' });
    return;
  }
  const request = segments(req.url);
  if (request === 400) return send(res, 400, 'Bad Request');
  const found = request === 404 ? null : await resolveFile(request.parts, site);
  if (!found) return send(res, 404, 'Not Found');
  const { pathname } = request;
  // A directory URL without its trailing slash would break the page's relative URLs.
  if (found.index && !pathname.endsWith('/') && !pathname.endsWith('/index.html')) {
    return send(res, 301, 'Moved Permanently', { Location: `${pathname}/` });
  }

  const ext = extname(found.file).toLowerCase();
  const compressible = COMPRESSIBLE.has(ext) && found.size > 0 && found.size <= MAX_COMPRESSED_SIZE;
  const encoding = compressible ? chooseEncoding(req.headers['accept-encoding']) : null;
  const key = `${found.size}-${found.mtimeMs}`;
  // One strong ETag per file version and encoding (the encodings are different bytes).
  const etag = `"${found.size.toString(36)}-${Math.round(found.mtimeMs * 1000).toString(36)}${encoding ? `-${encoding}` : ''}"`;
  const headers = {
    ...baseHeaders,
    ETag: etag,
    'Last-Modified': new Date(found.mtimeMs).toUTCString(),
    ...(compressible ? { Vary: 'Accept-Encoding' } : {}),
  };
  if (notModified(req, etag, found.mtimeMs)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  headers['Content-Type'] = MIME[ext] ?? 'application/octet-stream';
  if (encoding) {
    const body = await compressedBody(found.file, key, encoding);
    // X-Decoded-Length: the file's own size, for the page's progress line (Content-Length
    // counts the compressed bytes, the body a page reads is the decoded one).
    res.writeHead(200, { ...headers, 'Content-Encoding': encoding, 'Content-Length': body.length, 'X-Decoded-Length': found.size });
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Length': found.size });
  if (req.method === 'HEAD' || found.size === 0) {
    res.end();
    return;
  }
  // No further than the size sent as Content-Length, should the file grow meanwhile.
  const stream = createReadStream(found.file, { end: found.size - 1 });
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

async function main() {
  const { port, host, dist, mounts, allows, isolation } = parseArgs(process.argv.slice(2), process.env);
  if (!isolation) baseHeaders = { ...COMMON_HEADERS };
  const site = { mounts: new Map(), rules: [...PAGE_RULES], realRoot: await realpath(ROOT), dist: null };
  if (dist) {
    try {
      await stat(join(DIST, 'index.html'));
    } catch {
      console.error(`serve: ${DIST} has no index.html: make it with npm run build`);
      process.exit(2);
    }
    site.dist = DIST;
  }
  for (const [name, dir] of mounts) {
    try {
      if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
      site.mounts.set(name, dir);
    } catch (err) {
      console.error(`serve: cannot mount ${dir}: ${err.message}`);
      process.exit(2);
    }
  }
  for (const rule of allows) {
    try {
      const info = await stat(join(ROOT, rule.path));
      if (rule.path.endsWith('/') !== info.isDirectory()) {
        throw new Error(info.isDirectory() ? 'a folder: end it with /' : 'not a folder');
      }
    } catch (err) {
      console.error(`serve: cannot allow ${rule.path}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
      process.exit(2);
    }
    site.rules.push(rule);
  }

  const server = createServer((req, res) => {
    handle(req, res, site).catch(() => {
      if (!res.headersSent) send(res, 500, 'Internal Server Error');
      else res.destroy();
    });
  });

  server.on('error', (err) => {
    console.error(`serve: ${err.message}`);
    process.exit(1);
  });
  server.listen(port, host, () => {
    const { port: bound } = server.address();
    const what = dist ? DIST : `${ROOT} (index.html, www/, models/*.bpk, models/metrics.json)`;
    console.log(`linseg: serving ${what} at http://${host.includes(':') ? `[${host}]` : host}:${bound}/`);
    if (!isLoopback(host)) console.log(reachability(host, bound));
    for (const rule of allows) console.log(`linseg: also serving /${rule.path}`);
    for (const [name, dir] of mounts) console.log(`linseg: serving ${dir} at /${name}/`);
    // The page's files compressed now, not at the first visit's requests (a browser takes
    // longer to start than the small files take to compress).
    warmCompressed(site);
  });

  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** Whether `host` is a loopback address: nobody else can reach the server. */
function isLoopback(host) {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** Who can reach a server listening on `host`, and what they get over plain HTTP. */
function reachability(host, port) {
  const everywhere = host === '0.0.0.0' || host === '::';
  const addresses = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && !a.internal && (everywhere || a.address === host))
    .map((a) => `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${port}/`);
  return (
    `linseg: anyone who can reach this machine on its network can now open the page` +
    (addresses.length ? ` (${addresses.join(', ')})` : '') +
    '. Over plain HTTP only localhost is a secure context: elsewhere browsers give the page no ' +
    'camera, no WebGPU, no threads and no offline copy; it runs on the CPU, one thread.'
  );
}

main();
