//! The browser's entry points, compiled for wasm32 only and called from `www/worker.js`.
//!
//! The boundary is narrow: bytes or RGBA pixels, a mode and a size go in; a mask and timings
//! come out. One engine lives per worker: the device (WebGPU, or the CPU backend as the
//! fallback) and the network of each mode whose weights were loaded.

use std::cell::RefCell;
use std::collections::HashMap;

use burn::tensor::wgpu::WgpuInitError;
use burn::tensor::{Device, Tensor};
use image::RgbaImage;
use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::attention::AttentionMode;
use crate::cpu::{Profile, Step};
use crate::model::{STRIDE, SelfieNet, SelfieNetConfig};
use crate::network::{Network, Passes};
use crate::photo;
use crate::preprocess::{self, Letterbox};
use crate::refine::Plan;
use crate::weights;

#[wasm_bindgen]
extern "C" {
    /// `performance.now()`, in milliseconds; there in windows and workers alike.
    #[wasm_bindgen(js_namespace = performance)]
    fn now() -> f64;
}

/// The device and the networks loaded on it.
struct Engine {
    device: Device,
    networks: HashMap<AttentionMode, Network>,
}

thread_local! {
    static ENGINE: RefCell<Option<Engine>> = const { RefCell::new(None) };
}

/// Panics reach the console with their message rather than as "unreachable".
#[wasm_bindgen(start)]
pub fn install_panic_hook() {
    console_error_panic_hook::set_once();
}

/// A plain JS object from `(key, value)` pairs.
fn object(entries: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in entries {
        Reflect::set(&object, &JsValue::from_str(key), value)
            .expect("setting a key on a new object");
    }
    object.into()
}

fn parse_mode(mode: &str) -> Result<AttentionMode, JsError> {
    mode.parse()
        .map_err(|err: crate::attention::UnknownMode| JsError::new(&err.to_string()))
}

/// Start the engine: on WebGPU when `prefer_gpu` and an adapter is there, else on the CPU.
/// Calling it again starts afresh (the weights must be loaded again).
///
/// Returns `{ backend: 'webgpu' | 'cpu', adapter, fallbackReason, maxBufferBytes }`;
/// `maxBufferBytes` is the most one GPU buffer may hold, `null` on the CPU.
#[wasm_bindgen]
pub async fn start(prefer_gpu: bool) -> Result<JsValue, JsError> {
    let gpu = if prefer_gpu {
        Some(Device::wgpu_options().init_with_setup_async().await)
    } else {
        None
    };
    let (device, info) = match gpu {
        Some(Ok((device, setup))) => {
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
            let info = object(&[
                ("backend", "webgpu".into()),
                (
                    "adapter",
                    if name.is_empty() {
                        "unnamed adapter".into()
                    } else {
                        name.into()
                    },
                ),
                ("fallbackReason", JsValue::NULL),
                ("maxBufferBytes", (max_buffer as f64).into()),
            ]);
            (device, info)
        }
        other => {
            let reason = match other {
                Some(Err(WgpuInitError::AdapterUnavailable { message, .. })) => {
                    format!("WebGPU is not available: this browser offers no adapter ({message})")
                }
                Some(Err(err)) => format!("WebGPU could not start: {err}"),
                _ => "the CPU backend was asked for".to_string(),
            };
            let info = object(&[
                ("backend", "cpu".into()),
                (
                    "adapter",
                    "linseg CPU kernels (WebAssembly SIMD, one thread)".into(),
                ),
                ("fallbackReason", reason.into()),
                ("maxBufferBytes", JsValue::NULL),
            ]);
            (Device::flex(), info)
        }
    };
    ENGINE.with(|engine| {
        *engine.borrow_mut() = Some(Engine {
            device,
            networks: HashMap::new(),
        })
    });
    Ok(info)
}

