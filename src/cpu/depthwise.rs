//! Spatial convolutions with TensorFlow's 'SAME' padding over channels-last maps: depthwise
//! `k × k` (one filter per channel) and the full `k × k` convolution of the stem.
//!
//! Both loop over output pixels and, inside a pixel, over groups of [`LANES`] channels: each
//! group's accumulators stay in one vector register while the taps that fall inside the image
//! are added, then the activation and the residual are applied and the group is stored once.
//! Taps outside the image are skipped rather than padded with zeros, so no padded copy of the
//! input is made.

use std::ops::Range;
use std::rc::Rc;

use super::activation::Activation;
use super::feature_map::FeatureMap;
use super::parallel::for_each_band;
use super::simd::{Form, LANES, Simd, vectorised};

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

    /// `activation(depthwise(x) + b) (+ residual)`, bands of rows in parallel where there are
    /// threads.
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
        self.forward_in(Form::best(), x, activation, residual)
    }

    /// [`Depthwise::forward`] in the given form.
    pub fn forward_in(
        &self,
        form: Form,
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
        let row_len = width * self.channels;
        let work_per_row = row_len * self.kernel * self.kernel;
        for_each_band(&mut out.data, row_len, work_per_row, |rows, out| {
            let residual = residual.map(|r| &r.data[rows.start * row_len..rows.end * row_len]);
            let mut band = Band {
                rows,
                width,
                out,
                residual,
            };
            depthwise(form, x, self, activation, &mut band)
        });
        out
    }
}

/// Output columns `start..end` whose every tap falls inside the input row.
fn interior(
    kernel: usize,
    stride: usize,
    before: usize,
    size: usize,
    out: usize,
) -> (usize, usize) {
    let start = before.div_ceil(stride).min(out);
    let end = if size + before >= kernel {
        ((size + before - kernel) / stride + 1).min(out)
    } else {
        0
    };
    (start, end.max(start))
}

/// Output columns in runs: [`PIXELS`] at a time inside the interior, one at a time near the
/// edges, where some taps fall outside.
fn column_runs(
    kernel: usize,
    stride: usize,
    before: usize,
    size: usize,
    out: usize,
) -> Vec<(usize, usize)> {
    let (start, end) = interior(kernel, stride, before, size, out);
    let mut runs: Vec<(usize, usize)> = (0..start).map(|ox| (ox, 1)).collect();
    let tiles = (end - start) / PIXELS;
    runs.extend((0..tiles).map(|t| (start + t * PIXELS, PIXELS)));
    runs.extend((start + tiles * PIXELS..out).map(|ox| (ox, 1)));
    runs
}

/// Every run of output pixels in the rows of `band` of a `kernel × kernel`, stride-`stride`
/// 'SAME' convolution of `x`, row by row, with its length (1 or [`PIXELS`]).
fn places(
    kernel: usize,
    stride: usize,
    x: &FeatureMap,
    band: &Band,
) -> impl Iterator<Item = (Place, usize)> + use<> {
    let (top, _) = same_padding(kernel, stride, x.height);
    let (left, _) = same_padding(kernel, stride, x.width);
    let runs: Rc<[(usize, usize)]> = column_runs(kernel, stride, left, x.width, band.width).into();
    let height = x.height;
    band.rows.clone().flat_map(move |oy| {
        let (y0, rows) = taps(oy, stride, top, kernel, height);
        let runs = Rc::clone(&runs);
        (0..runs.len()).map(move |i| {
            let (ox, count) = runs[i];
            let place = Place {
                oy,
                ox,
                y0,
                rows: rows.clone(),
                left,
            };
            (place, count)
        })
    })
}

/// The output rows one thread writes: `out` (and `residual`, when there is one) hold rows
/// `rows` of the output, `width` pixels each.
struct Band<'a> {
    rows: Range<usize>,
    width: usize,
    out: &'a mut [f32],
    residual: Option<&'a [f32]>,
}

impl Band<'_> {
    /// The index in the band of output pixel `(oy, ox)`'s first channel.
    #[inline(always)]
    fn at(&self, oy: usize, ox: usize, channels: usize) -> usize {
        ((oy - self.rows.start) * self.width + ox) * channels
    }
}

