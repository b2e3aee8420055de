//! Efficient attention of Shen, Zhang, Zhao, Yi and Li, "Efficient Attention: Attention with
//! Linear Complexities" (WACV 2021), arXiv:1812.01243.
//!
//! The softmax is split in two: `ρ_q` normalises each query over its channels, `ρ_k` each key
//! channel over the positions. Then the product can be taken keys-and-values first:
//!
//! ```text
//! G   = ρ_k(K) Vᵀ          a C' × C context, computed once
//! out = W_r (Gᵀ ρ_q(Q))    W_r: a 1×1 reprojection C → C
//! y   = x + γ·out
//! ```
//!
//! Time `O(N·C'·C)`, extra memory `O(C'·C)`. The reference adds `out` without a gate; γ (starting
//! at 0) keeps this block the identity at initialisation like the others, and costs nothing.
//! The reference's optional heads are left out, as in the paper.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor};

use super::block::{Cost, CostShape, attention_block};
use super::context_weights::{ContextWeights, Features, softmax_in_place};
use super::projection::{QueryKeyValue, QueryKeyValueConfig, gated_residual, init_gamma};

/// Configuration of [`EfficientAttention`].
#[derive(Config, Debug)]
pub struct EfficientAttentionConfig {
    /// `C`: channels of the feature map.
    pub channels: usize,
    /// `C'`: channels of queries and keys.
    pub key_channels: usize,
}

impl EfficientAttentionConfig {
    /// Initialise the block with γ = 0 (the identity).
    pub fn init(&self, device: &Device) -> EfficientAttention {
        EfficientAttention {
            qkv: QueryKeyValueConfig::new(self.channels, self.key_channels).init(device),
            reprojection: Conv2dConfig::new([self.channels, self.channels], [1, 1]).init(device),
            gamma: init_gamma(device),
        }
    }
}

/// Efficient attention; its formula and every deviation from the paper: `src/attention/efficient.rs`.
#[derive(Module, Debug)]
pub struct EfficientAttention {
    /// The query, key and value projections.
    pub qkv: QueryKeyValue,
    /// `W_r`, the 1×1 reprojection `C → C` of the attended values.
    pub reprojection: Conv2d,
    /// The residual gate, `[1]`.
    pub gamma: Param<Tensor<1>>,
}

impl EfficientAttention {
    /// Every position attends to every position through a `C' × C` context.
    ///
    /// # Shapes
    /// - `x`: `[B, C, H, W]`
    /// - output: `[B, C, H, W]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [batch, channels, height, width] = x.dims();
        let (q, k, v) = self.qkv.forward(x.clone());
        let q = softmax(q.flatten::<3>(2, 3), 1); // [B, C', N], each position sums to 1
        let k = softmax(k.flatten::<3>(2, 3), 2); // [B, C', N], each channel sums to 1
        let v = v.flatten::<3>(2, 3); // [B, C, N]

        let context = k.matmul(v.swap_dims(1, 2)); // [B, C', C]
        let out = context.swap_dims(1, 2).matmul(q); // [B, C, N]
        let out = self
            .reprojection
            .forward(out.reshape([batch, channels, height, width]));
        gated_residual(x, &self.gamma, out)
    }
}

impl EfficientAttention {
    /// q, k, v and their softmaxes; the `C' × C` context; the output and its reprojection
    /// (a fourth 1×1 projection, `C → C`).
    pub fn cost(shape: CostShape) -> Cost {
        let (n, c, k) = (shape.positions(), shape.channels, shape.key_channels);
        let projections = shape.qkv_flops() + 2 * n * c * c;
        Cost {
            flops: projections + 4 * n * c * k + 10 * n * k,
            projection_flops: projections,
            peak_floats: 4 * k * n + 3 * c * n + c * k,
            largest_floats: c * n,
        }
    }
}

impl EfficientAttention {
    /// The queries and keys, `[1, C', H, W]` each.
    pub fn weight_maps(&self, x: Tensor<4>) -> Vec<Tensor<4>> {
        self.qkv.queries_and_keys(x).to_vec()
    }

