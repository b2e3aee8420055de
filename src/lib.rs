//! linseg: semantic segmentation with the Linear Attention Mechanism (Li, Su, Duan, Zheng, 2020),
//! in Burn, natively and in the browser.
//!
//! A [`Segmenter`] is a mode's network at one processing size on one [`Backend`]: a photo in,
//! its [`Mask`] out — one level from 0 (background) to 255 (person) per pixel, at the photo's
//! size, the mask `linseg segment` writes. Every failure is an [`Error`] whose
//! [`kind`](Error::kind) a caller matches on.
//!
//! ```
//! use linseg::{AttentionMode, ErrorKind, Segmenter};
//!
//! # fn main() -> linseg::Result<()> {
//! let photo = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/photos/grace_hopper.jpg");
//! let bytes = std::fs::read(photo).expect("the sample photo");
//! // The weights are read from `models/`; `SegmenterConfig` names another folder or the bytes.
//! let segmenter = Segmenter::new(AttentionMode::Linear, 512)?;
//! let mask = segmenter.segment_bytes(&bytes)?;
//! assert_eq!((mask.width(), mask.height()), (512, 600));
//! // Grace Hopper fills the middle of the photo; its corners are background.
//! assert!(mask.probability(256, 400) > 0.9);
//! assert!(mask.probability(5, 5) < 0.1);
//!
//! let err = Segmenter::new(AttentionMode::Linear, 300).err().expect("no such size");
//! assert_eq!(err.kind(), ErrorKind::BadSize);
//! let err = "lineer".parse::<AttentionMode>().map_err(linseg::Error::from).unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::UnknownMode);
//! # Ok(())
//! # }
//! ```
//!
//! The modules, for what the segmenter does not cover:
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
//! - native only: [`segmenter`] ([`Segmenter`], [`Mask`]), [`backend`], [`bench`](mod@bench),
//!   [`import`], [`segment`], [`train`], [`eval`], [`files`] (paths that will not do, in plain
//!   words), [`dataset`] and [`truth`] (the images with true masks that `eval` and `train` use);
//!   browser only: `web`, the wasm boundary.
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

pub use attention::AttentionMode;
pub use error::{Error, ErrorKind, Result};
/// The `image` crate linseg decodes photos with: [`Segmenter::segment`] takes its
/// `DynamicImage`, and [`Mask::as_image`] gives its `GrayImage`.
pub use image;
pub use look::Look;

#[cfg(feature = "native")]
pub use backend::Backend;
#[cfg(feature = "native")]
pub use segmenter::{Mask, Segmenter, SegmenterConfig, WeightSource};

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
pub mod segmenter;
#[cfg(feature = "native")]
pub mod train;
#[cfg(feature = "native")]
pub mod truth;
#[cfg(feature = "web")]
pub mod web;
