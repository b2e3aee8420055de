//! Channelized axial attention of Huang, Kang, Jia, Liu, Pavlovic and Wang, "Channelized Axial
//! Attention — considering Channel Relation within Spatial Attention for Semantic Segmentation"
//! (AAAI 2022), arXiv:2101.07434.
//!
//! Axial attention, a column pass then a row pass, with a *channel relation* between each pass's
//! product and its sum. For the column pass, with `a` the shared query/key projection:
//!
//! ```text
//! A_col[w, i, k] = softmax_k(a[i, w] · a[k, w])            over the column, from the input
//! T_i[k, w, :]   = A_col[w, i, k] · v[k, w, :]              the products for query row i
//! s_i            = σ(MLP(mean_{k,w} T_i))                   a gate on the channels, per row
//! Z[i, w, :]     = Σ_k T_i[k, w, :] ⊙ s_i
//! ```
//!
//! and the row pass likewise over each row, on `Z`, its gate per column. `out` is the row pass's
//! result and `y = x + γ·out`. Time `O(N·(H + W)·C)`, maps `O(N·(H + W))`.
//!
//! **Memory.** The reference materialises `T` (`H·N·C` floats for the column pass) and cuts it
//! into groups to bound it ("grouped vectorization"). Since `s_i` depends on neither `k` nor
//! `w`, `mean_{k,w} T_i = (1/H)·mean_w Y[i]` with `Y = Σ_k T` the plain axial output, so here
//! `Z[i] = σ(MLP(mean_w Y[i] / H)) ⊙ Y[i]`: `O(N·C)` memory, nothing of size `H·N·C` (the
//! f64 test computes the gate from `T` itself, so it checks this step too).
//!
//! **As in the reference** (`edwardyehuang/CAR`, `heads/caa.py`): one shared query/key
//! projection per pass, ReLU'd, and no `1/√C′`; both passes' maps from the block's input; the
//! gate's MLP of five layers `C → C/4 → … → C/4` with leaky ReLU (0.2), then `C/4 → C` and a σ,
//! no biases. **Deviations**: the projections are plain 1×1 convolutions (no BatchNorm), one
//! value projection `C → C` for the block, as the other modes.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::conv::Conv2d;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::{leaky_relu, relu, sigmoid, softmax};
use burn::tensor::{Device, Tensor};

use super::block::{Cost, CostShape, attention_block};
use super::context_weights::{ContextWeights, Features, compose, dot, softmax_over};
use super::projection::{gated_residual, init_gamma};

/// The gate MLP's hidden layers (`C → C/4`, then `C/4 → C/4`), as in the reference.
pub const HIDDEN_LAYERS: usize = 5;

/// The slope of the gate MLP's leaky ReLU.
const LEAK: f64 = 0.2;

/// Configuration of [`ChannelizedAxialAttention`].
#[derive(Config, Debug)]
pub struct ChannelizedAxialAttentionConfig {
    /// `C`: channels of the feature map.
    pub channels: usize,
    /// `C'`: channels of the shared queries and keys.
    pub key_channels: usize,
}

impl ChannelizedAxialAttentionConfig {
    /// Initialise the block with γ = 0 (the identity).
    pub fn init(&self, device: &Device) -> ChannelizedAxialAttention {
        let conv = |to| burn::nn::conv::Conv2dConfig::new([self.channels, to], [1, 1]).init(device);
        ChannelizedAxialAttention {
            column_key: conv(self.key_channels),
            row_key: conv(self.key_channels),
            value: conv(self.channels),
            column_gate: ChannelGate::new(self.channels, device),
            row_gate: ChannelGate::new(self.channels, device),
            gamma: init_gamma(device),
        }
    }
}

/// The channel relation's MLP: `C → C/4` and four `C/4 → C/4` with leaky ReLU, `C/4 → C`, σ.
#[derive(Module, Debug)]
pub struct ChannelGate {
    /// The hidden layers, then the output layer; no biases.
    pub layers: Vec<Linear>,
}

impl ChannelGate {
    fn new(channels: usize, device: &Device) -> Self {
        let hidden = (channels / 4).max(1);
        let mut layers = vec![
            LinearConfig::new(channels, hidden)
                .with_bias(false)
                .init(device),
        ];
        for _ in 1..HIDDEN_LAYERS {
            layers.push(
                LinearConfig::new(hidden, hidden)
                    .with_bias(false)
                    .init(device),
            );
        }
        layers.push(
            LinearConfig::new(hidden, channels)
                .with_bias(false)
                .init(device),
        );
        ChannelGate { layers }
    }

