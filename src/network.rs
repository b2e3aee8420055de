//! A network ready to segment photos: on Burn's CPU device through the fused kernels of
//! [`crate::cpu`], on any other device (the GPU) through Burn's tensor ops ([`crate::model`]).

use burn::tensor::Device;
use image::RgbaImage;

use crate::attention::AttentionMode;
use crate::cpu::{CpuNet, Profile};
use crate::model::SelfieNet;
use crate::preprocess::{self, Letterbox};

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