    /// Row `i` is `W_ij = Σ_c ρ_q(q_i)_c · ρ_k(k_c)_j`: the weights the `C' × C` context applies
    /// to each value, written out (before the reprojection, which mixes channels, not
    /// positions).
    pub fn context_weights(&self, maps: Vec<Features>) -> Box<dyn ContextWeights> {
        let [queries, keys] = <[Features; 2]>::try_from(maps).expect("queries and keys");
        let n = keys.positions();
        // ρ_k: each key channel's softmax over the positions, [C'][N].
        let keys = (0..keys.channels)
            .map(|c| {
                let mut channel: Vec<f32> = (0..n).map(|j| keys.vector(j)[c]).collect();
                softmax_in_place(&mut channel);
                channel
            })
            .collect();
        Box::new(EfficientWeights { queries, keys })
    }
}

/// Efficient attention's weights, from the queries and the softmaxed keys.
struct EfficientWeights {
    queries: Features,
    /// `ρ_k(k_c)`, `[C'][N]`.
    keys: Vec<Vec<f32>>,
}

impl ContextWeights for EfficientWeights {
    fn row(&self, n: usize) -> Vec<f32> {
        let mut query = self.queries.vector(n).to_vec();
        softmax_in_place(&mut query); // ρ_q: over the channels
        let mut row = vec![0.0; self.queries.positions()];
        for (q, key) in query.iter().zip(&self.keys) {
            for (w, k) in row.iter_mut().zip(key) {
                *w += q * k;
            }
        }
        row
    }
}

attention_block!(EfficientAttention, EfficientAttentionConfig);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attention::context_weights::tests::{assert_rows_match, read_all};
    use crate::attention::oracle::{Map, gamma, random_input, softmax};

    /// `W_ij = Σ_c ρ_q(q_i)_c · ρ_k(k_c)_j` in f64, one `N × N` matrix per batch item.
    fn oracle_weights(block: &EfficientAttention, input: &Map) -> Vec<Vec<Vec<f64>>> {
        let (q, k, _) = input.project(&block.qkv);
        let n = input.positions();
        // ρ_k: each key channel's softmax over the N positions, [B][C'][N].
        let keys: Vec<Vec<Vec<f64>>> = (0..input.batch)
            .map(|b| {
                (0..k.channels)
                    .map(|c| softmax(&(0..n).map(|j| k.vector(b, j)[c]).collect::<Vec<_>>()))
                    .collect()
            })
            .collect();
        input.matrices(|b, i| {
            let query = softmax(&q.vector(b, i)); // ρ_q: over the channels
            (0..n)
                .map(|j| (0..k.channels).map(|c| query[c] * keys[b][c][j]).sum())
                .collect()
        })
    }

    /// The explicit factorised attention against the context-first path.
    #[test]
    fn matches_explicit_factorised_attention_in_f64() {
        let device = Device::flex();
        let mut block = EfficientAttentionConfig::new(16, 4).init(&device);
        block.gamma = gamma(0.8, &device);
        let x = random_input([2, 16, 7, 4], &device);

        let input = Map::from_tensor(x.clone());
        let (_, _, v) = input.project(&block.qkv);
        let attended = v.attend(&oracle_weights(&block, &input));
        let expected = input.gated(0.8, &attended.conv1x1(&block.reprojection));

        let error = expected.max_abs_diff(block.forward(x));
        assert!(error <= 1e-4, "max abs error {error}");
    }

    /// The weights the factorised form implies are the oracle's rows.
    #[test]
    fn context_weights_are_the_oracle_s_rows() {
        let device = Device::flex();
        let block = EfficientAttentionConfig::new(16, 4).init(&device);
        let x = random_input([1, 16, 7, 4], &device);
        let weights = block.context_weights(read_all(block.weight_maps(x.clone())));
        assert_rows_match(&*weights, &oracle_weights(&block, &Map::from_tensor(x))[0]);
    }
}
