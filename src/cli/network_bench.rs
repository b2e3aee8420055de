//! `linseg bench network`: the whole network's inference on the CPU, per kind of layer, and the
//! same weights and input through Burn's generic path, measured in one run.

use std::io::Write;
use std::path::Path;

use burn::tensor::Device;
use image::imageops::{self, FilterType};

use linseg::attention::AttentionMode;
use linseg::cpu::{self, FeatureMap, Step};
use linseg::model::{STRIDE, SelfieNet};
use linseg::native::{files, weight_files};
use linseg::tools::bench::network;
use linseg::{Error, photo, preprocess};

use crate::mode;

/// `linseg bench network`: the whole network on the CPU, time per kind of layer on the CPU
/// kernels, and the same weights and input through Burn's generic path. Set RAYON_NUM_THREADS
/// for Burn's pool.
#[derive(Debug, Clone, clap::Args)]
pub struct NetworkBenchArgs {
    /// The photo, stretched to a square of --size (as MediaPipe feeds this network).
    #[arg(long, default_value = "tests/fixtures/golden/astronaut.input.png")]
    pub photo: std::path::PathBuf,
    /// The side of the square input, a multiple of 16.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(16..=2048))]
    pub size: u32,
    /// Attention mode.
    #[arg(long, default_value = "none", value_parser = mode::parser())]
    pub mode: AttentionMode,
    /// The folder holding the weight records.
    #[arg(long, default_value = weight_files::DEFAULT_FOLDER)]
    pub models: std::path::PathBuf,
    /// Timed runs of each path.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..))]
    pub runs: u32,
    /// Untimed runs first.
    #[arg(long, default_value_t = 5)]
    pub warmup: u32,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Run the CPU kernels' baseline form (plain floats) instead of the best the CPU has (AVX2).
    #[arg(long)]
    pub baseline: bool,
}

/// The photo stretched to `size × size`, RGB in `[0, 1]`, channels last.
fn square_input(path: &Path, size: u32) -> linseg::Result<FeatureMap> {
    let bytes = files::read(path)?;
    let image =
        photo::decode(&bytes, photo::DEFAULT_MAX_PIXELS).map_err(|err| Error::file(path, err))?;
    let square = imageops::resize(&image, size, size, FilterType::Triangle);
    let letterbox = preprocess::Letterbox::new(size, size, size);
    Ok(preprocess::to_pixels(&square, &letterbox))
}

/// Run the benchmark and write its report to `out`.
pub fn run(options: &NetworkBenchArgs, out: &mut impl Write) -> linseg::Result<()> {
    if options.size == 0 || options.size as usize % STRIDE != 0 {
        return Err(Error::BadOption(format!(
            "--size must be a multiple of {STRIDE}"
        )));
    }
    let device = Device::flex();
    let net: SelfieNet = weight_files::load(&options.models, options.mode, &device)?;
    cpu::force_baseline(options.baseline);
    let pixels = square_input(&options.photo, options.size)?;
    let measured = network::measure(&net, &pixels, options.runs, options.warmup, &device)?;
    let (profile, max_diff) = (&measured.profile, measured.max_abs_difference);

    let threads = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let (median, p90) = measured.kernel_ms();
    let (burn_median, burn_p90) = measured.burn_ms();
    let runs = options.runs as f64;
    let step_ms = |step: Step| profile.total(step).as_secs_f64() * 1e3 / runs;

    if options.json {
        let steps: Vec<serde_json::Value> = Step::ALL
            .iter()
            .filter(|&&step| profile.layers(step) > 0)
            .map(|&step| {
                serde_json::json!({
                    "step": step.name(),
                    "layers": profile.layers(step) / options.runs,
                    "ms": step_ms(step),
                })
            })
            .collect();
        let report = serde_json::json!({
            "size": options.size,
            "height": pixels.height,
            "width": pixels.width,
            "mode": options.mode.to_string(),
            "threads": threads,
            "kernel_threads": cpu::threads(),
            "runs": options.runs,
            "median_ms": median,
            "p90_ms": p90,
            "burn_median_ms": burn_median,
            "burn_p90_ms": burn_p90,
            "max_abs_difference": max_diff,
            "steps": steps,
        });
        writeln!(out, "{report}").map_err(crate::stdout_failed)?;
        return Ok(());
    }

    writeln!(
        out,
        "{} network, {}×{} input ({}), CPU, Burn's pool {threads} thread(s), CPU kernels {} thread(s); {} runs after {} warm-ups\n",
        options.mode,
        pixels.width,
        pixels.height,
        options.photo.display(),
        cpu::threads(),
        options.runs,
        options.warmup
    )
    .map_err(crate::stdout_failed)?;
    writeln!(
        out,
        "| layer kind | layers | ms per run | share |\n|---|---|---|---|"
    )
    .map_err(crate::stdout_failed)?;
    let total = profile.sum().as_secs_f64() * 1e3 / runs;
    for step in Step::ALL {
        if profile.layers(step) == 0 {
            continue;
        }
        writeln!(
            out,
            "| {} | {} | {:.3} | {:.0} % |",
            step.name(),
            profile.layers(step) / options.runs,
            step_ms(step),
            100.0 * step_ms(step) / total
        )
        .map_err(crate::stdout_failed)?;
    }
    writeln!(out, "| sum of layers | | {total:.3} | |\n").map_err(crate::stdout_failed)?;
    writeln!(
        out,
        "CPU kernels: median {median:.2} ms, p90 {p90:.2} ms\nBurn generic path (same weights, same input): median {burn_median:.2} ms, p90 {burn_p90:.2} ms\nmax |difference| of the probabilities: {max_diff:.1e}\nCPU kernels ÷ Burn generic path: {:.2}×",
        median / burn_median
    )
    .map_err(crate::stdout_failed)?;
    Ok(())
}
