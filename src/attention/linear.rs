//! The Linear Attention Mechanism (LAM) of Li, Su, Duan and Zheng, "Linear Attention Mechanism:
//! An Efficient Attention for Semantic Segmentation" (2020), arXiv:2007.14902.
//!
//! Softmax attention's `exp(q̂·k̂)` is replaced by its first-order Taylor expansion `1 + q̂·k̂`,
//! after L2-normalising every query and key over its channels so that each weight is ≥ 0.
//! Row-normalised, and with the sums taken once for all positions:
//!
//! ```text
//! out_n = ( Σ_j v_j + (Σ_j v_j k̂_jᵀ) q̂_n ) / ( N + q̂_n · (Σ_j k̂_j + ε) )
//! y     = x + γ·out
//! ```
//!
//! `Σ_j v_j k̂_jᵀ` is `C × C'` and `Σ_j k̂_j` is a `C'` vector: nothing `N × N` is formed, so time
//! is `O(N·C·C')` and the extra memory `O(C·C')`. This equals explicit attention with weights
//! `(1 + q̂_i·k̂_j) / Σ_j (1 + q̂_i·k̂_j)` up to rounding and the denominator's ε.
//!
//! Deviations from the reference code: an ε inside the L2 norm, so that a zero vector gives zeros
//! rather than NaN; and the reshape back to `[B, C, H, W]` keeps `H` and `W` apart (the reference
//! swaps them and so only works on square maps).

use burn::config::Config;
use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};

use super::block::{Cost, CostShape, attention_block};
use super::context_weights::{ContextWeights, Features, dot};
use super::projection::{QueryKeyValue, QueryKeyValueConfig, gated_residual, init_gamma};

/// ε of the L2 norm and of the denominator, as in the reference code.
const EPSILON: f64 = 1e-6;

/// Configuration of [`LinearAttention`].
#[derive(Config, Debug)]
pub struct LinearAttentionConfig {
    /// `C`: channels of the feature map.
    pub channels: usize,
    /// `C'`: channels of queries and keys.
    pub key_channels: usize,
}

impl LinearAttentionConfig {
    /// Initialise the block with γ = 0 (the identity).
    pub fn init(&self, device: &Device) -> LinearAttention {
        LinearAttention {
            qkv: QueryKeyValueConfig::new(self.channels, self.key_channels).init(device),
            gamma: init_gamma(device),
        }
    }
}

/// The Linear Attention Mechanism; its formula and every deviation from the paper: `src/attention/linear.rs`.
#[derive(Module, Debug)]
pub struct LinearAttention {
    /// The query, key and value projections.
    pub qkv: QueryKeyValue,
    /// The residual gate, `[1]`.
    pub gamma: Param<Tensor<1>>,
}

impl LinearAttention {
    /// Every position attends to every position, in linear time.
    ///
    /// # Shapes
    /// - `x`: `[B, C, H, W]`
    /// - output: `[B, C, H, W]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [batch, channels, height, width] = x.dims();
        let positions = height * width;
        let (q, k, v) = self.qkv.forward(x.clone());
        let q = l2_normalize(q.flatten::<3>(2, 3)); // [B, C', N], unit columns
        let k = l2_normalize(k.flatten::<3>(2, 3)); // [B, C', N], unit columns
        let v = v.flatten::<3>(2, 3); // [B, C, N]

        let value_sum = v.clone().sum_dim(2); // [B, C, 1]: Σ_j v_j
        let value_key = v.matmul(k.clone().swap_dims(1, 2)); // [B, C, C']: Σ_j v_j k̂_jᵀ
        let numerator = value_key.matmul(q.clone()) + value_sum; // [B, C, N]
        let key_sum = k.sum_dim(2).add_scalar(EPSILON); // [B, C', 1]: Σ_j k̂_j + ε
        let denominator = key_sum
            .swap_dims(1, 2)
            .matmul(q)
            .add_scalar(positions as f64); // [B, 1, N]

        let out = (numerator / denominator).reshape([batch, channels, height, width]);
        gated_residual(x, &self.gamma, out)
    }
}

/// Divide each column (one position's channel vector) by its L2 norm.
///
/// # Shapes
/// - `x`: `[B, C, N]`
/// - output: `[B, C, N]`
fn l2_normalize(x: Tensor<3>) -> Tensor<3> {
    let norm = x
        .clone()
        .square()
        .sum_dim(1)
        .add_scalar(EPSILON * EPSILON)
        .sqrt(); // [B, 1, N]
    x / norm
}

impl LinearAttention {
    /// q, k, v and the normalised q̂, k̂; the `C × C'` sum; numerator, denominator, output.
    pub fn cost(shape: CostShape) -> Cost {
        let (n, c, k) = (shape.positions(), shape.channels, shape.key_channels);
        let projections = shape.qkv_flops();
        Cost {
            flops: projections + 4 * n * c * k + 8 * n * k + 2 * n * c,
            projection_flops: projections,
            peak_floats: 4 * k * n + 3 * c * n + c * k + n,
            largest_floats: c * n,
        }
    }
}

