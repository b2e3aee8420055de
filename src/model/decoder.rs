//! The segmentation head and decoder of the Selfie Segmentation network: an LR-ASPP-like head
//! (Howard et al. 2019) on the stride-16 features, then three gated fusion stages that bring
//! the encoder's stride-8, -4 and -2 features back in.

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::{Device, Tensor};

use super::layers::{channel_gate, depthwise, global_mean, pointwise, upsample2x};

/// The head: `relu(conv(x)) · sigmoid(gate(mean(x)))`, then to the decoder's width.
#[derive(Module, Debug)]
pub struct Head {
    /// `C → 128` on every position.
    pub features: Conv2d,
    /// `C → 128` on the pooled vector, no reduction.
    pub gate: Conv2d,
    /// `128 → C_skip`, the projection after upsampling.
    pub project: Conv2d,
}

impl Head {
    /// Create the head for `channels_in` features and a first skip of `channels_out`.
    pub fn new(channels_in: usize, width: usize, channels_out: usize, device: &Device) -> Self {
        Head {
            features: pointwise(channels_in, width, device),
            gate: pointwise(channels_in, width, device),
            project: pointwise(width, channels_out, device),
        }
    }

    /// Gate the features globally and upsample them ×2.
    ///
    /// The 1×1 projection runs before the bilinear upsampling rather than after: both are
    /// linear and the bilinear weights sum to 1, so the result is the same, at a quarter of
    /// the work.
    ///
    /// # Shapes
    /// - `x`: `[B, C, H, W]`
    /// - output: `[B, C_out, 2H, 2W]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let gate = sigmoid(self.gate.forward(global_mean(x.clone()))); // [B, 128, 1, 1]
        let features = relu(self.features.forward(x)) * gate; // [B, 128, H, W]
        upsample2x(self.project.forward(features))
    }
}

/// One decoder stage: fuse an encoder skip `s` with the upsampled decoder feature `u`.
///
/// ```text
/// g   = sigmoid(expand(relu(reduce(mean(s + u)))))   a channel gate from both
/// f   = s · g + u                                     the gate weighs the skip only
/// r   = relu(conv(f))
/// out = r + relu(depthwise3×3(r))
/// ```
#[derive(Module, Debug)]
pub struct DecoderStage {
    /// Gate, `C → C` on the pooled vector.
    pub gate_reduce: Conv2d,
    /// Gate, `C → C` on the pooled vector.
    pub gate_expand: Conv2d,
    /// `C → C` on the fused features.
    pub fuse: Conv2d,
    /// 3×3 depthwise refinement, added back.
    pub refine: Conv2d,
}

impl DecoderStage {
    /// Create a stage of `channels` channels.
    pub fn new(channels: usize, device: &Device) -> Self {
        DecoderStage {
            gate_reduce: pointwise(channels, channels, device),
            gate_expand: pointwise(channels, channels, device),
            fuse: pointwise(channels, channels, device),
            refine: depthwise(channels, 3, 1, device),
        }
    }

    /// Fuse skip and upsampled features.
    ///
    /// # Shapes
    /// - `skip`, `up`: `[B, C, H, W]`
    /// - output: `[B, C, H, W]`
    pub fn forward(&self, skip: Tensor<4>, up: Tensor<4>) -> Tensor<4> {
        let gate = channel_gate(
            &self.gate_reduce,
            &self.gate_expand,
            global_mean(skip.clone() + up.clone()),
        ); // [B, C, 1, 1]
        let fused = relu(self.fuse.forward(skip * gate + up));
        fused.clone() + relu(self.refine.forward(fused))
    }
}

/// A 1×1 projection followed by ×2 upsampling, between decoder stages (projected first, as in
/// [`Head::forward`]).
#[derive(Module, Debug)]
pub struct Upsample {
    /// `C_in → C_out`.
    pub project: Conv2d,
}

impl Upsample {
    /// Create the projection.
    pub fn new(channels_in: usize, channels_out: usize, device: &Device) -> Self {
        Upsample {
            project: pointwise(channels_in, channels_out, device),
        }
    }

    /// # Shapes
    /// - `x`: `[B, C_in, H, W]`
    /// - output: `[B, C_out, 2H, 2W]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        upsample2x(self.project.forward(x))
    }
}