    /// The gate of each vector.
    ///
    /// # Shapes
    /// - `x`: `[B, L, C]`
    /// - output: `[B, L, C]`, in `(0, 1)`
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let (last, hidden) = self.layers.split_last().expect("an output layer");
        let x = hidden
            .iter()
            .fold(x, |x, layer| leaky_relu(layer.forward(x), LEAK));
        sigmoid(last.forward(x))
    }
}

/// Channelized axial attention; see the [module documentation](self).
#[derive(Module, Debug)]
pub struct ChannelizedAxialAttention {
    /// The column pass's shared query/key projection, `C → C'`.
    pub column_key: Conv2d,
    /// The row pass's shared query/key projection, `C → C'`.
    pub row_key: Conv2d,
    /// The values, `C → C`.
    pub value: Conv2d,
    /// The column pass's channel relation.
    pub column_gate: ChannelGate,
    /// The row pass's channel relation.
    pub row_gate: ChannelGate,
    /// The residual gate, `[1]`.
    pub gamma: Param<Tensor<1>>,
}

impl ChannelizedAxialAttention {
    /// The column pass, then the row pass, each gated on its channels.
    ///
    /// # Shapes
    /// - `x`: `[B, C, H, W]`
    /// - output: `[B, C, H, W]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [_, _, height, width] = x.dims();
        let column_key = relu(self.column_key.forward(x.clone())).permute([0, 3, 2, 1]); // [B, W, H, C']
        let row_key = relu(self.row_key.forward(x.clone())).permute([0, 2, 3, 1]); // [B, H, W, C']
        let column_map = softmax(column_key.clone().matmul(column_key.swap_dims(2, 3)), 3); // [B, W, H, H']
        let row_map = softmax(row_key.clone().matmul(row_key.swap_dims(2, 3)), 3); // [B, H, W, W']

        // Column pass: Y[i, w] = Σ_k A_col[w, i, k] v[k, w], gated per row i.
        let v = self.value.forward(x.clone()).permute([0, 3, 2, 1]); // [B, W, H, C]
        let y = column_map.matmul(v); // [B, W, H, C]
        let mean = y.clone().mean_dim(1).div_scalar(height as f64); // [B, 1, H, C]: mean_{k,w} T_i
        let [b, _, h, c] = mean.dims();
        let gate = self
            .column_gate
            .forward(mean.reshape([b, h, c]))
            .reshape([b, 1, h, c]);
        let z = (y * gate).permute([0, 2, 1, 3]); // [B, H, W, C]

        // Row pass on Z: Y2[i, j] = Σ_l A_row[i, j, l] Z[i, l], gated per column j.
        let y = row_map.matmul(z); // [B, H, W, C]
        let mean = y.clone().mean_dim(1).div_scalar(width as f64); // [B, 1, W, C]
        let gate = self
            .row_gate
            .forward(mean.reshape([b, width, c]))
            .reshape([b, 1, width, c]);
        let out = (y * gate).permute([0, 3, 1, 2]); // [B, C, H, W]
        gated_residual(x, &self.gamma, out)
    }

    /// The shared query/key and value projections; per pass the maps and their softmax, the
    /// weighted sums and the gates (their MLP on `H` or `W` vectors). At the peak: queries and
    /// keys of both passes, the larger pass's map twice, the values, the pass's output and
    /// the gated map.
    pub fn cost(shape: CostShape) -> Cost {
        let (n, c, k) = (shape.positions(), shape.channels, shape.key_channels);
        let (h, w) = (shape.height, shape.width);
        let hidden = (c / 4).max(1);
        let mlp = 2 * (c * hidden + (HIDDEN_LAYERS as u64 - 1) * hidden * hidden + hidden * c);
        let pass = |length: u64, lines: u64| {
            2 * n * length * (k + c) + 5 * n * length + lines * mlp + 3 * n * c
        };
        let projections = shape.qkv_flops();
        Cost {
            flops: projections + pass(h, h) + pass(w, w),
            projection_flops: projections,
            peak_floats: 2 * k * n + 2 * n * h.max(w) + 4 * c * n,
            largest_floats: (n * h.max(w)).max(c * n),
        }
    }
}

