//! What the `linseg bench` commands measure, each in one run on one machine so that the ratios
//! they print are fair; the command line (`src/cli/bench.rs`, `src/cli/network_bench.rs`)
//! prints it.
//!
//! - [`attention`]: each attention block alone, on feature maps that grow, on either backend.
//! - [`network`]: the whole network on the CPU, per kind of layer on the CPU kernels, beside
//!   Burn's generic path with the same weights and input.

pub mod attention;
pub mod network;
