//! linseg in a native program: the [`Segmenter`] (the library's Rust API), the [`Backend`] it
//! runs on (Burn's CPU backend or wgpu), and the files it reads — each mode's weights from a
//! folder, and any path's failure in plain words.
//!
//! Built with the `native` feature (on by default); the browser's build has none of it.

pub mod backend;
pub mod files;
pub mod segmenter;
pub mod weight_files;

pub use backend::{Backend, StartedBackend};
pub use segmenter::{Mask, Segmenter, SegmenterConfig, WeightSource};
