//! `linseg bench attention`: the time and memory of every attention mode as the map grows, all
//! measured in one run on one backend so that ratios between modes are fair; a table or JSON
//! lines.

use std::io::Write;

use linseg::Backend;
use linseg::attention::{AttentionMode, BlockCost, Limits};
use linseg::tools::bench::attention::{self, Case, MeasureOptions, Measurement};

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
    #[arg(long, default_value_t = MeasureOptions::default().runs, value_parser = clap::value_parser!(u32).range(1..))]
    pub runs: u32,
    /// Untimed runs before them (shader compilation, allocator warm-up).
    #[arg(long, default_value_t = MeasureOptions::default().warmup)]
    pub warmup: u32,
    /// Skip a case whose intermediates would need more than this many MiB.
    #[arg(long, default_value_t = 1024)]
    pub max_memory_mib: u64,
    /// Print one JSON object per line instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Run the whole sweep and print it: a table, or JSON lines.
pub fn run(options: &BenchArgs, out: &mut impl Write) -> linseg::Result<()> {
    let started = options.backend.start()?;
    let device = started.device;
    if !options.json {
        writeln!(
            out,
            "attention blocks on {} — median of {} runs after {} warm-up, batch 1",
            options.backend, options.runs, options.warmup
        )
        .map_err(crate::stdout_failed)?;
        writeln!(
            out,
            "{:<12} {:>9} {:>4} {:>11} {:>9} {:>9} {:>10} {:>12}",
            "mode", "H×W", "C", "median ms", "min ms", "GFLOP", "peak MiB", "backend MiB"
        )
        .map_err(crate::stdout_failed)?;
    }
    let limits = Limits {
        buffer_bytes: started.max_buffer_bytes,
        block_bytes: options.max_memory_mib << 20,
        block_source: "that --max-memory-mib allows",
    };
    let mut ratio = (None, None);
    let measure_options = MeasureOptions {
        runs: options.runs,
        warmup: options.warmup,
    };
    for case in attention::cases() {
        let cost = case.cost();
        let too_big = cost.check(&limits).err().map(|refusal| refusal.to_string());
        let outcome = match &too_big {
            Some(_) => None,
            None => Some(attention::measure(&case, &device, &measure_options)?),
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
            .map_err(crate::stdout_failed)?;
        } else {
            writeln!(
                out,
                "{}",
                table_line(&case, &cost, outcome.as_ref(), too_big.as_deref())
            )
            .map_err(crate::stdout_failed)?;
        }
        if ([case.height, case.width], case.channels) == RATIO_CASE {
            match case.mode {
                AttentionMode::Dot => ratio.0 = outcome.map(|m| (m, cost)),
                AttentionMode::Linear => ratio.1 = outcome.map(|m| (m, cost)),
                _ => {}
            }
        }
        out.flush().map_err(crate::stdout_failed)?;
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
            writeln!(out, "{line}").map_err(crate::stdout_failed)?;
        } else {
            writeln!(
                out,
                "dot ÷ linear at {h}×{w}, C = {c}: time {time:.1}×, memory {memory:.1}×, \
                 FLOPs {flops:.1}× ({attention_flops:.0}× without the 1×1 projections both share)"
            )
            .map_err(crate::stdout_failed)?;
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
