//! MobileNetV3's inverted residual block (Howard et al. 2019, arXiv:1905.02244): expand with a
//! 1×1 convolution, filter with a depthwise one, optionally re-weight channels with
//! squeeze-and-excitation, and project back with a linear 1×1 convolution.

use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::tensor::{Device, Tensor};

use super::layers::{Activation, channel_gate, depthwise, global_mean, pointwise};

/// Configuration of an [`InvertedResidual`] block.
#[derive(Config, Debug)]
pub struct InvertedResidualConfig {
    /// Channels in.
    pub channels_in: usize,
    /// Channels of the expanded middle.
    pub expanded: usize,
    /// Channels out.
    pub channels_out: usize,
    /// Depthwise kernel size (3 or 5).
    pub kernel: usize,
    /// Depthwise stride (1 or 2).
    pub stride: usize,
    /// Squeeze-and-excitation width, or `None` for no SE.
    pub squeeze: Option<usize>,
    /// Hard-swish rather than ReLU.
    pub hard_swish: bool,
}

impl InvertedResidualConfig {
    /// Initialise the block.
    pub fn init(&self, device: &Device) -> InvertedResidual {
        let excitation = self.squeeze.map(|width| SqueezeExcitation {
            reduce: pointwise(self.expanded, width, device),
            expand: pointwise(width, self.expanded, device),
        });
        InvertedResidual {
            expand: pointwise(self.channels_in, self.expanded, device),
            depthwise: depthwise(self.expanded, self.kernel, self.stride, device),
            excitation,
            project: pointwise(self.expanded, self.channels_out, device),
            residual: self.stride == 1 && self.channels_in == self.channels_out,
            hard_swish: self.hard_swish,
        }
    }
}

/// Squeeze-and-excitation (Hu et al. 2018): `x · sigmoid(expand(relu(reduce(mean(x)))))`.
#[derive(Module, Debug)]
pub struct SqueezeExcitation {
    /// `C → R`, on the pooled vector.
    pub reduce: Conv2d,
    /// `R → C`, on the pooled vector.
    pub expand: Conv2d,
}

impl SqueezeExcitation {
    /// Re-weight each channel by a gate computed from its mean.
    ///
    /// # Shapes
    /// - `x`: `[B, C, H, W]`
    /// - output: `[B, C, H, W]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let gate = channel_gate(&self.reduce, &self.expand, global_mean(x.clone())); // [B, C, 1, 1]
        x * gate
    }
}

/// An inverted residual block; its layers and shapes: `src/model/inverted_residual.rs`.
#[derive(Module, Debug)]
pub struct InvertedResidual {
    /// 1×1 expansion, followed by the activation.
    pub expand: Conv2d,
    /// Depthwise filter, followed by the activation.
    pub depthwise: Conv2d,
    /// Optional channel re-weighting.
    pub excitation: Option<SqueezeExcitation>,
    /// Linear 1×1 projection.
    pub project: Conv2d,
    /// Whether the input is added to the output (stride 1, same width).
    #[module(skip)]
    pub residual: bool,
    /// Hard-swish rather than ReLU.
    #[module(skip)]
    pub hard_swish: bool,
}

impl InvertedResidual {
    /// Apply the block.
    ///
    /// # Shapes
    /// - `x`: `[B, C_in, H, W]`
    /// - output: `[B, C_out, H / stride, W / stride]` (rounded up)
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let activation = if self.hard_swish {
            Activation::HardSwish
        } else {
            Activation::Relu
        };
        let t = activation.apply(self.expand.forward(x.clone()));
        let t = activation.apply(self.depthwise.forward(t));
        let t = match &self.excitation {
            Some(excitation) => excitation.forward(t),
            None => t,
        };
        let out = self.project.forward(t);
        if self.residual { out + x } else { out }
    }
}
