// The worker's words to the page: answers, errors with their kind, events, and the words of a
// Rust panic kept for the trap that follows it (see protocol.js for the messages).
// Owns: how an error becomes a message (replyError, the panic capture) and the events' posting.
// Must not touch: the module, the engine or the requests' handlers.

import { LinsegError } from './linseg-error.js';

/** The text of whatever the wasm threw (an Error, or a plain string from a JsValue). */
export function messageOf(err) {
  return err?.message != null ? String(err.message) : String(err);
}

/** A failure of the GPU device itself (lost, out of memory), as the wasm reports it: its kind. */
export function isDeviceFailure(err) {
  return err?.kind === 'backend-lost';
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

/**
 * Answers request `id` with `err`: 'crashed' when the module trapped (a Rust panic: the
 * instance's state can no longer be trusted), else the kind the wasm or the worker gave it.
 */
export function replyError(id, err) {
  const { kind, message } = LinsegError.from(err);
  const words = kind === 'crashed' ? trapMessage(err) : message;
  self.postMessage({ id, ok: false, error: { message: words, kind } });
}

/** Posts an event (protocol.js EVENTS). */
export function emit(event, detail) {
  self.postMessage({ event, ...detail });
}

/** A loading step; `bytes` ({ loaded, total }) when it is a download. */
export function progress(stage, message, fraction, bytes = {}) {
  emit('progress', { stage, message, fraction, ...bytes });
}
