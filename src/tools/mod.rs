//! The tooling behind the `linseg` command's data, training and measuring commands; none of it
//! is needed to segment a photo.
//!
//! - [`dataset`]: the photos for training and evaluation, listed in `models/photos.json`.
//! - [`truth`]: truth that does not come from the network under test (composites and real
//!   photos with reference mattes).
//! - [`eval`]: each mode's masks against that truth (`linseg eval`).
//! - [`train`]: training a mode's context block (`linseg train`).
//! - [`import`]: MediaPipe's pretrained weights into the network (`linseg import`).
//! - [`bench`]: what `linseg bench attention` and `linseg bench network` time.
//!
//! Built with the `tools` feature (on by default), which adds Burn's autodiff and optimisers and
//! the command line's crates to what [`crate::native`] needs.

pub mod bench;
pub mod dataset;
pub mod eval;
pub mod import;
pub mod train;
pub mod truth;
