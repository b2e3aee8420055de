//! The network's global signals: the mean of each channel over the image, the small dense
//! layers that turn it into a channel gate, and the gated sum of the decoder.

use super::activation::sigmoid;
use super::feature_map::FeatureMap;
use super::simd::{LANES, vectorised};

vectorised! {
    /// The mean of each channel over all pixels; `C` is a multiple of [`LANES`].
    ///
    /// # Shapes
    /// - `x`: `[H, W, C]`
    /// - output: `[C]`
    pub fn channel_means(x: &FeatureMap) -> Vec<f32> {
        let mut sums = vec![0.0f32; x.channels];
        for pixel in x.data.chunks_exact(x.channels) {
            for (g, sum) in sums.chunks_exact_mut(LANES).enumerate() {
                S::store(S::add(S::load(sum), S::load(&pixel[g * LANES..])), sum);
            }
        }
        let scale = 1.0 / x.pixels() as f32;
        sums.iter_mut().for_each(|s| *s *= scale);
        sums
    }
}

/// A dense layer on a vector (a 1×1 convolution on a pooled `[C, 1, 1]` map).
#[derive(Debug, Clone)]
pub struct Dense {
    /// `[C_out][C_in]`, Burn's layout.
    weight: Vec<f32>,
    bias: Vec<f32>,
}

impl Dense {
    /// From Burn's `[C_out, C_in, 1, 1]` weights and `[C_out]` bias.
    pub fn new(weight: Vec<f32>, bias: Vec<f32>) -> Self {
        assert_eq!(weight.len() % bias.len(), 0, "dense weights");
        Dense { weight, bias }
    }

    /// `W · v + b`.
    pub fn forward(&self, v: &[f32]) -> Vec<f32> {
        self.weight
            .chunks_exact(v.len())
            .zip(&self.bias)
            .map(|(row, b)| row.iter().zip(v).map(|(w, x)| w * x).sum::<f32>() + b)
            .collect()
    }
}

/// A channel gate from pooled features: `sigmoid(expand(relu(reduce(v))))`.
pub fn channel_gate(reduce: &Dense, expand: &Dense, pooled: &[f32]) -> Vec<f32> {
    let hidden: Vec<f32> = reduce
        .forward(pooled)
        .into_iter()
        .map(|h| h.max(0.0))
        .collect();
    expand.forward(&hidden).into_iter().map(sigmoid).collect()
}

vectorised! {
    /// `skip · gate + up`, the gate per channel, written over `up`; `C` is a multiple of
    /// [`LANES`].
    ///
    /// # Shapes
    /// - `skip`, `up`: `[H, W, C]`
    /// - `gate`: `[C]`
    /// - output: `[H, W, C]`
    pub fn gated_sum(skip: &FeatureMap, gate: &[f32], up: FeatureMap) -> FeatureMap {
        assert_eq!(skip.data.len(), up.data.len(), "gated sum shapes");
        let mut out = up;
        for (o, s) in out.data.chunks_exact_mut(skip.channels).zip(skip.data.chunks_exact(skip.channels)) {
            for (g, o) in o.chunks_exact_mut(LANES).enumerate() {
                let at = g * LANES;
                S::store(S::mul_add(S::load(&s[at..]), S::load(&gate[at..]), S::load(o)), o);
            }
        }
        out
    }
}
