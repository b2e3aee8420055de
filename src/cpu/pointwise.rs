//! 1×1 convolutions as a matrix product: `[P, C_in] × [C_in, C_out]` over the `P` pixels of a
//! channels-last map, with the bias, the activation and the residual add done while the
//! results are still in registers.
//!
//! The weights are packed once into panels of [`LANES`] output channels, `[C_out / LANES]
//! [C_in][LANES]`, so that the inner loop reads them in order. Each step of the inner loop
//! broadcasts one input value of each of [`ROWS`] pixels and multiplies it with one row of one
//! or two panels, into `ROWS × 2` vector accumulators: the register tile of a GEMM
//! micro-kernel (as in BLIS and XNNPACK).

use super::activation::Activation;
use super::feature_map::FeatureMap;
use super::parallel::for_each_band;
use super::simd::{Form, LANES, Simd, vectorised};

/// Pixels per register tile.
const ROWS: usize = 4;

/// A 1×1 convolution's weights, packed for [`PackedPointwise::forward`].
#[derive(Debug, Clone)]
pub struct PackedPointwise {
    channels_in: usize,
    channels_out: usize,
    /// `[C_out / LANES][C_in][LANES]`.
    panels: Vec<f32>,
    /// `[C_out]`.
    bias: Vec<f32>,
}

impl PackedPointwise {
    /// Pack a convolution's weights from Burn's layout.
    ///
    /// # Shapes
    /// - `weight`: `[C_out, C_in]` (a `[C_out, C_in, 1, 1]` kernel), row-major
    /// - `bias`: `[C_out]`
    ///
    /// # Panics
    /// If `C_out` is not a multiple of [`LANES`] (every layer of the network is) or the
    /// lengths do not fit.
    pub fn new(weight: &[f32], bias: Vec<f32>, channels_in: usize) -> Self {
        let channels_out = bias.len();
        assert_eq!(weight.len(), channels_in * channels_out, "1×1 weights");
        assert_eq!(
            channels_out % LANES,
            0,
            "{channels_out} output channels are not a multiple of {LANES}"
        );
        let mut panels = Vec::with_capacity(weight.len());
        for panel in 0..channels_out / LANES {
            for k in 0..channels_in {
                for lane in 0..LANES {
                    panels.push(weight[(panel * LANES + lane) * channels_in + k]);
                }
            }
        }
        PackedPointwise {
            channels_in,
            channels_out,
            panels,
            bias,
        }
    }

    /// The same convolution applied to `x · scale` (each input channel scaled): a channel gate
    /// before the convolution folded into its weights, `W · diag(s)`.
    ///
    /// # Shapes
    /// - `scale`: `[C_in]`
    pub fn with_input_scaled(&self, scale: &[f32]) -> Self {
        assert_eq!(scale.len(), self.channels_in, "one scale per input channel");
        let mut scaled = self.clone();
        for panel in scaled.panels.chunks_exact_mut(self.channels_in * LANES) {
            for (row, &s) in panel.chunks_exact_mut(LANES).zip(scale) {
                row.iter_mut().for_each(|w| *w *= s);
            }
        }
        scaled
    }

    /// `activation(x · W + b) (+ residual)`, bands of pixels in parallel where there are
    /// threads.
    ///
    /// # Shapes
    /// - `x`: `[H, W, C_in]`
    /// - `residual`: `[H, W, C_out]`, added after the activation
    /// - output: `[H, W, C_out]`
    pub fn forward(
        &self,
        x: &FeatureMap,
        activation: Activation,
        residual: Option<&FeatureMap>,
    ) -> FeatureMap {
        self.forward_in(Form::best(), x, activation, residual)
    }

    /// [`PackedPointwise::forward`] in the given form.
    pub fn forward_in(
        &self,
        form: Form,
        x: &FeatureMap,
        activation: Activation,
        residual: Option<&FeatureMap>,
    ) -> FeatureMap {
        assert_eq!(
            x.channels, self.channels_in,
            "1×1 convolution input channels"
        );
        let mut out = FeatureMap::zeros(x.height, x.width, self.channels_out);
        if let Some(residual) = residual {
            assert_eq!(
                (residual.height, residual.width, residual.channels),
                (out.height, out.width, out.channels),
                "residual shape"
            );
        }
        let (cin, cout) = (self.channels_in, self.channels_out);
        for_each_band(&mut out.data, cout, cin * cout, |pixels, out| {
            matmul(
                form,
                &x.data[pixels.start * cin..pixels.end * cin],
                self,
                activation,
                residual.map(|r| &r.data[pixels.start * cout..pixels.end * cout]),
                out,
            )
        });
        out
    }
}

/// What every tile of one product shares.
struct Product<'a> {
    x: &'a [f32],
    w: &'a PackedPointwise,
    activation: Activation,
    residual: Option<&'a [f32]>,
}

vectorised! {
    /// `out = activation(x · W + b) (+ residual)` over all pixels, [`ROWS`] at a time.
    fn matmul(
        x: &[f32],
        w: &PackedPointwise,
        activation: Activation,
        residual: Option<&[f32]>,
        out: &mut [f32],
    ) {
        let product = Product { x, w, activation, residual };
        let pixels = x.len() / w.channels_in;
        let full = pixels / ROWS * ROWS;
        for start in (0..full).step_by(ROWS) {
            row_block::<S, ROWS>(&product, out, start);
        }
        for start in full..pixels {
            row_block::<S, 1>(&product, out, start);
        }
    }
}

/// `R` pixels from `start`, every output channel: panels [`Simd::TILE_GROUPS`] at a time (two,
/// then the odd one; or one by one).
#[inline(always)]
fn row_block<S: Simd, const R: usize>(product: &Product, out: &mut [f32], start: usize) {
    let panels = product.w.channels_out / LANES;
    let paired = if S::TILE_GROUPS == 2 {
        panels / 2 * 2
    } else {
        0
    };
    for first in (0..paired).step_by(2) {
        tile::<S, R, 2>(product, out, start, first);
    }
    for first in paired..panels {
        tile::<S, R, 1>(product, out, start, first);
    }
}

/// `R` pixels from `start` times `P` panels from `first`, in `R × P` vector accumulators.
#[inline(always)]
fn tile<S: Simd, const R: usize, const P: usize>(
    product: &Product,
    out: &mut [f32],
    start: usize,
    first: usize,
) {
    let w = product.w;
    let (cin, cout) = (w.channels_in, w.channels_out);
    let rows: [&[f32]; R] = std::array::from_fn(|r| &product.x[(start + r) * cin..][..cin]);
    let panel_len = cin * LANES;
    let panels: [&[f32]; P] =
        std::array::from_fn(|q| &w.panels[(first + q) * panel_len..][..panel_len]);
    let bias: [S::F8; P] = std::array::from_fn(|q| S::load(&w.bias[(first + q) * LANES..]));
    let mut acc = [bias; R];
    for k in 0..cin {
        let weights: [S::F8; P] = std::array::from_fn(|q| S::load(&panels[q][k * LANES..]));
        for r in 0..R {
            let value = S::splat(rows[r][k]);
            for q in 0..P {
                acc[r][q] = S::mul_add(value, weights[q], acc[r][q]);
            }
        }
    }
    for (r, acc) in acc.iter().enumerate() {
        for (q, &acc) in acc.iter().enumerate() {
            let at = (start + r) * cout + (first + q) * LANES;
            let mut y = product.activation.apply::<S>(acc);
            if let Some(residual) = product.residual {
                y = S::add(y, S::load(&residual[at..]));
            }
            S::store(y, &mut out[at..]);
        }
    }
}