/// Output pixels computed together, for independent accumulators that hide the latency of
/// the multiply-adds and share each weight load.
const PIXELS: usize = 4;

vectorised! {
    /// The depthwise loop; see [`Depthwise::forward`].
    fn depthwise(
        x: &FeatureMap,
        dw: &Depthwise,
        activation: Activation,
        band: &mut Band,
    ) {
        for (place, count) in places(dw.kernel, dw.stride, x, band) {
            match (count, dw.kernel, dw.stride) {
                (PIXELS, 3, 1) => sliding_tile::<S, 3>(x, dw, activation, band, &place),
                (PIXELS, 5, 1) => sliding_tile::<S, 5>(x, dw, activation, band, &place),
                (PIXELS, _, _) => depthwise_tile::<S, PIXELS>(x, dw, activation, band, &place),
                _ => depthwise_tile::<S, 1>(x, dw, activation, band, &place),
            }
        }
    }
}

/// [`PIXELS`] interior output pixels of a stride-1 `K × K` depthwise convolution: per kernel
/// row, the row's `K` weights stay in registers and each of the `PIXELS + K − 1` input pixels
/// under the tile is loaded once and added to every output pixel it reaches, instead of being
/// loaded once per output pixel.
#[inline(always)]
fn sliding_tile<S: Simd, const K: usize>(
    x: &FeatureMap,
    dw: &Depthwise,
    activation: Activation,
    band: &mut Band,
    place: &Place,
) {
    let c = dw.channels;
    let (x0, _) = taps(place.ox, 1, place.left, K, x.width);
    for group in (0..c).step_by(LANES) {
        let mut acc = [S::load(&dw.bias[group..]); PIXELS];
        for i in place.rows.clone() {
            let w: [S::F8; K] =
                std::array::from_fn(|j| S::load(&dw.weights[(i * K + j) * c + group..]));
            let row = (place.y0 + i as isize) as usize * x.width;
            let first = (row as isize + x0) as usize * c + group;
            let inputs = &x.data[first..first + (PIXELS + K - 2) * c + LANES];
            for u in 0..PIXELS + K - 1 {
                let v = S::load(&inputs[u * c..]);
                for (p, acc) in acc.iter_mut().enumerate() {
                    if (p..p + K).contains(&u) {
                        *acc = S::mul_add(v, w[u - p], *acc);
                    }
                }
            }
        }
        for (p, &acc) in acc.iter().enumerate() {
            let at = band.at(place.oy, place.ox + p, c) + group;
            store::<S>(acc, activation, band.residual, band.out, at);
        }
    }
}

/// Where a run of output pixels sits: its row and first column, the input row of tap 0 and
/// the taps that fall inside the image vertically, and the padding before the first column.
struct Place {
    oy: usize,
    ox: usize,
    y0: isize,
    rows: std::ops::Range<usize>,
    left: usize,
}