/// Load a mode's weights (the bytes of `models/selfie-<mode>.bpk`) onto the engine's device.
#[wasm_bindgen(js_name = loadWeights)]
pub fn load_weights(mode: &str, bytes: Vec<u8>) -> Result<(), JsError> {
    let mode = parse_mode(mode)?;
    ENGINE.with(|engine| {
        let mut engine = engine.borrow_mut();
        let engine = engine
            .as_mut()
            .ok_or_else(|| JsError::new("start() has not been called"))?;
        let net =
            weights::from_bytes(bytes, mode, &engine.device).map_err(|err| JsError::new(&err))?;
        engine
            .networks
            .insert(mode, Network::new(net, &engine.device));
        Ok(())
    })
}

/// Whether a mode's weights are loaded.
#[wasm_bindgen(js_name = hasWeights)]
pub fn has_weights(mode: &str) -> bool {
    let Ok(mode) = mode.parse::<AttentionMode>() else {
        return false;
    };
    ENGINE.with(|engine| {
        engine
            .borrow()
            .as_ref()
            .is_some_and(|e| e.networks.contains_key(&mode))
    })
}

/// Decode a JPEG or PNG: `{ width, height, rgba }`, upright. Throws a message a person can act
/// on for an empty, non-image, corrupt or too large file.
#[wasm_bindgen(js_name = decodeImage)]
pub fn decode_image(bytes: &[u8], max_pixels: f64) -> Result<JsValue, JsError> {
    let image =
        photo::decode(bytes, max_pixels as u64).map_err(|err| JsError::new(&err.to_string()))?;
    Ok(object(&[
        ("width", image.width().into()),
        ("height", image.height().into()),
        ("rgba", Uint8Array::from(image.as_raw().as_slice()).into()),
    ]))
}

/// What the attention block costs for a `width × height` photo processed at `size`:
/// `{ flops, peakBytes, largestBufferBytes, featureHeight, featureWidth }`.
#[wasm_bindgen(js_name = blockCost)]
pub fn block_cost(mode: &str, width: u32, height: u32, size: u32) -> Result<JsValue, JsError> {
    let mode = parse_mode(mode)?;
    let [input_w, input_h] = Letterbox::new(width, height, size).input;
    let (feature_h, feature_w) = (input_h as usize / STRIDE, input_w as usize / STRIDE);
    let cost = SelfieNetConfig::new(mode)
        .context()
        .cost(1, feature_h, feature_w);
    Ok(object(&[
        ("flops", (cost.flops as f64).into()),
        ("peakBytes", (cost.peak_bytes as f64).into()),
        (
            "largestBufferBytes",
            (cost.largest_buffer_bytes as f64).into(),
        ),
        ("featureHeight", (feature_h as f64).into()),
        ("featureWidth", (feature_w as f64).into()),
    ]))
}

/// Segment an RGBA photo with a mode's network at processing size `size`: one pass up to the
/// trained size, a global and a detail pass above it (see [`crate::refine`]).
///
/// Returns `{ mask, preprocessMs, inferenceMs, readbackMs, postprocessMs, totalMs, profile }`,
/// `mask` being `width × height` bytes, 0–255. Inference lasts until the device has finished
/// every pass (one value of each read back); readback is the copy of the whole outputs (none on
/// the CPU). `profile` is `[{ step, layers, ms }]`, the inference time per kind of layer on the
/// CPU kernels, or `null` on WebGPU.
#[wasm_bindgen]
pub async fn segment(
    rgba: Vec<u8>,
    width: u32,
    height: u32,
    mode: String,
    size: u32,
) -> Result<JsValue, JsError> {
    let started = now();
    let mode = parse_mode(&mode)?;
    let photo = RgbaImage::from_raw(width, height, rgba).ok_or_else(|| {
        JsError::new(&format!(
            "{width}×{height} RGBA needs {} bytes",
            width * height * 4
        ))
    })?;
    let plan = Plan::new(width, height, size);
    let run = ENGINE.with(|engine| {
        let engine = engine.borrow();
        let engine = engine
            .as_ref()
            .ok_or_else(|| JsError::new("start() has not been called"))?;
        let net = engine
            .networks
            .get(&mode)
            .ok_or_else(|| JsError::new(&format!("the {mode} weights are not loaded")))?;
        Ok::<_, JsError>(match net {
            Network::Cpu(_) => Run::Done(net.run_passes(&photo, &plan)),
            Network::Burn { net, device } => Run::OnGpu(net.clone(), device.clone()),
        })
    })?;
    let (passes, times) = match run {
        Run::Done(passes) => {
            // The CPU kernels' output is already in memory: there is nothing to read back.
            let read = now();
            let prepared = started + passes.preprocess.as_secs_f64() * 1e3;
            (
                passes,
                PassTimes {
                    prepared,
                    inferred: read,
                    read,
                },
            )
        }
        Run::OnGpu(net, device) => gpu_passes(&net, &device, &photo, &plan).await?,
    };
    let mask = plan.mask(&passes.detail, passes.global.as_deref());
    let finished = now();
    Ok(object(&[
        ("mask", Uint8Array::from(mask.as_raw().as_slice()).into()),
        ("preprocessMs", (times.prepared - started).into()),
        ("inferenceMs", (times.inferred - times.prepared).into()),
        ("readbackMs", (times.read - times.inferred).into()),
        ("postprocessMs", (finished - times.read).into()),
        ("totalMs", (finished - started).into()),
        ("profile", profile_entries(passes.profile.as_ref())),
    ]))
}

