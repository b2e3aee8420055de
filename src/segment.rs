//! A photo's bytes to its mask, and the overlay that shows it: what `linseg segment` writes,
//! with the time of every step.

use std::time::{Duration, Instant};

use image::{GrayImage, Rgba, RgbaImage};

use crate::error::Result;
use crate::network::Network;
use crate::photo;
use crate::pipeline::{Timings, segment_photo_blocking};

/// The colour persons are tinted with in overlays.
pub const OVERLAY_COLOUR: [u8; 3] = [0, 200, 120];

/// One segmented photo.
pub struct Segmentation {
    /// The photo, upright, RGBA.
    pub photo: RgbaImage,
    /// The probability of a person per pixel, 0–255, at the photo's size.
    pub mask: GrayImage,
    /// Bytes to RGBA.
    pub decode: Duration,
    /// The pipeline's steps.
    pub timings: Timings,
}

/// Decode a photo's bytes and segment it at processing size `size`.
pub fn segment_bytes(
    net: &Network,
    bytes: &[u8],
    size: u32,
    max_pixels: u64,
) -> Result<Segmentation> {
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
