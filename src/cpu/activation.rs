//! The non-linearities, applied to a group of values while it is still in registers.

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

/// The logistic function `1 / (1 + e^−x)`.
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}
