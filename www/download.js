// Downloads that say how far they have got: a fetch whose body is counted as it streams in,
// for the worker's progress events while the wasm module and the weights load on a slow link.
// Owns: nothing but the counting. Must not touch: the DOM or the worker's state.

/** How often, at most, a download reports its bytes (ms). */
const REPORT_EVERY_MS = 100;

/**
 * The response's size when it is known: Content-Length, unless the body was compressed on
 * the way (then Content-Length counts the compressed bytes, and the body read here is the
 * decompressed one: scripts/serve.mjs says its size as X-Decoded-Length). null when unknown.
 * @param {Response} response
 */
export function knownSize(response) {
  const encoding = response.headers.get('Content-Encoding');
  const compressed = encoding && encoding !== 'identity';
  const length = Number(response.headers.get(compressed ? 'X-Decoded-Length' : 'Content-Length'));
  return Number.isFinite(length) && length > 0 ? length : null;
}

/**
 * The same response with its body counted as it is read: `onBytes(loaded, total)` is called
 * as bytes arrive (at most every REPORT_EVERY_MS, and once at the end); total is knownSize's.
 * The copy keeps the status and headers, so `WebAssembly.instantiateStreaming` accepts it.
 * @param {Response} response  an ok response, body unread
 * @param {(loaded: number, total: number | null) => void} onBytes
 * @returns {Response}
 */
export function countedResponse(response, onBytes) {
  const total = knownSize(response);
  let loaded = 0;
  let reported = 0;
  const counter = new TransformStream({
    transform(chunk, controller) {
      loaded += chunk.byteLength;
      const now = Date.now();
      if (now - reported >= REPORT_EVERY_MS) {
        reported = now;
        onBytes(loaded, total);
      }
      controller.enqueue(chunk);
    },
    flush() {
      onBytes(loaded, total);
    },
  });
  return new Response(response.body.pipeThrough(counter), {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
