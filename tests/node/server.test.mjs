// scripts/serve.mjs over HTTP: what it serves (the page's allowlist, nothing else, no way out
// of it), how (types, brotli/gzip that decode to the file's bytes, ETag/Last-Modified and 304),
// and the security headers the page runs under (CSP, nosniff, COOP/COEP/CORP). Starts the server
// on a free port as `npm start` would (without building): needs www/pkg/ built.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, brotliDecompressSync, gunzipSync } from 'node:zlib';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const WASM = 'www/pkg/linseg_bg.wasm';
const MODEL = `models/${readdirSync(join(ROOT, 'models')).find((name) => name.endsWith('.bpk'))}`;

/** Starts scripts/serve.mjs with `args`; resolves { url, stop }. */
function startServer(args = []) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts/serve.mjs'), '--port', '0', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const onExit = (code) => reject(new Error(`serve.mjs exited (${code}) before listening:\n${output}`));
    child.once('exit', onExit);
    child.once('error', reject);
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(output);
      if (!match) return;
      child.off('exit', onExit);
      resolvePromise({
        port: Number(match[1]),
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

/** Runs serve.mjs with `args` that it must refuse; resolves its exit code and stderr. */
function refusedArgs(args) {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts/serve.mjs'), '--port', '0', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stderr });
    });
  });
}

let server;

/**
 * One request with the raw `path` as its target (no client-side normalisation); resolves
 * { status, headers, body } with the body as the server sent it (not decoded).
 */
