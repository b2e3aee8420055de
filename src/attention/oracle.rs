//! Test oracles: attention written out as an explicit `N × N` weight matrix in f64, with none of
//! the reassociation, broadcasting or masking tricks the fast paths use.

use burn::module::Param;
use burn::nn::conv::Conv2d;

use super::QueryKeyValue;
use burn::tensor::{Device, Distribution, Tensor};

/// A feature map `[B, C, H, W]` in f64, row-major.
#[derive(Debug, Clone)]
pub struct Map {
    pub batch: usize,
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    pub data: Vec<f64>,
}

impl Map {
    /// Copy a tensor out of the device.
    pub fn from_tensor<const D: usize>(tensor: Tensor<D>) -> Self {
        let dims = tensor.dims();
        let mut shape = [1; 4];
        shape[4 - D..].copy_from_slice(&dims);
        let data = tensor.into_data().try_into_vec_as::<f64>().unwrap();
        Self {
            batch: shape[0],
            channels: shape[1],
            height: shape[2],
            width: shape[3],
            data,
        }
    }

    fn zeros(batch: usize, channels: usize, height: usize, width: usize) -> Self {
        let data = vec![0.0; batch * channels * height * width];
        Self {
            batch,
            channels,
            height,
            width,
            data,
        }
    }

    /// `N = H·W`.
    pub fn positions(&self) -> usize {
        self.height * self.width
    }

    fn index(&self, b: usize, c: usize, n: usize) -> usize {
        (b * self.channels + c) * self.positions() + n
    }

    /// The channel vector at position `n` of batch item `b`.
    pub fn vector(&self, b: usize, n: usize) -> Vec<f64> {
        (0..self.channels)
            .map(|c| self.data[self.index(b, c, n)])
            .collect()
    }

    /// A 1×1 convolution with the module's weights: `[B, C, H, W] -> [B, C_out, H, W]`.
    pub fn conv1x1(&self, conv: &Conv2d) -> Map {
        let weight = Map::from_tensor(conv.weight.val());
        let bias = conv.bias.as_ref().map(|b| Map::from_tensor(b.val()).data);
        let out_channels = weight.batch;
        let mut out = Map::zeros(self.batch, out_channels, self.height, self.width);
        for b in 0..self.batch {
            for o in 0..out_channels {
                for n in 0..self.positions() {
                    let mut sum = bias.as_ref().map_or(0.0, |bias| bias[o]);
                    for c in 0..self.channels {
                        sum += weight.data[o * self.channels + c] * self.data[self.index(b, c, n)];
                    }
                    let i = out.index(b, o, n);
                    out.data[i] = sum;
                }
            }
        }
        out
    }

    /// A map whose value at `(b, c, y, x)` is `value(b, c, y, x)`.
    pub fn from_fn(
        batch: usize,
        channels: usize,
        height: usize,
        width: usize,
        value: impl Fn(usize, usize, usize, usize) -> f64,
    ) -> Map {
        let mut out = Map::zeros(batch, channels, height, width);
        for b in 0..batch {
            for c in 0..channels {
                for y in 0..height {
                    for x in 0..width {
                        let i = out.index(b, c, y * width + x);
                        out.data[i] = value(b, c, y, x);
                    }
                }
            }
        }
        out
    }

    /// The value at `(b, c, y, x)`.
    pub fn at(&self, b: usize, c: usize, y: usize, x: usize) -> f64 {
        self.data[self.index(b, c, y * self.width + x)]
    }

    /// The map with `f` applied to every value.
    pub fn map(&self, f: impl Fn(f64) -> f64) -> Map {
        Map {
            data: self.data.iter().map(|&v| f(v)).collect(),
            ..*self
        }
    }

