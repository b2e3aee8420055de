//! `linseg segment`: photos in, masks and overlays out, with the time of every step.

use std::time::{Duration, Instant};

use image::{GrayImage, Rgba, RgbaImage};

use crate::network::Network;
use crate::photo::{self, PhotoError};
use crate::refine::Plan;

/// The colour persons are tinted with in overlays.
pub const OVERLAY_COLOUR: [u8; 3] = [0, 200, 120];

/// How long each step of one photo took.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timings {
    /// Bytes to RGBA.
    pub decode: Duration,
    /// RGBA to the input tensor.
    pub preprocess: Duration,
    /// The network, until its output is read back (both passes above the trained size).
    pub inference: Duration,
    /// Probabilities to the mask at the photo's size.
    pub postprocess: Duration,
}

/// One segmented photo.
pub struct Segmentation {
    /// The photo, upright, RGBA.
    pub photo: RgbaImage,
    /// The probability of a person per pixel, 0–255, at the photo's size.
    pub mask: GrayImage,
    /// Time per step.
    pub timings: Timings,
}

/// Decode a photo's bytes and segment it at processing size `size`.
pub fn segment_bytes(
    net: &Network,
    bytes: &[u8],
    size: u32,
    max_pixels: u64,
) -> Result<Segmentation, PhotoError> {
    let start = Instant::now();
    let photo = photo::decode(bytes, max_pixels)?;
    let decoded = Instant::now();
    let (mask, mut timings) = segment_photo(net, &photo, size);
    timings.decode = decoded - start;
    Ok(Segmentation {
        photo,
        mask,
        timings,
    })
}

/// Segment a decoded photo at processing size `size`: in one pass up to the trained size, in a
/// global and a detail pass above it (see [`crate::refine`]). Transparent pixels are background
/// ([`photo::apply_alpha`]).
pub fn segment_photo(net: &Network, photo: &RgbaImage, size: u32) -> (GrayImage, Timings) {
    let plan = Plan::new(photo.width(), photo.height(), size);
    let passes = net.run_passes(photo, &plan);
    let start = Instant::now();
    let mut mask = plan.mask(&passes.detail, passes.global.as_deref());
    photo::apply_alpha(&mut mask, photo);
    let timings = Timings {
        preprocess: passes.preprocess,
        inference: passes.inference,
        postprocess: start.elapsed(),
        ..Timings::default()
    };
    (mask, timings)
}

/// The photo with persons tinted: `photo · (1 − a) + colour · a`, `a = 0.6 · mask`; opaque, with
/// transparent pixels white (as the network saw them, [`crate::preprocess::over_white`]).
pub fn overlay(photo: &RgbaImage, mask: &GrayImage) -> RgbaImage {
    let photo = crate::preprocess::over_white(photo);
    RgbaImage::from_fn(photo.width(), photo.height(), |x, y| {
        let a = 0.6 * mask.get_pixel(x, y)[0] as f32 / 255.0;
        let p = photo.get_pixel(x, y);
        let blend =
            |c: usize| (p[c] as f32 * (1.0 - a) + OVERLAY_COLOUR[c] as f32 * a).round() as u8;
        Rgba([blend(0), blend(1), blend(2), 255])
    })
}