function fetchRaw(path, { method = 'GET', headers = {}, port = server.port } = {}) {
  return new Promise((resolvePromise, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolvePromise({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const file = (path) => readFileSync(join(ROOT, path));

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

describe('what it serves', () => {
  for (const [path, source, type] of [
    ['/', 'index.html', 'text/html; charset=utf-8'],
    ['/index.html', 'index.html', 'text/html; charset=utf-8'],
    ['/www/app.js', 'www/app.js', 'text/javascript; charset=utf-8'],
    ['/www/worker.js', 'www/worker.js', 'text/javascript; charset=utf-8'],
    ['/www/pkg/linseg.js', 'www/pkg/linseg.js', 'text/javascript; charset=utf-8'],
    ['/www/style.css', 'www/style.css', 'text/css; charset=utf-8'],
    [`/${WASM}`, WASM, 'application/wasm'],
    [`/${MODEL}`, MODEL, 'application/octet-stream'],
    ['/models/metrics.json', 'models/metrics.json', 'application/json; charset=utf-8'],
  ]) {
    test(`${path} is ${source} as ${type}`, async () => {
      const res = await fetchRaw(path);
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], type);
      assert.equal(res.headers['content-encoding'], undefined, 'no Accept-Encoding, no compression');
      assert.ok(res.body.equals(file(source)), 'the body is the file');
      assert.equal(Number(res.headers['content-length']), res.body.length);
    });
  }

  test('a folder is never listed, nor served through an index.html it lacks', async () => {
    assert.equal((await fetchRaw('/www/')).status, 404);
    assert.equal((await fetchRaw('/www')).status, 404);
    assert.equal((await fetchRaw('/www/pkg/')).status, 404);
    assert.equal((await fetchRaw('/models/')).status, 404);
  });

  for (const path of [
    '/Cargo.toml',
    '/Cargo.lock',
    '/package.json',
    '/README.md',
    '/scripts/serve.mjs',
    '/scripts/',
    '/src/lib.rs',
    '/tests/node/server.test.mjs',
    '/bench/tfjs.html',
    '/node_modules/playwright-core/package.json',
    '/node_modules/@tensorflow/tfjs-core/dist/tf-core.min.js',
    '/models/README.md',
    '/models/LICENSE-human-models-MIT.txt',
    '/.git/HEAD',
    '/.git/config',
    '/.gitignore',
    '/www/.hidden',
    '/no-such-file',
    '/www/no-such-file.js',
  ]) {
    test(`${path} is 404`, async () => {
      const res = await fetchRaw(path);
      assert.equal(res.status, 404);
      assert.equal(res.body.toString(), '404 Not Found\n');
    });
  }

  for (const path of [
    '/www/../Cargo.toml',
    '/www/%2e%2e/Cargo.toml',
    '/www/%2E%2E/%2E%2E/etc/passwd',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/../../../etc/passwd',
    '/www/..%2fCargo.toml',
    '/www/..%2FCargo.toml',
    '/www%2f..%2fCargo.toml',
    '/www%2fapp.js',
    '/www/..%5cCargo.toml',
    '/www/..\\Cargo.toml',
    '/www\\..\\Cargo.toml',
    '/www/app.js%00.png',
    '/www/app.js%00',
    '/%2egit/HEAD',
    '//etc/passwd',
    '/www//../Cargo.toml',
    '/www/%252e%252e/Cargo.toml',
    '/www/%',
    '/www/%zz',
    '/www/%c0%ae%c0%ae/Cargo.toml',
    'http://127.0.0.1/Cargo.toml',
  ]) {
    test(`traversal probe ${JSON.stringify(path)} is 404 or 400`, async () => {
      const res = await fetchRaw(path);
      assert.ok([400, 404].includes(res.status), `status ${res.status}`);
      assert.doesNotMatch(res.body.toString(), /\[package\]|root:/);
    });
  }
});

describe('compression', () => {
  for (const path of ['/', '/www/app.js', `/${WASM}`, `/${MODEL}`]) {
    const source = path === '/' ? 'index.html' : path.slice(1);
    for (const [encoding, decode] of [
      ['br', brotliDecompressSync],
      ['gzip', gunzipSync],
    ]) {
      test(`${path} in ${encoding} decodes to the file`, async () => {
        const res = await fetchRaw(path, { headers: { 'Accept-Encoding': encoding } });
        assert.equal(res.status, 200);
        assert.equal(res.headers['content-encoding'], encoding);
        assert.match(res.headers.vary ?? '', /Accept-Encoding/i);
        assert.equal(Number(res.headers['content-length']), res.body.length);
        const original = file(source);
        assert.equal(Number(res.headers['x-decoded-length']), original.length, 'the decoded size, for the progress line');
        assert.ok(res.body.length < original.length, `${res.body.length} bytes for ${original.length}`);
        assert.ok(decode(res.body).equals(original), 'decodes to the file');
      });
    }
  }

  test('the browser’s Accept-Encoding gets brotli; q-values and identity are honoured', async () => {
    const chosen = async (value) =>
      (await fetchRaw('/www/app.js', { headers: { 'Accept-Encoding': value } })).headers['content-encoding'];
    assert.equal(await chosen('gzip, deflate, br, zstd'), 'br');
    assert.equal(await chosen('gzip, br;q=0'), 'gzip');
    assert.equal(await chosen('br;q=0.5, gzip;q=0.9'), 'gzip');
    assert.equal(await chosen('x-gzip'), 'gzip');
    assert.equal(await chosen('*'), 'br');
    assert.equal(await chosen('identity'), undefined);
    assert.equal(await chosen('deflate'), undefined);
    const plain = await fetchRaw('/www/app.js');
    assert.match(plain.headers.vary ?? '', /Accept-Encoding/i, 'Vary also on the uncompressed response');
  });

  test('the wasm costs brotli once: a second request is served from memory, same bytes', async () => {
    const headers = { 'Accept-Encoding': 'br' };
    const first = await fetchRaw(`/${WASM}`, { headers });
    const started = performance.now();
    const second = await fetchRaw(`/${WASM}`, { headers });
    const elapsed = performance.now() - started;
    assert.ok(second.body.equals(first.body));
    assert.equal(second.headers.etag, first.headers.etag);
    // Compressing it takes over a second (1.3 s at quality 9 on the machine this was written on).
    assert.ok(elapsed < 1000, `the second request took ${elapsed.toFixed(0)} ms: compressed again?`);
    const raw = file(WASM).length;
    console.log(`${WASM}: ${raw} bytes, ${first.body.length} in br (${((100 * first.body.length) / raw).toFixed(1)}%)`);
  });

  test('the icon is compressed too, as image/svg+xml', async () => {
    const res = await fetchRaw('/www/icon.svg', { headers: { 'Accept-Encoding': 'br' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'image/svg+xml');
    assert.ok(brotliDecompressSync(res.body).equals(file('www/icon.svg')));
  });
});

describe('caching', () => {
  for (const [path, encoding] of [
    ['/www/app.js', undefined],
    ['/www/app.js', 'br'],
    [`/${WASM}`, 'gzip'],
    [`/${MODEL}`, 'br'],
  ]) {
    const headers = encoding ? { 'Accept-Encoding': encoding } : {};
    test(`${path}${encoding ? ` in ${encoding}` : ''}: ETag and Last-Modified revalidate to 304 without a body`, async () => {
      const first = await fetchRaw(path, { headers });
      assert.equal(first.status, 200);
      assert.match(first.headers.etag ?? '', /^"[^"]+"$/);
      assert.ok(Number.isFinite(Date.parse(first.headers['last-modified'])));
      assert.equal(first.headers['cache-control'], 'no-cache');

      const byTag = await fetchRaw(path, { headers: { ...headers, 'If-None-Match': first.headers.etag } });
      assert.equal(byTag.status, 304);
      assert.equal(byTag.body.length, 0);
      assert.equal(byTag.headers.etag, first.headers.etag);

      const inList = await fetchRaw(path, { headers: { ...headers, 'If-None-Match': `"other", W/${first.headers.etag}` } });
      assert.equal(inList.status, 304);

      const byDate = await fetchRaw(path, { headers: { ...headers, 'If-Modified-Since': first.headers['last-modified'] } });
      assert.equal(byDate.status, 304);
      assert.equal(byDate.body.length, 0);

      const stale = await fetchRaw(path, { headers: { ...headers, 'If-None-Match': '"stale"' } });
      assert.equal(stale.status, 200);
      assert.ok(stale.body.length > 0);

      const old = await fetchRaw(path, { headers: { ...headers, 'If-Modified-Since': new Date(0).toUTCString() } });
      assert.equal(old.status, 200);

      // If-None-Match decides when both are there.
      const both = await fetchRaw(path, {
        headers: { ...headers, 'If-None-Match': '"stale"', 'If-Modified-Since': first.headers['last-modified'] },
      });
      assert.equal(both.status, 200);
    });
  }

  test('each encoding has its own ETag', async () => {
    const tags = new Set();
    for (const encoding of ['br', 'gzip', 'identity']) {
      tags.add((await fetchRaw('/www/app.js', { headers: { 'Accept-Encoding': encoding } })).headers.etag);
    }
    assert.equal(tags.size, 3);
    const br = (await fetchRaw('/www/app.js', { headers: { 'Accept-Encoding': 'br' } })).headers.etag;
    const asGzip = await fetchRaw('/www/app.js', { headers: { 'Accept-Encoding': 'gzip', 'If-None-Match': br } });
    assert.equal(asGzip.status, 200, 'the brotli ETag does not validate the gzip body');
  });
});

describe('headers', () => {
  for (const path of ['/', `/${WASM}`, '/www/worker.js', '/Cargo.toml']) {
    test(`${path} carries the CSP and the isolation headers`, async () => {
      const { headers } = await fetchRaw(path);
      const csp = headers['content-security-policy'] ?? '';
      const directives = new Map(
        csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]),
      );
      assert.ok(directives.get('script-src')?.includes("'wasm-unsafe-eval'"), csp);
      assert.deepEqual(directives.get('default-src'), ["'self'"]);
      assert.deepEqual(directives.get('object-src'), ["'none'"]);
      assert.deepEqual(directives.get('style-src'), ["'self'"]);
      assert.deepEqual(directives.get('frame-ancestors'), ["'none'"]);
      assert.ok(directives.get('media-src')?.includes('mediastream:'), csp);
      assert.doesNotMatch(csp, /'unsafe-inline'|'unsafe-eval'|'unsafe-hashes'|\*|https?:/);
      assert.equal(headers['x-content-type-options'], 'nosniff');
      assert.equal(headers['referrer-policy'], 'no-referrer');
      assert.equal(headers['cross-origin-opener-policy'], 'same-origin');
      assert.equal(headers['cross-origin-embedder-policy'], 'require-corp');
      assert.equal(headers['cross-origin-resource-policy'], 'same-origin');
    });
  }

  test('--no-isolation leaves out COOP and COEP, and nothing else', async () => {
    const plain = await startServer(['--no-isolation']);
    try {
      const { status, headers } = await fetchRaw('/', { port: plain.port });
      assert.equal(status, 200);
      assert.equal(headers['cross-origin-opener-policy'], undefined);
      assert.equal(headers['cross-origin-embedder-policy'], undefined);
      assert.equal(headers['cross-origin-resource-policy'], 'same-origin');
      assert.match(headers['content-security-policy'] ?? '', /'wasm-unsafe-eval'/);
    } finally {
      await plain.stop();
    }
  });

  test('the page has nothing inline that the CSP would block', () => {
    const html = file('index.html').toString();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'an inline <script>');
    assert.doesNotMatch(html, /<style[\s>]/i, 'a <style> element');
    assert.doesNotMatch(html, /\sstyle\s*=/i, 'a style attribute');
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i, 'an inline event handler');
  });
});

describe('methods', () => {
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    test(`${method} is 405 with Allow`, async () => {
      const res = await fetchRaw('/index.html', { method });
      assert.equal(res.status, 405);
      assert.equal(res.headers.allow, 'GET, HEAD');
    });
  }

  for (const [path, encoding] of [
    ['/', undefined],
    [`/${WASM}`, 'br'],
    ['/Cargo.toml', undefined],
  ]) {
    test(`HEAD ${path}${encoding ? ` in ${encoding}` : ''} has the GET's headers and no body`, async () => {
      const headers = encoding ? { 'Accept-Encoding': encoding } : {};
      const head = await fetchRaw(path, { method: 'HEAD', headers });
      const get = await fetchRaw(path, { headers });
      assert.equal(head.status, get.status);
      assert.equal(head.body.length, 0);
      for (const name of ['content-type', 'content-length', 'content-encoding', 'etag']) {
        assert.equal(head.headers[name], get.headers[name], name);
      }
    });
  }
});

