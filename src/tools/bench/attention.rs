//! `linseg bench attention`: every attention mode on maps that grow, measured in one run on one
//! backend so that ratios between modes are fair.

use std::time::Instant;

use burn::tensor::{Device, Distribution, Tensor};

use crate::attention::{AttentionMode, BlockCost, ContextBlockConfig};
use crate::error::{Error, Result};
use crate::stats;

/// Feature-map sizes `[H, W]` the benchmark sweeps, squares then non-squares.
pub const SIZES: [[usize; 2]; 8] = [
    [16, 16],
    [32, 32],
    [48, 48],
    [64, 64],
    [96, 96],
    [128, 128],
    [32, 96],
    [64, 128],
];

/// Channel counts `C` the benchmark sweeps.
pub const CHANNELS: [usize; 2] = [64, 128];

/// How many forward passes [`measure`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeasureOptions {
    /// Timed runs per case.
    pub runs: u32,
    /// Untimed runs before them (shader compilation, allocator warm-up).
    pub warmup: u32,
}

impl Default for MeasureOptions {
    fn default() -> Self {
        MeasureOptions { runs: 5, warmup: 1 }
    }
}

/// One benchmark case: a mode on a `[1, C, H, W]` map.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    /// The attention mode.
    pub mode: AttentionMode,
    /// `H`.
    pub height: usize,
    /// `W`.
    pub width: usize,
    /// `C`.
    pub channels: usize,
}

impl Case {
    fn config(&self) -> ContextBlockConfig {
        ContextBlockConfig::new(self.mode, self.channels)
    }

    /// The block's cost from its shapes.
    pub fn cost(&self) -> BlockCost {
        self.config().cost(1, self.height, self.width)
    }
}

/// What one case measured.
#[derive(Debug, Clone, Copy)]
pub struct Measurement {
    /// Median wall time of a forward pass, device synchronised and one value of the output read
    /// back (which surfaces any execution error), in milliseconds.
    pub median_ms: f64,
    /// Fastest forward pass, in milliseconds.
    pub min_ms: f64,
    /// Growth of the bytes the backend's allocator reserved over the case's runs, where the
    /// backend reports it (wgpu does; the CPU backend does not).
    pub backend_reserved_bytes: Option<u64>,
}

/// Time one case: `warmup` untimed then `runs` timed forward passes; a device that fails on
/// the way is [`Error::Device`].
pub fn measure(case: &Case, device: &Device, options: &MeasureOptions) -> Result<Measurement> {
    let block = case.config().init(device);
    let x = Tensor::<4>::random(
        [1, case.channels, case.height, case.width],
        Distribution::Normal(0.0, 1.0),
        device,
    );
    device.memory_cleanup();
    let reserved_before = device.memory_pool_usage().map(|usage| usage.bytes_reserved);
    let mut times = Vec::with_capacity(options.runs as usize);
    for run in 0..options.warmup + options.runs {
        let start = Instant::now();
        let y = block.forward(x.clone());
        let failed = |err: String| {
            Error::Device(format!(
                "{} at {}×{} failed: {err}",
                case.mode, case.height, case.width
            ))
        };
        device.sync().map_err(|err| failed(format!("{err:?}")))?;
        // A kernel can fail without sync saying so; reading a value back reports it.
        y.slice([0..1, 0..1, 0..1, 0..1])
            .try_into_data()
            .map_err(|err| failed(err.to_string()))?;
        let elapsed = start.elapsed().as_secs_f64() * 1e3;
        if run >= options.warmup {
            times.push(elapsed);
        }
    }
    let reserved_after = device.memory_pool_usage().map(|usage| usage.bytes_reserved);
    Ok(Measurement {
        median_ms: stats::median(&mut times)
            .ok_or_else(|| Error::BadOption(format!("{}: no timed run", case.mode)))?,
        min_ms: times[0],
        backend_reserved_bytes: reserved_before
            .zip(reserved_after)
            .map(|(before, after)| after.saturating_sub(before)),
    })
}

/// Every case, in the order they are printed.
pub fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for channels in CHANNELS {
        for [height, width] in SIZES {
            for mode in AttentionMode::ALL {
                cases.push(Case {
                    mode,
                    height,
                    width,
                    channels,
                });
            }
        }
    }
    cases
}
