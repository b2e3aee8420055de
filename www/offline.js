// The page's side of the service worker (www/service-worker.js, dist/sw.js), where the page is
// served from the folder `npm run build` makes (its index.html names the build in
// <meta name="linseg-build">; a checkout served by scripts/serve.mjs has none and gets no
// service worker). Registers it; the first time, once it controls the page, reloads the page
// so that every response carries the cross-origin isolation the threads need (unless the host
// sent it already); where a newer build was installed meanwhile, activates it and reloads before
// the page starts anything, so the page never runs a mix of two builds.
// Owns: the registration and the one reload. Must not touch: the engine or the page's elements.

/** How long a first visit waits for the service worker before it goes on without it. */
const WAIT_MS = 10_000;

/**
 * Resolves once the page may start its engine: { build, controlled, note } (build: the build's
 * id or null; note: why the page works without the service worker's help, or null). Never
 * resolves when it reloads the page.
 */
export async function prepareOffline() {
  const build = document.querySelector('meta[name="linseg-build"]')?.content ?? null;
  if (!build) return { build, controlled: false, note: null };
  if (!('serviceWorker' in navigator) || !window.isSecureContext) {
    return { build, controlled: false, note: 'no offline copy: this browser gives service workers only to secure (HTTPS or localhost) pages' };
  }
  const container = navigator.serviceWorker;
  let registration;
  try {
    registration = await container.register(new URL('sw.js', document.baseURI), { scope: './' });
  } catch (err) {
    return { build, controlled: false, note: `no offline copy: the service worker could not start (${err.message})` };
  }
  // A newer build installed on an earlier visit: take it before anything runs.
  if (registration.waiting && container.controller) return reloadInto(registration.waiting);
  if (!container.controller) {
    const controlled = await Promise.race([
      new Promise((resolve) => container.addEventListener('controllerchange', () => resolve(true), { once: true })),
      new Promise((resolve) => setTimeout(() => resolve(false), WAIT_MS)),
    ]);
    if (!controlled) return { build, controlled: false, note: 'no offline copy yet: the service worker took too long to install' };
    // Its responses carry the isolation this page's did not: once, reload to get them.
    if (!window.crossOriginIsolated && !sessionStorage.getItem(RELOADED)) {
      sessionStorage.setItem(RELOADED, build);
      location.reload();
      return new Promise(() => {});
    }
  }
  return { build, controlled: true, note: null };
}

const RELOADED = 'linseg-isolation-reload';

/** Activates the waiting build and reloads the page into it once it is active. */
function reloadInto(worker) {
  const reload = () => {
    if (worker.state === 'activated') location.reload();
  };
  worker.addEventListener('statechange', reload);
  worker.postMessage({ type: 'activate' });
  return new Promise(() => {});
}
