//! Spatial convolutions with TensorFlow's 'SAME' padding over channels-last maps: depthwise
//! `k × k` (one filter per channel) and the full `k × k` convolution of the stem.
//!
//! Both loop over output pixels and, inside a pixel, over groups of [`LANES`] channels: each
//! group's accumulators stay in one vector register while the taps that fall inside the image
//! are added, then the activation and the residual are applied and the group is stored once.
//! Taps outside the image are skipped rather than padded with zeros, so no padded copy of the
//! input is made.

use super::activation::Activation;
use super::feature_map::FeatureMap;
use super::simd::{LANES, Simd, vectorised};

/// 'SAME' padding along one axis: `(padding before, output length)`. The output is
/// `⌈size / stride⌉` long; of the padding needed, the smaller half goes before (TensorFlow's and
/// Burn's rule: at stride 2 the extra row or column goes after).
pub fn same_padding(kernel: usize, stride: usize, size: usize) -> (usize, usize) {
    let out = size.div_ceil(stride);
    let total = ((out - 1) * stride + kernel).saturating_sub(size);
    (total / 2, out)
}

/// The taps `0..kernel` of output position `o` that fall inside `0..size`, and the input index
/// of tap 0 (possibly negative).
#[inline(always)]
fn taps(
    o: usize,
    stride: usize,
    before: usize,
    kernel: usize,
    size: usize,
) -> (isize, std::ops::Range<usize>) {
    let first = (o * stride) as isize - before as isize;
    let start = (-first).max(0) as usize;
    let end = (size as isize - first).clamp(0, kernel as isize) as usize;
    (first, start..end)
}

/// A depthwise `k × k` convolution with bias.
#[derive(Debug, Clone)]
pub struct Depthwise {
    kernel: usize,
    stride: usize,
    channels: usize,
    /// `[k · k][C]`: each tap's weights for all channels, contiguous.
    weights: Vec<f32>,
    /// `[C]`.
    bias: Vec<f32>,
}

impl Depthwise {
    /// Pack Burn's depthwise weights.
    ///
    /// # Shapes
    /// - `weight`: `[C, 1, k, k]`, row-major
    /// - `bias`: `[C]`
    ///
    /// # Panics
    /// If `C` is not a multiple of [`LANES`] or the lengths do not fit.
    pub fn new(weight: &[f32], bias: Vec<f32>, kernel: usize, stride: usize) -> Self {
        let channels = bias.len();
        let taps = kernel * kernel;
        assert_eq!(weight.len(), channels * taps, "depthwise weights");
        assert_eq!(
            channels % LANES,
            0,
            "{channels} channels are not a multiple of {LANES}"
        );
        let weights = (0..taps)
            .flat_map(|tap| (0..channels).map(move |c| (tap, c)))
            .map(|(tap, c)| weight[c * taps + tap])
            .collect();
        Depthwise {
            kernel,
            stride,
            channels,
            weights,
            bias,
        }
    }

    /// `activation(depthwise(x) + b) (+ residual)`.
    ///
    /// # Shapes
    /// - `x`: `[H, W, C]`
    /// - `residual`: the output's shape, added after the activation
    /// - output: `[⌈H / s⌉, ⌈W / s⌉, C]`
    pub fn forward(
        &self,
        x: &FeatureMap,
        activation: Activation,
        residual: Option<&FeatureMap>,
    ) -> FeatureMap {
        assert_eq!(x.channels, self.channels, "depthwise input channels");
        let (_, height) = same_padding(self.kernel, self.stride, x.height);
        let (_, width) = same_padding(self.kernel, self.stride, x.width);
        let mut out = FeatureMap::zeros(height, width, self.channels);
        if let Some(residual) = residual {
            assert_eq!(residual.data.len(), out.data.len(), "residual shape");
        }
        depthwise(
            x,
            self,
            activation,
            residual.map(|r| r.data.as_slice()),
            &mut out,
        );
        out
    }
}

vectorised! {
    /// The depthwise loop; see [`Depthwise::forward`].
    fn depthwise(
        x: &FeatureMap,
        dw: &Depthwise,
        activation: Activation,
        residual: Option<&[f32]>,
        out: &mut FeatureMap,
    ) {
        let (k, s, c) = (dw.kernel, dw.stride, dw.channels);
        let (top, _) = same_padding(k, s, x.height);
        let (left, _) = same_padding(k, s, x.width);
        let width = out.width;
        for oy in 0..out.height {
            let (y0, rows) = taps(oy, s, top, k, x.height);
            for ox in 0..width {
                let (x0, columns) = taps(ox, s, left, k, x.width);
                let at = (oy * width + ox) * c;
                for group in (0..c).step_by(LANES) {
                    let mut acc = S::load(&dw.bias[group..]);
                    for i in rows.clone() {
                        let iy = (y0 + i as isize) as usize;
                        for j in columns.clone() {
                            let ix = (x0 + j as isize) as usize;
                            let src = S::load(&x.data[(iy * x.width + ix) * c + group..]);
                            let w = S::load(&dw.weights[(i * k + j) * c + group..]);
                            acc = S::mul_add(src, w, acc);
                        }
                    }
                    store::<S>(acc, activation, residual, &mut out.data, at + group);
                }
            }
        }
    }
}

