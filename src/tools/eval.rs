//! `linseg eval`: how close each mode's masks come to the truth, on held-out images that never
//! entered training or the choice of settings.
//!
//! The truth does not come from the network under test ([`crate::tools::truth`]): composites whose true
//! mask is the pasted alpha, and real photos with reference mattes from a much stronger matting
//! network. Means are reported for the two kinds apart.
//!
//! Each size is scored twice: as `linseg segment` and the page segment (above 256 px a global
//! and a detail pass, see [`crate::refine`]), and the network alone in a single pass. One more
//! row, the anchor, is the untouched pretrained network as MediaPipe's own graph feeds it: the
//! photo stretched to 256 × 256.
//!
//! The scores: IoU of the masks at 0.5; the boundary F-score of Perazzi et al. (DAVIS 2016),
//! boundary pixels matched within 0.75 % of the photo's diagonal; and the mean absolute error
//! of the probabilities against the true alpha.

use std::time::Instant;

use image::GrayImage;

use crate::model::TRAINED_SIZE;
use crate::network::Network;
use crate::preprocess::{self, Letterbox};
use crate::refine::Plan;
use crate::tools::truth::{Kind, Sample};

/// The processing sizes scored unless others are named: every size offered.
pub const DEFAULT_SIZES: [u32; 4] = preprocess::SIZES;

/// The name of the anchor row: the untouched network fed as MediaPipe feeds it.
pub const ANCHOR: &str = "mediapipe";

/// How one mask compares with its truth.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MaskScore {
    /// IoU of the masks at 0.5.
    pub iou: f64,
    /// Boundary F-score.
    pub boundary_f: f64,
    /// Mean absolute difference of the probabilities and the true alpha, in `[0, 1]`.
    pub mae: f64,
}

impl MaskScore {
    /// Score `mask` against `truth` (both 0–255, the same size).
    pub fn new(mask: &GrayImage, truth: &GrayImage) -> Self {
        MaskScore {
            iou: iou(mask, truth),
            boundary_f: boundary_f_score(mask, truth),
            mae: mean_absolute_error(mask, truth),
        }
    }

    /// The mean of several scores.
    pub fn mean<'a>(scores: impl IntoIterator<Item = &'a MaskScore>) -> MaskScore {
        let (mut sum, mut n) = (MaskScore::default(), 0.0);
        for s in scores {
            sum.iou += s.iou;
            sum.boundary_f += s.boundary_f;
            sum.mae += s.mae;
            n += 1.0;
        }
        MaskScore {
            iou: sum.iou / n,
            boundary_f: sum.boundary_f / n,
            mae: sum.mae / n,
        }
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

/// The mean absolute difference of two 0–255 maps, as a share of 255.
pub fn mean_absolute_error(a: &GrayImage, b: &GrayImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions(), "maps of different sizes");
    let sum: u64 = a
        .pixels()
        .zip(b.pixels())
        .map(|(p, q)| p[0].abs_diff(q[0]) as u64)
        .sum();
    sum as f64 / (255.0 * a.len() as f64)
}

/// One mode at one size on one image.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SampleScore {
    /// The attention mode's name, or [`ANCHOR`].
    pub mode: String,
    /// The processing size (longer side, px).
    pub size: u32,
    /// The image's name.
    pub sample: String,
    /// Composite or real.
    pub kind: Kind,
    /// As segmented (both passes above 256 px).
    pub segmented: MaskScore,
    /// The network alone, in a single pass at this size.
    pub single_pass: MaskScore,
    /// Milliseconds as segmented.
    pub ms: f64,
}

/// One mode at one size, averaged over the images of one kind.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Score {
    /// The attention mode's name, or [`ANCHOR`].
    pub mode: String,
    /// The processing size (longer side, px).
    pub size: u32,
    /// Which images the means are over.
    pub kind: Kind,
    /// How many images.
    pub images: usize,
    /// As segmented.
    pub segmented: MaskScore,
    /// The network alone, in a single pass.
    pub single_pass: MaskScore,
    /// Mean milliseconds per image as segmented: preprocessing, every pass and postprocessing.
    pub ms_per_image: f64,
}

/// What [`evaluate`] measured: the means and every image's own scores.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// One per mode, size and [`Kind`].
    pub scores: Vec<Score>,
    /// One per mode, size and image.
    pub samples: Vec<SampleScore>,
}

/// How one image was segmented: both passes as the plan says, and the detail pass alone.
fn segment(net: &Network, sample: &Sample, size: u32) -> SampleScore {
    let started = Instant::now();
    let plan = Plan::new(sample.image.width(), sample.image.height(), size);
    let passes = net
        .run_passes_blocking(&sample.image, &plan)
        .expect("the device answers");
    let mask = plan.mask(&passes.detail, passes.global.as_deref());
    let ms = started.elapsed().as_secs_f64() * 1e3;
    let single = preprocess::to_mask(&passes.detail, &plan.detail);
    SampleScore {
        mode: net.mode().to_string(),
        size,
        sample: sample.name.clone(),
        kind: sample.kind,
        segmented: MaskScore::new(&mask, &sample.truth),
        single_pass: MaskScore::new(&single, &sample.truth),
        ms,
    }
}

