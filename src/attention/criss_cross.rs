//! Criss-cross attention of Huang, Wang, Huang, Huang, Wei and Liu, "CCNet: Criss-Cross Attention
//! for Semantic Segmentation" (ICCV 2019), arXiv:1811.11721.
//!
//! Position `u = (i, j)` attends only to the `H + W − 1` positions of its row `i` and column `j`
//! (itself counted once), with one softmax over all of them:
//!
//! ```text
//! A_uv  = softmax_{v ∈ row(u) ∪ column(u)}(q_uᵀ k_v)
//! out_u = Σ_v A_uv v_v
//! y     = x + γ·out
//! ```
//!
//! The block is applied `R = 2` times with the same weights, so that information can travel from
//! any position to any other (along a row, then along a column). Time `O(N·(H + W)·C')`, extra
//! memory `O(N·(H + W))`.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor};

use super::block::{Cost, CostShape, attention_block};
use super::context_weights::{ContextWeights, Features, compose, dot, softmax_over};
use super::projection::{QueryKeyValue, QueryKeyValueConfig, gated_residual, init_gamma};

/// How many times the block is applied, as in CCNet.
pub const RECURRENCE: usize = 2;

/// The score that masks out the column branch's copy of the position itself. Effectively −∞
/// after the softmax, but finite: WGSL may assume that no value is infinite.
const MASKED: f64 = -1e30;

/// Configuration of [`CrissCrossAttention`].
#[derive(Config, Debug)]
pub struct CrissCrossAttentionConfig {
    /// `C`: channels of the feature map.
    pub channels: usize,
    /// `C'`: channels of queries and keys.
    pub key_channels: usize,
}

impl CrissCrossAttentionConfig {
    /// Initialise the block with γ = 0 (the identity).
    pub fn init(&self, device: &Device) -> CrissCrossAttention {
        CrissCrossAttention {
            qkv: QueryKeyValueConfig::new(self.channels, self.key_channels).init(device),
            gamma: init_gamma(device),
        }
    }
}

/// Criss-cross attention, applied [`RECURRENCE`] times; its formula and every deviation from the paper: `src/attention/criss_cross.rs`.
#[derive(Module, Debug)]
pub struct CrissCrossAttention {
    /// The query, key and value projections, shared by both passes.
    pub qkv: QueryKeyValue,
    /// The residual gate, `[1]`, shared by both passes.
    pub gamma: Param<Tensor<1>>,
}

impl CrissCrossAttention {
    /// Two passes of row-and-column attention.
    ///
    /// # Shapes
    /// - `x`: `[B, C, H, W]`
    /// - output: `[B, C, H, W]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        (0..RECURRENCE).fold(x, |x, _| self.forward_once(x))
    }

    /// One pass: each position attends to its row and column.
    ///
    /// # Shapes
    /// - `x`: `[B, C, H, W]`
    /// - output: `[B, C, H, W]`
    pub fn forward_once(&self, x: Tensor<4>) -> Tensor<4> {
        let [_, _, height, width] = x.dims();
        let device = x.device();
        let (q, k, v) = self.qkv.forward(x.clone());

        // Column branch: position (i, j) against (i', j) for every row i'.
        let q_columns = q.clone().permute([0, 3, 2, 1]); // [B, W, H, C']
        let k_columns = k.clone().permute([0, 3, 1, 2]); // [B, W, C', H']
        let self_mask =
            (Tensor::<2>::eye(height, &device) * MASKED).reshape([1, 1, height, height]);
        let column_scores = (q_columns.matmul(k_columns) + self_mask).permute([0, 2, 1, 3]); // [B, H, W, H']

        // Row branch: position (i, j) against (i, j') for every column j'.
        let q_rows = q.permute([0, 2, 3, 1]); // [B, H, W, C']
        let k_rows = k.permute([0, 2, 1, 3]); // [B, H, C', W']
        let row_scores = q_rows.matmul(k_rows); // [B, H, W, W']

        // One softmax over the H + W candidates of each position.
        let attention = softmax(Tensor::cat(vec![column_scores, row_scores], 3), 3); // [B, H, W, H' + W']
        let column_attention = attention.clone().narrow(3, 0, height); // [B, H, W, H']
        let row_attention = attention.narrow(3, height, width); // [B, H, W, W']

        let v_columns = v.clone().permute([0, 3, 2, 1]); // [B, W, H', C]
        let out_columns = column_attention
            .permute([0, 2, 1, 3]) // [B, W, H, H']
            .matmul(v_columns) // [B, W, H, C]
            .permute([0, 3, 2, 1]); // [B, C, H, W]
        let v_rows = v.permute([0, 2, 3, 1]); // [B, H, W', C]
        let out_rows = row_attention.matmul(v_rows).permute([0, 3, 1, 2]); // [B, H, W, C] -> [B, C, H, W]

        gated_residual(x, &self.gamma, out_columns + out_rows)
    }
}