describe('--allow and --mount', () => {
  let extra;
  const built = mkdtempSync(join(tmpdir(), 'linseg-serve-'));
  before(async () => {
    extra = await startServer([
      '--mount',
      `built=${built}`,
      '--allow',
      'bench/',
      '--allow=node_modules/playwright-core/package.json',
      '--mount',
      `fixtures=${join(ROOT, 'tests/fixtures')}`,
    ]);
  });
  after(async () => {
    await extra?.stop();
  });

  test('an allowed folder and file are served, their neighbours are not', async () => {
    const port = extra.port;
    assert.equal((await fetchRaw('/bench/tfjs.html', { port })).status, 200);
    assert.equal((await fetchRaw('/node_modules/playwright-core/package.json', { port })).status, 200);
    assert.equal((await fetchRaw('/node_modules/playwright-core/index.js', { port })).status, 404);
    assert.equal((await fetchRaw('/node_modules/pngjs/package.json', { port })).status, 404);
    assert.equal((await fetchRaw('/Cargo.toml', { port })).status, 404);
    assert.equal((await fetchRaw('/bench/../Cargo.toml', { port })).status, 404);
    assert.equal((await fetchRaw('/index.html', { port })).status, 200);
  });

  test('a mount serves its folder at /NAME/', async () => {
    const port = extra.port;
    const name = readdirSync(join(ROOT, 'tests/fixtures/photos')).find((f) => f.endsWith('.jpg'));
    const res = await fetchRaw(`/fixtures/photos/${encodeURIComponent(name)}`, { port });
    assert.equal(res.status, 200);
    assert.ok(res.body.equals(file(`tests/fixtures/photos/${name}`)));
    const jpeg = await fetchRaw(`/fixtures/photos/${encodeURIComponent(name)}`, { port, headers: { 'Accept-Encoding': 'br, gzip' } });
    assert.equal(jpeg.headers['content-encoding'], undefined, 'a JPEG is not compressed again');
    assert.equal(jpeg.headers.vary, undefined);
    assert.ok(jpeg.body.equals(res.body));
    assert.equal((await fetchRaw('/fixtures/../Cargo.toml', { port })).status, 404);
    assert.equal((await fetchRaw('/fixtures/%2e%2e/%2e%2e/Cargo.toml', { port })).status, 404);
  });

  test('a brotli copy the build wrote beside a file is sent for br while it is current', async () => {
    const port = extra.port;
    const headers = { 'Accept-Encoding': 'br' };
    const source = 'export const answer = 42;\n'.repeat(50);
    writeFileSync(join(built, 'module.js'), source);
    // The build's copy (scripts/precompress.mjs) differs from what the server would make.
    const copy = brotliCompressSync(Buffer.from(source + '// the build\'s copy\n'));
    writeFileSync(join(built, 'module.js.br'), copy);
    const sent = await fetchRaw('/built/module.js', { port, headers });
    assert.equal(sent.headers['content-encoding'], 'br');
    assert.ok(sent.body.equals(copy), 'the build\'s copy is sent');
    // The file changed after its copy was written: the copy is stale and the server compresses.
    const later = new Date(Date.now() + 60_000);
    writeFileSync(join(built, 'module.js'), source + '// edited\n');
    utimesSync(join(built, 'module.js'), later, later);
    const fresh = await fetchRaw('/built/module.js', { port, headers });
    assert.equal(brotliDecompressSync(fresh.body).toString(), source + '// edited\n');
  });

  test('a bad --allow or --mount is refused', async () => {
    for (const args of [
      ['--allow', '../etc/'],
      ['--allow', '.git/'],
      ['--allow', '/etc/passwd'],
      ['--allow', 'bench'],
      ['--allow', 'no-such-folder/'],
      ['--mount', 'x'],
      ['--mount', '.x=/tmp'],
      ['--frobnicate'],
    ]) {
      const { code, stderr } = await refusedArgs(args);
      assert.equal(code, 2, `${args.join(' ')}: exit ${code}`);
      assert.match(stderr, /^serve: /, args.join(' '));
    }
  });
});

