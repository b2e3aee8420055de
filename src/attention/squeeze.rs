//! Squeeze-and-attention of Zhong, Lin, Bidart, Hu, Ben Daya, Li, Zheng, Li and Wong,
//! "Squeeze-and-Attention Networks for Semantic Segmentation" (CVPR 2020), arXiv:1909.03402.
//!
//! No pairwise term: the "attention" is a gate computed from a pooled, coarser view of the map,
//! which lets each position be re-weighted by its group of neighbours:
//!
//! ```text
//! res = ReLU(conv₃(ReLU(conv₃(x))))                          the main branch
//! att = up(σ(conv₃(ReLU(conv₃(pool₂(x))))))                  the attention branch, at 1/2
//! out = att ⊙ res + att
//! y   = x + γ·out
//! ```
//!
//! with `conv₃` a 3×3 convolution `C → C`, `pool₂` a 2×2 average pool of stride 2 and `up` the
//! way back to `H × W`. Time `O(N·C²)`, memory `O(N·C)`.
//!
//! **Which reading.** There is no official code. This follows the paper: the σ on the attention
//! branch (the widely copied unofficial `SABlock.py` has none), `out = att ⊙ res + att`.
//! **Deviations**, each named: no BatchNorm (it would fold into the convolutions at inference,
//! and a batch of one image, as `linseg train` uses, makes poor batch statistics); `up` is
//! nearest-neighbour (each pooled value to its 2 × 2 cell; the paper's bilinear upsampling has
//! no backward pass on wgpu in Burn 0.22), cropped to the input's exact size; an odd height or
//! width is pooled with its last row or column repeated.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::{Device, Tensor};

use super::block::{Cost, CostShape, attention_block};
use super::context_weights::{ContextWeights, Features};
use super::projection::{gated_residual, init_gamma};

/// Configuration of [`SqueezeAttention`].
#[derive(Config, Debug)]
pub struct SqueezeAttentionConfig {
    /// `C`: channels of the feature map (every convolution is `C → C`).
    pub channels: usize,
}

impl SqueezeAttentionConfig {
    /// Initialise the block with γ = 0 (the identity).
    pub fn init(&self, device: &Device) -> SqueezeAttention {
        let conv = || {
            Conv2dConfig::new([self.channels, self.channels], [3, 3])
                .with_padding(PaddingConfig2d::Same)
                .init(device)
        };
        SqueezeAttention {
            residual: vec![conv(), conv()],
            attention: vec![conv(), conv()],
            gamma: init_gamma(device),
        }
    }
}

/// Squeeze-and-attention; see the [module documentation](self).
#[derive(Module, Debug)]
pub struct SqueezeAttention {
    /// The main branch's two 3×3 convolutions.
    pub residual: Vec<Conv2d>,
    /// The attention branch's two 3×3 convolutions, on the pooled map.
    pub attention: Vec<Conv2d>,
    /// The residual gate, `[1]`.
    pub gamma: Param<Tensor<1>>,
}

impl SqueezeAttention {
    /// The gated main branch, added to the map.
    ///
    /// # Shapes
    /// - `x`: `[B, C, H, W]`
    /// - output: `[B, C, H, W]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [_, _, height, width] = x.dims();
        let res = relu(self.residual[1].forward(relu(self.residual[0].forward(x.clone())))); // [B, C, H, W]
        let pooled = pool2(x.clone()); // [B, C, ⌈H/2⌉, ⌈W/2⌉]
        let att = sigmoid(self.attention[1].forward(relu(self.attention[0].forward(pooled))));
        let att = up2(att, height, width); // [B, C, H, W]
        let out = att.clone() * res + att;
        gated_residual(x, &self.gamma, out)
    }

    /// Two 3×3 convolutions at `N` positions and two at `N/4`; the pooling, the way back up and
    /// the gating. At the peak: the main branch's two maps, the gate and the output.
    pub fn cost(shape: CostShape) -> Cost {
        let (n, c) = (shape.positions(), shape.channels);
        let quarter = shape.height.div_ceil(2) * shape.width.div_ceil(2);
        let convolutions = 2 * (2 * 9 * c * c * n) + 2 * (2 * 9 * c * c * quarter);
        Cost {
            flops: convolutions + 4 * c * n + 3 * c * n,
            projection_flops: convolutions,
            peak_floats: 4 * c * n + c * quarter,
            largest_floats: c * n,
        }
    }
}