impl LinearAttention {
    /// The queries and keys, `[1, C', H, W]` each.
    pub fn weight_maps(&self, x: Tensor<4>) -> Vec<Tensor<4>> {
        self.qkv.queries_and_keys(x).to_vec()
    }

    /// Row `i` is `(1 + q̂_i·k̂_j) / (N + q̂_i·(Σ_j k̂_j + ε))`: the weights the factorised form
    /// applies to each value, written out.
    pub fn context_weights(&self, maps: Vec<Features>) -> Box<dyn ContextWeights> {
        let [queries, keys] = <[Features; 2]>::try_from(maps).expect("queries and keys");
        let (queries, keys) = (unit_vectors(queries), unit_vectors(keys));
        let mut key_sum = vec![EPSILON as f32; keys.channels];
        for n in 0..keys.positions() {
            for (sum, k) in key_sum.iter_mut().zip(keys.vector(n)) {
                *sum += k;
            }
        }
        Box::new(LinearWeights {
            queries,
            keys,
            key_sum,
        })
    }
}

/// Every vector divided by its L2 norm, with the forward pass's ε.
fn unit_vectors(mut features: Features) -> Features {
    for vector in features.data.chunks_mut(features.channels) {
        let norm = (dot(vector, vector) + (EPSILON * EPSILON) as f32).sqrt();
        vector.iter_mut().for_each(|v| *v /= norm);
    }
    features
}

/// The Linear Attention Mechanism's weights, from the normalised queries and keys.
struct LinearWeights {
    queries: Features,
    keys: Features,
    /// `Σ_j k̂_j + ε`, `[C']`.
    key_sum: Vec<f32>,
}

impl ContextWeights for LinearWeights {
    fn row(&self, n: usize) -> Vec<f32> {
        let q = self.queries.vector(n);
        let denominator = self.keys.positions() as f32 + dot(q, &self.key_sum);
        let mut row = self.keys.scores(q);
        row.iter_mut().for_each(|w| *w = (1.0 + *w) / denominator);
        row
    }
}

attention_block!(LinearAttention, LinearAttentionConfig);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attention::context_weights::tests::{assert_rows_match, read_all};
    use crate::attention::oracle::{Map, dot, gamma, random_input};

    fn unit(v: Vec<f64>) -> Vec<f64> {
        let norm = dot(&v, &v).sqrt();
        v.iter().map(|x| x / norm).collect()
    }

    /// Weights `(1 + q̂_i·k̂_j) / Σ_j (1 + q̂_i·k̂_j)` in f64, one `N × N` matrix per batch item.
    fn oracle_weights(block: &LinearAttention, input: &Map) -> Vec<Vec<Vec<f64>>> {
        let (q, k, _) = input.project(&block.qkv);
        let n = input.positions();
        input.matrices(|b, i| {
            let qi = unit(q.vector(b, i));
            let raw: Vec<f64> = (0..n)
                .map(|j| 1.0 + dot(&qi, &unit(k.vector(b, j))))
                .collect();
            let sum: f64 = raw.iter().sum();
            raw.iter().map(|w| w / sum).collect()
        })
    }

    /// The explicit Taylor attention against the linear-time path.
    #[test]
    fn matches_explicit_taylor_attention_in_f64() {
        let device = Device::flex();
        let mut block = LinearAttentionConfig::new(16, 4).init(&device);
        block.gamma = gamma(0.8, &device);
        let x = random_input([2, 16, 6, 9], &device);

        let input = Map::from_tensor(x.clone());
        let (_, _, v) = input.project(&block.qkv);
        let expected = input.gated(0.8, &v.attend(&oracle_weights(&block, &input)));

        let error = expected.max_abs_diff(block.forward(x));
        assert!(error <= 1e-4, "max abs error {error}");
    }

    /// The weights the factorised form implies are the oracle's rows.
    #[test]
    fn context_weights_are_the_oracle_s_rows() {
        let device = Device::flex();
        let block = LinearAttentionConfig::new(16, 4).init(&device);
        let x = random_input([1, 16, 6, 9], &device);
        let weights = block.context_weights(read_all(block.weight_maps(x.clone())));
        assert_rows_match(&*weights, &oracle_weights(&block, &Map::from_tensor(x))[0]);
    }

    /// All-zero queries and keys must not give NaN: the ε inside the norm keeps them zero.
    #[test]
    fn zero_vectors_give_no_nan() {
        let device = Device::flex();
        let mut block = LinearAttentionConfig::new(8, 2).init(&device);
        block.gamma = gamma(1.0, &device);
        let zeros = |conv: &mut burn::nn::conv::Conv2d| {
            conv.weight = Param::from_tensor(conv.weight.val().zeros_like());
            conv.bias = conv
                .bias
                .take()
                .map(|b| Param::from_tensor(b.val().zeros_like()));
        };
        zeros(&mut block.qkv.query);
        zeros(&mut block.qkv.key);
        let y = block.forward(random_input([1, 8, 3, 5], &device));
        let values = y.into_data().try_into_vec::<f32>().unwrap();
        assert!(values.iter().all(|v| v.is_finite()), "non-finite output");
    }
}
