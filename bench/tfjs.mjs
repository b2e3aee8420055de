// The TF.js anchor of the page benchmark: runs MediaPipe Selfie Segmentation's own TF.js graph
// (selfie.json + selfie.bin, the graph `linseg import` reads) with TensorFlow.js 4.22 on its
// wasm backend (SIMD, one thread) or its WebGPU backend, on the input linseg's page builds from
// the same photo, and times it. scripts/bench-page.mjs drives it through `window.tfjsBench.run`.
//
// The graph was exported for a 256×256 input: its upsampling sizes, the transposed
// convolution's output shape and its global average pools' windows are constants. linseg
// computes them from the input; here they are rewritten for the letterboxed input's size
// before the graph loads (shape constants only: every weight is the file's own).

import { letterbox, toInput, toMask } from './letterbox.mjs';

/** TF.js, from the UMD scripts tfjs.html loads before this module. */
const { tf } = globalThis;

/** Where tfjs-backend-wasm's binaries are served (scripts/serve.mjs serves node_modules/). */
const WASM_PATH = '/node_modules/@tensorflow/tfjs-backend-wasm/dist/';

/** The side the graph was exported for. */
const EXPORTED_SIDE = 256;

/**
 * Starts a TF.js backend: 'wasm' with SIMD forced on and threads off, or 'webgpu'. Resolves
 * what ran: { backend, binary, threads } for wasm (the .wasm file the page fetched and the
 * backend's thread count), { backend, adapter } for WebGPU.
 */
async function startBackend(name) {
  if (name === 'wasm') {
    tf.wasm.setWasmPaths(WASM_PATH);
    tf.env().set('WASM_HAS_SIMD_SUPPORT', true);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  }
  if (!(await tf.setBackend(name))) throw new Error(`TF.js could not start its ${name} backend`);
  await tf.ready();
  if (name === 'wasm') {
    const binaries = performance
      .getEntriesByType('resource')
      .map((entry) => new URL(entry.name).pathname.split('/').pop())
      .filter((file) => file.endsWith('.wasm'));
    const binary = binaries.join(', ');
    const threads = tf.backend().wasm.tfjs.getThreadsCount();
    if (binary !== 'tfjs-backend-wasm-simd.wasm' || threads !== 1) {
      throw new Error(`TF.js wasm did not start as asked (SIMD, one thread): binary ${binary}, ${threads} threads`);
    }
    return { backend: name, binary, threads };
  }
  const info = (await navigator.gpu.requestAdapter())?.info;
  const adapter = [info?.vendor, info?.architecture, info?.device, info?.description].filter(Boolean);
  return { backend: name, adapter: [...new Set(adapter)].join(' ') || 'an unnamed adapter' };
}

/** Bytes per value of a weight in the file: its quantised type's, else its own. */
function bytesPerValue(spec) {
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const size = { float32: 4, int32: 4, float16: 2, uint16: 2, uint8: 1 }[dtype];
  if (!size) throw new Error(`weight ${spec.name}: unknown dtype ${dtype}`);
  return size;
}

/**
 * Scales a length measured on the exported 256×256 input to an input of `side` pixels, where
 * it must stay a whole number.
 */
function rescale(length, side) {
  const scaled = (length * side) / EXPORTED_SIDE;
  if (!Number.isInteger(scaled)) throw new Error(`the graph's ${length} does not scale to a ${side}-px side`);
  return scaled;
}

/**
 * Loads the graph from `modelUrl` (a folder URL holding selfie.json and selfie.bin) for an
 * input of `[width, height]`: the int32 constants ([1, H, W, 1] of the transposed convolution,
 * [h, w] of each upsampling), the AvgPool windows and strides and the input's declared shape
 * are rewritten from 256×256 to that size.
 */
