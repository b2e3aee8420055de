//! Changing resolution: bilinear ×2 upsampling, and the network's last layer, a 2×2 stride-2
//! transposed convolution to one channel followed by the sigmoid.

use std::ops::Range;

use super::activation::sigmoid;
use super::feature_map::FeatureMap;
use super::parallel::for_each_band;
use super::simd::{Form, LANES, vectorised};

/// The two source positions of output position `o` of a ×2 bilinear resize with half-pixel
/// centres (edges repeated), with their weights: output `2i` lies a quarter pixel before input
/// `i`, output `2i + 1` a quarter pixel after it.
#[inline(always)]
fn sources(o: usize, size: usize) -> [(usize, f32); 2] {
    let i = o / 2;
    if o.is_multiple_of(2) {
        [(i.saturating_sub(1), 0.25), (i, 0.75)]
    } else {
        [(i, 0.75), ((i + 1).min(size - 1), 0.25)]
    }
}

/// Bilinear ×2 upsampling with half-pixel centres (TensorFlow's `ResizeBilinear` with
/// `half_pixel_centers`, Burn's `interpolate` without `align_corners`). Bands of rows run in
/// parallel where there are threads.
///
/// # Shapes
/// - `x`: `[H, W, C]`
/// - output: `[2H, 2W, C]`
///
/// # Panics
/// If `C` is not a multiple of [`LANES`].
pub fn upsample2x(x: &FeatureMap) -> FeatureMap {
    upsample2x_in(Form::best(), x)
}

/// [`upsample2x`] in the given form.
pub fn upsample2x_in(form: Form, x: &FeatureMap) -> FeatureMap {
    let c = x.channels;
    assert_eq!(c % LANES, 0, "{c} channels are not a multiple of {LANES}");
    let mut out = FeatureMap::zeros(2 * x.height, 2 * x.width, x.channels);
    let row_len = out.width * out.channels;
    for_each_band(&mut out.data, row_len, 2 * row_len, |rows, band| {
        upsample(form, x, rows, band)
    });
    out
}

vectorised! {
    /// Output rows `rows` into `out`, which holds just them: rows first (into one blended row),
    /// then columns; see [`upsample2x`].
    fn upsample(x: &FeatureMap, rows: Range<usize>, out: &mut [f32]) {
        let c = x.channels;
        let row_len = x.width * c;
        let out_width = 2 * x.width;
        let mut blended = vec![0.0f32; row_len];
        for (oy, out_row) in rows.zip(out.chunks_exact_mut(out_width * c)) {
            let [(y0, a), (y1, b)] = sources(oy, x.height);
            let (r0, r1) = (&x.data[y0 * row_len..][..row_len], &x.data[y1 * row_len..][..row_len]);
            for (g, t) in blended.chunks_exact_mut(LANES).enumerate() {
                let at = g * LANES;
                let v = S::mul(S::splat(b), S::load(&r1[at..]));
                S::store(S::mul_add(S::splat(a), S::load(&r0[at..]), v), t);
            }
            for (ox, target) in out_row.chunks_exact_mut(c).enumerate() {
                let [(x0, a), (x1, b)] = sources(ox, x.width);
                let (p0, p1) = (&blended[x0 * c..][..c], &blended[x1 * c..][..c]);
                for (g, t) in target.chunks_exact_mut(LANES).enumerate() {
                    let at = g * LANES;
                    let v = S::mul(S::splat(b), S::load(&p1[at..]));
                    S::store(S::mul_add(S::splat(a), S::load(&p0[at..]), v), t);
                }
            }
        }
    }
}

/// A 2×2 stride-2 transposed convolution to one channel, then the sigmoid: each input pixel
/// becomes a 2×2 block of probabilities.
#[derive(Debug, Clone)]
pub struct ToProbabilities {
    /// `[C_in][8]`: the weights of output offsets `(0,0), (0,1), (1,0), (1,1)`, twice, so that
    /// one group of [`LANES`] holds two input pixels' blocks.
    weights: Vec<[f32; LANES]>,
    bias: f32,
}

impl ToProbabilities {
    /// Take Burn's transposed-convolution weights.
    ///
    /// # Shapes
    /// - `weight`: `[C_in, 1, 2, 2]`, row-major
    pub fn new(weight: &[f32], bias: f32) -> Self {
        assert_eq!(weight.len() % 4, 0, "2×2 kernels");
        let weights = weight
            .chunks_exact(4)
            .map(|k| std::array::from_fn(|i| k[i % 4]))
            .collect();
        ToProbabilities { weights, bias }
    }

    /// The probabilities, row-major; bands of rows in parallel where there are threads.
    ///
    /// # Shapes
    /// - `x`: `[H, W, C_in]`
    /// - output: `2H × 2W` values in `(0, 1)`
    pub fn forward(&self, x: &FeatureMap) -> Vec<f32> {
        self.forward_in(Form::best(), x)
    }

    /// [`ToProbabilities::forward`] in the given form.
    pub fn forward_in(&self, form: Form, x: &FeatureMap) -> Vec<f32> {
        assert_eq!(
            x.channels,
            self.weights.len(),
            "transposed convolution input channels"
        );
        let mut out = vec![0.0; 4 * x.pixels()];
        let pair_len = 4 * x.width;
        for_each_band(&mut out, pair_len, pair_len * x.channels, |rows, band| {
            probabilities(form, x, self, rows, band);
        });
        out
    }
}

vectorised! {
    /// The probabilities of [`ToProbabilities::forward`] from input rows `rows`, into `out`,
    /// which holds just their output rows (two per input row). Two input pixels at a time, one
    /// in each half of a group; the sigmoid runs over each pair of rows once it is written, in
    /// this function so that it is compiled for the same vector unit.
    fn probabilities(x: &FeatureMap, layer: &ToProbabilities, rows: Range<usize>, out: &mut [f32]) {
        let out_width = 2 * x.width;
        for (y, pair) in rows.zip(out.chunks_exact_mut(2 * out_width)) {
            let (top, bottom) = pair.split_at_mut(out_width);
            for left in (0..x.width).step_by(2) {
                // The second pixel; at an odd width's end, the first again, its copy unused.
                let right = (left + 1).min(x.width - 1);
                let mut acc = S::splat(layer.bias);
                let pixels = x.pixel(y, left).iter().zip(x.pixel(y, right));
                for ((&a, &b), w) in pixels.zip(&layer.weights) {
                    acc = S::mul_add(S::splat_halves(a, b), S::load(w), acc);
                }
                let mut logits = [0.0; LANES];
                S::store(acc, &mut logits);
                let columns = 2 * (right + 1 - left);
                let at = 2 * left..2 * left + columns;
                let [a0, a1, a2, a3, b0, b1, b2, b3] = logits;
                top[at.clone()].copy_from_slice(&[a0, a1, b0, b1][..columns]);
                bottom[at].copy_from_slice(&[a2, a3, b2, b3][..columns]);
            }
            pair.iter_mut().for_each(|p| *p = sigmoid(*p));
        }
    }
}