/// The anchor: `net` (the untouched network) on the image stretched to 256 × 256.
fn anchor(net: &Network, sample: &Sample) -> SampleScore {
    let started = Instant::now();
    let letterbox = Letterbox::stretched(
        sample.image.width(),
        sample.image.height(),
        TRAINED_SIZE as u32,
    );
    let pass = net
        .run_passes_blocking(&sample.image, &Plan::single(letterbox))
        .expect("the device answers");
    let mask = preprocess::to_mask(&pass.detail, &letterbox);
    let score = MaskScore::new(&mask, &sample.truth);
    SampleScore {
        mode: ANCHOR.to_string(),
        size: TRAINED_SIZE as u32,
        sample: sample.name.clone(),
        kind: sample.kind,
        segmented: score,
        single_pass: score,
        ms: started.elapsed().as_secs_f64() * 1e3,
    }
}

/// The means of one mode at one size, one per kind of image present.
fn means(per_sample: &[SampleScore]) -> Vec<Score> {
    [Kind::Composite, Kind::Real]
        .into_iter()
        .filter_map(|kind| {
            let chosen: Vec<&SampleScore> = per_sample.iter().filter(|s| s.kind == kind).collect();
            let first = chosen.first()?;
            Some(Score {
                mode: first.mode.clone(),
                size: first.size,
                kind,
                images: chosen.len(),
                segmented: MaskScore::mean(chosen.iter().map(|s| &s.segmented)),
                single_pass: MaskScore::mean(chosen.iter().map(|s| &s.single_pass)),
                ms_per_image: chosen.iter().map(|s| s.ms).sum::<f64>() / chosen.len() as f64,
            })
        })
        .collect()
}

/// Score each network at each size on the samples, and `anchor_net` (the untouched network,
/// if given) as MediaPipe feeds it; `report` is called with each [`Score`] as soon as it is
/// known.
pub fn evaluate(
    networks: &[Network],
    anchor_net: Option<&Network>,
    samples: &[Sample],
    sizes: &[u32],
    mut report: impl FnMut(&Score),
) -> Evaluation {
    let mut evaluation = Evaluation {
        scores: Vec::new(),
        samples: Vec::new(),
    };
    let mut add = |per_sample: Vec<SampleScore>| {
        for score in means(&per_sample) {
            report(&score);
            evaluation.scores.push(score);
        }
        evaluation.samples.extend(per_sample);
    };
    if let Some(net) = anchor_net {
        add(samples.iter().map(|sample| anchor(net, sample)).collect());
    }
    for net in networks {
        for &size in sizes {
            add(samples
                .iter()
                .map(|sample| segment(net, sample, size))
                .collect());
        }
    }
    evaluation
}

/// Two Markdown tables of `scores` for the images of `kind`, one row per mode: IoU as segmented
/// and in one pass per size, then boundary F and matte error as segmented per size.
pub fn markdown_tables(scores: &[Score], kind: Kind, sizes: &[u32]) -> String {
    let mut modes: Vec<&str> = Vec::new();
    for score in scores {
        if !modes.contains(&score.mode.as_str()) {
            modes.push(&score.mode);
        }
    }
    let find = |mode: &str, size: u32| {
        scores
            .iter()
            .find(|s| s.mode == mode && s.kind == kind && (s.size == size || s.mode == ANCHOR))
    };
    let table = |columns: [(&str, fn(&Score) -> f64); 2]| {
        let mut out = String::from("| mode |");
        for (name, _) in columns {
            for size in sizes {
                out += &format!(" {name} {size} |");
            }
        }
        out += "\n|---|";
        out += &"---|".repeat(2 * sizes.len());
        out += "\n";
        for &mode in &modes {
            out += &format!("| {mode} |");
            for (_, value) in columns {
                for &size in sizes {
                    match find(mode, size) {
                        Some(score) => out += &format!(" {:.3} |", value(score)),
                        None => out += " – |",
                    }
                }
            }
            out += "\n";
        }
        out
    };
    let iou = table([
        ("IoU", |s| s.segmented.iou),
        ("one pass", |s| s.single_pass.iou),
    ]);
    let edges = table([
        ("boundary F", |s| s.segmented.boundary_f),
        ("MAE", |s| s.segmented.mae),
    ]);
    format!("{iou}\n{edges}")
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

    /// |0 − 255| over one pixel of four, and |100 − 151| over another: (255 + 51) / (4 · 255).
    #[test]
    fn the_matte_error_is_the_mean_absolute_difference() {
        let a = GrayImage::from_raw(2, 2, vec![0, 100, 7, 255]).unwrap();
        let b = GrayImage::from_raw(2, 2, vec![255, 151, 7, 255]).unwrap();
        let expected = (255.0 + 51.0) / (4.0 * 255.0);
        assert!((mean_absolute_error(&a, &b) - expected).abs() < 1e-12);
        assert_eq!(mean_absolute_error(&a, &a), 0.0);
        let score = MaskScore::new(&a, &b);
        assert_eq!(score.mae, mean_absolute_error(&a, &b));
        // At 0.5 `a` keeps one pixel (255) and `b` three (255, 151, 255): one shared of three.
        assert!((score.iou - 1.0 / 3.0).abs() < 1e-12, "{}", score.iou);
    }

    /// Stretched, a 300 × 100 photo is scaled to the whole 256 × 256 input.
    #[test]
    fn the_anchor_stretches_the_photo() {
        let letterbox = Letterbox::stretched(300, 100, 256);
        assert_eq!(letterbox.scaled, [256, 256]);
        assert_eq!(letterbox.input, [256, 256]);
        let mask = preprocess::to_mask(&vec![1.0; 256 * 256], &letterbox);
        assert_eq!(mask.dimensions(), (300, 100));
    }
}
