//! [`Engine`]: the device (WebGPU, or the CPU kernels as the fallback), the network of each
//! mode whose weights were loaded, and what the page asks of them: costs, masks and "what does
//! it look at?".

use std::cell::RefCell;
use std::collections::HashMap;

use burn::tensor::Device;
use image::RgbaImage;
use serde::Serialize;
use tsify::Tsify;
use wasm_bindgen::prelude::*;

use super::{check_size, parse_mode, to_js};
use crate::attention::{AttentionMode, BlockCost, Limits};
use crate::cpu::{Profile, Step};
use crate::error::Error;
use crate::look::Look;
use crate::model::{STRIDE, TRAINED_SIZE};
use crate::network::Network;
use crate::pipeline;
use crate::refine::Plan;
use crate::weights;

#[wasm_bindgen]
extern "C" {
    /// `performance.now()`, in milliseconds; there in windows and workers alike.
    #[wasm_bindgen(js_namespace = performance)]
    fn now() -> f64;
}

/// The CPU fallback runs in 32-bit WebAssembly (4 GiB of memory at most, shared with the model,
/// the photo and the mask): an attention block may hold this much at once. (dot at 2048 on a
/// square photo, the largest case the page offers, peaks at just over 2 GiB and runs.)
pub(super) const CPU_LIMITS: Limits = Limits {
    buffer_bytes: None,
    block_bytes: 3 << 30,
    block_source: "the CPU fallback (32-bit WebAssembly) leaves for it",
};

/// Which backend an engine runs on.
#[derive(Serialize, Clone, Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase")]
pub struct BackendInfo {
    /// `"webgpu"` or `"cpu"`.
    #[tsify(type = "'webgpu' | 'cpu'")]
    backend: &'static str,
    /// The adapter's name, or what runs on the CPU.
    adapter: String,
    /// Why the engine is on the CPU, when it is.
    fallback_reason: Option<String>,
    /// The most one GPU buffer may hold; none on the CPU.
    max_buffer_bytes: Option<u64>,
}

/// What the attention block costs for one photo at one size, and whether it may run.
#[derive(Serialize, Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase")]
pub struct CostReport {
    /// Floating-point operations of the block.
    flops: u64,
    /// Bytes its intermediates hold at once, at its peak.
    peak_bytes: u64,
    /// Bytes of its largest intermediate.
    largest_buffer_bytes: u64,
    /// The feature map the block sees, `[H, W]` at stride 16.
    feature_height: usize,
    /// See `feature_height`.
    feature_width: usize,
    /// Why it may not run on this engine ("dot at 2048 would need …"), if it may not.
    refusal: Option<String>,
    /// The amount the refusal names (one buffer's or the whole block's bytes).
    refused_bytes: Option<u64>,
}

/// A photo prepared for "what does it look at?".
#[derive(Serialize, Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase")]
pub struct LookPrepared {
    /// The block's map, in cells.
    grid_width: usize,
    /// See `grid_width`.
    grid_height: usize,
    /// One cell's width in the photo's pixels (the grid starts at the photo's top left).
    cell_width: f64,
    /// One cell's height in the photo's pixels.
    cell_height: f64,
    /// False for mode `none`, which has no block and gathers no context.
    attends: bool,
    /// The encoder and the block's queries and keys, read back.
    ms: f64,
}

/// One cell's weights.
#[derive(Serialize, Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase")]
pub struct LookedAt {
    /// The cell under the pointer.
    column: usize,
    /// See `column`.
    row: usize,
    /// `grid_height × grid_width` weights, row-major, summing to 1.
    #[tsify(type = "number[]")]
    weights: Vec<f32>,
    /// The time to compute them.
    ms: f64,
}

/// The inference time of one kind of layer on the CPU kernels.
#[derive(Serialize, Tsify)]
#[tsify(missing_as_null)]
pub struct ProfileEntry {
    /// The kind of layer ("depthwise", "pointwise", …).
    step: &'static str,
    /// How many layers of that kind ran.
    layers: u32,
    /// Their time together, in milliseconds.
    ms: f64,
}

