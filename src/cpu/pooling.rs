//! The network's global signals: the mean of each channel over the image, the small dense
//! layers that turn it into a channel gate, and the gated sum of the decoder.

use super::activation::sigmoid;
use super::feature_map::FeatureMap;
use super::parallel::for_each_band;
use super::simd::{Form, LANES, vectorised};

/// The mean of each channel over all pixels.
///
/// # Shapes
/// - `x`: `[H, W, C]`
/// - output: `[C]`
///
/// # Panics
/// If `C` is not a multiple of [`LANES`].
pub fn channel_means(x: &FeatureMap) -> Vec<f32> {
    channel_means_in(Form::best(), x)
}

vectorised! {
    /// [`channel_means`] in the given form.
    pub fn channel_means_in(x: &FeatureMap) -> Vec<f32> {
        let c = x.channels;
        assert_eq!(c % LANES, 0, "{c} channels are not a multiple of {LANES}");
        let mut sums = vec![0.0f32; c];
        // Four pixels summed in registers before each update of the sums: one load and
        // store of a sum per four pixels, not per pixel.
        let mut quads = x.data.chunks_exact(4 * c);
        for quad in &mut quads {
            for (g, sum) in sums.chunks_exact_mut(LANES).enumerate() {
                let at = g * LANES;
                let first = S::add(S::load(&quad[at..]), S::load(&quad[c + at..]));
                let second = S::add(S::load(&quad[2 * c + at..]), S::load(&quad[3 * c + at..]));
                S::store(S::add(S::load(sum), S::add(first, second)), sum);
            }
        }
        for pixel in quads.remainder().chunks_exact(c) {
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

/// `skip · gate + up`, the gate per channel, written over `up`; bands of pixels in parallel
/// where there are threads.
///
/// # Shapes
/// - `skip`, `up`: `[H, W, C]`
/// - `gate`: `[C]`
/// - output: `[H, W, C]`
///
/// # Panics
/// If `C` is not a multiple of [`LANES`] or the shapes do not fit.
pub fn gated_sum(skip: &FeatureMap, gate: &[f32], up: FeatureMap) -> FeatureMap {
    gated_sum_in(Form::best(), skip, gate, up)
}

/// [`gated_sum`] in the given form.
pub fn gated_sum_in(form: Form, skip: &FeatureMap, gate: &[f32], up: FeatureMap) -> FeatureMap {
    let c = skip.channels;
    assert_eq!(
        (skip.height, skip.width, c, gate.len()),
        (up.height, up.width, up.channels, c),
        "gated sum shapes"
    );
    assert_eq!(c % LANES, 0, "{c} channels are not a multiple of {LANES}");
    let mut out = up;
    for_each_band(&mut out.data, c, c, |pixels, out| {
        gated_sum_band(
            form,
            &skip.data[pixels.start * c..pixels.end * c],
            gate,
            out,
        )
    });
    out
}

vectorised! {
    /// [`gated_sum`] over some pixels: `out = skip · gate + out`, `gate` repeating every `C`
    /// values.
    fn gated_sum_band(skip: &[f32], gate: &[f32], out: &mut [f32]) {
        let c = gate.len();
        for (o, s) in out.chunks_exact_mut(c).zip(skip.chunks_exact(c)) {
            for (g, o) in o.chunks_exact_mut(LANES).enumerate() {
                let at = g * LANES;
                S::store(S::mul_add(S::load(&s[at..]), S::load(&gate[at..]), S::load(o)), o);
            }
        }
    }
}