impl ChannelizedAxialAttention {
    /// The column pass's shared queries and keys, then the row pass's, `[1, C', H, W]` each
    /// (both from the block's input, as the forward pass).
    pub fn weight_maps(&self, x: Tensor<4>) -> Vec<Tensor<4>> {
        vec![
            relu(self.column_key.forward(x.clone())),
            relu(self.row_key.forward(x)),
        ]
    }

    /// Row `u` is the column pass then the row pass composed, `A_row·A_col`: `u`'s row, each
    /// of its positions' column. The channel gates scale channels, not positions, and do not
    /// enter the weights.
    pub fn context_weights(&self, maps: Vec<Features>) -> Box<dyn ContextWeights> {
        let [column, row] = <[Features; 2]>::try_from(maps).expect("both passes' keys");
        Box::new(AxialWeights { column, row })
    }
}

/// Channelized axial attention's spatial weights, from both passes' shared queries and keys.
struct AxialWeights {
    column: Features,
    row: Features,
}

/// One axial softmax: `u` against the positions `kept` with the shared projection `keys`.
fn axial(keys: &Features, u: usize, kept: &[usize]) -> Vec<f32> {
    let q = keys.vector(u);
    softmax_over(kept, |t| dot(q, keys.vector(t)), keys.positions())
}

impl ContextWeights for AxialWeights {
    fn row(&self, u: usize) -> Vec<f32> {
        let (width, n) = (self.row.width, self.row.positions());
        let row: Vec<usize> = (0..n).filter(|t| t / width == u / width).collect();
        let column =
            |t: usize| -> Vec<usize> { (0..n).filter(|s| s % width == t % width).collect() };
        compose(&axial(&self.row, u, &row), |t| {
            axial(&self.column, t, &column(t))
        })
    }
}