async function loadGraph(modelUrl, [width, height]) {
  const fetchOk = async (name) => {
    const response = await fetch(new URL(name, modelUrl));
    if (!response.ok) throw new Error(`${name}: ${response.status} ${response.statusText}`);
    return response;
  };
  const model = await (await fetchOk('selfie.json')).json();
  const weightSpecs = model.weightsManifest.flatMap((group) => group.weights);
  const files = await Promise.all(
    model.weightsManifest.flatMap((group) => group.paths).map(async (path) => new Uint8Array(await (await fetchOk(path)).arrayBuffer())),
  );
  const weightData = new Uint8Array(files.reduce((sum, file) => sum + file.length, 0));
  files.reduce((offset, file) => (weightData.set(file, offset), offset + file.length), 0);

  const view = new DataView(weightData.buffer);
  let offset = 0;
  for (const spec of weightSpecs) {
    const count = spec.shape.reduce((product, side) => product * side, 1);
    if (spec.dtype === 'int32') {
      // [1, H, W, 1] (the transposed convolution's output) or [h, w] (an upsampling's size).
      const [h, w] = spec.shape[0] === 4 ? [1, 2] : [0, 1];
      for (const [index, side] of [[h, height], [w, width]]) {
        const at = offset + 4 * index;
        view.setInt32(at, rescale(view.getInt32(at, true), side), true);
      }
    }
    offset += count * bytesPerValue(spec);
  }
  if (offset !== weightData.length) throw new Error(`the manifest describes ${offset} bytes, the files hold ${weightData.length}`);

  const topology = structuredClone(model.modelTopology);
  for (const node of topology.node) {
    if (node.op === 'AvgPool') {
      // A global average pool: its window is the whole feature map.
      for (const key of ['ksize', 'strides']) {
        const [n, h, w, c] = node.attr[key].list.i.map(Number);
        node.attr[key].list.i = [n, rescale(h, height), rescale(w, width), c].map(String);
      }
    } else if (node.op === 'Placeholder') {
      node.attr.shape.shape.dim = [1, height, width, 3].map((size) => ({ size: String(size) }));
    }
  }
  const { format, generatedBy, convertedBy, signature } = model;
  return tf.loadGraphModel(
    tf.io.fromMemory({ modelTopology: topology, weightSpecs, weightData: weightData.buffer, format, generatedBy, convertedBy, signature }),
  );
}

/** The photo's pixels, decoded by the browser (EXIF orientation applied, no colour management). */
async function decode(bytes) {
  const bitmap = await createImageBitmap(new Blob([bytes]), {
    imageOrientation: 'from-image',
    colorSpaceConversion: 'none',
    premultiplyAlpha: 'none',
  });
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d');
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  return context.getImageData(0, 0, canvas.width, canvas.height);
}

/** Runs the graph once on an NHWC input tensor and reads its output back. */
async function infer(model, input) {
  const output = model.execute(input);
  try {
    return await output.data();
  } finally {
    output.dispose();
  }
}

/** Base64 of bytes (the mask travels to Node so). */
function base64(bytes) {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

/**
 * Measures one backend. Options: { backend: 'wasm'|'webgpu', photo (base64 of the file),
 * modelUrl, size, warmup, runs }. Resolves { ...backend info, photo, input, inferenceMs[],
 * endToEnd: { preprocessMs[], inferenceMs[], postprocessMs[], totalMs[] }, meanProbability
 * (the mask's mean, 0–1), mask (base64 of the photo-sized mask, 0–255) }, the arrays holding the
 * timed runs only.
 *
 * - inference: `execute` on the prepared input tensor and the output read back (`data()`);
 * - end to end: from the decoded RGBA to the photo-sized mask: letterbox in JS (as linseg's
 *   src/preprocess.rs), the input tensor, inference and readback, crop, resize and quantise.
 */
async function run({ backend, photo, modelUrl, size, warmup, runs }) {
  const info = await startBackend(backend);
  const image = await decode(Uint8Array.from(atob(photo), (c) => c.charCodeAt(0)));
  const box = letterbox(image.width, image.height, size);
  const model = await loadGraph(modelUrl, box.input);
  const [inputW, inputH] = box.input;
  const shape = [1, inputH, inputW, 3];
  const timed = (i) => i >= warmup;

  const inferenceMs = [];
  const input = tf.tensor4d(toInput(image.data, image.width, image.height, box), shape);
  for (let i = 0; i < warmup + runs; i++) {
    const started = performance.now();
    await infer(model, input);
    if (timed(i)) inferenceMs.push(performance.now() - started);
  }
  input.dispose();

  const endToEnd = { preprocessMs: [], inferenceMs: [], postprocessMs: [], totalMs: [] };
  let mask = null;
  for (let i = 0; i < warmup + runs; i++) {
    const started = performance.now();
    const values = toInput(image.data, image.width, image.height, box);
    const tensor = tf.tensor4d(values, shape);
    const prepared = performance.now();
    const probabilities = await infer(model, tensor);
    tensor.dispose();
    const inferred = performance.now();
    mask = toMask(probabilities, box);
    const finished = performance.now();
    if (timed(i)) {
      endToEnd.preprocessMs.push(prepared - started);
      endToEnd.inferenceMs.push(inferred - prepared);
      endToEnd.postprocessMs.push(finished - inferred);
      endToEnd.totalMs.push(finished - started);
    }
  }
  model.dispose();
  return {
    ...info,
    tfjs: tf.version_core,
    photo: [image.width, image.height],
    input: box.input,
    inferenceMs,
    endToEnd,
    meanProbability: mask.reduce((sum, value) => sum + value, 0) / mask.length / 255,
    mask: base64(mask),
  };
}

window.tfjsBench = { run };
document.getElementById('state').dataset.state = 'ready';
document.getElementById('state').textContent = `TF.js ${tf.version_core} ready.`;
