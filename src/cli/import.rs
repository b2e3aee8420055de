//! `linseg import`: MediaPipe Selfie Segmentation's TensorFlow.js weights read in and written
//! as one record per mode.

use std::path::PathBuf;

use linseg::Backend;
use linseg::attention::AttentionMode;
use linseg::native::{files, weight_files};
use linseg::tools::import;

/// `linseg import`: MediaPipe Selfie Segmentation's TensorFlow.js weights into one record per
/// mode.
#[derive(Debug, Clone, clap::Args)]
pub struct ImportArgs {
    /// The folder holding selfie.json and selfie.bin (see scripts/fetch-selfie.sh).
    #[arg(long)]
    pub from: PathBuf,
    /// Where the records go.
    #[arg(long, default_value = weight_files::DEFAULT_FOLDER)]
    pub out: PathBuf,
}

/// Run `linseg import`: one record per mode, the blocks initialised from seed 0.
pub fn run(args: &ImportArgs) -> linseg::Result<()> {
    let (from, out) = (&args.from, &args.out);
    let read = |name: &str| files::read(&from.join(name));
    let (json, bin) = (read("selfie.json")?, read("selfie.bin")?);
    files::make_folder(out)?;
    let device = Backend::Cpu.device()?;
    for mode in AttentionMode::ALL {
        // The blocks start from the same seed every time, so the records are reproducible.
        device.seed(0);
        let net = import::import_selfie(&json, &bin, mode, &device)?;
        let path = weight_files::save(net, out)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
