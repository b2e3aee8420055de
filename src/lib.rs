//! linseg: semantic segmentation with the Linear Attention Mechanism (Li, Su, Duan, Zheng, 2020),
//! in Burn, natively and in the browser.
//!
//! - [`attention`]: the five context-attention modes and their costs.
//! - [`model`]: the Selfie Segmentation network with the context block inside.
//! - [`weights`]: each mode's weights, as burnpack records.
//! - [`photo`] and [`preprocess`]: from a file's bytes to the network's input, and back to a mask.
//! - native only: [`backend`], [`bench`], [`import`], [`segment`]; browser only: `web`.

pub mod attention;
pub mod model;
pub mod photo;
pub mod preprocess;
pub mod weights;

#[cfg(not(target_family = "wasm"))]
pub mod backend;
#[cfg(not(target_family = "wasm"))]
pub mod bench;
#[cfg(not(target_family = "wasm"))]
pub mod import;
#[cfg(not(target_family = "wasm"))]
pub mod segment;
