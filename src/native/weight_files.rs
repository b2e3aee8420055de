//! Each mode's weight file in a folder, `DIR/selfie-<mode>.bpk` ([`weights::file_name`]): read
//! into a network and written from one.

use std::path::{Path, PathBuf};

use burn::tensor::Device;

use super::files;
use crate::attention::AttentionMode;
use crate::error::Result;
use crate::model::SelfieNet;
use crate::weights;

/// The folder of the weight records unless another is named: `models/`.
pub const DEFAULT_FOLDER: &str = "models";

/// A mode's network with the weights of `dir/selfie-<mode>.bpk`.
pub fn load(dir: &Path, mode: AttentionMode, device: &Device) -> Result<SelfieNet> {
    let bytes = files::read(&dir.join(weights::file_name(mode)))?;
    weights::from_bytes(bytes, mode, device)
}

/// Save a network's weights into `dir` under its mode's name; the path written.
pub fn save(net: SelfieNet, dir: &Path) -> Result<PathBuf> {
    let path = dir.join(weights::file_name(net.mode()));
    files::write(&path, weights::to_bytes(net)?)?;
    Ok(path)
}
