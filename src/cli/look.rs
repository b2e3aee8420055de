//! `linseg look`: how far each mode's block looks on one photo — over every cell of its map, the
//! largest weight and the effective number of cells it gathers from (`1 / Σ w²`, the count of
//! equal weights with the same spread), and the time per cell that the page's heat map takes.

use std::path::PathBuf;

use futures_lite::future::block_on;

use linseg::Backend;
use linseg::Error;
use linseg::attention::AttentionMode;
use linseg::look::{self, Look};
use linseg::native::{files, weight_files};
use linseg::network::Network;
use linseg::photo;

/// Arguments of `linseg look`.
#[derive(clap::Args, Debug)]
pub struct LookArgs {
    /// A JPEG or PNG file.
    pub photo: PathBuf,
    /// Processing size: the longer side of the network's input, in pixels.
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u32).range(32..=2048))]
    pub size: u32,
    /// The folder holding the weight records.
    #[arg(long, default_value = weight_files::DEFAULT_FOLDER)]
    pub models: PathBuf,
    /// Where the network runs: cpu or wgpu.
    #[arg(long, default_value = "cpu")]
    pub backend: Backend,
}

/// Run `linseg look`: a line per mode.
pub fn run(args: &LookArgs) -> linseg::Result<()> {
    let device = args.backend.device()?;
    let bytes = files::read(&args.photo)?;
    let photo = photo::decode(&bytes, photo::DEFAULT_MAX_PIXELS)
        .map_err(|err| Error::file(&args.photo, err))?;
    println!(
        "{} at {} px: how far each block looks, over every cell of its map",
        args.photo.display(),
        args.size
    );
    println!(
        "{:<12} {:>9} {:>12} {:>15} {:>12}",
        "mode", "cells", "mean peak", "effective cells", "ms per cell"
    );
    for mode in AttentionMode::ALL.into_iter().skip(1) {
        let network = Network::new(weight_files::load(&args.models, mode, &device)?, &device);
        let look = block_on(Look::new(&network, &photo, args.size))?;
        let [width, height] = look.grid();
        let spread = look::spread(&look).expect("a block");
        println!(
            "{:<12} {:>9} {:>12.3} {:>15.1} {:>12.3}",
            mode.name(),
            format!("{width}×{height}"),
            spread.peak,
            spread.effective_cells,
            spread.ms_per_cell
        );
    }
    Ok(())
}
