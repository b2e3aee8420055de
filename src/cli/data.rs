//! The arguments `linseg train`, `eval` and `dataset` share: where the photos, the weights and
//! the truth are.

use std::path::PathBuf;

use linseg::native::weight_files;
use linseg::tools::dataset::{self, DataPaths};
use linseg::tools::truth::{self, TruthPaths};

/// Where training and evaluation find photos and weights.
#[derive(clap::Args, Debug, Clone)]
pub struct DataArgs {
    /// The photos' folder (default: ~/.cache/linseg/photos, from scripts/fetch-photos.sh).
    #[arg(long)]
    pub photos: Option<PathBuf>,
    /// The photo list with the fixed train / held-out split.
    #[arg(long, default_value = dataset::DEFAULT_MANIFEST)]
    pub manifest: PathBuf,
    /// The folder of the weight records (read, and for train written).
    #[arg(long, default_value = weight_files::DEFAULT_FOLDER)]
    pub models: PathBuf,
}

impl DataArgs {
    /// The paths, for the library.
    pub fn paths(&self) -> DataPaths {
        DataPaths {
            photos: self.photos.clone(),
            manifest: self.manifest.clone(),
            models: self.models.clone(),
        }
    }
}

/// Where the truth is found.
#[derive(clap::Args, Debug, Clone)]
pub struct TruthArgs {
    /// The reference mattes' folder (default: ~/.cache/linseg/mattes, from
    /// scripts/make-mattes.mjs).
    #[arg(long)]
    pub mattes: Option<PathBuf>,
    /// The held-out composites' list.
    #[arg(long, default_value = truth::DEFAULT_COMPOSITES)]
    pub composites: PathBuf,
}

impl TruthArgs {
    /// The paths, for the library.
    pub fn paths(&self) -> TruthPaths {
        TruthPaths {
            mattes: self.mattes.clone(),
            composites: self.composites.clone(),
        }
    }
}
