//! `linseg dataset`: the held-out images of the quality data set and their true masks, as PNG
//! files.

use std::path::{Path, PathBuf};

use linseg::Error;
use linseg::native::files;
use linseg::tools::truth;

use crate::data::{DataArgs, TruthArgs};

/// `linseg dataset`: the held-out images and their true masks written out as PNG files, to look
/// at and to check that the data set regenerates byte for byte.
#[derive(clap::Args, Debug, Clone)]
pub struct DatasetArgs {
    /// Where the photos and weights are.
    #[command(flatten)]
    pub data: DataArgs,
    /// Where the truth is.
    #[command(flatten)]
    pub truth: TruthArgs,
    /// Output folder (default: ~/.cache/linseg/heldout).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Run `linseg dataset`: NAME.png and NAME.truth.png for each held-out image.
pub fn run(args: &DatasetArgs) -> linseg::Result<()> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| linseg::tools::dataset::cache_folder().join("heldout"));
    files::make_folder(&out)?;
    for sample in truth::heldout(&args.data.paths(), &args.truth.paths())? {
        let stem = Path::new(&sample.name)
            .file_stem()
            .map_or(sample.name.clone(), |s| s.to_string_lossy().into_owned());
        let (image, truth) = (
            out.join(format!("{stem}.png")),
            out.join(format!("{stem}.truth.png")),
        );
        sample
            .image
            .save(&image)
            .map_err(|err| Error::file(&image, err))?;
        sample
            .truth
            .save(&truth)
            .map_err(|err| Error::file(&truth, err))?;
        let share = sample.truth.pixels().filter(|p| p[0] >= 128).count() as f64
            / sample.truth.len() as f64;
        println!(
            "{} ({}): {}×{}, person {:.1} % of the frame -> {}",
            sample.name,
            sample.kind,
            sample.image.width(),
            sample.image.height(),
            100.0 * share,
            image.display()
        );
    }
    Ok(())
}
