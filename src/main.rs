//! The `linseg` command line: benchmark the attention modes, import the pretrained weights and
//! segment photos.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use linseg::attention::AttentionMode;
use linseg::backend::Backend;
use linseg::bench::{self, BenchOptions};
use linseg::dataset::{self, Split};
use linseg::network::Network;
use linseg::network_bench::{self, NetworkBenchOptions};
use linseg::train::{self, TrainOptions, TrainingPhoto};
use linseg::{eval, import, photo, segment, weights};

/// Semantic segmentation with the Linear Attention Mechanism.
#[derive(Parser, Debug)]
#[command(name = "linseg", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Measure time and memory.
    Bench {
        #[command(subcommand)]
        target: BenchTarget,
    },
    /// Convert MediaPipe Selfie Segmentation's TensorFlow.js weights into one record per mode.
    Import {
        /// The folder holding selfie.json and selfie.bin (see scripts/fetch-selfie.sh).
        #[arg(long)]
        from: PathBuf,
        /// Where the records go.
        #[arg(long, default_value = "models")]
        out: PathBuf,
    },
    /// Segment photos: writes NAME.mask.png and NAME.overlay.png for each.
    Segment {
        /// JPEG or PNG files.
        #[arg(required = true)]
        photos: Vec<PathBuf>,
        /// Attention mode: none, dot, linear, efficient or criss-cross.
        #[arg(long, default_value = "linear")]
        mode: AttentionMode,
        /// Processing size: the longer side of the network's input, in pixels. Above 256 the
        /// network also runs at 256 and the two masks are fused (see src/refine.rs).
        #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(32..=2048))]
        size: u32,
        /// Output folder.
        #[arg(long, default_value = ".")]
        out: PathBuf,
        /// The folder holding the weight records.
        #[arg(long, default_value = "models")]
        models: PathBuf,
        /// Where the network runs: cpu or wgpu.
        #[arg(long, default_value = "cpu")]
        backend: Backend,
        /// Refuse photos larger than this many megapixels.
        #[arg(long, default_value_t = photo::DEFAULT_MAX_PIXELS / 1_000_000)]
        max_megapixels: u64,
    },
    /// Train one mode's context block on the training photos: writes models/selfie-<mode>.bpk.
    Train {
        /// The mode whose block is trained (not none: it has no block).
        #[arg(long)]
        mode: AttentionMode,
        #[command(flatten)]
        data: DataArgs,
        /// Optimiser steps.
        #[arg(long, default_value_t = TrainOptions::default().steps)]
        steps: usize,
        /// Seed of the block's initial weights and of the augmentation.
        #[arg(long, default_value_t = TrainOptions::default().seed)]
        seed: u64,
        /// Where the network being trained runs: cpu or wgpu (its teacher runs on the CPU).
        #[arg(long, default_value = "cpu")]
        backend: Backend,
    },
    /// Score every mode on the held-out photos: writes models/metrics.json and prints a table.
    Eval {
        #[command(flatten)]
        data: DataArgs,
        /// Processing sizes.
        #[arg(long, value_delimiter = ',', default_values_t = [256, 512, 1024])]
        sizes: Vec<u32>,
        /// Where the scores are written.
        #[arg(long, default_value = "models/metrics.json")]
        out: PathBuf,
    },
}

/// Where training and evaluation find photos and weights.
#[derive(clap::Args, Debug)]
struct DataArgs {
    /// The photos' folder (default: ~/.cache/linseg/photos, from scripts/fetch-photos.sh).
    #[arg(long)]
    photos: Option<PathBuf>,
    /// The photo list with the fixed train / held-out split.
    #[arg(long, default_value = "models/photos.json")]
    manifest: PathBuf,
    /// The folder of the weight records (read, and for train written).
    #[arg(long, default_value = "models")]
    models: PathBuf,
}

/// The photos' folder, as `scripts/fetch-photos.sh` leaves it.
fn default_photos() -> PathBuf {
    let cache = std::env::var_os("LINSEG_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/linseg")
        });
    cache.join("photos")
}