/// The 2×2 average pool of stride 2, an odd last row or column repeated.
///
/// # Shapes
/// - `x`: `[B, C, H, W]`
/// - output: `[B, C, ⌈H/2⌉, ⌈W/2⌉]`
fn pool2(x: Tensor<4>) -> Tensor<4> {
    let [b, c, h, w] = x.dims();
    let x = if h % 2 == 1 {
        let last = x.clone().narrow(2, h - 1, 1);
        Tensor::cat(vec![x, last], 2)
    } else {
        x
    };
    let x = if w % 2 == 1 {
        let last = x.clone().narrow(3, w - 1, 1);
        Tensor::cat(vec![x, last], 3)
    } else {
        x
    };
    let (h2, w2) = (h.div_ceil(2), w.div_ceil(2));
    x.reshape([b, c, h2, 2, w2, 2]) // [B, C, H/2, 2, W/2, 2]
        .sum_dim(5)
        .sum_dim(3)
        .reshape([b, c, h2, w2])
        .div_scalar(4.0)
}

/// Each value to its 2×2 cell, cropped to `height × width`.
///
/// # Shapes
/// - `x`: `[B, C, h, w]`, `2h ≥ height`, `2w ≥ width`
/// - output: `[B, C, height, width]`
fn up2(x: Tensor<4>, height: usize, width: usize) -> Tensor<4> {
    let [b, c, h, w] = x.dims();
    x.reshape([b, c, h, 1, w, 1]) // [B, C, h, 1, w, 1]
        .repeat_dim(3, 2)
        .repeat_dim(5, 2) // [B, C, h, 2, w, 2]
        .reshape([b, c, 2 * h, 2 * w])
        .narrow(2, 0, height)
        .narrow(3, 0, width)
}

impl SqueezeAttention {
    /// The block's input, one channel of it, `[1, 1, H, W]`: the weights depend on the map's
    /// size alone.
    pub fn weight_maps(&self, x: Tensor<4>) -> Vec<Tensor<4>> {
        vec![x.narrow(1, 0, 1)]
    }

    /// There is no pairwise weight: row `u` is the group its gate is computed from — `u`'s
    /// 2 × 2 pooled cell, widened by the attention branch's two 3×3 convolutions to 5 × 5 pooled
    /// cells (10 × 10 positions) — each pooled cell weighted by the number of paths by which
    /// it reaches the gate through the two convolutions, shared among the positions it pools.
    pub fn context_weights(&self, maps: Vec<Features>) -> Box<dyn ContextWeights> {
        let [input] = <[Features; 1]>::try_from(maps).expect("the input");
        Box::new(SqueezeWeights {
            height: input.height,
            width: input.width,
        })
    }
}

/// Squeeze-and-attention's gate group, from the map's size.
struct SqueezeWeights {
    height: usize,
    width: usize,
}

impl ContextWeights for SqueezeWeights {
    fn row(&self, u: usize) -> Vec<f32> {
        let (h, w) = (self.height, self.width);
        let (h2, w2) = (h.div_ceil(2) as i64, w.div_ceil(2) as i64);
        let (pi, pj) = ((u / w / 2) as i64, (u % w / 2) as i64);
        let inside = |i: i64, j: i64| i >= 0 && j >= 0 && i < h2 && j < w2;
        let mut row = vec![0.0f32; h * w];
        for (qi, qj) in (pi - 2..=pi + 2).flat_map(|i| (pj - 2..=pj + 2).map(move |j| (i, j))) {
            if !inside(qi, qj) {
                continue;
            }
            // Paths pooled cell → first convolution's output M → the gate at (pi, pj).
            let paths = (qi - 1..=qi + 1)
                .flat_map(|i| (qj - 1..=qj + 1).map(move |j| (i, j)))
                .filter(|&(i, j)| inside(i, j) && (i - pi).abs() <= 1 && (j - pj).abs() <= 1)
                .count();
            for (dy, dx) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                // The pool repeats an odd last row or column.
                let y = (2 * qi as usize + dy).min(h - 1);
                let x = (2 * qj as usize + dx).min(w - 1);
                row[y * w + x] += paths as f32 / 4.0;
            }
        }
        let sum: f32 = row.iter().sum();
        row.iter_mut().for_each(|v| *v /= sum);
        row
    }
}

