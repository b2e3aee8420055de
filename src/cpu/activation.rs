//! The non-linearities, applied to a group of values while it is still in registers, and the
//! sigmoid of the gates and of the output.

use super::simd::Simd;

/// What follows a convolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// Nothing (a linear layer).
    Identity,
    /// `max(x, 0)`.
    Relu,
    /// `x · clamp(x / 6 + 1/2, 0, 1)` (MobileNetV3; Burn's `hard_swish`).
    HardSwish,
}

impl Activation {
    /// Apply the activation to a group of eight values.
    #[inline(always)]
    pub fn apply<S: Simd>(self, v: S::F8) -> S::F8 {
        match self {
            Activation::Identity => v,
            Activation::Relu => S::max(v, S::splat(0.0)),
            Activation::HardSwish => {
                let gate = S::mul_add(v, S::splat(1.0 / 6.0), S::splat(0.5));
                S::mul(v, S::min(S::max(gate, S::splat(0.0)), S::splat(1.0)))
            }
        }
    }
}

/// The logistic function `1 / (1 + e^−x)`, with `e^−x` from [`exp`].
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

/// `e^x` without a library call or a branch, so that a loop of it vectorises (in WebAssembly
/// `f32::exp` is a call into a compiled libm, a fifth of the network's time at 256 px). Cephes'
/// `expf`: `x = n·ln 2 + r` with `|r| ≤ ln 2 / 2`, a degree-7 polynomial for `e^r`, and `2^n`
/// written into the exponent bits; relative error about 2e-7. `x` is clamped to
/// `[−87.3, 88.3]`, where `e^x` is a finite, normal f32.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    // Adding 1.5 · 2²³ rounds to the nearest integer: the sum's last mantissa bits are then
    // `n` itself, in two's complement, with no float-to-integer conversion.
    const ROUNDER: f32 = 12_582_912.0;
    let x = x.clamp(-87.3, 88.3);
    let shifted = x * std::f32::consts::LOG2_E + ROUNDER;
    let n = shifted.to_bits().wrapping_sub(ROUNDER.to_bits());
    let nf = shifted - ROUNDER;
    // r = x − n·ln 2, with ln 2 split in two for precision.
    let r = x - nf * 0.693_359_4 + nf * 2.121_944_4e-4;
    let p = ((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 5.000_000_1e-1;
    let e_r = p * r * r + r + 1.0;
    e_r * f32::from_bits(n.wrapping_add(127) << 23)
}
