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
use super::context_weights::{ContextWeights, Features, softmax_in_place};
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

/// Softmax dot-product attention; its formula and every deviation from the paper: `src/attention/dot.rs`.
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

impl DotAttention {
    /// The queries and keys, `[1, C', H, W]` each.
    pub fn weight_maps(&self, x: Tensor<4>) -> Vec<Tensor<4>> {
        self.qkv.queries_and_keys(x).to_vec()
    }

    /// Row `i` is `softmax_j(q_i·k_j)`, the block's own `A`.
    pub fn context_weights(&self, maps: Vec<Features>) -> Box<dyn ContextWeights> {
        let [queries, keys] = <[Features; 2]>::try_from(maps).expect("queries and keys");
        Box::new(DotWeights { queries, keys })
    }
}

/// Dot-product attention's weights: each row one softmax over all positions.
struct DotWeights {
    queries: Features,
    keys: Features,
}

impl ContextWeights for DotWeights {
    fn row(&self, n: usize) -> Vec<f32> {
        let mut row = self.keys.scores(self.queries.vector(n));
        softmax_in_place(&mut row);
        row
    }
}

attention_block!(DotAttention, DotAttentionConfig);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attention::context_weights::tests::{assert_rows_match, read_all};
    use crate::attention::oracle::{Map, dot, gamma, random_input, softmax};

    /// `A_ij = softmax_j(q_i·k_j)` written out in f64, one `N × N` matrix per batch item.
    fn oracle_weights(block: &DotAttention, input: &Map) -> Vec<Vec<Vec<f64>>> {
        let (q, k, _) = input.project(&block.qkv);
        let n = input.positions();
        input.matrices(|b, i| {
            let scores: Vec<f64> = (0..n)
                .map(|j| dot(&q.vector(b, i), &k.vector(b, j)))
                .collect();
            softmax(&scores)
        })
    }

    /// The explicit softmax attention against the batched matmul path.
    #[test]
    fn matches_explicit_softmax_attention_in_f64() {
        let device = Device::flex();
        let mut block = DotAttentionConfig::new(16, 4).init(&device);
        block.gamma = gamma(0.8, &device);
        let x = random_input([2, 16, 5, 7], &device);

        let input = Map::from_tensor(x.clone());
        let (_, _, v) = input.project(&block.qkv);
        let expected = input.gated(0.8, &v.attend(&oracle_weights(&block, &input)));

        let error = expected.max_abs_diff(block.forward(x));
        assert!(error <= 1e-4, "max abs error {error}");
    }

    /// The weights a position looks with are the oracle's rows.
    #[test]
    fn context_weights_are_the_oracle_s_rows() {
        let device = Device::flex();
        let block = DotAttentionConfig::new(16, 4).init(&device);
        let x = random_input([1, 16, 5, 7], &device);
        let weights = block.context_weights(read_all(block.weight_maps(x.clone())));
        assert_rows_match(&*weights, &oracle_weights(&block, &Map::from_tensor(x))[0]);
    }
}