attention_block!(
    ChannelizedAxialAttention,
    ChannelizedAxialAttentionConfig,
    convolutions: |block| vec![&block.column_key, &block.row_key, &block.value]
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attention::context_weights::tests::{assert_rows_match, compose_dense, read_all};
    use crate::attention::oracle::{Map, dot, gamma, masked_softmax, random_input, softmax};

    /// The gate's MLP in f64.
    fn gate(mlp: &ChannelGate, x: &[f64]) -> Vec<f64> {
        let mut x = x.to_vec();
        for (i, layer) in mlp.layers.iter().enumerate() {
            let [d_in, d_out] = layer.weight.val().dims();
            let weight = layer
                .weight
                .val()
                .into_data()
                .try_into_vec_as::<f64>()
                .unwrap(); // [in, out]
            x = (0..d_out)
                .map(|o| (0..d_in).map(|j| x[j] * weight[j * d_out + o]).sum::<f64>())
                .map(|v| {
                    if i + 1 < mlp.layers.len() {
                        if v > 0.0 { v } else { LEAK * v }
                    } else {
                        1.0 / (1.0 + (-v).exp())
                    }
                })
                .collect();
        }
        x
    }

    /// Both passes written out in f64: each map as an explicit softmax over the column or the
    /// row, and each gate from the products `T` themselves — `σ(MLP(mean_{k,w} T_i))`, the
    /// reference's definition, which the fast path replaces by the mean of its output.
    #[test]
    fn matches_axial_attention_with_the_channel_relation_in_f64() {
        let device = Device::flex();
        let mut block = ChannelizedAxialAttentionConfig::new(16, 4).init(&device);
        block.gamma = gamma(0.8, &device);
        for [h, w] in [[5, 7], [4, 1]] {
            let x = random_input([2, 16, h, w], &device);
            let input = Map::from_tensor(x.clone());
            let relu = |m: Map| m.map(|v| v.max(0.0));
            let column_key = relu(input.conv1x1(&block.column_key));
            let row_key = relu(input.conv1x1(&block.row_key));
            let v = input.conv1x1(&block.value);
            let c = input.channels;
            let vec_at = |m: &Map, b: usize, y: usize, x: usize| m.vector(b, y * w + x);

            // Column pass, per query row i: T_i[k, w'] = A_col[w', i, k] · v[k, w'].
            let mut z = Map::from_fn(2, c, h, w, |_, _, _, _| 0.0);
            for b in 0..2 {
                for i in 0..h {
                    let mut products = vec![vec![vec![0.0; c]; w]; h]; // [k][w'][channel]
                    for col in 0..w {
                        let scores: Vec<f64> = (0..h)
                            .map(|k| {
                                dot(
                                    &vec_at(&column_key, b, i, col),
                                    &vec_at(&column_key, b, k, col),
                                )
                            })
                            .collect();
                        for (k, a) in softmax(&scores).into_iter().enumerate() {
                            let value = vec_at(&v, b, k, col);
                            for ch in 0..c {
                                products[k][col][ch] = a * value[ch];
                            }
                        }
                    }
                    let mean: Vec<f64> = (0..c)
                        .map(|ch| {
                            products.iter().flatten().map(|t| t[ch]).sum::<f64>() / (h * w) as f64
                        })
                        .collect();
                    let s = gate(&block.column_gate, &mean);
                    for col in 0..w {
                        for ch in 0..c {
                            let sum: f64 = (0..h).map(|k| products[k][col][ch]).sum();
                            let at = (b * c + ch) * h * w + i * w + col;
                            z.data[at] = sum * s[ch];
                        }
                    }
                }
            }
            // Row pass on Z, per query column j.
            let mut out = Map::from_fn(2, c, h, w, |_, _, _, _| 0.0);
            for b in 0..2 {
                for j in 0..w {
                    let mut products = vec![vec![vec![0.0; c]; w]; h]; // [i][l][channel]
                    for row in 0..h {
                        let scores: Vec<f64> = (0..w)
                            .map(|l| {
                                dot(&vec_at(&row_key, b, row, j), &vec_at(&row_key, b, row, l))
                            })
                            .collect();
                        for (l, a) in softmax(&scores).into_iter().enumerate() {
                            let value = vec_at(&z, b, row, l);
                            for ch in 0..c {
                                products[row][l][ch] = a * value[ch];
                            }
                        }
                    }
                    let mean: Vec<f64> = (0..c)
                        .map(|ch| {
                            products.iter().flatten().map(|t| t[ch]).sum::<f64>() / (h * w) as f64
                        })
                        .collect();
                    let s = gate(&block.row_gate, &mean);
                    for row in 0..h {
                        for ch in 0..c {
                            let sum: f64 = (0..w).map(|l| products[row][l][ch]).sum();
                            let at = (b * c + ch) * h * w + row * w + j;
                            out.data[at] = sum * s[ch];
                        }
                    }
                }
            }
            let expected = input.gated(0.8, &out);
            let error = expected.max_abs_diff(block.forward(x));
            assert!(error <= 1e-4, "{h}×{w}: max abs error {error}");
        }
    }

    /// The weights a position looks with are dense attention masked to the column, then to the
    /// row, composed: `A_row·A_col` in f64.
    #[test]
    fn context_weights_are_the_column_then_the_row_composed() {
        let device = Device::flex();
        let block = ChannelizedAxialAttentionConfig::new(16, 4).init(&device);
        let x = random_input([1, 16, 5, 7], &device);
        let input = Map::from_tensor(x.clone());
        let relu = |m: Map| m.map(|v| v.max(0.0));
        let dense = |keys: &Map, together: &dyn Fn(usize, usize) -> bool| {
            let n = keys.positions();
            keys.matrices(|b, u| {
                let kept: Vec<usize> = (0..n).filter(|&t| together(u, t)).collect();
                masked_softmax(&kept, |t| dot(&keys.vector(b, u), &keys.vector(b, t)), n)
            })
        };
        let w = input.width;
        let column = dense(&relu(input.conv1x1(&block.column_key)), &|u, t| {
            u % w == t % w
        });
        let row = dense(&relu(input.conv1x1(&block.row_key)), &|u, t| u / w == t / w);
        let weights = block.context_weights(read_all(block.weight_maps(x)));
        assert_rows_match(&*weights, &compose_dense(&row[0], &column[0]));
    }

    /// At 64 × 64, C = 128: maps of N·(H + W) floats, 1/32 of dot's N × N.
    #[test]
    fn the_maps_are_axial() {
        let shape = CostShape {
            channels: 128,
            key_channels: 16,
            height: 64,
            width: 64,
        };
        let cost = ChannelizedAxialAttention::cost(shape);
        assert_eq!(cost.largest_floats, 4096 * 128);
        let dot = crate::attention::DotAttention::cost(shape);
        assert!(dot.peak_floats > 8 * cost.peak_floats);
    }
}
