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
//! The crate is cut by role:
//!
//! - **The core**, what segmenting a photo takes, natively and in the browser alike (it builds
//!   for `wasm32-unknown-unknown` with no feature):
//!   - [`attention`]: the context-attention modes (one file each, registered in one place) and
//!     their costs; [`model`]: the Selfie Segmentation network with the context block inside.
//!   - [`cpu`]: the same network for inference on the CPU, as fused, vectorised kernels;
//!     [`network`] picks it or Burn's tensor ops by device.
//!   - [`weights`]: each mode's weights, as burnpack records, to and from bytes.
//!   - [`photo`] and [`preprocess`]: from a file's bytes to the network's input, and back to a
//!     mask; [`refine`]: above the trained size, a global pass and a detail pass, fused;
//!     [`pipeline`]: photo → passes → mask, for the CLI and the browser alike.
//!   - [`look`]: what the attention block looks at — each cell's weights over the photo.
//!   - [`error`]: [`Error`], every way the library fails, and its [`ErrorKind`]; [`stats`]:
//!     the medians and percentiles the measurements print.
//! - **`native`** (feature `native`, on by default): the [`Segmenter`] and its [`Mask`], the
//!   [`Backend`] (CPU or wgpu), weight files in a folder, paths' failures in plain words.
//! - **`tools`** (feature `tools`, on by default): the data set, the truth, evaluation,
//!   training, the weights' import and the benchmarks, behind the command line's
//!   commands of the same names.
//! - The two front ends: the `linseg` command line (`src/cli/`, one file per command) and the
//!   wasm boundary the page calls (`web`, features `web`, `webgpu`, `web-threads`).
//!
//! Without default features the crate is the core alone:
//! `cargo tree -e normal --no-default-features --target wasm32-unknown-unknown` lists no
//! tooling crate.

#![deny(missing_docs)]

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
pub mod native;
#[cfg(feature = "native")]
pub use native::{Backend, Mask, Segmenter, SegmenterConfig, WeightSource};
#[cfg(feature = "tools")]
pub mod tools;
#[cfg(feature = "web")]
pub mod web;
