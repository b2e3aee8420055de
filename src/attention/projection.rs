//! The 1×1 convolutions that turn a feature map into queries, keys and values, and the learned
//! residual gate γ every block shares.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::Initializer;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::tensor::{Device, Tensor};

/// Configuration of [`QueryKeyValue`].
#[derive(Config, Debug)]
pub struct QueryKeyValueConfig {
    /// `C`: channels of the feature map, and of the values.
    pub channels: usize,
    /// `C'`: channels of the queries and keys (`C / 8` in the papers).
    pub key_channels: usize,
}

impl QueryKeyValueConfig {
    /// Initialise the three projections.
    pub fn init(&self, device: &Device) -> QueryKeyValue {
        let conv = |out| Conv2dConfig::new([self.channels, out], [1, 1]).init(device);
        QueryKeyValue {
            query: conv(self.key_channels),
            key: conv(self.key_channels),
            value: conv(self.channels),
        }
    }
}

/// Queries, keys and values of a feature map, each a 1×1 convolution with bias.
#[derive(Module, Debug)]
pub struct QueryKeyValue {
    /// `C → C'`.
    pub query: Conv2d,
    /// `C → C'`.
    pub key: Conv2d,
    /// `C → C`.
    pub value: Conv2d,
}

impl QueryKeyValue {
    /// Project a feature map.
    ///
    /// # Shapes
    /// - `x`: `[B, C, H, W]`
    /// - output: queries `[B, C', H, W]`, keys `[B, C', H, W]`, values `[B, C, H, W]`
    pub fn forward(&self, x: Tensor<4>) -> (Tensor<4>, Tensor<4>, Tensor<4>) {
        (
            self.query.forward(x.clone()),
            self.key.forward(x.clone()),
            self.value.forward(x),
        )
    }

    /// The queries and keys alone, for the weights a map's positions gather context with.
    ///
    /// # Shapes
    /// - `x`: `[B, C, H, W]`
    /// - output: queries and keys, `[B, C', H, W]` each
    pub fn queries_and_keys(&self, x: Tensor<4>) -> [Tensor<4>; 2] {
        [self.query.forward(x.clone()), self.key.forward(x)]
    }

    /// The three convolutions: query, key, value.
    pub fn convolutions(&self) -> Vec<&Conv2d> {
        vec![&self.query, &self.key, &self.value]
    }
}

/// The residual gate γ: a learned scalar that starts at 0, so a new block is the identity.
pub fn init_gamma(device: &Device) -> Param<Tensor<1>> {
    Initializer::Zeros.init([1], device)
}

/// `x + γ·out`, the residual every block ends with.
///
/// # Shapes
/// - `x`, `out`: `[B, C, H, W]`; `gamma`: `[1]`
/// - output: `[B, C, H, W]`
pub fn gated_residual(x: Tensor<4>, gamma: &Param<Tensor<1>>, out: Tensor<4>) -> Tensor<4> {
    x + out * gamma.val().reshape([1, 1, 1, 1])
}
