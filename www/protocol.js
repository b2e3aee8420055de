// The protocol between the page (engine.js) and the model's worker (worker.js), written once.
// engine.js posts { id, op, args } and worker.js answers { id, ok: true, value } or
// { id, ok: false, error: { message, kind } } (kind: one of src/error.rs's ErrorKind names, the
// catalog's errorKinds); worker.js also posts events, { event, ...detail },
// which engine.js turns into DOM events on the Engine (or keeps, for 'panic').
// tests/node/protocol.test.mjs checks that every request engine.js sends has a handler in
// worker.js and an entry here, and that every event the worker posts has a reader.
// Owns: the names and shapes of the messages. Must not touch: anything that runs.

/** Requests, by `op`: what `args` carries and what `value` answers. */
export const REQUESTS = {
  catalog: '{ gpu: { webgpu, reason, adapter }, threads, baseUrl, warmupMode } -> { modes, modeWords, sizes, trainedSize, maxFileBytes, formats, maxPixels, cpuBlockBytes, webgpu, oneThreadUpTo, errorKinds }',
  start: '{ gpu, forcedReason, threads, baseUrl, warmupMode, fault } -> { ...backend info, warmupMs, warmupError, startSteps }',
  decode: '{ imageId, bytes, maxPixels, pixels } -> { width, height, rgba | null }',
  pixels: '{ imageId, maxPixels, bitmap } | { imageId, maxPixels, rgba, width, height } -> { width, height }',
  forget: '{ imageId } -> true when the worker held it',
  cost: '{ mode, width, height, size } -> { cost, refusal }',
  segment: '{ imageId, mode, size } -> { mask, width, height, mode, size, backend, threads, first, fellBack, cost, …Ms, profile, memoryBytes }',
  frame: '{ bitmap, mode, size } -> { mask, width, height, mode, size, backend, cost, readMs, …Ms }',
  look: '{ imageId, mode, size } -> { gridWidth, gridHeight, cellWidth, cellHeight, attends, ms }',
  lookAt: '{ x, y } -> { column, row, weights, ms } | null',
};

/** Events the worker posts, by name: what they carry. */
export const EVENTS = {
  progress: '{ stage, message, fraction, loaded?, total? }: a loading step; a download counts its bytes',
  backend: '{ info }: the backend that runs now',
  fallback: '{ reason }: WebGPU failed; the worker moved to the CPU',
  panic: '{ message }: the words of a panic whose trap the worker\'s error event is about to report',
};
