// Whether the worker loads the WebGPU build, decided on the page's thread while the worker's
// scripts download: a browser's first request for a WebGPU adapter starts its GPU backend
// (0.1–0.3 s in a Chromium just started on the development machine), and the worker would
// otherwise ask only once its scripts had loaded, and wait before it fetched any module.
// Owns: the adapter it asks for (dropped once looked at). Must not touch: the worker or the page.

/**
 * The adapter's name when it is a software fallback (SwiftShader, in Chromium without a usable
 * GPU), else null. Such an adapter runs WebGPU on the CPU, 13–40× slower than the wasm CPU
 * backend on the development machine.
 */
function softwareName(adapter) {
  const info = adapter.info;
  if (!(info?.isFallbackAdapter ?? adapter.isFallbackAdapter)) return null;
  const words = [info?.vendor, info?.architecture].filter((word) => word && typeof word === 'string');
  return words.length ? words.join(' ') : 'the browser’s fallback adapter';
}

/** The adapter's name from what the browser says of it (wgpu reads none in a browser), or null. */
function adapterName(adapter) {
  const info = adapter.info;
  const words = [info?.vendor, info?.architecture, info?.device, info?.description]
    .filter((word) => word && typeof word === 'string');
  return words.length ? [...new Set(words)].join(' ') : null;
}

/**
 * Which build the worker loads: the WebGPU build where WebGPU will be used, the CPU build where
 * it will not (not wanted, no WebGPU in this browser, no adapter, or a software adapter passed
 * over unless `acceptSoftwareGpu`).
 * -> { webgpu: boolean, reason: string | null (why the CPU build although WebGPU was wanted),
 *      adapter: string | null (the adapter's name, for the backend's label) }
 */
export async function chooseGpu({ preferGpu, acceptSoftwareGpu }) {
  const cpu = (reason) => ({ webgpu: false, reason, adapter: null });
  if (!preferGpu) return cpu(null);
  if (!globalThis.navigator?.gpu) return cpu('this browser has no WebGPU');
  let adapter = null;
  try {
    adapter = await navigator.gpu.requestAdapter();
  } catch {
    // As good as none.
  }
  if (!adapter) return cpu('this browser offers no WebGPU adapter');
  const software = acceptSoftwareGpu ? null : softwareName(adapter);
  if (software) return cpu(`WebGPU here is software (${software}), slower than the CPU`);
  return { webgpu: true, reason: null, adapter: adapterName(adapter) };
}
