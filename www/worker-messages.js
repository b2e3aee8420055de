// The worker's words to the page: answers, errors with their kind, events, and the words of a
// Rust panic kept for the trap that follows it (see protocol.js for the messages).
// Owns: how an error becomes a message (WorkerError, replyError, the panic capture) and the
// events' posting. Must not touch: the module, the engine or the requests' handlers.

/** An error whose `kind` tells the page how to present it. */
export class WorkerError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

/** The text of whatever the wasm threw (an Error, or a plain string from a JsValue). */
export function messageOf(err) {
  return err?.message != null ? String(err.message) : String(err);
}

/** A failure of the GPU device itself (the contract's 'device lost' / 'out of memory', and the
 *  wasm's "the device failed: …" from a failed readback), as opposed to a bad request. */
export function isDeviceFailure(err) {
  return /device (was )?lost|devicelost|out of memory|outofmemory|the device failed/i.test(messageOf(err));
}

// Panics. A Rust panic reaches the console (console_error_panic_hook) and then traps as a bare
// "RuntimeError: unreachable"; the panic's own words ("wgpu error: Out of Memory") are kept so
// that the page can say what happened.

let lastPanic = null;
const consoleError = console.error.bind(console);
console.error = (...args) => {
  const text = args.map(String).join(' ');
  const match = /panicked at [^\n]*\n([^\n]+)/.exec(text);
  if (match) lastPanic = match[1].trim();
  consoleError(...args);
};

/** The message of a trap, with the panic's words when there were any. */
function trapMessage(err) {
  const panic = lastPanic;
  lastPanic = null;
  return panic ? `the WebAssembly module panicked: ${panic}` : messageOf(err);
}

// A trap inside a task the wasm spawned has no request to answer: tell the page before the
// error reaches it, so that its restart names the cause.
self.addEventListener('error', (event) => {
  if (event.error instanceof WebAssembly.RuntimeError || /RuntimeError/.test(event.message)) {
    emit('panic', { message: trapMessage(event.error ?? event.message) });
  }
});

/** Answers request `id` with `err`: 'crashed' when the module trapped, else the error's kind. */
export function replyError(id, err) {
  // A Rust panic traps the instance; its state can no longer be trusted.
  const trapped = err instanceof WebAssembly.RuntimeError;
  const kind = trapped ? 'crashed' : err instanceof WorkerError ? err.kind : 'error';
  const message = trapped ? trapMessage(err) : messageOf(err);
  self.postMessage({ id, ok: false, error: { message, kind } });
}

/** Posts an event (protocol.js EVENTS). */
export function emit(event, detail) {
  self.postMessage({ event, ...detail });
}

/** A loading step; `bytes` ({ loaded, total }) when it is a download. */
export function progress(stage, message, fraction, bytes = {}) {
  emit('progress', { stage, message, fraction, ...bytes });
}