impl CrissCrossAttention {
    /// Per pass: q, k, v; row and column scores, joined, and their softmax; three outputs.
    pub fn cost(shape: CostShape) -> Cost {
        let (n, c, k) = (shape.positions(), shape.channels, shape.key_channels);
        let candidates = n * (shape.height + shape.width);
        let projections = RECURRENCE as u64 * shape.qkv_flops();
        Cost {
            flops: projections + RECURRENCE as u64 * (2 * candidates * (k + c) + 5 * candidates),
            projection_flops: projections,
            peak_floats: 2 * k * n + 4 * c * n + 3 * candidates,
            largest_floats: candidates.max(c * n),
        }
    }
}

impl CrissCrossAttention {
    /// The first pass's queries and keys, then the second's (from the first pass's output),
    /// `[1, C', H, W]` each.
    pub fn weight_maps(&self, x: Tensor<4>) -> Vec<Tensor<4>> {
        let second = self.forward_once(x.clone());
        [
            self.qkv.queries_and_keys(x),
            self.qkv.queries_and_keys(second),
        ]
        .concat()
    }

    /// Row `u` is the two passes composed, `A₂·A₁`: the cross of `u` in the second pass, each
    /// of its positions' own cross in the first — the whole map, through one intermediary.
    pub fn context_weights(&self, maps: Vec<Features>) -> Box<dyn ContextWeights> {
        let [q1, k1, q2, k2] =
            <[Features; 4]>::try_from(maps).expect("two passes' queries and keys");
        Box::new(CrissCrossWeights {
            passes: [(q1, k1), (q2, k2)],
        })
    }
}

/// Criss-cross attention's weights, from both passes' queries and keys.
struct CrissCrossWeights {
    passes: [(Features, Features); RECURRENCE],
}

impl CrissCrossWeights {
    /// Row `u` of one pass: one softmax over `u`'s row and column, `u` itself once.
    fn cross((queries, keys): &(Features, Features), u: usize) -> Vec<f32> {
        let (width, n) = (queries.width, queries.positions());
        let kept: Vec<usize> = (0..n)
            .filter(|&v| v / width == u / width || v % width == u % width)
            .collect();
        let q = queries.vector(u);
        softmax_over(&kept, |v| dot(q, keys.vector(v)), n)
    }
}

impl ContextWeights for CrissCrossWeights {
    fn row(&self, u: usize) -> Vec<f32> {
        let [first, second] = &self.passes;
        compose(&Self::cross(second, u), |t| Self::cross(first, t))
    }
}

attention_block!(CrissCrossAttention, CrissCrossAttentionConfig);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attention::context_weights::tests::{assert_rows_match, compose_dense, read_all};
    use crate::attention::oracle::{Map, dot, gamma, masked_softmax, random_input};

    /// One pass as dense attention over all `N` positions, every position outside the row and
    /// column masked out, in f64: `(A, y)` with `A` one `N × N` matrix per batch item.
    fn dense_pass(
        block: &CrissCrossAttention,
        input: &Map,
        gamma: f64,
    ) -> (Vec<Vec<Vec<f64>>>, Map) {
        let (q, k, v) = input.project(&block.qkv);
        let (n, width) = (input.positions(), input.width);
        let crosses = |u: usize, v: usize| v / width == u / width || v % width == u % width;
        let weights = input.matrices(|b, u| {
            let kept: Vec<usize> = (0..n).filter(|&v| crosses(u, v)).collect();
            masked_softmax(&kept, |v| dot(&q.vector(b, u), &k.vector(b, v)), n)
        });
        let output = input.gated(gamma, &v.attend(&weights));
        (weights, output)
    }

    /// The dense masked attention, applied twice with the same weights, against the
    /// criss-cross path.
    #[test]
    fn matches_dense_attention_masked_to_row_and_column_in_f64() {
        let device = Device::flex();
        let mut block = CrissCrossAttentionConfig::new(16, 4).init(&device);
        block.gamma = gamma(0.6, &device);
        let x = random_input([2, 16, 5, 8], &device);

        let mut expected = Map::from_tensor(x.clone());
        for _ in 0..RECURRENCE {
            expected = dense_pass(&block, &expected, 0.6).1;
        }

        let error = expected.max_abs_diff(block.forward(x));
        assert!(error <= 1e-4, "max abs error {error}");
    }

    /// The weights a position looks with are the oracle's two passes composed (γ ≠ 0, so that
    /// the second pass sees a different map from the first).
    #[test]
    fn context_weights_are_the_oracle_s_passes_composed() {
        let device = Device::flex();
        let mut block = CrissCrossAttentionConfig::new(16, 4).init(&device);
        block.gamma = gamma(0.6, &device);
        let x = random_input([1, 16, 5, 8], &device);
        let (first, between) = dense_pass(&block, &Map::from_tensor(x.clone()), 0.6);
        let (second, _) = dense_pass(&block, &between, 0.6);
        let weights = block.context_weights(read_all(block.weight_maps(x)));
        assert_rows_match(&*weights, &compose_dense(&second[0], &first[0]));
    }
}
