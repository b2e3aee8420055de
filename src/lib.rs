//! linseg: semantic segmentation with the Linear Attention Mechanism (Li, Su, Duan, Zheng, 2020),
//! in Burn, natively and in the browser.
//!
//! - [`attention`]: the context-attention modes (one file each, registered in one place) and
//!   their costs.
//! - [`model`]: the Selfie Segmentation network with the context block inside.
//! - [`cpu`]: the same network for inference on the CPU, as fused, vectorised kernels;
//!   [`network`] picks it or Burn's tensor ops by device.
//! - [`weights`]: each mode's weights, as burnpack records.
//! - [`photo`] and [`preprocess`]: from a file's bytes to the network's input, and back to a mask.
//! - [`refine`]: above the trained size, a global pass and a detail pass, fused;
//!   [`pipeline`]: photo → passes → mask, for the CLI and the browser alike.
//! - [`look`]: what the attention block looks at — each cell's weights over the photo.
//! - [`error`]: [`Error`], every way the library fails, and its [`ErrorKind`].
//! - native only: [`backend`], [`bench`], [`import`], [`segment`], [`train`], [`eval`],
//!   [`files`] (paths that will not do, in plain words), [`dataset`] and [`truth`] (the images
//!   with true masks that `eval` and `train` use); browser only: `web`, the wasm boundary.
//!
//! The `linseg` command line is `src/cli/`: each command's arguments, checks, printing and
//! files, over this library.

#![warn(missing_docs)]

pub mod attention;
pub mod cpu;
pub mod error;
pub mod look;
pub mod model;
pub mod network;
pub mod photo;
pub mod pipeline;
pub mod preprocess;
pub mod refine;
pub mod stats;
pub mod weights;

pub use error::{Error, ErrorKind, Result};

#[cfg(feature = "native")]
pub mod backend;
#[cfg(feature = "native")]
pub mod bench;
#[cfg(feature = "native")]
pub mod dataset;
#[cfg(feature = "native")]
pub mod eval;
#[cfg(feature = "native")]
pub mod files;
#[cfg(feature = "native")]
pub mod import;
#[cfg(feature = "native")]
pub mod segment;
#[cfg(feature = "native")]
pub mod train;
#[cfg(feature = "native")]
pub mod truth;
#[cfg(feature = "web")]
pub mod web;
