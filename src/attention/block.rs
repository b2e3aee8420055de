//! What every attention mode's block provides: the trait the registration in
//! [`super`] dispatches to. A mode is a file with its block, `impl AttentionBlock` for it (its
//! forward pass, its parameters and its cost from the shapes) and one line in the registration.

use burn::module::Param;
use burn::nn::conv::Conv2d;
use burn::tensor::{Device, Tensor};

use super::context_weights::{ContextWeights, Features};

/// The shapes a block's cost depends on: one `[C, H, W]` map with `C'` query and key channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CostShape {
    /// `C`: channels of the map and of the values.
    pub channels: u64,
    /// `C'`: channels of queries and keys.
    pub key_channels: u64,
    /// `H`.
    pub height: u64,
    /// `W`.
    pub width: u64,
}

impl CostShape {
    /// `N = H·W`, the positions.
    pub fn positions(&self) -> u64 {
        self.height * self.width
    }

    /// FLOPs of the query, key and value projections (`C → C'`, `C'`, `C`), once.
    pub fn qkv_flops(&self) -> u64 {
        let (n, c, k) = (self.positions(), self.channels, self.key_channels);
        2 * n * c * (2 * k + c)
    }
}

/// What one block costs per map of the batch, in floats and FLOPs (see [`super::BlockCost`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cost {
    /// Floating-point operations, projections included (a multiply-add counts 2).
    pub flops: u64,
    /// The part of `flops` spent in the 1×1 projections.
    pub projection_flops: u64,
    /// Floats of the intermediates alive together at the block's peak.
    pub peak_floats: u64,
    /// Floats of the largest single intermediate.
    pub largest_floats: u64,
}

/// One attention mode's block: `y = x + γ·out`, γ = 0 when new (the identity).
pub trait AttentionBlock {
    /// A new block on `channels` channels with `key_channels` query and key channels, γ = 0.
    fn new(channels: usize, key_channels: usize, device: &Device) -> Self
    where
        Self: Sized;

    /// The block's cost on one map of `shape`, from the shapes alone.
    fn cost(shape: CostShape) -> Cost
    where
        Self: Sized;

    /// Attend over the map.
    ///
    /// # Shapes
    /// - `x`: `[B, C, H, W]`, any `H` and `W`
    /// - output: `[B, C, H, W]`
    fn forward(&self, x: Tensor<4>) -> Tensor<4>;

    /// The maps the block's weights come from on the map `x` (its queries and keys, stage by
    /// stage), for [`AttentionBlock::context_weights`] once read back.
    ///
    /// # Shapes
    /// - `x`: `[1, C, H, W]`
    /// - output: `[1, C_i, H, W]` each
    fn weight_maps(&self, x: Tensor<4>) -> Vec<Tensor<4>>;

    /// The weights with which each position gathers context, from the
    /// [`weight_maps`](AttentionBlock::weight_maps) read back as `maps`.
    fn context_weights(&self, maps: Vec<Features>) -> Box<dyn ContextWeights>;

    /// The block's learned convolutions (queries, keys and values, one set per stage; or
    /// whatever else the mode learns), for the test that gradients reach every one.
    fn convolutions(&self) -> Vec<&Conv2d>;

    /// The residual gate γ, `[1]`.
    fn gamma(&self) -> &Param<Tensor<1>>;

    /// The residual gate, to replace it.
    fn gamma_mut(&mut self) -> &mut Param<Tensor<1>>;
}

/// `impl AttentionBlock` for a block whose gate is its field `gamma` and whose inherent
/// `forward`, `cost`, `weight_maps` and `context_weights` do the work. By default it is made by `$config::new(channels,
/// key_channels).init(device)` and learns the convolutions of its field `qkv`; a mode that
/// differs says how, as `new: |channels, key_channels, device| …` and
/// `convolutions: |block| …` (expressions over the names it gives).
macro_rules! attention_block {
    ($block:ty, $config:ident) => {
        $crate::attention::block::attention_block!(
            $block,
            $config,
            convolutions: |block| block.qkv.convolutions()
        );
    };
    ($block:ty, $config:ident, convolutions: |$s:ident| $convs:expr) => {
        $crate::attention::block::attention_block!(
            $block,
            new: |channels, key_channels, device| $config::new(channels, key_channels).init(device),
            convolutions: |$s| $convs
        );
    };
    ($block:ty, new: |$c:ident, $k:ident, $d:ident| $new:expr, convolutions: |$s:ident| $convs:expr) => {
        impl $crate::attention::block::AttentionBlock for $block {
            fn new($c: usize, $k: usize, $d: &burn::tensor::Device) -> Self {
                $new
            }

            fn cost(shape: $crate::attention::block::CostShape) -> $crate::attention::block::Cost {
                <$block>::cost(shape)
            }

            fn forward(&self, x: burn::tensor::Tensor<4>) -> burn::tensor::Tensor<4> {
                <$block>::forward(self, x)
            }

            fn weight_maps(&self, x: burn::tensor::Tensor<4>) -> Vec<burn::tensor::Tensor<4>> {
                <$block>::weight_maps(self, x)
            }

            fn context_weights(
                &self,
                maps: Vec<$crate::attention::context_weights::Features>,
            ) -> Box<dyn $crate::attention::context_weights::ContextWeights> {
                <$block>::context_weights(self, maps)
            }

            fn convolutions(&self) -> Vec<&burn::nn::conv::Conv2d> {
                let $s = self;
                $convs
            }

            fn gamma(&self) -> &burn::module::Param<burn::tensor::Tensor<1>> {
                &self.gamma
            }

            fn gamma_mut(&mut self) -> &mut burn::module::Param<burn::tensor::Tensor<1>> {
                &mut self.gamma
            }
        }
    };
}
pub(crate) use attention_block;