    /// A 3×3 convolution of stride 1 with zero padding ("same") and the module's weights:
    /// `[B, C, H, W] -> [B, C_out, H, W]`.
    pub fn conv3x3(&self, conv: &Conv2d) -> Map {
        let weight = conv
            .weight
            .val()
            .into_data()
            .try_into_vec_as::<f64>()
            .unwrap(); // [O, C, 3, 3]
        let bias = conv.bias.as_ref().map(|b| Map::from_tensor(b.val()).data);
        let out_channels = weight.len() / (9 * self.channels);
        let (h, w) = (self.height as i64, self.width as i64);
        Map::from_fn(
            self.batch,
            out_channels,
            self.height,
            self.width,
            |b, o, y, x| {
                let mut sum = bias.as_ref().map_or(0.0, |bias| bias[o]);
                for c in 0..self.channels {
                    for dy in 0..3 {
                        for dx in 0..3 {
                            let (sy, sx) = (y as i64 + dy as i64 - 1, x as i64 + dx as i64 - 1);
                            if sy >= 0 && sx >= 0 && sy < h && sx < w {
                                let k = ((o * self.channels + c) * 3 + dy) * 3 + dx;
                                sum += weight[k] * self.at(b, c, sy as usize, sx as usize);
                            }
                        }
                    }
                }
                sum
            },
        )
    }

    /// Queries, keys and values with the block's projections.
    pub fn project(&self, qkv: &QueryKeyValue) -> (Map, Map, Map) {
        (
            self.conv1x1(&qkv.query),
            self.conv1x1(&qkv.key),
            self.conv1x1(&qkv.value),
        )
    }

    /// The explicit `N × N` attention matrix of each batch item, row `i` from `row(b, i)`.
    pub fn matrices(&self, row: impl Fn(usize, usize) -> Vec<f64>) -> Vec<Vec<Vec<f64>>> {
        (0..self.batch)
            .map(|b| (0..self.positions()).map(|i| row(b, i)).collect())
            .collect()
    }

    /// `out_i = Σ_j A_ij v_j` for an explicit `N × N` matrix `A` per batch item.
    pub fn attend(&self, weights: &[Vec<Vec<f64>>]) -> Map {
        let mut out = Map::zeros(self.batch, self.channels, self.height, self.width);
        for (b, matrix) in weights.iter().enumerate() {
            for c in 0..self.channels {
                for (i, row) in matrix.iter().enumerate() {
                    let sum: f64 = row
                        .iter()
                        .enumerate()
                        .map(|(j, a)| a * self.data[self.index(b, c, j)])
                        .sum();
                    let at = out.index(b, c, i);
                    out.data[at] = sum;
                }
            }
        }
        out
    }

    /// `self + γ·out`.
    pub fn gated(&self, gamma: f64, out: &Map) -> Map {
        let data = self
            .data
            .iter()
            .zip(&out.data)
            .map(|(x, o)| x + gamma * o)
            .collect();
        Map { data, ..*self }
    }

    /// Largest absolute difference to a tensor of the same shape.
    pub fn max_abs_diff(&self, tensor: Tensor<4>) -> f64 {
        let other = Map::from_tensor(tensor);
        assert_eq!(
            [self.batch, self.channels, self.height, self.width],
            [other.batch, other.channels, other.height, other.width]
        );
        self.data
            .iter()
            .zip(&other.data)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max)
    }
}

/// `Σ a_i b_i`.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `exp(x_i - max) / Σ exp(x_j - max)`.
pub fn softmax(xs: &[f64]) -> Vec<f64> {
    let max = xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = xs.iter().map(|x| (x - max).exp()).collect();
    let sum: f64 = exps.iter().sum();
    exps.iter().map(|e| e / sum).collect()
}

/// One dense row of `n` weights: a softmax over the positions `kept` of `score(t)`, every other
/// position 0 (dense attention with a −∞ mask).
pub fn masked_softmax(kept: &[usize], score: impl Fn(usize) -> f64, n: usize) -> Vec<f64> {
    let scores: Vec<f64> = kept.iter().map(|&t| score(t)).collect();
    let mut row = vec![0.0; n];
    for (&t, a) in kept.iter().zip(softmax(&scores)) {
        row[t] = a;
    }
    row
}

/// A standard-normal feature map `[B, C, H, W]`.
pub fn random_input(shape: [usize; 4], device: &Device) -> Tensor<4> {
    Tensor::random(shape, Distribution::Normal(0.0, 1.0), device)
}

/// A γ of the given value, to switch a block's output on.
pub fn gamma(value: f32, device: &Device) -> Param<Tensor<1>> {
    Param::from_tensor(Tensor::from_floats([value], device))
}
