#!/usr/bin/env node
// A tiny static server for the linseg page: serves the repository root on loopback only.
//
//   node scripts/serve.mjs [--port N] [--mount NAME=DIR ...]
//                                        (or PORT=N; default 8080; 0 picks a free port)
//
// No dependencies, no directory listings, nothing outside the repository and no dotfiles
// (.git, .env, ...), except each folder given as `--mount NAME=DIR`, served at /NAME/ by the
// same rules (the page benchmark serves the TF.js model from its download cache so). It prints
// the page's URL once it listens. The page is static; the server only adds the headers that
// make the WebAssembly and module-worker loads work: `application/wasm`, `text/javascript`, and
// cross-origin isolation (COOP/COEP) so that the page may use SharedArrayBuffer and precise
// timers.

import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { dirname, extname, join, relative, resolve, sep, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';

const HOST = '127.0.0.1';
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
 * The port from `--port N` / `--port=N`, else $PORT, else 8080; and the mounts from each
 * `--mount NAME=DIR` (NAME one path segment, not a dotfile), as { port, mounts: [[NAME, DIR]] }.
 */
function parseArgs(argv, env) {
  let value = env.PORT ?? '8080';
  const mounts = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--port') value = argv[++i];
    else if (argv[i].startsWith('--port=')) value = argv[i].slice('--port='.length);
    else if (argv[i] === '--mount') {
      const match = /^([A-Za-z0-9_-][A-Za-z0-9._-]*)=(.+)$/.exec(argv[++i] ?? '');
      if (!match) {
        console.error(`serve: --mount wants NAME=DIR, got ${JSON.stringify(argv[i])}`);
        process.exit(2);
      }
      mounts.push([match[1], resolve(match[2])]);
    } else if (argv[i] === '--help' || argv[i] === '-h') {
      console.log('usage: node scripts/serve.mjs [--port N] [--mount NAME=DIR ...]   (PORT=N also works; 0 = any free port)');
      process.exit(0);
    } else {
      console.error(`serve: unknown argument ${JSON.stringify(argv[i])}`);
      process.exit(2);
    }
  }
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve: invalid port ${JSON.stringify(value)}`);
    process.exit(2);
  }
  return { port, mounts };
}

/** True when `child` is `root` itself or lies inside it. */
function inside(root, child) {
  const rel = relative(root, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Maps a request path to a file, or null (-> 404): under a mount's folder when the path's first
 * segment names one, else under ROOT. `roots` maps a mount's name to { dir, real }, '' to ROOT's.
 */
async function resolveFile(urlPath, roots) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const parts = decoded.split('/').filter((p) => p !== '');
  // No dotfiles or dot-directories (.git, .env, ..): also rules out any `..` traversal.
  if (parts.some((p) => p.startsWith('.') || p.includes('\\'))) return null;
  const mounted = parts.length > 1 && roots.has(parts[0]);
  const { dir, real: realRoot } = roots.get(mounted ? parts[0] : '');
  let file = join(dir, ...(mounted ? parts.slice(1) : parts));
  if (!inside(dir, file)) return null;
  try {
    let info = await stat(file);
    if (info.isDirectory()) {
      // A directory is served only through its index.html; never listed.
      file = join(file, 'index.html');
      info = await stat(file);
    }
    if (!info.isFile()) return null;
    // Symlinks must not lead out of the repository (or the mounted folder).
    const real = await realpath(file);
    if (!inside(realRoot, real)) return null;
    return { file, size: info.size };
  } catch {
    return null;
  }
}

function send(res, status, text, extra = {}) {
  const body = `${status} ${text}\n`;
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    ...extra,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

const COMMON_HEADERS = {
  'Cache-Control': 'no-cache',
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

async function main() {
  const { port, mounts } = parseArgs(process.argv.slice(2), process.env);
  const roots = new Map([['', { dir: ROOT, real: await realpath(ROOT) }]]);
  for (const [name, dir] of mounts) {
    try {
      roots.set(name, { dir, real: await realpath(dir) });
    } catch (err) {
      console.error(`serve: cannot mount ${dir}: ${err.message}`);
      process.exit(2);
    }
  }

  const server = createServer(async (req, res) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        send(res, 405, 'Method Not Allowed', { Allow: 'GET, HEAD' });
        return;
      }
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const found = await resolveFile(path, roots);
      if (!found) {
        send(res, 404, 'Not Found', COMMON_HEADERS);
        return;
      }
      // A directory URL without its trailing slash would break the page's relative URLs.
      if (found.file.endsWith(`${sep}index.html`) && !path.endsWith('/') && !path.endsWith('index.html')) {
        send(res, 301, 'Moved Permanently', { Location: `${path}/`, ...COMMON_HEADERS });
        return;
      }
      const type = MIME[extname(found.file).toLowerCase()] ?? 'application/octet-stream';
      res.writeHead(200, { 'Content-Type': type, 'Content-Length': found.size, ...COMMON_HEADERS });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      const stream = createReadStream(found.file);
      stream.on('error', () => res.destroy());
      stream.pipe(res);
    } catch {
      if (!res.headersSent) send(res, 500, 'Internal Server Error');
      else res.destroy();
    }
  });

  server.on('error', (err) => {
    console.error(`serve: ${err.message}`);
    process.exit(1);
  });
  server.listen(port, HOST, () => {
    const { port: bound } = server.address();
    console.log(`linseg: serving ${ROOT} at http://${HOST}:${bound}/`);
    for (const [name, dir] of mounts) console.log(`linseg: serving ${dir} at /${name}/`);
  });

  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main();
