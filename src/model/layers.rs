//! The small pieces every part of the network uses: 1×1 and depthwise convolutions with
//! TensorFlow's 'SAME' padding, hard-swish, global average pooling and ×2 bilinear upsampling.

use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use burn::tensor::{Device, Tensor};

/// A 1×1 convolution with bias, `C_in → C_out`.
pub fn pointwise(channels_in: usize, channels_out: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([channels_in, channels_out], [1, 1]).init(device)
}

/// A depthwise `k × k` convolution with bias, padded like TensorFlow's 'SAME' (at stride 2 the
/// extra row and column go at the bottom and right).
pub fn depthwise(channels: usize, kernel: usize, stride: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([channels, channels], [kernel, kernel])
        .with_stride([stride, stride])
        .with_groups(channels)
        .with_padding(PaddingConfig2d::Same)
        .init(device)
}

/// The non-linearity of a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// `max(x, 0)`.
    Relu,
    /// `x · relu6(x + 3) / 6` (MobileNetV3), with exactly 1/6.
    HardSwish,
}

impl Activation {
    /// Apply the activation.
    pub fn apply(self, x: Tensor<4>) -> Tensor<4> {
        match self {
            Activation::Relu => relu(x),
            Activation::HardSwish => burn::tensor::activation::hard_swish(x),
        }
    }
}

/// The mean over all positions.
///
/// # Shapes
/// - `x`: `[B, C, H, W]`
/// - output: `[B, C, 1, 1]`
pub fn global_mean(x: Tensor<4>) -> Tensor<4> {
    x.mean_dim(2).mean_dim(3)
}

/// A channel gate from pooled features: `sigmoid(expand(relu(reduce(v))))`.
///
/// # Shapes
/// - `pooled`: `[B, C, 1, 1]`
/// - output: `[B, C, 1, 1]`, each in (0, 1)
pub fn channel_gate(reduce: &Conv2d, expand: &Conv2d, pooled: Tensor<4>) -> Tensor<4> {
    sigmoid(expand.forward(relu(reduce.forward(pooled))))
}

/// Bilinear ×2 upsampling with half-pixel centres (TensorFlow's `ResizeBilinear` with
/// `half_pixel_centers = true`, PyTorch's `align_corners = False`).
///
/// Inference uses Burn's `interpolate`, one kernel. Its backward pass does not exist on wgpu
/// (Burn 0.22), so when gradients flow through `x` the same function is computed with shifts
/// and an interleave instead, which have a backward pass on every backend: at ×2 each output
/// pixel lies a quarter of a pixel from its nearest input pixel, so per axis
/// `out[2i] = ¼·in[i−1] + ¾·in[i]` and `out[2i+1] = ¾·in[i] + ¼·in[i+1]`, the edges repeated.
///
/// # Shapes
/// - `x`: `[B, C, H, W]`
/// - output: `[B, C, 2H, 2W]`
pub fn upsample2x(x: Tensor<4>) -> Tensor<4> {
    if gradients_flow(&x) {
        upsample2x_along(upsample2x_along(x, 2), 3)
    } else {
        let [_, _, height, width] = x.dims();
        let options = InterpolateOptions::new(InterpolateMode::Bilinear)
            .with_align_corners(false)
            .with_output_size([2 * height, 2 * width]);
        interpolate(x, options)
    }
}

/// Whether gradients may flow through `x`: whether it is on an autodiff device (training's;
/// never in the browser, which has no autodiff).
fn gradients_flow(x: &Tensor<4>) -> bool {
    x.is_autodiff()
}

/// Bilinear ×2 along one axis (2: height, 3: width) of `[B, C, H, W]`.
fn upsample2x_along(x: Tensor<4>, axis: usize) -> Tensor<4> {
    let size = x.dims()[axis];
    let first = x.clone().narrow(axis, 0, 1);
    let last = x.clone().narrow(axis, size - 1, 1);
    let before = Tensor::cat(vec![first, x.clone().narrow(axis, 0, size - 1)], axis); // in[i − 1]
    let after = Tensor::cat(vec![x.clone().narrow(axis, 1, size - 1), last], axis); // in[i + 1]
    let even = before * 0.25 + x.clone() * 0.75;
    let odd = x * 0.75 + after * 0.25;
    let mut dims = even.dims();
    dims[axis] *= 2;
    Tensor::stack::<5>(vec![even, odd], axis + 1).reshape(dims) // interleave: even, odd, even, …
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Distribution;

    use crate::attention::oracle::Map;

    /// The shift-and-interleave form (taken when gradients flow) equals the interpolation,
    /// on a non-square map.
    #[test]
    fn both_forms_of_upsampling_agree() {
        let device = Device::flex().autodiff();
        let x = Tensor::<4>::random([2, 3, 5, 7], Distribution::Normal(0.0, 1.0), &device);
        let interpolated = Map::from_tensor(upsample2x(x.clone()));
        let tracked = x.require_grad();
        let shifted = upsample2x(tracked.clone());
        assert!(shifted.is_tracked());
        assert_eq!(shifted.dims(), [2, 3, 10, 14]);
        assert!(interpolated.max_abs_diff(shifted) < 1e-6);
    }
}
