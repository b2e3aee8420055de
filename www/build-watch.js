// Moves the page to a module build that the server did not have when its worker started:
// `npm start` serves the page as soon as the CPU build is there and makes the threaded and
// WebGPU builds after it (scripts/start.sh). When a worker reports such a build (its backend
// info's `awaitedBuild`, see worker-module.js), this asks for the build's file every few
// seconds and, once the server has it, has the engine replace the worker, which loads it.
// Owns: its timer. Must not touch: the worker, the photos or the page's elements.

/** How often the awaited build's file is asked for, in milliseconds. */
export const POLL_MS = 3000;

/** The builds a worker may wait for, in words. */
const BUILD_WORDS = { linseg: 'The WebGPU build', linseg_cpu_threads: 'The threaded build' };

/** Follows `engine`'s workers: each 'backend' event says which build, if any, to wait for. */
export function watchBuilds(engine, { pollMs = POLL_MS } = {}) {
  let timer = null;
  const stop = () => {
    clearInterval(timer);
    timer = null;
  };
  engine.addEventListener('backend', ({ detail: { info } }) => {
    stop();
    const name = info?.awaitedBuild;
    if (!name) return;
    const url = new URL(`./pkg/${name}_bg.wasm`, import.meta.url);
    const poll = setInterval(async () => {
      const response = await fetch(url, { method: 'HEAD', cache: 'no-store' }).catch(() => null);
      if (!response?.ok || timer !== poll) return;
      stop();
      engine.reload(`${BUILD_WORDS[name] ?? name} is ready`);
    }, pollMs);
    timer = poll;
  });
}
