//! Context attention: interchangeable blocks `[B, C, H, W] -> [B, C, H, W]`.
//!
//! Each mode lives in its own file with its formula, its cost and its f64 oracle test, and is
//! registered by one line below. Every block ends with `y = x + γ·out` and γ starts at 0, so a
//! new block is the identity and the network it sits in is unchanged until the block is trained.

pub mod axial;
mod block;
pub mod context_weights;
mod cost;
mod criss_cross;
mod dot;
mod efficient;
pub mod issa;
mod linear;
mod mode;
mod projection;
pub mod squeeze;

#[cfg(test)]
pub(crate) mod oracle;

pub use block::{AttentionBlock, Cost, CostShape};
pub use context_weights::{ContextWeights, Features};
pub use cost::{BlockCost, Limits, Refusal, bytes};
pub use criss_cross::{CrissCrossAttention, CrissCrossAttentionConfig, RECURRENCE};
pub use dot::{DotAttention, DotAttentionConfig};
pub use efficient::{EfficientAttention, EfficientAttentionConfig};
pub use linear::{LinearAttention, LinearAttentionConfig};
pub use mode::UnknownMode;
pub use projection::{QueryKeyValue, QueryKeyValueConfig};

use burn::config::Config;
use burn::module::Param;
use burn::tensor::{Device, Tensor};

mode::attention_modes! {
    /// Softmax dot-product (non-local) attention over all `N = H·W` positions: `O(N²)`.
    Dot = "dot", DotAttention, "softmax dot-product";
    /// The Linear Attention Mechanism of Li et al. (2020): `O(N)`.
    Linear = "linear", LinearAttention, "linear attention";
    /// Efficient attention of Shen et al. (2021): `O(N)`.
    Efficient = "efficient", EfficientAttention, "efficient attention";
    /// Criss-cross attention of Huang et al. (CCNet), applied twice: `O(N·(H + W))`.
    CrissCross = "criss-cross", CrissCrossAttention, "criss-cross attention";
    /// Interlaced sparse self-attention of Huang, Yuan et al. (2019): `O(N·√N)`.
    Issa = "issa", issa::InterlacedAttention, "interlaced sparse attention";
    /// Squeeze-and-attention of Zhong et al. (SANet, 2020): a gate from a pooled view, `O(N·C²)`.
    Sa = "sa", squeeze::SqueezeAttention, "squeeze-and-attention";
    /// Channelized axial attention of Huang et al. (CAA, 2021): column then row, each gated on
    /// its channels, `O(N·(H + W))`.
    Caa = "caa", axial::ChannelizedAxialAttention, "channelized axial attention";
}

/// Configuration of a [`ContextBlock`].
#[derive(Config, Debug)]
pub struct ContextBlockConfig {
    /// Which attention the block computes.
    pub mode: AttentionMode,
    /// `C`: channels of the feature map it attends over.
    pub channels: usize,
    /// `C / C'`: how much narrower queries and keys are than the values (8 in the papers).
    #[config(default = 8)]
    pub key_reduction: usize,
}

impl ContextBlockConfig {
    /// `C'`, at least one channel.
    pub fn key_channels(&self) -> usize {
        (self.channels / self.key_reduction).max(1)
    }

    /// Initialise the block with γ = 0: the identity until trained.
    pub fn init(&self, device: &Device) -> ContextBlock {
        ContextBlock::new(self.mode, self.channels, self.key_channels(), device)
    }
}

impl ContextBlock {
    /// The residual gate γ, `[1]`; `None` for mode `none`.
    pub fn gamma(&self) -> Option<&Param<Tensor<1>>> {
        self.block().map(|block| block.gamma())
    }

    /// The block's learned convolutions (see [`AttentionBlock::convolutions`]); none for mode
    /// `none`.
    pub fn convolutions(&self) -> Vec<&burn::nn::conv::Conv2d> {
        self.block()
            .map_or_else(Vec::new, |block| block.convolutions())
    }

    /// Replace γ (no effect for mode `none`).
    pub fn set_gamma(&mut self, gamma: Param<Tensor<1>>) {
        if let Some(block) = self.block_mut() {
            *block.gamma_mut() = gamma;
        }
    }

    /// The maps the block's weights come from on the map `x` (see
    /// [`AttentionBlock::weight_maps`]); none for mode `none`.
    ///
    /// # Shapes
    /// - `x`: `[1, C, H, W]`
    /// - output: `[1, C_i, H, W]` each
    pub fn weight_maps(&self, x: Tensor<4>) -> Vec<Tensor<4>> {
        self.block()
            .map_or_else(Vec::new, |block| block.weight_maps(x))
    }

    /// The weights with which each position gathers context, from the
    /// [`weight_maps`](ContextBlock::weight_maps) read back; `None` for mode `none`, which
    /// gathers none.
    pub fn context_weights(&self, maps: Vec<Features>) -> Option<Box<dyn ContextWeights>> {
        self.block().map(|block| block.context_weights(maps))
    }

    /// Attend over the feature map.
    ///
    /// # Shapes
    /// - `x`: `[B, C, H, W]`, any `H` and `W`
    /// - output: `[B, C, H, W]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        match self.block() {
            Some(block) => block.forward(x),
            None => x,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attention::oracle::{Map, gamma, random_input};

    fn block_with_gamma(mode: AttentionMode, value: f32, device: &Device) -> ContextBlock {
        let mut block = ContextBlockConfig::new(mode, 16).init(device);
        block.set_gamma(gamma(value, device));
        block
    }

    /// A new block (γ = 0) returns its input bit for bit, on a non-square map.
    #[test]
    fn new_blocks_are_the_identity_exactly() {
        let device = Device::flex();
        let x = random_input([2, 16, 6, 11], &device);
        let expected = x.clone().into_data().try_into_vec::<f32>().unwrap();
        for mode in AttentionMode::ALL {
            let y = ContextBlockConfig::new(mode, 16)
                .init(&device)
                .forward(x.clone());
            assert_eq!(y.dims(), [2, 16, 6, 11], "{mode}");
            assert_eq!(
                y.into_data().try_into_vec::<f32>().unwrap(),
                expected,
                "{mode}"
            );
        }
    }

    /// Every mode keeps any `H × W` and is not the identity once γ ≠ 0.
    #[test]
    fn every_mode_takes_non_square_maps() {
        let device = Device::flex();
        for [h, w] in [[1, 9], [9, 1], [4, 13], [13, 4]] {
            let x = random_input([1, 16, h, w], &device);
            let input = Map::from_tensor(x.clone());
            for mode in AttentionMode::ALL.into_iter().skip(1) {
                let y = block_with_gamma(mode, 0.5, &device).forward(x.clone());
                assert_eq!(y.dims(), [1, 16, h, w], "{mode} {h}x{w}");
                assert!(input.max_abs_diff(y) > 1e-3, "{mode} {h}x{w} did nothing");
            }
        }
    }
}