/// One segmented photo and the time of each step, in milliseconds.
#[derive(Serialize, Tsify)]
#[tsify(missing_as_null)]
#[serde(rename_all = "camelCase")]
pub struct Segmented {
    /// `width × height` bytes, 0–255: the probability of a person per pixel.
    #[serde(with = "serde_bytes")]
    #[tsify(type = "Uint8Array")]
    mask: Vec<u8>,
    /// The size of the global pass when there was one (above the trained size).
    global_size: Option<u32>,
    /// RGBA to the network's inputs, every pass.
    preprocess_ms: f64,
    /// Until the device has finished every pass (one value of each read back).
    inference_ms: f64,
    /// The copy of the whole outputs (none on the CPU).
    readback_ms: f64,
    postprocess_ms: f64,
    /// Inference per kind of layer on the CPU kernels; none on WebGPU.
    profile: Option<Vec<ProfileEntry>>,
}

/// The model in the browser: a device and the networks loaded on it.
#[wasm_bindgen]
pub struct Engine {
    device: Device,
    info: BackendInfo,
    limits: Limits,
    networks: HashMap<AttentionMode, Network>,
    /// The photo "what does it look at?" was last prepared for.
    look: RefCell<Option<Look>>,
}

#[wasm_bindgen]
impl Engine {
    /// Start an engine on WebGPU when `prefer_gpu` and an adapter is there, else on the CPU.
    pub async fn start(prefer_gpu: bool) -> Engine {
        let reason = if prefer_gpu {
            match Engine::start_gpu().await {
                Ok(engine) => return engine,
                Err(WhyNotGpu(reason)) => reason,
            }
        } else {
            "the CPU backend was asked for".to_string()
        };
        Engine {
            device: Device::flex(),
            info: BackendInfo {
                backend: "cpu",
                adapter: match crate::cpu::threads() {
                    1 => "linseg CPU kernels (WebAssembly SIMD, one thread)".into(),
                    n => format!("linseg CPU kernels (WebAssembly SIMD, {n} threads)"),
                },
                fallback_reason: Some(reason),
                max_buffer_bytes: None,
            },
            limits: CPU_LIMITS,
            networks: HashMap::new(),
            look: RefCell::new(None),
        }
    }

    /// `{ backend: 'webgpu' | 'cpu', adapter, fallbackReason, maxBufferBytes }`;
    /// `maxBufferBytes` is the most one GPU buffer may hold, `null` on the CPU.
    #[wasm_bindgen(unchecked_return_type = "BackendInfo")]
    pub fn backend(&self) -> Result<JsValue, JsValue> {
        to_js(&self.info)
    }

    /// Load a mode's weights (the bytes of `models/selfie-<mode>.bpk`) onto the device.
    #[wasm_bindgen(js_name = loadWeights)]
    pub fn load_weights(&mut self, mode: &str, bytes: Vec<u8>) -> Result<(), JsValue> {
        let mode = parse_mode(mode)?;
        let net = weights::from_bytes(bytes, mode, &self.device)?;
        self.networks.insert(mode, Network::new(net, &self.device));
        Ok(())
    }

    /// Whether a mode's weights are loaded.
    #[wasm_bindgen(js_name = hasWeights)]
    pub fn has_weights(&self, mode: &str) -> bool {
        mode.parse()
            .is_ok_and(|mode| self.networks.contains_key(&mode))
    }

    /// What the attention block costs for a `width × height` photo processed at `size`, and
    /// whether this engine may run it: `{ flops, peakBytes, largestBufferBytes, featureHeight,
    /// featureWidth, refusal, refusedBytes }` (see [`crate::attention::BlockCost::check`]). A
    /// refused run is no error here: `refusal` says why (segmenting it throws `refused`).
    #[wasm_bindgen(unchecked_return_type = "CostReport")]
    pub fn cost(&self, mode: &str, width: u32, height: u32, size: f64) -> Result<JsValue, JsValue> {
        let (mode, size) = (parse_mode(mode)?, check_size(size)?);
        let (cost, [feature_h, feature_w]) = block_cost(mode, width, height, size);
        let refusal = self.fits(mode, width, height, size).err();
        to_js(&CostReport {
            flops: cost.flops,
            peak_bytes: cost.peak_bytes,
            largest_buffer_bytes: cost.largest_buffer_bytes,
            feature_height: feature_h,
            feature_width: feature_w,
            refused_bytes: match &refusal {
                Some(Error::Refused { refusal, .. }) => Some(refusal.needed_bytes()),
                _ => None,
            },
            refusal: refusal.map(|refusal| refusal.to_string()),
        })
    }

