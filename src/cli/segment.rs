//! `linseg segment`: photos in, NAME.mask.png and NAME.overlay.png out for each, a line per
//! photo with the time of every step.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use linseg::attention::AttentionMode;
use linseg::backend::Backend;
use linseg::cpu;
use linseg::network::Network;
use linseg::{files, photo, segment, weights};

use crate::mode;

/// `linseg segment`: photos in, NAME.mask.png and NAME.overlay.png out for each.
#[derive(Debug, Clone, clap::Args)]
pub struct SegmentArgs {
    /// JPEG or PNG files.
    #[arg(required = true)]
    pub photos: Vec<PathBuf>,
    /// Attention mode.
    #[arg(long, default_value = "linear", value_parser = mode::parser())]
    pub mode: AttentionMode,
    /// Processing size: the longer side of the network's input, in pixels. Above 256 the
    /// network also runs at 256 and the two masks are fused (see src/refine.rs).
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(32..=2048))]
    pub size: u32,
    /// Output folder.
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
    /// The folder holding the weight records.
    #[arg(long, default_value = weights::DEFAULT_FOLDER)]
    pub models: PathBuf,
    /// Where the network runs: cpu or wgpu.
    #[arg(long, default_value = "cpu")]
    pub backend: Backend,
    /// Refuse photos larger than this many megapixels.
    #[arg(long, default_value_t = photo::DEFAULT_MAX_PIXELS / 1_000_000)]
    pub max_megapixels: u64,
    /// Run the CPU kernels' baseline form (plain floats) instead of the best the CPU has (AVX2).
    #[arg(long)]
    pub baseline: bool,
}

/// Run `linseg segment`: each photo's mask and overlay written, a line per photo with the time
/// of every step; a photo that fails is reported and the others go on.
pub fn run(args: &SegmentArgs) -> Result<(), String> {
    cpu::force_baseline(args.baseline);
    let device = args.backend.device()?;
    let net = Network::new(weights::load(&args.models, args.mode, &device)?, &device);
    let (photos, out) = (&args.photos, &args.out);
    files::make_folder(out)?;
    let max_pixels = args.max_megapixels * 1_000_000;
    let progress = Progress::new(photos.len());
    let mut failed = 0;
    for (done, path) in photos.iter().enumerate() {
        progress.show(done, path);
        match segment_file(&net, path, args.size, out, max_pixels) {
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
    let bytes = std::fs::read(path).map_err(|err| files::plain_words(&err))?;
    let result = segment::segment_bytes(net, &bytes, size, max_pixels)?;
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
        "{}: {}×{} {} @ {size}: decode {:.1} ms, preprocess {:.1} ms, inference {:.1} ms, readback {:.1} ms, postprocess {:.1} ms -> {}",
        path.display(),
        result.photo.width(),
        result.photo.height(),
        net.mode(),
        ms(result.decode),
        ms(t.preprocess),
        ms(t.inference),
        ms(t.readback),
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
