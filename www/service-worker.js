// linseg's service worker, for the folder `npm run build` makes (scripts/build-dist.mjs writes it
// to dist/sw.js, after a first line that sets `self.LINSEG_BUILD`: the build's id, the SHA-256
// of each of its files, and the files fetched at install). It does two jobs:
//
// - Offline: each build is a cache of its own, `linseg-<id>`. The page's shell (its HTML, every
//   module, the styles) is fetched at install; the rest (the wasm build the page runs, the
//   weights, the sample) is kept the first time it is fetched. Every
//   file is checked against the build's SHA-256 before it is kept or served, so a page never
//   runs a mix of two builds: a file of another build (the host was updated meanwhile) is refused
//   with 503 and the new build installs beside this one. A new build waits until the page opens
//   again (www/offline.js activates it then); its activation deletes the older caches.
// - Cross-origin isolation on hosts that cannot set headers (the coi-serviceworker technique):
//   every response it gives carries COOP and COEP, so that the page may share memory between
//   WebAssembly threads (www/offline.js reloads the page once, the first time, to get them).
//
// Owns: the caches named linseg-*. Must not touch: the page.

const BUILD = self.LINSEG_BUILD;
const CACHE = `linseg-${BUILD.id}`;
/** The folder this worker serves: its scope (dist/'s URL, wherever the host puts it). */
const ROOT = new URL('./', self.registration.scope);

/** Cross-origin isolation, added to every response. */
const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await Promise.all(BUILD.precache.map(async (path) => cache.put(keyOf(path), await fetchChecked(path))));
      // The first build activates at once; a later one waits for the page (www/offline.js).
      if (!self.registration.active) await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith('linseg-') && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('message', (event) => {
  // Kept alive until it is active: a worker woken for a message may be stopped once idle.
  if (event.data?.type === 'activate') event.waitUntil(self.skipWaiting());
  if (event.data?.type === 'build') event.source?.postMessage({ type: 'build', id: BUILD.id });
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET' || !request.url.startsWith(ROOT.href)) return;
  event.respondWith(respond(request));
});

/** The build's answer for `request`: from the cache, else fetched, checked and kept. */
async function respond(request) {
  const path = pathOf(request.url);
  if (!(path in BUILD.files)) return isolated(await fetch(request));
  const cache = await caches.open(CACHE);
  const cached = await cache.match(keyOf(path));
  if (cached) return isolated(cached);
  let response;
  try {
    response = await fetchChecked(path);
  } catch (err) {
    return new Response(`${path}: ${err.message}\n`, { status: 503, headers: { 'Content-Type': 'text/plain; charset=utf-8', ...ISOLATION } });
  }
  await cache.put(keyOf(path), response.clone());
  return isolated(response);
}

/** `path` fetched past the HTTP cache and checked against the build's SHA-256 of it. */
async function fetchChecked(path) {
  const response = await fetch(new URL(path, ROOT), { cache: 'no-cache' });
  if (!response.ok) throw new Error(`the host answered ${response.status}`);
  const body = await response.arrayBuffer();
  const digest = base64(await crypto.subtle.digest('SHA-256', body));
  if (digest !== BUILD.files[path]) {
    self.registration.update();
    throw new Error('the host has another build of linseg now; reload the page to get it');
  }
  // The body is decoded already: the encoding's headers no longer describe it.
  const headers = new Headers(response.headers);
  headers.delete('Content-Encoding');
  headers.delete('Content-Length');
  return new Response(body, { status: 200, headers });
}

/** The build's path of a URL in scope: '' and folders are their index.html. */
function pathOf(url) {
  const path = decodeURIComponent(new URL(url).pathname.slice(ROOT.pathname.length));
  return path === '' || path.endsWith('/') ? `${path}index.html` : path;
}

/** The cache key of a build path (a URL without query). */
function keyOf(path) {
  return new URL(path, ROOT).href;
}

/** `response` with the isolation headers. */
function isolated(response) {
  if (response.type === 'opaque' || response.status === 0) return response;
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(ISOLATION)) headers.set(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

function base64(buffer) {
  let text = '';
  for (const byte of new Uint8Array(buffer)) text += String.fromCharCode(byte);
  return btoa(text);
}