    /// Throws what running `mode` at `size` on a `width × height` photo here would throw before
    /// it runs: `unknown-mode`, `bad-size`, or `refused` when its attention block would not fit.
    pub fn admit(&self, mode: &str, width: u32, height: u32, size: f64) -> Result<(), JsValue> {
        Ok(self.fits(parse_mode(mode)?, width, height, check_size(size)?)?)
    }

    /// Segment an RGBA photo with a mode's network at processing size `size`: one pass up to
    /// the trained size, a global and a detail pass above it (see [`crate::refine`]).
    ///
    /// Returns `{ mask, globalSize, preprocessMs, inferenceMs, readbackMs, postprocessMs,
    /// profile }` (see [`Segmented`]); the pipeline is [`pipeline::segment_photo`], the CLI's
    /// too. Inference lasts until the device has finished every pass; the caller times the
    /// whole call.
    #[wasm_bindgen(unchecked_return_type = "Segmented")]
    pub async fn segment(
        &self,
        rgba: Vec<u8>,
        width: u32,
        height: u32,
        mode: String,
        size: f64,
    ) -> Result<JsValue, JsValue> {
        let (net, size, photo) = self.request(&mode, rgba, width, height, size)?;
        let masked = pipeline::segment_photo(net, &photo, size).await?;
        let ms = |duration: std::time::Duration| duration.as_secs_f64() * 1e3;
        let times = masked.timings;
        to_js(&Segmented {
            mask: masked.mask.into_raw(),
            global_size: masked.two_passes.then_some(TRAINED_SIZE as u32),
            preprocess_ms: ms(times.preprocess),
            inference_ms: ms(times.inference),
            readback_ms: ms(times.readback),
            postprocess_ms: ms(times.postprocess),
            profile: masked.profile.as_ref().map(profile_entries),
        })
    }
}

/// "What does it look at?": the attention block's weights for each cell of a photo.
#[wasm_bindgen]
impl Engine {
    /// Prepare an RGBA photo in a mode's network at processing size `size` (fitted as one pass
    /// of [`Engine::segment`] at that size): the encoder runs and the block's queries and keys
    /// are read back, once. Returns `{ gridWidth, gridHeight, cellWidth, cellHeight, attends,
    /// ms }`.
    #[wasm_bindgen(js_name = prepareLook, unchecked_return_type = "LookPrepared")]
    pub async fn prepare_look(
        &self,
        rgba: Vec<u8>,
        width: u32,
        height: u32,
        mode: String,
        size: f64,
    ) -> Result<JsValue, JsValue> {
        let started = now();
        let (net, size, photo) = self.request(&mode, rgba, width, height, size)?;
        self.look.replace(None);
        let look = Look::new(net, &photo, size).await?;
        let ([grid_width, grid_height], [cell_width, cell_height]) =
            (look.grid(), look.cell_size());
        let attends = net.mode() != AttentionMode::None;
        self.look.replace(Some(look));
        to_js(&LookPrepared {
            grid_width,
            grid_height,
            cell_width,
            cell_height,
            attends,
            ms: now() - started,
        })
    }

    /// The weights with which the cell under the photo's pixel `(x, y)` gathers context, in the
    /// photo last prepared: `{ column, row, weights, ms }`, or `null` off the photo or in mode
    /// `none`.
    #[wasm_bindgen(js_name = lookAt, unchecked_return_type = "LookedAt | null")]
    pub fn look_at(&self, x: f64, y: f64) -> Result<JsValue, JsValue> {
        let started = now();
        let look = self.look.borrow();
        let look = look
            .as_ref()
            .ok_or_else(|| Error::NotReady("no photo is prepared to look at".into()))?;
        let Some(cell) = look.cell_at(x, y) else {
            return Ok(JsValue::NULL);
        };
        let Some(weights) = look.weights(cell) else {
            return Ok(JsValue::NULL);
        };
        to_js(&LookedAt {
            column: cell[0],
            row: cell[1],
            weights,
            ms: now() - started,
        })
    }
}

impl Engine {
    /// The loaded network of `mode`.
    fn network(&self, mode: AttentionMode) -> Result<&Network, Error> {
        self.networks
            .get(&mode)
            .ok_or_else(|| Error::NotReady(format!("the {mode} weights are not loaded")))
    }

