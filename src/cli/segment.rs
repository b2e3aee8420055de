//! `linseg segment`: photos in, NAME.mask.png and NAME.overlay.png out for each, a line per
//! photo with the time of every step.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use image::{GrayImage, Rgba, RgbaImage};
use linseg::native::{files, weight_files};
use linseg::network::Network;
use linseg::pipeline::{Timings, segment_photo_blocking};
use linseg::{AttentionMode, Backend, Error, Result, cpu, photo, preprocess};

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
    #[arg(long, default_value = weight_files::DEFAULT_FOLDER)]
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
/// of every step; a photo that fails is said and the others go on. [`ExitCode::FAILURE`] when
/// any failed.
pub fn run(args: &SegmentArgs) -> Result<ExitCode> {
    cpu::force_baseline(args.baseline);
    let device = args.backend.device()?;
    let net = Network::new(
        weight_files::load(&args.models, args.mode, &device)?,
        &device,
    );
    let (photos, out) = (&args.photos, &args.out);
    files::make_folder(out)?;
    let max_pixels = args.max_megapixels * 1_000_000;
    let progress = Progress::new(photos.len());
    let mut failed = 0;
    for (done, path) in photos.iter().enumerate() {
        progress.show(done, path);
        match segment_file(&net, path, args.size, out, max_pixels) {
            Ok(written) => progress.println(&written.line(path, net.mode(), args.size)),
            Err(err) => {
                failed += 1;
                // A file's failure names its path already; any other is this photo's.
                let message = match err {
                    Error::File { .. } => err.to_string(),
                    _ => format!("{}: {err}", path.display()),
                };
                progress.eprintln(&format!("linseg: {message}"));
            }
        }
    }
    progress.finish();
    if failed > 0 {
        eprintln!("linseg: {failed} of {} photos failed", photos.len());
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// A photo's mask and overlay, written.
struct Written {
    segmentation: Segmentation,
    mask_path: PathBuf,
}

impl Written {
    /// The line printed for the photo at `path`: its size, mode and the time of every step.
    fn line(&self, path: &Path, mode: AttentionMode, size: u32) -> String {
        let Segmentation {
            photo,
            decode,
            timings: t,
            ..
        } = &self.segmentation;
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        format!(
            "{}: {}×{} {mode} @ {size}: decode {:.1} ms, preprocess {:.1} ms, inference {:.1} ms, readback {:.1} ms, postprocess {:.1} ms -> {}",
            path.display(),
            photo.width(),
            photo.height(),
            ms(*decode),
            ms(t.preprocess),
            ms(t.inference),
            ms(t.readback),
            ms(t.postprocess),
            self.mask_path.display(),
        )
    }
}

/// Segment the photo at `path` and write `STEM.mask.png` and `STEM.overlay.png` into `out`.
fn segment_file(
    net: &Network,
    path: &Path,
    size: u32,
    out: &Path,
    max_pixels: u64,
) -> Result<Written> {
    let segmentation = segment_bytes(net, &files::read(path)?, size, max_pixels)?;
    let stem = path
        .file_stem()
        .map_or("photo".into(), |s| s.to_string_lossy());
    let mask_path = out.join(format!("{stem}.mask.png"));
    let overlay_path = out.join(format!("{stem}.overlay.png"));
    segmentation
        .mask
        .save(&mask_path)
        .map_err(|err| Error::file(&mask_path, err))?;
    overlay(&segmentation.photo, &segmentation.mask)
        .save(&overlay_path)
        .map_err(|err| Error::file(&overlay_path, err))?;
    Ok(Written {
        segmentation,
        mask_path,
    })
}

/// The colour persons are tinted with in overlays.
const OVERLAY_COLOUR: [u8; 3] = [0, 200, 120];

/// One segmented photo.
struct Segmentation {
    /// The photo, upright, RGBA.
    photo: RgbaImage,
    /// The probability of a person per pixel, 0–255, at the photo's size.
    mask: GrayImage,
    /// Bytes to RGBA.
    decode: Duration,
    /// The pipeline's steps.
    timings: Timings,
}

/// Decode a photo's bytes and segment it at processing size `size`.
fn segment_bytes(net: &Network, bytes: &[u8], size: u32, max_pixels: u64) -> Result<Segmentation> {
    let start = Instant::now();
    let photo = photo::decode(bytes, max_pixels)?;
    let decode = start.elapsed();
    let masked = segment_photo_blocking(net, &photo, size)?;
    Ok(Segmentation {
        photo,
        mask: masked.mask,
        decode,
        timings: masked.timings,
    })
}

/// The photo with persons tinted: `photo · (1 − a) + colour · a`, `a = 0.6 · mask`; opaque, with
/// transparent pixels white (as the network saw them, `preprocess::over_white`).
fn overlay(photo: &RgbaImage, mask: &GrayImage) -> RgbaImage {
    let photo = preprocess::over_white(photo);
    RgbaImage::from_fn(photo.width(), photo.height(), |x, y| {
        let a = 0.6 * mask.get_pixel(x, y)[0] as f32 / 255.0;
        let p = photo.get_pixel(x, y);
        let blend =
            |c: usize| (p[c] as f32 * (1.0 - a) + OVERLAY_COLOUR[c] as f32 * a).round() as u8;
        Rgba([blend(0), blend(1), blend(2), 255])
    })
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