// `key_channels` is not used: every convolution is `C → C`.
attention_block!(
    SqueezeAttention,
    new: |channels, _key_channels, device| SqueezeAttentionConfig::new(channels).init(device),
    convolutions: |block| block.residual.iter().chain(&block.attention).collect()
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attention::context_weights::tests::{assert_rows_match, compose_dense, read_all};
    use crate::attention::oracle::{Map, gamma, random_input};

    /// The block's formula written out in f64: 3×3 convolutions with zero padding, the pool
    /// over each 2×2 cell (the last row or column repeated), each pooled value copied back to
    /// its cell.
    #[test]
    fn matches_the_formula_in_f64() {
        let device = Device::flex();
        let mut block = SqueezeAttentionConfig::new(8).init(&device);
        block.gamma = gamma(0.9, &device);
        for [h, w] in [[6, 8], [5, 7], [1, 3]] {
            let x = random_input([2, 8, h, w], &device);
            let input = Map::from_tensor(x.clone());
            let relu = |m: Map| m.map(|v| v.max(0.0));
            let res = relu(relu(input.conv3x3(&block.residual[0])).conv3x3(&block.residual[1]));
            let (h2, w2) = (h.div_ceil(2), w.div_ceil(2));
            let pooled = Map::from_fn(input.batch, input.channels, h2, w2, |b, c, i, j| {
                let at = |y: usize, x: usize| input.at(b, c, y.min(h - 1), x.min(w - 1));
                (at(2 * i, 2 * j)
                    + at(2 * i + 1, 2 * j)
                    + at(2 * i, 2 * j + 1)
                    + at(2 * i + 1, 2 * j + 1))
                    / 4.0
            });
            let att = relu(pooled.conv3x3(&block.attention[0]))
                .conv3x3(&block.attention[1])
                .map(|v| 1.0 / (1.0 + (-v).exp()));
            let out = Map::from_fn(input.batch, input.channels, h, w, |b, c, y, x| {
                let a = att.at(b, c, y / 2, x / 2);
                a * res.at(b, c, y, x) + a
            });
            let expected = input.gated(0.9, &out);
            let error = expected.max_abs_diff(block.forward(x));
            assert!(error <= 1e-4, "{h}×{w}: max abs error {error}");
        }
    }

    /// The gate group against matrices in f64: `up · box · box · pool`, `pool` the 2 × 2 average
    /// (last row or column repeated), `box` a 3 × 3 convolution's support with zero padding,
    /// `up` each position's pooled cell; rows normalised.
    #[test]
    fn context_weights_are_the_gate_s_support() {
        let device = Device::flex();
        let block = SqueezeAttentionConfig::new(8).init(&device);
        for [h, w] in [[9usize, 8], [5, 7], [1, 3]] {
            let (h2, w2) = (h.div_ceil(2), w.div_ceil(2));
            let (n, np) = (h * w, h2 * w2);
            let mut pool = vec![vec![0.0; n]; np];
            for (p, row) in pool.iter_mut().enumerate() {
                let (i, j) = (p / w2, p % w2);
                for (y, x) in [
                    (2 * i, 2 * j),
                    (2 * i + 1, 2 * j),
                    (2 * i, 2 * j + 1),
                    (2 * i + 1, 2 * j + 1),
                ] {
                    row[y.min(h - 1) * w + x.min(w - 1)] += 0.25;
                }
            }
            let near = |a: usize, b: usize| {
                (a / w2).abs_diff(b / w2) <= 1 && (a % w2).abs_diff(b % w2) <= 1
            };
            let support: Vec<Vec<f64>> = (0..np)
                .map(|a| {
                    (0..np)
                        .map(|b| if near(a, b) { 1.0 } else { 0.0 })
                        .collect()
                })
                .collect();
            let through = compose_dense(&compose_dense(&support, &support), &pool); // [Np][N]
            let oracle: Vec<Vec<f64>> = (0..n)
                .map(|u| {
                    let row = &through[(u / w / 2) * w2 + u % w / 2];
                    let sum: f64 = row.iter().sum();
                    row.iter().map(|v| v / sum).collect()
                })
                .collect();
            let x = random_input([1, 8, h, w], &device);
            let weights = block.context_weights(read_all(block.weight_maps(x)));
            assert_rows_match(&*weights, &oracle);
        }
    }

    /// The cost counts the oracle's convolutions: 9·C multiply-adds per output value.
    #[test]
    fn the_cost_counts_the_convolutions() {
        let shape = CostShape {
            channels: 128,
            key_channels: 16,
            height: 64,
            width: 64,
        };
        let cost = SqueezeAttention::cost(shape);
        let (n, c) = (4096u64, 128u64);
        assert_eq!(
            cost.projection_flops,
            2 * 2 * 9 * c * c * n + 2 * 2 * 9 * c * c * (n / 4)
        );
        assert_eq!(cost.largest_floats, c * n);
    }
}
