// Shared constants of the page and its worker: the modes and sizes the model offers, and the
// page's own limits (file size, pixel count, CPU memory). No logic lives here.

/** The attention modes, in the order the page lists them (weights: models/selfie-<mode>.bpk). */
export const MODES = ['none', 'dot', 'linear', 'efficient', 'criss-cross'];

/** Processing resolutions (the longer side the network sees). */
export const SIZES = [256, 512, 1024, 2048];

/** The size the network was trained at. Above it a photo runs twice (src/refine.rs): at this
 *  size, which finds the people, and at the chosen size, which draws their edges. */
export const TRAINED_SIZE = 256;

/** The defaults the page opens with: the project's namesake mode at the model's native size. */
export const DEFAULT_MODE = 'linear';
export const DEFAULT_SIZE = 256;

/** Files above this are refused before they are read or decoded. */
export const MAX_FILE_BYTES = 50 * 1024 * 1024;

/** The blank image the worker warms up with (compiles the shaders before the first photo). */
export const WARMUP = { width: 64, height: 64, grey: 128, mode: 'none', size: 256 };

/** The resolution sweep's sizes; 2048 joins them only when asked for. */
export const SWEEP_SIZES = [256, 512, 1024];