/// `X` output pixels from `place`, every channel group. With `X > 1` every column tap is
/// inside the image (the interior); with `X = 1` the taps outside are skipped.
#[inline(always)]
fn depthwise_tile<S: Simd, const X: usize>(
    x: &FeatureMap,
    dw: &Depthwise,
    activation: Activation,
    band: &mut Band,
    place: &Place,
) {
    let (k, s, c) = (dw.kernel, dw.stride, dw.channels);
    let (x0, columns) = taps(place.ox, s, place.left, k, x.width);
    for group in (0..c).step_by(LANES) {
        let mut acc = [S::load(&dw.bias[group..]); X];
        for i in place.rows.clone() {
            let row = (place.y0 + i as isize) as usize * x.width;
            for j in columns.clone() {
                let w = S::load(&dw.weights[(i * k + j) * c + group..]);
                for (p, acc) in acc.iter_mut().enumerate() {
                    let ix = (x0 + (p * s + j) as isize) as usize;
                    *acc = S::mul_add(S::load(&x.data[(row + ix) * c + group..]), w, *acc);
                }
            }
        }
        for (p, &acc) in acc.iter().enumerate() {
            let at = band.at(place.oy, place.ox + p, c) + group;
            store::<S>(acc, activation, band.residual, band.out, at);
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

    /// `activation(conv(x) + b)`, bands of rows in parallel where there are threads.
    ///
    /// # Shapes
    /// - `x`: `[H, W, C_in]`
    /// - output: `[⌈H / s⌉, ⌈W / s⌉, C_out]`
    pub fn forward(&self, x: &FeatureMap, activation: Activation) -> FeatureMap {
        self.forward_in(Form::best(), x, activation)
    }

    /// [`Convolution::forward`] in the given form.
    pub fn forward_in(&self, form: Form, x: &FeatureMap, activation: Activation) -> FeatureMap {
        assert_eq!(x.channels, self.channels_in, "convolution input channels");
        let (_, height) = same_padding(self.kernel, self.stride, x.height);
        let (_, width) = same_padding(self.kernel, self.stride, x.width);
        let mut out = FeatureMap::zeros(height, width, self.channels_out);
        let row_len = width * self.channels_out;
        let work_per_row = row_len * self.kernel * self.kernel * self.channels_in;
        for_each_band(&mut out.data, row_len, work_per_row, |rows, out| {
            let mut band = Band {
                rows,
                width,
                out,
                residual: None,
            };
            convolution(form, x, self, activation, &mut band)
        });
        out
    }
}

vectorised! {
    /// The convolution loop; see [`Convolution::forward`].
    fn convolution(x: &FeatureMap, conv: &Convolution, activation: Activation, band: &mut Band) {
        for (place, count) in places(conv.kernel, conv.stride, x, band) {
            if count == PIXELS {
                convolution_tile::<S, PIXELS>(x, conv, activation, band, &place);
            } else {
                convolution_tile::<S, 1>(x, conv, activation, band, &place);
            }
        }
    }
}

/// `X` output pixels from `place`, every output group; as [`depthwise_tile`], with as many
/// groups at a time as the machine has registers for ([`Simd::TILE_GROUPS`]), so that each
/// input value is broadcast once for all of them.
#[inline(always)]
fn convolution_tile<S: Simd, const X: usize>(
    x: &FeatureMap,
    conv: &Convolution,
    activation: Activation,
    band: &mut Band,
    place: &Place,
) {
    let mut group = 0;
    while group < conv.channels_out {
        if S::TILE_GROUPS >= 2 && group + 2 * LANES <= conv.channels_out {
            convolution_groups::<S, X, 2>(x, conv, activation, band, place, group);
            group += 2 * LANES;
        } else {
            convolution_groups::<S, X, 1>(x, conv, activation, band, place, group);
            group += LANES;
        }
    }
}

/// `X` output pixels from `place`, `G` groups of output channels from channel `group`.
#[inline(always)]
fn convolution_groups<S: Simd, const X: usize, const G: usize>(
    x: &FeatureMap,
    conv: &Convolution,
    activation: Activation,
    band: &mut Band,
    place: &Place,
    group: usize,
) {
    let (k, s, cin, cout) = (
        conv.kernel,
        conv.stride,
        conv.channels_in,
        conv.channels_out,
    );
    let (x0, columns) = taps(place.ox, s, place.left, k, x.width);
    let bias: [S::F8; G] = std::array::from_fn(|g| S::load(&conv.bias[group + g * LANES..]));
    let mut acc = [bias; X];
    for i in place.rows.clone() {
        let row = (place.y0 + i as isize) as usize * x.width;
        for j in columns.clone() {
            for ci in 0..cin {
                let at = ((i * k + j) * cin + ci) * cout + group;
                let w: [S::F8; G] =
                    std::array::from_fn(|g| S::load(&conv.weights[at + g * LANES..]));
                for (p, acc) in acc.iter_mut().enumerate() {
                    let ix = (x0 + (p * s + j) as isize) as usize;
                    let v = S::splat(x.data[(row + ix) * cin + ci]);
                    for (acc, &w) in acc.iter_mut().zip(&w) {
                        *acc = S::mul_add(v, w, *acc);
                    }
                }
            }
        }
    }
    for (p, acc) in acc.iter().enumerate() {
        for (g, &acc) in acc.iter().enumerate() {
            let at = band.at(place.oy, place.ox + p, cout) + group + g * LANES;
            store::<S>(acc, activation, None, band.out, at);
        }
    }
}
