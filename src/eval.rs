//! `linseg eval`: how well each mode keeps, at 512 and 1024 px, the masks the network gives at
//! the 256 px it was trained at — on held-out photos that never entered training.
//!
//! Each size is scored twice: as `linseg segment` and the page segment (above 256 px a global
//! and a detail pass, see [`crate::refine`]), and the network alone in a single pass, which is
//! what the attention blocks were trained to improve.
//!
//! The reference for a photo is the pretrained network's mask at 256 px, scaled to the photo
//! (there are no human labels for these photos). The scores: IoU of the masks at 0.5, and the
//! boundary F-score of Perazzi et al. (DAVIS 2016): boundary pixels count as matched within
//! 0.75 % of the photo's diagonal.

use std::time::Instant;

use image::GrayImage;

use crate::attention::AttentionMode;
use crate::backend::Backend;
use crate::dataset::{self, DataArgs, Photo, Split};
use crate::model::TRAINED_SIZE;
use crate::network::Network;
use crate::preprocess;
use crate::refine::Plan;
use crate::{segment, weights};

/// `linseg eval`: every mode scored on the held-out photos; writes models/metrics.json and
/// prints a table.
#[derive(Debug, Clone, clap::Args)]
pub struct EvalArgs {
    /// Where the photos and weights are.
    #[command(flatten)]
    pub data: DataArgs,
    /// Processing sizes.
    #[arg(long, value_delimiter = ',', default_values_t = [256, 512, 1024])]
    pub sizes: Vec<u32>,
    /// Where the scores are written.
    #[arg(long, default_value = "models/metrics.json")]
    pub out: std::path::PathBuf,
}

/// One mode at one size, averaged over the photos.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Score {
    /// The attention mode's name.
    pub mode: String,
    /// The processing size (longer side, px).
    pub size: u32,
    /// Which photos the means are over: every held-out photo, or those with people.
    pub photos: Subset,
    /// Mean IoU against the reference, as segmented.
    pub iou: f64,
    /// Mean boundary F-score against the reference, as segmented.
    pub boundary_f: f64,
    /// Mean IoU of the network alone, in a single pass at this size.
    pub single_pass_iou: f64,
    /// Mean boundary F-score of the network alone, in a single pass at this size.
    pub single_pass_boundary_f: f64,
    /// Mean milliseconds per photo as segmented: preprocessing, every pass and postprocessing.
    pub ms_per_photo: f64,
}

/// The photos a [`Score`] averages over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Subset {
    /// Every held-out photo.
    All,
    /// The held-out photos with people; on the others the reference itself is rarely empty
    /// (the network finds "persons" in cats and coffee cups), so a few pixels move the IoU a lot.
    WithPeople,
}

impl std::fmt::Display for Subset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(match self {
            Subset::All => "all",
            Subset::WithPeople => "with people",
        })
    }
}

/// `|A ∩ B| / |A ∪ B|` of two masks thresholded at 128 (1 when both are empty).
pub fn iou(a: &GrayImage, b: &GrayImage) -> f64 {
    iou_of(
        a.pixels().map(|p| p[0] >= 128),
        b.pixels().map(|p| p[0] >= 128),
    )
}

/// `|A ∩ B| / |A ∪ B|` of two masks given pixel by pixel (1 when both are empty).
pub fn iou_of(a: impl IntoIterator<Item = bool>, b: impl IntoIterator<Item = bool>) -> f64 {
    let (mut both, mut either) = (0u64, 0u64);
    for (p, q) in a.into_iter().zip(b) {
        both += (p && q) as u64;
        either += (p || q) as u64;
    }
    if either == 0 {
        1.0
    } else {
        both as f64 / either as f64
    }
}

/// The pixels of the mask (≥ 128) with a 4-neighbour outside it, row-major.
fn boundary(mask: &GrayImage) -> Vec<bool> {
    let (w, h) = mask.dimensions();
    let inside = |x: i64, y: i64| {
        x >= 0
            && y >= 0
            && x < w as i64
            && y < h as i64
            && mask.get_pixel(x as u32, y as u32)[0] >= 128
    };
    let mut out = vec![false; (w * h) as usize];
    for y in 0..h as i64 {
        for x in 0..w as i64 {
            out[(y * w as i64 + x) as usize] = inside(x, y)
                && [(-1, 0), (1, 0), (0, -1), (0, 1)]
                    .iter()
                    .any(|(dx, dy)| !inside(x + dx, y + dy));
        }
    }
    out
}