describe('dist/ and other hosts', () => {
  test('--dist serves the folder npm run build makes, with its compressed copies', async () => {
    const dist = await startServer(['--dist']);
    try {
      const page = await fetchRaw('/', { port: dist.port });
      assert.equal(page.status, 200);
      assert.deepEqual(page.body, readFileSync(join(ROOT, 'dist/index.html')));
      assert.match(page.body.toString(), /<meta name="linseg-build" content="[0-9a-f]{12}">/);
      for (const path of ['/sw.js', '/linseg.js', '/linseg.d.ts', '/www/linseg.js', '/models/selfie-linear.bpk']) {
        assert.equal((await fetchRaw(path, { port: dist.port })).status, 200, path);
      }
      // The build's gzip copy goes out as it is.
      const gz = await fetchRaw(`/${WASM}`, { port: dist.port, headers: { 'Accept-Encoding': 'gzip' } });
      assert.equal(gz.headers['content-encoding'], 'gzip');
      assert.deepEqual(gz.body, readFileSync(join(ROOT, `dist/${WASM}.gz`)));
      assert.deepEqual(gunzipSync(gz.body), readFileSync(join(ROOT, `dist/${WASM}`)));
      assert.equal((await fetchRaw('/Cargo.toml', { port: dist.port })).status, 404);
    } finally {
      await dist.stop();
    }
  });

  test('--host beyond loopback says who can reach the page and what they get', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts/serve.mjs'), '--port', '0', '--host', '0.0.0.0'], { cwd: ROOT });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    try {
      await new Promise((resolvePromise, reject) => {
        const timer = setTimeout(() => reject(new Error(`no word on who can reach it:\n${output}`)), 10_000);
        child.stdout.on('data', () => {
          if (/anyone who can reach this machine/.test(output)) {
            clearTimeout(timer);
            resolvePromise();
          }
        });
      });
      assert.match(output, /http:\/\/0\.0\.0\.0:\d+\//);
      assert.match(output, /secure context/);
      const port = Number(/0\.0\.0\.0:(\d+)/.exec(output)[1]);
      assert.equal((await fetchRaw('/', { port })).status, 200, 'still reachable on loopback');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
