// The page's own choices, shared by the page and its worker. What the model offers (modes,
// sizes) and its limits (file size, pixel count) come from the wasm module's catalog
// (src/web/catalog.rs), not from here. No logic lives here.
// Owns: the page's defaults, the warm-up image and the analyses' timing rule. Must not touch:
// what the catalog gives (modes, sizes, limits).

/** The settings the page opens with: the project's namesake mode at the model's native size. */
export const DEFAULTS = { mode: 'linear', size: 256 };

/**
 * The blank image the worker warms up with (compiles the shaders before the first photo), in
 * the segmenter's mode (www/linseg.js); `mode` is the one an engine that names none warms up in.
 */
export const WARMUP = { width: 64, height: 64, grey: 128, mode: 'none', size: 256 };

/**
 * How the analyses time a mode at a size: the median of `runs` runs, a single run where the
 * first takes `singleRunMs` or more (one run then stands out less against the noise of a busy
 * machine, and three would take long).
 */
export const ANALYSIS_TIMING = { runs: 3, singleRunMs: 1000 };