#[derive(Subcommand, Debug)]
enum BenchTarget {
    /// Every attention mode on feature maps from 16×16 to 128×128, C = 64 and 128.
    Attention {
        /// Where the blocks run: cpu or wgpu.
        #[arg(long, default_value = "cpu")]
        backend: Backend,
        /// Timed runs per case.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Untimed runs before them.
        #[arg(long, default_value_t = 1)]
        warmup: usize,
        /// Skip a case whose intermediates would need more than this many MiB.
        #[arg(long, default_value_t = 1024)]
        max_memory_mib: u64,
        /// Print one JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The whole network on the CPU: time per kind of layer on the CPU kernels, and the same
    /// weights and input through Burn's generic path. Set RAYON_NUM_THREADS for Burn's pool.
    Network {
        /// The photo, stretched to a square of --size (as MediaPipe feeds this network).
        #[arg(long, default_value = "tests/fixtures/golden/astronaut.input.png")]
        photo: PathBuf,
        /// The side of the square input, a multiple of 16.
        #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(16..=2048))]
        size: u32,
        /// Attention mode: none, dot, linear, efficient or criss-cross.
        #[arg(long, default_value = "none")]
        mode: AttentionMode,
        /// The folder holding the weight records.
        #[arg(long, default_value = "models")]
        models: PathBuf,
        /// Timed runs of each path.
        #[arg(long, default_value_t = 50)]
        runs: usize,
        /// Untimed runs first.
        #[arg(long, default_value_t = 5)]
        warmup: usize,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Bench {
            target:
                BenchTarget::Attention {
                    backend,
                    runs,
                    warmup,
                    max_memory_mib,
                    json,
                },
        } => {
            let options = BenchOptions {
                backend,
                runs: runs.max(1),
                warmup,
                max_memory_bytes: max_memory_mib << 20,
                json,
            };
            bench::run(&options, &mut std::io::stdout().lock())
        }
        Command::Bench {
            target:
                BenchTarget::Network {
                    photo,
                    size,
                    mode,
                    models,
                    runs,
                    warmup,
                    json,
                },
        } => {
            let options = NetworkBenchOptions {
                photo,
                size,
                mode,
                models,
                runs: runs.max(1),
                warmup,
                json,
            };
            network_bench::run(&options, &mut std::io::stdout().lock())
        }
        Command::Import { from, out } => run_import(&from, &out),
        Command::Segment {
            photos,
            mode,
            size,
            out,
            models,
            backend,
            max_megapixels,
        } => run_segment(
            &photos,
            mode,
            size,
            &out,
            &models,
            backend,
            max_megapixels * 1_000_000,
        ),
        Command::Train {
            mode,
            data,
            steps,
            seed,
            backend,
        } => {
            let options = TrainOptions {
                steps,
                seed,
                ..TrainOptions::default()
            };
            run_train(mode, &data, backend, &options)
        }
        Command::Eval { data, sizes, out } => run_eval(&data, &sizes, &out),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("linseg: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run_import(from: &Path, out: &Path) -> Result<(), String> {
    let read = |name: &str| {
        let path = from.join(name);
        std::fs::read(&path).map_err(|err| format!("{}: {err}", path.display()))
    };
    let (json, bin) = (read("selfie.json")?, read("selfie.bin")?);
    std::fs::create_dir_all(out).map_err(|err| format!("{}: {err}", out.display()))?;
    let device = linseg::backend::Backend::Cpu.device()?;
    for mode in AttentionMode::ALL {
        // The blocks start from the same seed every time, so the records are reproducible.
        device.seed(0);
        let net = import::import_selfie(&json, &bin, mode, &device)?;
        let path = weights::save(net, out)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

fn run_train(
    mode: AttentionMode,
    data: &DataArgs,
    backend: Backend,
    options: &TrainOptions,
) -> Result<(), String> {
    if mode == AttentionMode::None {
        return Err("mode none has no context block: there is nothing to train".into());
    }
    let (models, photos) = (
        &data.models,
        data.photos.clone().unwrap_or_else(default_photos),
    );
    let plain = Backend::Cpu.device()?;
    let teacher = weights::load(models, AttentionMode::None, &plain)?;
    let teacher_network = Network::new(teacher.clone(), &plain);
    let photos: Vec<TrainingPhoto> = dataset::load(&data.manifest, &photos, Split::Train)?
        .into_iter()
        .map(|photo| TrainingPhoto::new(photo.image, &teacher_network))
        .collect();
    let student = weights::pretrained_with_new_block(
        models,
        mode,
        options.seed,
        &backend.device()?.autodiff(),
    )?;
    println!(
        "training the {mode} block on {} photos, {} steps, seed {}, on {backend}",
        photos.len(),
        options.steps,
        options.seed
    );
    let started = std::time::Instant::now();
    let mut smoothed = None;
    let trained = train::train(student, &teacher, &photos, options, &plain, |step, loss| {
        let average = smoothed.map_or(loss, |s: f64| 0.9 * s + 0.1 * loss);
        smoothed = Some(average);
        if step % 10 == 0 || step == options.steps {
            println!(
                "{}",
                train::progress_line(step, options.steps, average, started)
            );
        }
    });
    let gamma = trained
        .context
        .gamma()
        .map(|g| g.val().into_scalar::<f32>());
    let path = weights::save(trained, models)?;
    println!(
        "wrote {} (γ = {:.4}) in {:.1} min",
        path.display(),
        gamma.unwrap_or(0.0),
        started.elapsed().as_secs_f64() / 60.0
    );
    Ok(())
}

fn run_eval(data: &DataArgs, sizes: &[u32], out: &Path) -> Result<(), String> {
    let (models, photos) = (
        &data.models,
        data.photos.clone().unwrap_or_else(default_photos),
    );
    let device = Backend::Cpu.device()?;
    let photos = dataset::load(&data.manifest, &photos, Split::Heldout)?;
    let names: Vec<&str> = photos.iter().map(|photo| photo.name.as_str()).collect();
    let networks = AttentionMode::ALL
        .into_iter()
        .map(|mode| weights::load(models, mode, &device).map(|net| Network::new(net, &device)))
        .collect::<Result<Vec<_>, _>>()?;
    let reference = networks
        .iter()
        .find(|net| net.mode() == AttentionMode::None)
        .expect("AttentionMode::ALL holds none");
    println!("{} held-out photos: {}", names.len(), names.join(", "));
    println!(
        "{:<12} {:>5} {:<14} {:>7} {:>11} {:>11}   single pass: {:>7} {:>11}",
        "mode", "size", "photos", "IoU", "boundary F", "ms / photo", "IoU", "boundary F"
    );
    let evaluation = eval::evaluate(&networks, reference, &photos, sizes, |s| {
        println!(
            "{:<12} {:>5} {:<14} {:>7.4} {:>11.4} {:>11.1}                {:>7.4} {:>11.4}",
            s.mode,
            s.size,
            s.photos,
            s.iou,
            s.boundary_f,
            s.ms_per_photo,
            s.single_pass_iou,
            s.single_pass_boundary_f
        );
    });
    let metrics = serde_json::json!({
        "reference": "the pretrained network's mask at 256 px (selfie-none.bpk), scaled to the photo",
        "boundary_tolerance": "0.75 % of the photo diagonal",
        "heldout": names,
        "backend": "cpu (Burn Flex)",
        "scores": evaluation.scores,
        "per_photo": evaluation.photos,
    });
    let text = serde_json::to_string_pretty(&metrics).map_err(|err| err.to_string())?;
    std::fs::write(out, text + "\n").map_err(|err| format!("{}: {err}", out.display()))?;
    println!("wrote {}", out.display());
    Ok(())
}

fn run_segment(
    photos: &[PathBuf],
    mode: AttentionMode,
    size: u32,
    out: &Path,
    models: &Path,
    backend: Backend,
    max_pixels: u64,
) -> Result<(), String> {
    let device = backend.device()?;
    let net = Network::new(weights::load(models, mode, &device)?, &device);
    std::fs::create_dir_all(out).map_err(|err| format!("{}: {err}", out.display()))?;
    let progress = Progress::new(photos.len());
    let mut failed = 0;
    for (done, path) in photos.iter().enumerate() {
        progress.show(done, path);
        match segment_file(&net, path, size, out, max_pixels) {
            Ok(line) => progress.println(&line),
            Err(message) => {
                failed += 1;
                progress.eprintln(&format!("linseg: {}: {message}", path.display()));
            }
        }
    }
    progress.finish();
    match failed {
        0 => Ok(()),
        n => Err(format!("{n} of {} photos failed", photos.len())),
    }
}

fn segment_file(
    net: &Network,
    path: &Path,
    size: u32,
    out: &Path,
    max_pixels: u64,
) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|err| err.to_string())?;
    let result =
        segment::segment_bytes(net, &bytes, size, max_pixels).map_err(|err| err.to_string())?;
    let stem = path
        .file_stem()
        .map_or("photo".into(), |s| s.to_string_lossy());
    let mask_path = out.join(format!("{stem}.mask.png"));
    let overlay_path = out.join(format!("{stem}.overlay.png"));
    result
        .mask
        .save(&mask_path)
        .map_err(|err| format!("{}: {err}", mask_path.display()))?;
    segment::overlay(&result.photo, &result.mask)
        .save(&overlay_path)
        .map_err(|err| format!("{}: {err}", overlay_path.display()))?;
    let t = result.timings;
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    Ok(format!(
        "{}: {}×{} {} @ {size}: decode {:.1} ms, preprocess {:.1} ms, inference {:.1} ms, postprocess {:.1} ms -> {}",
        path.display(),
        result.photo.width(),
        result.photo.height(),
        net.mode(),
        ms(t.decode),
        ms(t.preprocess),
        ms(t.inference),
        ms(t.postprocess),
        mask_path.display(),
    ))
}

/// A one-line progress bar on standard error, drawn only on a terminal and for several files.
struct Progress {
    total: usize,
    draw: bool,
}

impl Progress {
    fn new(total: usize) -> Self {
        Progress {
            total,
            draw: total > 1 && std::io::stderr().is_terminal(),
        }
    }

    fn show(&self, done: usize, path: &Path) {
        if self.draw {
            let filled = 30 * done / self.total;
            eprint!(
                "\r\x1b[2K[{}{}] {done}/{} {}",
                "#".repeat(filled),
                " ".repeat(30 - filled),
                self.total,
                path.display()
            );
            let _ = std::io::stderr().flush();
        }
    }

    fn clear(&self) {
        if self.draw {
            eprint!("\r\x1b[2K");
        }
    }

    fn println(&self, line: &str) {
        self.clear();
        println!("{line}");
    }

    fn eprintln(&self, line: &str) {
        self.clear();
        eprintln!("{line}");
    }

    fn finish(&self) {
        self.clear();
    }
}