/// Grow a boolean grid by `radius` in every direction (a square, done as two 1-D passes).
fn dilate(grid: &[bool], width: usize, height: usize, radius: usize) -> Vec<bool> {
    let pass = |grid: &[bool], along_rows: bool| {
        let mut out = vec![false; grid.len()];
        let (outer, inner) = if along_rows {
            (height, width)
        } else {
            (width, height)
        };
        let at = |o: usize, i: usize| {
            if along_rows {
                o * width + i
            } else {
                i * width + o
            }
        };
        for o in 0..outer {
            let mut last_true: Option<usize> = None;
            let mut next_true = (0..inner).find(|&i| grid[at(o, i)]);
            for i in 0..inner {
                if grid[at(o, i)] {
                    last_true = Some(i);
                }
                if next_true.is_some_and(|n| n < i) {
                    next_true = (i..inner).find(|&j| grid[at(o, j)]);
                }
                let near_before = last_true.is_some_and(|l| i - l <= radius);
                let near_after = next_true.is_some_and(|n| n - i <= radius);
                out[at(o, i)] = near_before || near_after;
            }
        }
        out
    };
    pass(&pass(grid, true), false)
}

/// The boundary F-score of `predicted` against `reference`, boundaries matched within
/// 0.75 % of the diagonal (at least one pixel).
pub fn boundary_f_score(predicted: &GrayImage, reference: &GrayImage) -> f64 {
    let (w, h) = predicted.dimensions();
    let radius = ((0.0075 * ((w * w + h * h) as f64).sqrt()).round() as usize).max(1);
    let (ours, theirs) = (boundary(predicted), boundary(reference));
    let count = |pixels: &[bool]| pixels.iter().filter(|&&b| b).count();
    match (count(&ours), count(&theirs)) {
        (0, 0) => return 1.0,
        (0, _) | (_, 0) => return 0.0,
        _ => {}
    }
    // The share of one boundary's pixels that lie within the radius of the other boundary.
    let matched = |pixels: &[bool], other: &[bool]| {
        let near = dilate(other, w as usize, h as usize, radius);
        let hits = pixels.iter().zip(&near).filter(|&(&b, &n)| b && n).count();
        hits as f64 / count(pixels) as f64
    };
    let (precision, recall) = (matched(&ours, &theirs), matched(&theirs, &ours));
    if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    }
}

/// One mode at one size on one photo.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PhotoScore {
    /// The attention mode's name.
    pub mode: String,
    /// The processing size (longer side, px).
    pub size: u32,
    /// The photo's file name.
    pub photo: String,
    /// IoU against the reference, as segmented.
    pub iou: f64,
    /// Boundary F-score against the reference, as segmented.
    pub boundary_f: f64,
    /// IoU of the network alone, in a single pass.
    pub single_pass_iou: f64,
    /// Boundary F-score of the network alone, in a single pass.
    pub single_pass_boundary_f: f64,
    /// Milliseconds as segmented.
    pub ms: f64,
}

/// What [`evaluate`] measured: the means and every photo's own scores.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// One per mode, size and [`Subset`].
    pub scores: Vec<Score>,
    /// One per mode, size and photo.
    pub photos: Vec<PhotoScore>,
}

