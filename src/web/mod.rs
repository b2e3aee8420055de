//! The browser's entry points, compiled for wasm32 only and called from `www/worker.js`.
//!
//! The boundary is narrow and typed: bytes or RGBA pixels, a mode and a size go in; a mask and
//! timings come out, as `#[derive(Serialize)]` structs (camelCase, through
//! `serde-wasm-bindgen`; byte arrays arrive as `Uint8Array`s), each with its TypeScript
//! declaration generated from it (`tsify`) into the build's `.d.ts`. A failure is thrown as a JS
//! `Error` whose `kind` is its [`crate::ErrorKind`]'s name ([`js_error`], the one place). An [`Engine`] holds the device
//! (WebGPU, or the CPU kernels as the fallback) and the network of each mode whose weights were
//! loaded; [`catalog`] tells the page what the model offers and which limits apply;
//! [`decode_image`] and its neighbours turn a file's bytes into a photo. This file holds what
//! runs once (start-up, the threads) and the conversions every entry point shares.

mod catalog;
mod decode;
mod engine;

pub use catalog::catalog;
pub use decode::{browser_format, check_pixels, decode_image};
pub use engine::Engine;

use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::attention::AttentionMode;
use crate::error::{Error, ErrorKind};

/// The kinds of failure, as TypeScript (`ErrorKind` in the build's `.d.ts`).
#[wasm_bindgen(typescript_custom_section)]
const ERROR_KIND: &str = ErrorKind::TYPESCRIPT;

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

/// A JS `Error` with `message` and `kind` (an [`ErrorKind`]'s name): how every failure crosses
/// the boundary.
fn js_error(kind: ErrorKind, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    js_sys::Reflect::set(&error, &"kind".into(), &kind.name().into())
        .expect("an Error object takes a property");
    error.into()
}

impl From<Error> for JsValue {
    fn from(err: Error) -> JsValue {
        js_error(err.kind(), &err.to_string())
    }
}

/// A value as a plain JS object (maps as objects, missing values as `null`, byte arrays as
/// `Uint8Array`).
fn to_js(value: &impl Serialize) -> Result<JsValue, JsValue> {
    let serializer = serde_wasm_bindgen::Serializer::new()
        .serialize_maps_as_objects(true)
        .serialize_missing_as_null(true);
    value
        .serialize(&serializer)
        .map_err(|err| js_error(ErrorKind::Internal, &err.to_string()))
}

fn parse_mode(mode: &str) -> Result<AttentionMode, Error> {
    Ok(mode.parse()?)
}

/// `size` when it is one of the processing sizes offered.
fn check_size(size: f64) -> Result<u32, Error> {
    crate::preprocess::offered_size(size)
}
