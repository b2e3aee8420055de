//! A network ready to segment photos: on Burn's CPU device through the fused kernels of
//! [`crate::cpu`], on any other device (the GPU) through Burn's tensor ops ([`crate::model`]).

use burn::tensor::{Device, Tensor};
use image::RgbaImage;

use crate::attention::{AttentionMode, ContextBlock};
use crate::cpu::{CpuNet, Profile};
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

    /// The probabilities of a person over the network's input for one pass (row-major
    /// `H_in × W_in`), waiting for the device; with the CPU kernels' profile.
    pub fn probabilities(&self, photo: &RgbaImage, letterbox: &Letterbox) -> Inference {
        let start = web_time::Instant::now();
        let pixels = preprocess::to_pixels(photo, letterbox);
        let prepared = web_time::Instant::now();
        let (probabilities, profile) = match self {
            Network::Cpu(net) => {
                let (probabilities, profile) = net.forward(&pixels);
                (probabilities, Some(profile))
            }
            Network::Burn { net, device } => {
                let output = net.forward(preprocess::to_input(pixels, device));
                let probabilities = output
                    .into_data()
                    .try_into_vec::<f32>()
                    .expect("f32 output");
                (probabilities, None)
            }
        };
        Inference {
            probabilities,
            preprocess: prepared - start,
            inference: prepared.elapsed(),
            profile,
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
    pub preprocess: std::time::Duration,
    /// The network, both passes, until their outputs are read back.
    pub inference: std::time::Duration,
    /// Where the CPU kernels' time went, both passes; `None` through Burn.
    pub profile: Option<Profile>,
}

impl Network {
    /// Run the network for each pass of `plan`, the global pass first, waiting for the device.
    pub fn run_passes(&self, photo: &RgbaImage, plan: &Plan) -> Passes {
        let mut passes = Passes {
            detail: Vec::new(),
            global: None,
            preprocess: Default::default(),
            inference: Default::default(),
            profile: None,
        };
        let mut pass = |letterbox: &Letterbox| {
            let inference = self.probabilities(photo, letterbox);
            passes.preprocess += inference.preprocess;
            passes.inference += inference.inference;
            if let Some(profile) = &inference.profile {
                passes.profile.get_or_insert_default().add(profile);
            }
            inference.probabilities
        };
        let global = plan.global.map(|letterbox| pass(&letterbox));
        let detail = pass(&plan.detail);
        Passes {
            detail,
            global,
            ..passes
        }
    }
}

/// One pass of the network over one input.
pub struct Inference {
    /// Probabilities over the input, row-major `H_in × W_in`.
    pub probabilities: Vec<f32>,
    /// From the photo to the input.
    pub preprocess: std::time::Duration,
    /// The network, until its output is read back.
    pub inference: std::time::Duration,
    /// Where the CPU kernels' time went; `None` through Burn.
    pub profile: Option<Profile>,
}