/// Score each network at each size on the photos, against `reference` at 256 px;
/// `report` is called with each [`Score`] as soon as it is known.
pub fn evaluate(
    networks: &[Network],
    reference: &Network,
    photos: &[Photo],
    sizes: &[u32],
    mut report: impl FnMut(&Score),
) -> Evaluation {
    let references: Vec<GrayImage> = photos
        .iter()
        .map(|photo| segment::segment_photo(reference, &photo.image, TRAINED_SIZE as u32).0)
        .collect();
    let mut evaluation = Evaluation {
        scores: Vec::new(),
        photos: Vec::new(),
    };
    for net in networks {
        for &size in sizes {
            let per_photo: Vec<PhotoScore> = photos
                .iter()
                .zip(&references)
                .map(|(photo, reference)| {
                    let started = Instant::now();
                    let plan = Plan::new(photo.image.width(), photo.image.height(), size);
                    let passes = net.run_passes(&photo.image, &plan);
                    let mask = plan.mask(&passes.detail, passes.global.as_deref());
                    let ms = started.elapsed().as_secs_f64() * 1e3;
                    // The detail pass alone is the network alone, in one pass at this size.
                    let single = preprocess::to_mask(&passes.detail, &plan.detail);
                    PhotoScore {
                        mode: net.mode().to_string(),
                        size,
                        photo: photo.name.clone(),
                        iou: iou(&mask, reference),
                        boundary_f: boundary_f_score(&mask, reference),
                        single_pass_iou: iou(&single, reference),
                        single_pass_boundary_f: boundary_f_score(&single, reference),
                        ms,
                    }
                })
                .collect();
            for subset in [Subset::All, Subset::WithPeople] {
                let chosen: Vec<&PhotoScore> = per_photo
                    .iter()
                    .zip(photos)
                    .filter(|(_, photo)| subset == Subset::All || photo.people)
                    .map(|(score, _)| score)
                    .collect();
                if chosen.is_empty() {
                    continue;
                }
                let mean = |value: fn(&PhotoScore) -> f64| {
                    chosen.iter().map(|score| value(score)).sum::<f64>() / chosen.len() as f64
                };
                let score = Score {
                    mode: net.mode().to_string(),
                    size,
                    photos: subset,
                    iou: mean(|s| s.iou),
                    boundary_f: mean(|s| s.boundary_f),
                    single_pass_iou: mean(|s| s.single_pass_iou),
                    single_pass_boundary_f: mean(|s| s.single_pass_boundary_f),
                    ms_per_photo: mean(|s| s.ms),
                };
                report(&score);
                evaluation.scores.push(score);
            }
            evaluation.photos.extend(per_photo);
        }
    }
    evaluation
}

/// Run `linseg eval`: the table printed as it fills, the scores written to --out.
pub fn run(args: &EvalArgs) -> Result<(), String> {
    let (data, sizes, out) = (&args.data, &args.sizes, &args.out);
    let (models, photos) = (&data.models, data.photos());
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
    let evaluation = evaluate(&networks, reference, &photos, sizes, |s| {
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

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    fn disc(size: u32, cx: f64, cy: f64, r: f64) -> GrayImage {
        GrayImage::from_fn(size, size, |x, y| {
            let d = ((x as f64 - cx).powi(2) + (y as f64 - cy).powi(2)).sqrt();
            Luma([if d <= r { 255 } else { 0 }])
        })
    }

    #[test]
    fn identical_masks_score_one() {
        let a = disc(100, 50.0, 50.0, 20.0);
        assert_eq!(iou(&a, &a), 1.0);
        assert_eq!(boundary_f_score(&a, &a), 1.0);
    }

    #[test]
    fn disjoint_masks_score_zero() {
        let (a, b) = (disc(100, 20.0, 20.0, 10.0), disc(100, 80.0, 80.0, 10.0));
        assert_eq!(iou(&a, &b), 0.0);
        assert_eq!(boundary_f_score(&a, &b), 0.0);
    }

    /// A one-pixel shift is within the tolerance (1 px at a 141 px diagonal); a large one is not.
    #[test]
    fn boundaries_match_within_the_tolerance_only() {
        let a = disc(100, 50.0, 50.0, 20.0);
        assert_eq!(boundary_f_score(&a, &disc(100, 51.0, 50.0, 20.0)), 1.0);
        assert!(boundary_f_score(&a, &disc(100, 56.0, 50.0, 20.0)) < 0.5);
        let iou_shifted = iou(&a, &disc(100, 56.0, 50.0, 20.0));
        assert!(iou_shifted > 0.5 && iou_shifted < 0.9, "{iou_shifted}");
    }
}
