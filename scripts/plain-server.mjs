// A plain static server, as the simplest host would be: files with their content type and
// nothing else — no cross-origin isolation headers, no compression, no caching headers. The
// tests and the dist benchmark serve dist/ with it, to see the page as a static host gives it.
//
//   node scripts/plain-server.mjs DIR [PORT]      (or startPlainServer from another script)

import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ts': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

/**
 * Serves `dir` on 127.0.0.1 (`port`, 0 for any free one); `overrides` maps a URL path to bytes
 * served in place of a file (a damaged weight file, say). Resolves { url, port, stop, requests }
 * (requests: every path asked for, in order).
 */
export function startPlainServer(dir, { port = 0, overrides = {} } = {}) {
  const root = resolve(dir);
  const requests = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
    requests.push(path);
    if (overrides[path]) {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': overrides[path].length });
      res.end(overrides[path]);
      return;
    }
    let file = resolve(join(root, path));
    if (file !== root && !file.startsWith(root + sep)) return notFound(res);
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      const { size } = statSync(file);
      res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': size });
      if (req.method === 'HEAD') return res.end();
      createReadStream(file).pipe(res);
    } catch {
      notFound(res);
    }
  });
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => {
      const bound = server.address().port;
      done({
        url: `http://127.0.0.1:${bound}/`,
        port: bound,
        requests,
        stop: () =>
          new Promise((closed) => {
            server.close(() => closed());
            server.closeAllConnections();
          }),
      });
    });
  });
}

function notFound(res) {
  res.writeHead(404, { 'Content-Type': 'text/plain' });
  res.end('404 Not Found\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [dir, port] = process.argv.slice(2);
  if (!dir) {
    console.error('usage: node scripts/plain-server.mjs DIR [PORT]');
    process.exit(2);
  }
  const { url } = await startPlainServer(dir, { port: Number(port ?? 8090) });
  console.log(`serving ${resolve(dir)} plainly at ${url}`);
}
