//! `linseg bench attention`: the time and memory of every attention mode as the map grows, all
//! measured in one run on one backend so that ratios between modes are fair.

use std::io::{self, Write};
use std::time::Instant;

use burn::tensor::{Device, Distribution, Tensor};

use crate::attention::{AttentionMode, BlockCost, ContextBlockConfig, Limits};
use crate::backend::Backend;
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

/// The size and width at which the summary compares dot-product with linear attention.
const RATIO_CASE: ([usize; 2], usize) = ([64, 64], 128);

/// `linseg bench attention`: every attention mode on feature maps from 16×16 to 128×128,
/// C = 64 and 128.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Where the blocks run: cpu or wgpu.
    #[arg(long, default_value = "cpu")]
    pub backend: Backend,
    /// Timed runs per case.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub runs: u32,
    /// Untimed runs before them (shader compilation, allocator warm-up).
    #[arg(long, default_value_t = 1)]
    pub warmup: u32,
    /// Skip a case whose intermediates would need more than this many MiB.
    #[arg(long, default_value_t = 1024)]
    pub max_memory_mib: u64,
    /// Print one JSON object per line instead of a table.
    #[arg(long)]
    pub json: bool,
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

/// Time one case: `warmup` untimed then `runs` timed forward passes.
pub fn measure(case: &Case, device: &Device, options: &BenchArgs) -> Result<Measurement, String> {
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
            format!(
                "{} at {}×{} failed: {err}",
                case.mode, case.height, case.width
            )
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
            .ok_or_else(|| format!("{}: no timed run", case.mode))?,
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

/// Run the whole sweep and print it: a table, or JSON lines.
pub fn run(options: &BenchArgs, out: &mut impl Write) -> Result<(), String> {
    let started = options.backend.start()?;
    let device = started.device;
    let io = |err: io::Error| err.to_string();
    if !options.json {
        writeln!(
            out,
            "attention blocks on {} — median of {} runs after {} warm-up, batch 1",
            options.backend, options.runs, options.warmup
        )
        .map_err(io)?;
        writeln!(
            out,
            "{:<12} {:>9} {:>4} {:>11} {:>9} {:>9} {:>10} {:>12}",
            "mode", "H×W", "C", "median ms", "min ms", "GFLOP", "peak MiB", "backend MiB"
        )
        .map_err(io)?;
    }
    let limits = Limits {
        buffer_bytes: started.max_buffer_bytes,
        block_bytes: options.max_memory_mib << 20,
        block_source: "that --max-memory-mib allows",
    };
    let mut ratio = (None, None);
    for case in cases() {
        let cost = case.cost();
        let too_big = cost.check(&limits).err().map(|refusal| refusal.to_string());
        let outcome = match &too_big {
            Some(_) => None,
            None => Some(measure(&case, &device, options)?),
        };
        if options.json {
            writeln!(
                out,
                "{}",
                json_line(
                    &case,
                    &cost,
                    outcome.as_ref(),
                    too_big.as_deref(),
                    options.backend
                )
            )
            .map_err(io)?;
        } else {
            writeln!(
                out,
                "{}",
                table_line(&case, &cost, outcome.as_ref(), too_big.as_deref())
            )
            .map_err(io)?;
        }
        if ([case.height, case.width], case.channels) == RATIO_CASE {
            match case.mode {
                AttentionMode::Dot => ratio.0 = outcome.map(|m| (m, cost)),
                AttentionMode::Linear => ratio.1 = outcome.map(|m| (m, cost)),
                _ => {}
            }
        }
        out.flush().map_err(io)?;
    }
    if let (Some((dot, dot_cost)), Some((linear, linear_cost))) = ratio {
        let time = dot.median_ms / linear.median_ms;
        let memory = dot_cost.peak_bytes as f64 / linear_cost.peak_bytes as f64;
        let flops = dot_cost.flops as f64 / linear_cost.flops as f64;
        let attention_flops = (dot_cost.flops - dot_cost.projection_flops) as f64
            / (linear_cost.flops - linear_cost.projection_flops) as f64;
        let ([h, w], c) = RATIO_CASE;
        if options.json {
            let line = serde_json::json!({
                "summary": "dot/linear", "height": h, "width": w, "channels": c,
                "time_ratio": time, "memory_ratio": memory, "flop_ratio": flops,
                "attention_flop_ratio": attention_flops,
            });
            writeln!(out, "{line}").map_err(io)?;
        } else {
            writeln!(
                out,
                "dot ÷ linear at {h}×{w}, C = {c}: time {time:.1}×, memory {memory:.1}×, \
                 FLOPs {flops:.1}× ({attention_flops:.0}× without the 1×1 projections both share)"
            )
            .map_err(io)?;
        }
    }
    Ok(())
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1 << 20) as f64
}

fn table_line(
    case: &Case,
    cost: &BlockCost,
    outcome: Option<&Measurement>,
    skipped: Option<&str>,
) -> String {
    let size = format!("{}×{}", case.height, case.width);
    let head = format!("{:<12} {:>9} {:>4}", case.mode.name(), size, case.channels);
    match outcome {
        Some(m) => format!(
            "{head} {:>11.2} {:>9.2} {:>9.3} {:>10.1} {:>12}",
            m.median_ms,
            m.min_ms,
            cost.flops as f64 / 1e9,
            mib(cost.peak_bytes),
            m.backend_reserved_bytes
                .map_or("-".to_string(), |b| format!("{:.1}", mib(b))),
        ),
        None => format!("{head}   {} — skipped", skipped.unwrap_or_default()),
    }
}

fn json_line(
    case: &Case,
    cost: &BlockCost,
    outcome: Option<&Measurement>,
    skipped: Option<&str>,
    backend: Backend,
) -> String {
    let mut line = serde_json::json!({
        "backend": backend.name(),
        "mode": case.mode.name(),
        "height": case.height,
        "width": case.width,
        "channels": case.channels,
        "flops": cost.flops,
        "projection_flops": cost.projection_flops,
        "peak_bytes": cost.peak_bytes,
        "largest_buffer_bytes": cost.largest_buffer_bytes,
    });
    match outcome {
        Some(m) => {
            line["median_ms"] = m.median_ms.into();
            line["min_ms"] = m.min_ms.into();
            line["backend_reserved_bytes"] = m.backend_reserved_bytes.into();
        }
        None => {
            line["median_ms"] = serde_json::Value::Null;
            line["min_ms"] = serde_json::Value::Null;
            line["skipped"] = skipped.unwrap_or_default().into();
        }
    }
    line.to_string()
}
