//! The network on the CPU: inference through fused, vectorised loops over channels-last maps.
//!
//! Burn's generic CPU path runs every layer as its own tensor operation over `[B, C, H, W]`:
//! a convolution, then the bias, then the activation, each a pass over memory, with layout
//! changes around each convolution. For this network — small layers, 16 to 128 channels — that
//! overhead is most of the time. Here each layer is one loop (see `pointwise.rs`, `depthwise.rs`)
//! that computes a group of outputs in registers and applies bias, activation, channel gate and
//! residual before storing them, on maps kept channels-last ([`FeatureMap`]) from input to
//! output. It is for inference on one image; training and the GPU use [`crate::model`], and
//! the tests check both give the same probabilities.
//!
//! Each kernel is compiled in several forms, one per vector unit ([`Form`]: plain floats and
//! AVX2 natively, SIMD128 in the browser). Its entry point runs the best the CPU has; its `_in`
//! twin (`forward_in`, `upsample2x_in`, …) the form it is given, so that `tests/kernels.rs`
//! checks every form of every kernel.

mod activation;
mod buffers;
mod depthwise;
mod feature_map;
mod net;
mod parallel;
mod pointwise;
mod pooling;
mod profile;
mod resample;
mod simd;

pub use activation::Activation;
pub use depthwise::{Convolution, Depthwise, same_padding};
pub use feature_map::FeatureMap;
pub use net::CpuNet;
pub use parallel::{limit_threads, threads};
pub use pointwise::PackedPointwise;
pub use pooling::{Dense, channel_gate, channel_means, channel_means_in, gated_sum, gated_sum_in};
pub use profile::{Profile, Step};
pub use resample::{ToProbabilities, upsample2x, upsample2x_in};
pub use simd::{Form, LANES, force_baseline};

#[cfg(test)]
mod tests;