    /// Whether this engine may run `mode` at `size` on a `width × height` photo: an
    /// [`Error::Refused`] when its attention block would not fit the device.
    fn fits(&self, mode: AttentionMode, width: u32, height: u32, size: u32) -> Result<(), Error> {
        let (cost, _) = block_cost(mode, width, height, size);
        cost.check(&self.limits).map_err(|refusal| Error::Refused {
            mode,
            size,
            refusal,
        })
    }

    /// A photo request's parts, checked in this order: the mode's network, the processing size,
    /// the `width × height` RGBA photo, and whether the block fits the device at that size.
    fn request(
        &self,
        mode: &str,
        rgba: Vec<u8>,
        width: u32,
        height: u32,
        size: f64,
    ) -> Result<(&Network, u32, RgbaImage), Error> {
        let mode = parse_mode(mode)?;
        let (net, size) = (self.network(mode)?, check_size(size)?);
        let photo = rgba_photo(rgba, width, height)?;
        self.fits(mode, width, height, size)?;
        Ok((net, size, photo))
    }
}

/// The attention block's cost of `mode` for a `width × height` photo at `size`
/// ([`Plan::block_cost`]), and the feature map it sees, `[H, W]` at stride 16.
fn block_cost(mode: AttentionMode, width: u32, height: u32, size: u32) -> (BlockCost, [usize; 2]) {
    let plan = Plan::new(width, height, size);
    let [input_w, input_h] = plan.detail.input;
    (
        plan.block_cost(mode),
        [input_h as usize / STRIDE, input_w as usize / STRIDE],
    )
}

/// A `width × height` photo of RGBA bytes.
fn rgba_photo(rgba: Vec<u8>, width: u32, height: u32) -> Result<RgbaImage, Error> {
    let len = rgba.len();
    RgbaImage::from_raw(width, height, rgba).ok_or(Error::PixelCount { width, height, len })
}

/// Why an engine runs on the CPU though WebGPU was preferred, in words for the person: the
/// CPU backend's `fallbackReason`. Not an [`Error`]: the engine starts all the same.
struct WhyNotGpu(String);

/// Starting on WebGPU: in the full build only (`--features webgpu`); the CPU build says so.
impl Engine {
    /// An engine on the browser's WebGPU adapter, or why there is none.
    #[cfg(feature = "webgpu")]
    async fn start_gpu() -> Result<Engine, WhyNotGpu> {
        use burn::tensor::wgpu::WgpuInitError;
        let (device, setup) = match Device::wgpu_options().init_with_setup_async().await {
            Ok(started) => started,
            Err(WgpuInitError::AdapterUnavailable { message, .. }) => {
                return Err(WhyNotGpu(format!(
                    "WebGPU is not available: this browser offers no adapter ({message})"
                )));
            }
            Err(err) => return Err(WhyNotGpu(format!("WebGPU could not start: {err}"))),
        };
        let adapter = setup.adapter.get_info();
        let limits = setup.device.limits();
        let max_buffer = limits
            .max_buffer_size
            .min(limits.max_storage_buffer_binding_size);
        let name = [adapter.name, adapter.driver, adapter.driver_info]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
        Ok(Engine {
            device,
            info: BackendInfo {
                backend: "webgpu",
                adapter: if name.is_empty() {
                    "unnamed adapter".into()
                } else {
                    name
                },
                fallback_reason: None,
                max_buffer_bytes: Some(max_buffer),
            },
            // A GPU out of memory loses the device, and the browser does not say how
            // much memory there is: a block may hold one buffer's worth at once.
            limits: Limits {
                buffer_bytes: Some(max_buffer),
                block_bytes: max_buffer,
                block_source: "a block may hold at once on this GPU (one buffer's worth)",
            },
            networks: HashMap::new(),
            look: RefCell::new(None),
        })
    }

    /// The CPU build has no WebGPU backend.
    #[cfg(not(feature = "webgpu"))]
    async fn start_gpu() -> Result<Engine, WhyNotGpu> {
        Err(WhyNotGpu(
            "this build of linseg runs on the CPU only (the page loads it where WebGPU \
             is not used)"
                .to_string(),
        ))
    }
}

/// A profile's entries, the kinds of layer that ran.
fn profile_entries(profile: &Profile) -> Vec<ProfileEntry> {
    Step::ALL
        .into_iter()
        .filter(|&step| profile.layers(step) > 0)
        .map(|step| ProfileEntry {
            step: step.name(),
            layers: profile.layers(step),
            ms: profile.total(step).as_secs_f64() * 1e3,
        })
        .collect()
}
