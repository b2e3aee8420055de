//! `linseg look`: how far each mode's block looks on one photo — over every cell of its map, the
//! largest weight and the effective number of cells it gathers from (`1 / Σ w²`, the count of
//! equal weights with the same spread), and the time per cell that the page's heat map takes.

use std::path::PathBuf;

use clap::Args;
use futures_lite::future::block_on;

use crate::attention::AttentionMode;
use crate::backend::Backend;
use crate::look::Look;
use crate::network::Network;
use crate::{photo, stats, weights};

/// Arguments of `linseg look`.
#[derive(Args, Debug)]
pub struct LookArgs {
    /// A JPEG or PNG file.
    pub photo: PathBuf,
    /// Processing size: the longer side of the network's input, in pixels.
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u32).range(32..=2048))]
    pub size: u32,
    /// The folder holding the weight records.
    #[arg(long, default_value = "models")]
    pub models: PathBuf,
    /// Where the network runs: cpu or wgpu.
    #[arg(long, default_value = "cpu")]
    pub backend: Backend,
}

/// How one mode's weights spread over one photo's map, over all its cells.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// The mean over cells of the largest weight.
    pub peak: f64,
    /// The mean over cells of `1 / Σ w²`.
    pub effective_cells: f64,
    /// The median time to compute one cell's weights, in milliseconds.
    pub ms_per_cell: f64,
}

/// The spread of `look`'s weights over every cell of its grid; `None` for mode `none`.
pub fn spread(look: &Look) -> Option<Spread> {
    let [width, height] = look.grid();
    let (mut peak, mut effective, mut times) = (0.0, 0.0, Vec::with_capacity(width * height));
    for row in 0..height {
        for column in 0..width {
            let started = std::time::Instant::now();
            let weights = look.weights([column, row])?;
            times.push(started.elapsed().as_secs_f64() * 1e3);
            peak += weights.iter().copied().fold(0.0f32, f32::max) as f64;
            effective += 1.0
                / weights
                    .iter()
                    .map(|&w| (w as f64) * (w as f64))
                    .sum::<f64>();
        }
    }
    let cells = (width * height) as f64;
    Some(Spread {
        peak: peak / cells,
        effective_cells: effective / cells,
        ms_per_cell: stats::median(&mut times)?,
    })
}

/// Run `linseg look`: a line per mode.
pub fn run(args: &LookArgs) -> Result<(), String> {
    let device = args.backend.device()?;
    let bytes =
        std::fs::read(&args.photo).map_err(|err| format!("{}: {err}", args.photo.display()))?;
    let photo = photo::decode(&bytes, photo::DEFAULT_MAX_PIXELS).map_err(|err| err.to_string())?;
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
        let network = Network::new(weights::load(&args.models, mode, &device)?, &device);
        let look = block_on(Look::new(&network, &photo, args.size))?;
        let [width, height] = look.grid();
        let spread = spread(&look).expect("a block");
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attention::ContextBlock;
    use crate::model::SelfieNetConfig;
    use burn::module::Param;
    use burn::tensor::Device;
    use image::RgbaImage;

    /// Dot-product attention with zero queries weighs every cell alike: the peak is `1/N` and
    /// the effective number of cells is `N`.
    #[test]
    fn uniform_weights_spread_over_every_cell() {
        let device = Device::flex();
        let mut net = SelfieNetConfig::new(AttentionMode::Dot).init(&device);
        let ContextBlock::Dot(block) = &mut net.context else {
            unreachable!("a dot block")
        };
        let query = &mut block.qkv.query;
        query.weight = Param::from_tensor(query.weight.val().zeros_like());
        query.bias = query
            .bias
            .take()
            .map(|b| Param::from_tensor(b.val().zeros_like()));
        let network = Network::new(net, &device);
        let look = block_on(Look::new(&network, &RgbaImage::new(96, 64), 96)).unwrap();
        assert_eq!(look.grid(), [6, 4]);
        let spread = spread(&look).unwrap();
        assert!((spread.peak - 1.0 / 24.0).abs() < 1e-6, "{spread:?}");
        assert!((spread.effective_cells - 24.0).abs() < 1e-3, "{spread:?}");
    }
}
