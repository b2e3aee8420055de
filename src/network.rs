//! A network ready to segment photos: on Burn's CPU device through the fused kernels of
//! [`crate::cpu`], on any other device (the GPU) through Burn's tensor ops ([`crate::model`]).

use std::time::Duration;

use burn::tensor::{Device, Tensor};
use image::RgbaImage;
use web_time::Instant;

use crate::attention::{AttentionMode, ContextBlock};
use crate::cpu::{CpuNet, Profile};
use crate::error::{Error, Result};
use crate::model::SelfieNet;
use crate::preprocess::{self, Letterbox};
use crate::refine::Plan;

/// A loaded network and the device it runs on.
pub enum Network {
    /// The CPU kernels (chosen for Burn's CPU device).
    Cpu(CpuNet),
    /// Burn's tensor ops on `device`.
    Burn {
        /// The network.
        net: SelfieNet,
        /// Where its weights live and it runs.
        device: Device,
    },
}

impl Network {
    /// Prepare `net`, whose weights live on `device`: on the CPU device its weights are packed
    /// for the CPU kernels; anywhere else it runs as it is.
    pub fn new(net: SelfieNet, device: &Device) -> Self {
        if *device == Device::flex() {
            Network::Cpu(CpuNet::new(&net, device))
        } else {
            Network::Burn {
                net,
                device: device.clone(),
            }
        }
    }

    /// The attention mode of the context block.
    pub fn mode(&self) -> AttentionMode {
        match self {
            Network::Cpu(net) => net.mode(),
            Network::Burn { net, .. } => net.mode(),
        }
    }

    /// The context block.
    pub fn context(&self) -> &ContextBlock {
        match self {
            Network::Cpu(net) => net.context(),
            Network::Burn { net, .. } => &net.context,
        }
    }

    /// The context block's input for one pass, on the block's device (not waited for).
    ///
    /// # Shapes
    /// - output: `[1, 32, H_in/16, W_in/16]`
    pub fn context_input(&self, photo: &RgbaImage, letterbox: &Letterbox) -> Tensor<4> {
        let pixels = preprocess::to_pixels(photo, letterbox);
        match self {
            Network::Cpu(net) => net.context_input(&pixels),
            Network::Burn { net, device } => {
                net.context_input(preprocess::to_input(pixels, device))
            }
        }
    }
}

/// What the network gave in each pass of a [`Plan`], and how long it took.
pub struct Passes {
    /// The detail pass's probabilities over its input (row-major `H_in × W_in`).
    pub detail: Vec<f32>,
    /// The global pass's, when the plan has one.
    pub global: Option<Vec<f32>>,
    /// From the photo to the inputs, both passes.
    pub preprocess: Duration,
    /// The network, both passes, until the device has finished them.
    pub inference: Duration,
    /// Copying the outputs back from the device (nothing on the CPU kernels).
    pub readback: Duration,
    /// Where the CPU kernels' time went, both passes; `None` through Burn.
    pub profile: Option<Profile>,
}

impl Network {
    /// Run the network for each pass of `plan`, the global pass first. Through Burn every pass
    /// is queued before any is waited for, then each is read back; asynchronous so that the
    /// browser's GPU can answer (natively, [`Network::run_passes_blocking`]).
    pub async fn run_passes(&self, photo: &RgbaImage, plan: &Plan) -> Result<Passes> {
        let letterboxes: Vec<&Letterbox> = plan.global.iter().chain([&plan.detail]).collect();
        let started = Instant::now();
        let (mut outputs, preprocess, inference, readback, profile) = match self {
            Network::Cpu(net) => {
                let (mut outputs, mut profile) = (Vec::new(), Profile::default());
                let (mut preprocess, mut inference) = (Duration::ZERO, Duration::ZERO);
                for letterbox in letterboxes {
                    let start = Instant::now();
                    let pixels = preprocess::to_pixels(photo, letterbox);
                    let prepared = Instant::now();
                    let (probabilities, pass) = net.forward(&pixels);
                    inference += prepared.elapsed();
                    preprocess += prepared - start;
                    profile.add(&pass);
                    outputs.push(probabilities);
                }
                (
                    outputs,
                    preprocess,
                    inference,
                    Duration::ZERO,
                    Some(profile),
                )
            }
            Network::Burn { net, device } => {
                let inputs: Vec<Tensor<4>> = letterboxes
                    .into_iter()
                    .map(|letterbox| preprocess::photo_input(photo, letterbox, device))
                    .collect();
                let prepared = Instant::now();
                let outputs: Vec<Tensor<4>> = inputs.into_iter().map(|x| net.forward(x)).collect(); // [1, 1, H_in, W_in] each
                for output in &outputs {
                    // One value of each: the device has finished the pass.
                    read(output.clone().slice([0..1, 0..1, 0..1, 0..1])).await?;
                }
                let inferred = Instant::now();
                let mut read_back = Vec::with_capacity(outputs.len());
                for output in outputs {
                    read_back.push(read(output).await?);
                }
                let preprocess = prepared - started;
                (
                    read_back,
                    preprocess,
                    inferred - prepared,
                    inferred.elapsed(),
                    None,
                )
            }
        };
        let detail = outputs.pop().expect("a detail pass");
        Ok(Passes {
            detail,
            global: outputs.pop(),
            preprocess,
            inference,
            readback,
            profile,
        })
    }

    /// [`Network::run_passes`], waited for on this thread.
    pub fn run_passes_blocking(&self, photo: &RgbaImage, plan: &Plan) -> Result<Passes> {
        futures_lite::future::block_on(self.run_passes(photo, plan))
    }
}

/// A tensor's values, read back from its device.
async fn read(output: Tensor<4>) -> Result<Vec<f32>> {
    read_back(output).await
}

/// A tensor's values read back from its device, waiting for it; a device that fails on the way
/// is [`Error::Device`].
pub(crate) async fn read_back<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>> {
    tensor
        .into_data_async()
        .await
        .map_err(|err| Error::Device(format!("{err:?}")))?
        .try_into_vec::<f32>()
        .map_err(|err| Error::Device(format!("the values are not 32-bit floats: {err:?}")))
}