/// Apply the activation to a group of accumulators, add the residual, store the group at `at`.
#[inline(always)]
fn store<S: Simd>(
    acc: S::F8,
    activation: Activation,
    residual: Option<&[f32]>,
    out: &mut [f32],
    at: usize,
) {
    let mut y = activation.apply::<S>(acc);
    if let Some(residual) = residual {
        y = S::add(y, S::load(&residual[at..]));
    }
    S::store(y, &mut out[at..]);
}

/// A full `k × k` convolution with bias, for few input channels (the stem: RGB in).
#[derive(Debug, Clone)]
pub struct Convolution {
    kernel: usize,
    stride: usize,
    channels_in: usize,
    channels_out: usize,
    /// `[k][k][C_in][C_out]`.
    weights: Vec<f32>,
    /// `[C_out]`.
    bias: Vec<f32>,
}

impl Convolution {
    /// Pack Burn's convolution weights.
    ///
    /// # Shapes
    /// - `weight`: `[C_out, C_in, k, k]`, row-major
    /// - `bias`: `[C_out]`
    ///
    /// # Panics
    /// If `C_out` is not a multiple of [`LANES`] or the lengths do not fit.
    pub fn new(
        weight: &[f32],
        bias: Vec<f32>,
        channels_in: usize,
        kernel: usize,
        stride: usize,
    ) -> Self {
        let channels_out = bias.len();
        assert_eq!(
            weight.len(),
            channels_out * channels_in * kernel * kernel,
            "convolution weights"
        );
        assert_eq!(
            channels_out % LANES,
            0,
            "{channels_out} channels are not a multiple of {LANES}"
        );
        let mut weights = Vec::with_capacity(weight.len());
        for i in 0..kernel {
            for j in 0..kernel {
                for ci in 0..channels_in {
                    for co in 0..channels_out {
                        weights.push(weight[((co * channels_in + ci) * kernel + i) * kernel + j]);
                    }
                }
            }
        }
        Convolution {
            kernel,
            stride,
            channels_in,
            channels_out,
            weights,
            bias,
        }
    }

    /// `activation(conv(x) + b)`.
    ///
    /// # Shapes
    /// - `x`: `[H, W, C_in]`
    /// - output: `[⌈H / s⌉, ⌈W / s⌉, C_out]`
    pub fn forward(&self, x: &FeatureMap, activation: Activation) -> FeatureMap {
        assert_eq!(x.channels, self.channels_in, "convolution input channels");
        let (_, height) = same_padding(self.kernel, self.stride, x.height);
        let (_, width) = same_padding(self.kernel, self.stride, x.width);
        let mut out = FeatureMap::zeros(height, width, self.channels_out);
        convolution(x, self, activation, &mut out);
        out
    }
}

vectorised! {
    /// The convolution loop; see [`Convolution::forward`].
    fn convolution(x: &FeatureMap, conv: &Convolution, activation: Activation, out: &mut FeatureMap) {
        let (k, s, cin, cout) = (conv.kernel, conv.stride, conv.channels_in, conv.channels_out);
        let (top, _) = same_padding(k, s, x.height);
        let (left, _) = same_padding(k, s, x.width);
        let width = out.width;
        for oy in 0..out.height {
            let (y0, rows) = taps(oy, s, top, k, x.height);
            for ox in 0..width {
                let (x0, columns) = taps(ox, s, left, k, x.width);
                let at = (oy * width + ox) * cout;
                for group in (0..cout).step_by(LANES) {
                    let mut acc = S::load(&conv.bias[group..]);
                    for i in rows.clone() {
                        let iy = (y0 + i as isize) as usize;
                        for j in columns.clone() {
                            let ix = (x0 + j as isize) as usize;
                            for (ci, &value) in x.pixel(iy, ix).iter().enumerate() {
                                let w = S::load(&conv.weights[((i * k + j) * cin + ci) * cout + group..]);
                                acc = S::mul_add(S::splat(value), w, acc);
                            }
                        }
                    }
                    store::<S>(acc, activation, None, &mut out.data, at + group);
                }
            }
        }
    }
}
