//! [`catalog`]: what the model offers and which limits apply, the one source the page builds
//! its controls and checks from.

use serde::Serialize;
use tsify::Tsify;
use wasm_bindgen::prelude::*;

use super::{ONE_THREAD_UP_TO, engine::CPU_LIMITS, to_js};
use crate::attention::AttentionMode;
use crate::error::ErrorKind;
use crate::model::TRAINED_SIZE;
use crate::photo;
use crate::preprocess::SIZES;

/// Files above this many bytes are refused before they are read.
const MAX_FILE_BYTES: u64 = 50 << 20;

/// What the model offers and the page's limits: the one source the page builds its controls
/// and checks from.
#[derive(Serialize, Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase")]
pub struct Catalog {
    /// The attention modes, in the order the page lists them.
    #[tsify(type = "string[]")]
    modes: &'static [AttentionMode],
    /// A few words on each mode, `[name, words]` in the order of `modes`.
    #[tsify(type = "[string, string][]")]
    mode_words: Vec<[&'static str; 2]>,
    /// The processing sizes offered (the longer side the network sees).
    #[tsify(type = "number[]")]
    sizes: [u32; 4],
    /// The size the network was trained at: above it a photo runs twice (`refine.rs`).
    trained_size: u32,
    /// Files above this many bytes are refused before they are read.
    max_file_bytes: u64,
    /// The image formats a photo may come in, in words.
    formats: &'static str,
    /// Decoded images above this many pixels are refused (the CLI's default too).
    max_pixels: u64,
    /// The most an attention block may hold at once on the CPU fallback.
    cpu_block_bytes: u64,
    /// Whether this build can run on WebGPU (the full build) or only on the CPU.
    webgpu: bool,
    /// Runs at this size or below use one thread unless a number was asked for.
    one_thread_up_to: u32,
    /// The kinds a failure may have (`LinsegError.kind`), in the order of `ErrorKind::ALL`.
    #[tsify(type = "ErrorKind[]")]
    error_kinds: Vec<&'static str>,
}

/// `{ modes, modeWords, sizes, trainedSize, maxFileBytes, formats, maxPixels, cpuBlockBytes,
/// webgpu, oneThreadUpTo, errorKinds }`: see [`Catalog`].
#[wasm_bindgen(unchecked_return_type = "Catalog")]
pub fn catalog() -> Result<JsValue, JsValue> {
    to_js(&Catalog {
        modes: &AttentionMode::ALL,
        mode_words: AttentionMode::ALL.map(|m| [m.name(), m.words()]).to_vec(),
        sizes: SIZES,
        trained_size: TRAINED_SIZE as u32,
        max_file_bytes: MAX_FILE_BYTES,
        formats: photo::READ_FORMATS,
        max_pixels: photo::DEFAULT_MAX_PIXELS,
        cpu_block_bytes: CPU_LIMITS.block_bytes,
        webgpu: cfg!(feature = "webgpu"),
        one_thread_up_to: ONE_THREAD_UP_TO,
        error_kinds: ErrorKind::ALL.iter().map(|kind| kind.name()).collect(),
    })
}
