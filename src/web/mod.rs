//! The browser's entry points, compiled for wasm32 only and called from `www/worker.js`.
//!
//! The boundary is narrow and typed: bytes or RGBA pixels, a mode and a size go in; a mask and
//! timings come out, as `#[derive(Serialize)]` structs (camelCase, through
//! `serde-wasm-bindgen`; byte arrays arrive as `Uint8Array`s). An [`Engine`] holds the device
//! (WebGPU, or the CPU kernels as the fallback) and the network of each mode whose weights were
//! loaded; [`catalog`] tells the page what the model offers and which limits apply;
//! [`decode_image`] and its neighbours turn a file's bytes into a photo. This file holds what
//! runs once (start-up, the threads) and the conversions every entry point shares.

mod catalog;
mod decode;
mod engine;

pub use catalog::catalog;
pub use decode::{browser_format, decode_image, pixel_limit};
pub use engine::Engine;

use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::attention::AttentionMode;
use crate::preprocess::SIZES;

unsafe extern "C" {
    /// wasm-ld's function that runs the module's static constructors (the `inventory`
    /// registrations of Burn's compiler stack: about 4,900 of them). A module that never calls
    /// it gets it called at the top of *every* export, `malloc` included, which cost 1–30 ms per
    /// call into the engine; calling it once here makes wasm-ld leave the exports alone.
    fn __wasm_call_ctors();
}

/// Runs once, right after instantiation (wasm-bindgen calls it before any other export): the
/// static constructors, and a panic hook so that panics reach the console with their message
/// rather than as "unreachable".
///
/// In the threaded build every thread runs it as it starts; the constructors, which register
/// into the memory all threads share, run on the first only.
#[wasm_bindgen(start)]
pub fn initialise() {
    static CONSTRUCTED: AtomicBool = AtomicBool::new(false);
    if !CONSTRUCTED.swap(true, Ordering::SeqCst) {
        // SAFETY: the first thread runs this once, before any other export is called.
        unsafe { __wasm_call_ctors() };
    }
    console_error_panic_hook::set_once();
}

/// `initThreadPool(threads)`: starts the threaded build's pool of Web Workers (a promise); call
/// it once, before `Engine.start`.
#[cfg(feature = "web-threads")]
pub use wasm_bindgen_rayon::init_thread_pool;

/// Runs at this processing size or below use one thread of the threaded build's pool unless the
/// page was asked for a number (`?threads=N`): its layers are too small to repay the split.
/// `npm run bench:page` prints the ratio per size (engine alone, two threads ÷ one over six runs
/// on a 2-core machine: above 1.0× in five at 256 px, 0.78–1.16×; 0.58–0.98× at 1024 px).
const ONE_THREAD_UP_TO: u32 = 256;

/// `limitThreads(limit)`: the CPU kernels' runs from now on use at most `limit` threads of the
/// pool (0: all of them).
#[wasm_bindgen(js_name = limitThreads)]
pub fn limit_threads(limit: u32) {
    crate::cpu::limit_threads(if limit == 0 {
        usize::MAX
    } else {
        limit as usize
    });
}

/// A value as a plain JS object (maps as objects, byte arrays as `Uint8Array`).
fn to_js(value: &impl Serialize) -> Result<JsValue, JsError> {
    let serializer = serde_wasm_bindgen::Serializer::new()
        .serialize_maps_as_objects(true)
        .serialize_missing_as_null(true);
    value
        .serialize(&serializer)
        .map_err(|err| JsError::new(&err.to_string()))
}

fn parse_mode(mode: &str) -> Result<AttentionMode, JsError> {
    mode.parse()
        .map_err(|err: crate::attention::UnknownMode| JsError::new(&err.to_string()))
}

/// `size` when it is one of the processing sizes offered.
fn check_size(size: f64) -> Result<u32, JsError> {
    SIZES
        .into_iter()
        .find(|&offered| offered as f64 == size)
        .ok_or_else(|| {
            JsError::new(&format!(
                "{size} is not a processing size linseg offers ({})",
                SIZES.map(|s| s.to_string()).join(", ")
            ))
        })
}
