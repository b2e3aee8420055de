//! Softmax dot-product attention over all positions: the non-local block (Wang et al. 2018), as
//! DANet's position-attention module (Fu et al. 2019) uses it.
//!
//! With `Q = W_q x`, `K = W_k x` (`C → C'`) and `V = W_v x` (`C → C`) flattened over the
//! `N = H·W` positions:
//!
//! ```text
//! A_ij  = softmax_j(q_iᵀ k_j)          an N × N map
//! out_i = Σ_j A_ij v_j
//! y     = x + γ·out
//! ```
//!
//! The `N × N` map makes time `O(N²·C)` and memory `O(N²)`: at 128 × 128 it is 268 M floats.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor};

use super::block::{Cost, CostShape, attention_block};
use super::projection::{QueryKeyValue, QueryKeyValueConfig, gated_residual, init_gamma};

/// Configuration of [`DotAttention`].
#[derive(Config, Debug)]
pub struct DotAttentionConfig {
    /// `C`: channels of the feature map.
    pub channels: usize,
    /// `C'`: channels of queries and keys.
    pub key_channels: usize,
}

impl DotAttentionConfig {
    /// Initialise the block with γ = 0 (the identity).
    pub fn init(&self, device: &Device) -> DotAttention {
        DotAttention {
            qkv: QueryKeyValueConfig::new(self.channels, self.key_channels).init(device),
            gamma: init_gamma(device),
        }
    }
}

/// Softmax dot-product attention; see the [module documentation](self).
#[derive(Module, Debug)]
pub struct DotAttention {
    /// The query, key and value projections.
    pub qkv: QueryKeyValue,
    /// The residual gate, `[1]`.
    pub gamma: Param<Tensor<1>>,
}

impl DotAttention {
    /// Every position attends to every position.
    ///
    /// # Shapes
    /// - `x`: `[B, C, H, W]`
    /// - output: `[B, C, H, W]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [batch, channels, height, width] = x.dims();
        let positions = height * width;
        let (q, k, v) = self.qkv.forward(x.clone());
        let q = q.flatten::<3>(2, 3).swap_dims(1, 2); // [B, C', H, W] -> [B, N, C']
        let k = k.flatten::<3>(2, 3); // [B, C', H, W] -> [B, C', N]
        let v = v.flatten::<3>(2, 3); // [B, C, H, W] -> [B, C, N]

        let attention = softmax(q.matmul(k), 2); // [B, N, N], rows sum to 1
        let out = v.matmul(attention.swap_dims(1, 2)); // [B, C, N]: out_i = Σ_j A_ij v_j
        debug_assert_eq!(out.dims(), [batch, channels, positions]);
        let out = out.reshape([batch, channels, height, width]);
        gated_residual(x, &self.gamma, out)
    }
}

impl DotAttention {
    /// q, k, v; the `N × N` scores and their softmax together; the output.
    pub fn cost(shape: CostShape) -> Cost {
        let (n, c, k) = (shape.positions(), shape.channels, shape.key_channels);
        let projections = shape.qkv_flops();
        Cost {
            flops: projections + 2 * n * n * (k + c) + 5 * n * n,
            projection_flops: projections,
            peak_floats: 2 * k * n + 2 * c * n + 2 * n * n,
            largest_floats: n * n,
        }
    }
}

attention_block!(DotAttention, DotAttentionConfig);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attention::oracle::{Map, dot, gamma, random_input, softmax};

    /// `A_ij = softmax_j(q_i·k_j)` written out, against the batched matmul path.
    #[test]
    fn matches_explicit_softmax_attention_in_f64() {
        let device = Device::flex();
        let mut block = DotAttentionConfig::new(16, 4).init(&device);
        block.gamma = gamma(0.8, &device);
        let x = random_input([2, 16, 5, 7], &device);

        let input = Map::from_tensor(x.clone());
        let (q, k, v) = input.project(&block.qkv);
        let n = input.positions();
        let weights = input.matrices(|b, i| {
            let scores: Vec<f64> = (0..n)
                .map(|j| dot(&q.vector(b, i), &k.vector(b, j)))
                .collect();
            softmax(&scores)
        });
        let expected = input.gated(0.8, &v.attend(&weights));

        let error = expected.max_abs_diff(block.forward(x));
        assert!(error <= 1e-4, "max abs error {error}");
    }
}
