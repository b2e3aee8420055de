// The response headers the page needs, written once: scripts/serve.mjs sends them, and
// scripts/build-dist.mjs writes them into dist/_headers for static hosts that read that file.
//
// A Content-Security-Policy that lets the page load only same-origin scripts, workers (and
// blob: workers, which is how wasm-bindgen-rayon starts the threaded build's threads), styles
// and fetches, instantiate WebAssembly ('wasm-unsafe-eval') and show blob:/data: images and
// camera (mediastream:/blob:) media, and nothing inline; `nosniff`; `Referrer-Policy:
// no-referrer`; cross-origin isolation (COOP/COEP/CORP), so that the page may use
// SharedArrayBuffer, which WebAssembly threads share memory through.

export const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob: mediastream:",
  "style-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

/** Sent with every response; `Cache-Control: no-cache`: revalidated on every use. */
export const COMMON_HEADERS = {
  'Cache-Control': 'no-cache',
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** Cross-origin isolation: what lets the page share memory between WebAssembly threads. */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};