/// Where a run of [`segment`] stands once the engine has been looked at: done on the CPU, or a
/// GPU network to run outside the engine's borrow (its reads are awaited).
enum Run {
    Done(Passes),
    OnGpu(SelfieNet, Device),
}

/// The instants (`performance.now()`) between the steps of [`segment`].
struct PassTimes {
    prepared: f64,
    inferred: f64,
    read: f64,
}

/// Every pass of `plan` through Burn on the GPU: both inputs prepared, both networks queued,
/// then waited for (one value each) and read back.
async fn gpu_passes(
    net: &SelfieNet,
    device: &Device,
    photo: &RgbaImage,
    plan: &Plan,
) -> Result<(Passes, PassTimes), JsError> {
    let started = now();
    let input = |letterbox: &Letterbox| {
        preprocess::to_input(preprocess::to_pixels(photo, letterbox), device)
    };
    let inputs = (
        plan.global.map(|letterbox| input(&letterbox)),
        input(&plan.detail),
    );
    let prepared = now();
    let global = inputs.0.map(|x| net.forward(x)); // [1, 1, H_in, W_in]
    let detail = net.forward(inputs.1);
    let device_error = |err| JsError::new(&format!("the device failed: {err:?}"));
    for output in global.iter().chain([&detail]) {
        output
            .clone()
            .slice([0..1, 0..1, 0..1, 0..1])
            .into_data_async()
            .await
            .map_err(device_error)?;
    }
    let inferred = now();
    let read = async |output: Tensor<4>| {
        let data = output.into_data_async().await.map_err(device_error)?;
        data.try_into_vec::<f32>()
            .map_err(|err| JsError::new(&format!("{err:?}")))
    };
    let global = match global {
        Some(output) => Some(read(output).await?),
        None => None,
    };
    let detail = read(detail).await?;
    let ms = |from: f64, to: f64| std::time::Duration::from_secs_f64((to - from).max(0.0) / 1e3);
    let passes = Passes {
        detail,
        global,
        preprocess: ms(started, prepared),
        inference: ms(prepared, inferred),
        profile: None,
    };
    let times = PassTimes {
        prepared,
        inferred,
        read: now(),
    };
    Ok((passes, times))
}

/// A profile as `[{ step, layers, ms }]`, the kinds of layer that ran; `null` without one.
fn profile_entries(profile: Option<&Profile>) -> JsValue {
    let Some(profile) = profile else {
        return JsValue::NULL;
    };
    Step::ALL
        .into_iter()
        .filter(|&step| profile.layers(step) > 0)
        .map(|step| {
            object(&[
                ("step", step.name().into()),
                ("layers", profile.layers(step).into()),
                ("ms", (profile.total(step).as_secs_f64() * 1e3).into()),
            ])
        })
        .collect::<js_sys::Array>()
        .into()
}
