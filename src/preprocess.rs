//! From a photo to the network's input and from its output back to a mask of the photo's size.
//! Shared by the CLI and the browser, so both see the same pixels.
//!
//! The photo is scaled so that its longer side is the processing size ([`Letterbox::new`]) or
//! stretched to a square of it ([`Letterbox::stretched`]; which pass takes which is
//! [`crate::refine`]'s choice), then padded on the right and bottom (repeating the edge pixels)
//! to a multiple of the network's stride. The mask is cropped to the scaled photo and scaled
//! back to the photo's own size.

use std::borrow::Cow;

use burn::tensor::{Device, Tensor, TensorData};
use fast_image_resize::images::{Image, ImageRef, TypedImage, TypedImageRef};
use fast_image_resize::pixels::{F32, U8};
use fast_image_resize::{FilterType, PixelTrait, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::{GrayImage, ImageBuffer, Luma, RgbaImage};

use crate::cpu::FeatureMap;
use crate::model::STRIDE;

/// The processing sizes offered (the longer side of the network's input, in pixels).
pub const SIZES: [u32; 4] = [256, 512, 1024, 2048];

/// `size` when it is one of the [`SIZES`] offered, else [`crate::Error::UnsupportedSize`].
pub fn offered_size(size: f64) -> crate::Result<u32> {
    SIZES
        .into_iter()
        .find(|&offered| offered as f64 == size)
        .ok_or(crate::Error::UnsupportedSize { size })
}

/// Where a photo sits inside the network's input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Letterbox {
    /// The photo's width and height.
    pub photo: [u32; 2],
    /// The photo's width and height once scaled to the processing size.
    pub scaled: [u32; 2],
    /// The network input's width and height: `scaled` rounded up to the stride.
    pub input: [u32; 2],
}

impl Letterbox {
    /// Fit a `width × height` photo to a longer side of `size`.
    pub fn new(width: u32, height: u32, size: u32) -> Self {
        let scale = size as f64 / width.max(height) as f64;
        let fit = |side: u32| ((side as f64 * scale).round() as u32).max(1);
        let scaled = [fit(width), fit(height)];
        Letterbox {
            photo: [width, height],
            scaled,
            input: scaled.map(pad_to_stride),
        }
    }

    /// Stretch a `width × height` photo to `size × size`, as MediaPipe's own graph feeds the
    /// network: the aspect ratio lost, padded only where `size` is not a multiple of the stride.
    pub fn stretched(width: u32, height: u32, size: u32) -> Self {
        Letterbox {
            photo: [width, height],
            scaled: [size, size],
            input: [pad_to_stride(size); 2],
        }
    }
}

/// A side rounded up to a multiple of the network's stride.
fn pad_to_stride(side: u32) -> u32 {
    side.div_ceil(STRIDE as u32) * STRIDE as u32
}

/// The network's input for a photo, channels last: RGB in `[0, 1]`, composited over white
/// where the photo is transparent (see [`over_white`]).
///
/// # Shapes
/// - output: `[H_in, W_in, 3]`, with `[W_in, H_in] = letterbox.input`
pub fn to_pixels(photo: &RgbaImage, letterbox: &Letterbox) -> FeatureMap {
    let [scaled_w, scaled_h] = letterbox.scaled;
    let [input_w, input_h] = letterbox.input;
    let photo = over_white(photo);
    let scaled = if letterbox.scaled == letterbox.photo {
        photo
    } else {
        Cow::Owned(scale_rgba(&photo, scaled_w, scaled_h))
    };
    let mut values = Vec::with_capacity((3 * input_w * input_h) as usize);
    for y in 0..input_h {
        for x in 0..input_w {
            let pixel = scaled.get_pixel(x.min(scaled_w - 1), y.min(scaled_h - 1)); // edge padding
            values.extend(pixel.0[..3].iter().map(|&v| v as f32 / 255.0));
        }
    }
    FeatureMap::new(input_h as usize, input_w as usize, 3, values)
}

/// The photo as the network sees it: composited over white where it is transparent, so that
/// it sees what a person sees on a page; unchanged (borrowed) when it is opaque.
///
/// The RGB of a transparent pixel is whatever the program that saved it left there (black, or
/// the colours before a background was erased): the network would see shapes nobody can see,
/// and the scaling would bleed them into the visible edges. (The mask is cleared there anyway,
/// by [`crate::photo::apply_alpha`].)
pub fn over_white(photo: &RgbaImage) -> Cow<'_, RgbaImage> {
    if photo.pixels().all(|p| p[3] == 255) {
        return Cow::Borrowed(photo);
    }
    let mut opaque = photo.clone();
    for pixel in opaque.pixels_mut() {
        let alpha = pixel[3] as u32;
        for c in 0..3 {
            pixel[c] = ((pixel[c] as u32 * alpha + 255 * (255 - alpha) + 127) / 255) as u8;
        }
        pixel[3] = 255;
    }
    Cow::Owned(opaque)
}

/// The network's input as a tensor, from [`to_pixels`].
///
/// # Shapes
/// - `pixels`: `[H_in, W_in, 3]`
/// - output: `[1, 3, H_in, W_in]`
pub fn to_input(pixels: FeatureMap, device: &Device) -> Tensor<4> {
    let shape = [1, pixels.height, pixels.width, pixels.channels];
    Tensor::<4>::from_data(TensorData::new(pixels.into_data(), shape), device).permute([0, 3, 1, 2])
}

/// The network's input for `photo` through `letterbox`: [`to_pixels`], then [`to_input`].
///
/// # Shapes
/// - output: `[1, 3, H_in, W_in]`, `[W_in, H_in]` = `letterbox.input`
pub fn photo_input(photo: &RgbaImage, letterbox: &Letterbox, device: &Device) -> Tensor<4> {
    to_input(to_pixels(photo, letterbox), device)
}

/// Probabilities of a person, one `f32` per pixel.
pub type ProbabilityMap = ImageBuffer<Luma<f32>, Vec<f32>>;

/// The network's probabilities over its input (row-major `H_in × W_in`) cropped to the scaled
/// photo: `[W, H] = letterbox.scaled`.
pub fn crop(probabilities: &[f32], letterbox: &Letterbox) -> ProbabilityMap {
    let [input_w, input_h] = letterbox.input;
    assert_eq!(
        probabilities.len(),
        (input_w * input_h) as usize,
        "probabilities do not fit the input"
    );
    let [scaled_w, scaled_h] = letterbox.scaled;
    let values = probabilities
        .chunks_exact(input_w as usize)
        .take(scaled_h as usize)
        .flat_map(|row| &row[..scaled_w as usize])
        .copied()
        .collect();
    ImageBuffer::from_raw(scaled_w, scaled_h, values).expect("a whole map")
}

/// A probability map scaled to `width × height` (bilinear); unchanged when it already is.
pub fn resize(map: ProbabilityMap, width: u32, height: u32) -> ProbabilityMap {
    let (from_w, from_h) = map.dimensions();
    if (from_w, from_h) == (width, height) {
        return map;
    }
    let source: Vec<F32> = map.into_raw().into_iter().map(F32::new).collect();
    let scaled = scale_channel(&source, [from_w, from_h], [width, height]);
    let values = scaled.pixels().iter().map(|p| p.0).collect();
    ImageBuffer::from_raw(width, height, values).expect("a whole map")
}

/// One-channel pixels (`from`: width and height, row-major) scaled to `to` with the
/// [`triangle`] filter. Typed: the untyped API would bring every pixel type's kernels into the
/// wasm (0.8 MB, measured).
fn scale_channel<P: PixelTrait>(
    pixels: &[P],
    from: [u32; 2],
    to: [u32; 2],
) -> TypedImage<'static, P> {
    let source = TypedImageRef::new(from[0], from[1], pixels).expect("a whole image");
    let mut scaled = TypedImage::<P>::new(to[0], to[1]);
    Resizer::new()
        .resize_typed(&source, &mut scaled, &triangle())
        .expect("one pixel type");
    scaled
}

/// The triangle filter: bilinear when enlarging, widened to every covered pixel when shrinking
/// (the `image` crate's `FilterType::Triangle`), with alpha treated as any other channel.
fn triangle() -> ResizeOptions {
    ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Bilinear))
        .use_alpha(false)
}

/// A photo scaled to `width × height` with the [`triangle`] filter, by SIMD kernels.
fn scale_rgba(photo: &RgbaImage, width: u32, height: u32) -> RgbaImage {
    let source = ImageRef::new(
        photo.width(),
        photo.height(),
        photo.as_raw(),
        PixelType::U8x4,
    )
    .expect("a whole RGBA photo");
    let mut scaled = Image::new(width, height, PixelType::U8x4);
    Resizer::new()
        .resize(&source, &mut scaled, &triangle())
        .expect("one pixel type");
    RgbaImage::from_raw(width, height, scaled.into_vec()).expect("a whole RGBA photo")
}

/// A probability map as a `width × height` mask, 0–255.
///
/// The map becomes 0–255 first and is scaled as 8-bit pixels: 0.40 ms instead of 1.27 for a
/// 224×262 map scaled to 512×600 (natively; fast_image_resize's 8-bit kernels are SIMD in
/// WebAssembly, the float ones are not), within one and a half levels of the probabilities
/// scaled exactly (tested) where rounding after scaling them kept half a level.
pub fn quantize(map: ProbabilityMap, width: u32, height: u32) -> GrayImage {
    let (from_w, from_h) = map.dimensions();
    // `+ 0.5` then truncation rounds the non-negative values half up, as `round` would, without
    // a call to libm's `roundf` per pixel in WebAssembly.
    let levels: Vec<u8> = map
        .as_raw()
        .iter()
        .map(|p| (p.clamp(0.0, 1.0) * 255.0 + 0.5) as u8)
        .collect();
    if (from_w, from_h) == (width, height) {
        return GrayImage::from_raw(width, height, levels).expect("a whole mask");
    }
    let levels: Vec<U8> = levels.into_iter().map(U8::new).collect();
    let scaled = scale_channel(&levels, [from_w, from_h], [width, height]);
    let values = scaled.pixels().iter().map(|p| p.0).collect();
    GrayImage::from_raw(width, height, values).expect("a whole mask")
}

/// The mask for the photo from the network's probabilities over its input (row-major
/// `H_in × W_in`): cropped to the scaled photo, resized to the photo, 0–255.
pub fn to_mask(probabilities: &[f32], letterbox: &Letterbox) -> GrayImage {
    let [photo_w, photo_h] = letterbox.photo;
    quantize(crop(probabilities, letterbox), photo_w, photo_h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    #[test]
    fn the_longer_side_becomes_the_size_and_the_input_a_multiple_of_the_stride() {
        let letterbox = Letterbox::new(3000, 2000, 256);
        assert_eq!(letterbox.scaled, [256, 171]);
        assert_eq!(letterbox.input, [256, 176]);
        let portrait = Letterbox::new(480, 640, 1024);
        assert_eq!(portrait.scaled, [768, 1024]);
        assert_eq!(portrait.input, [768, 1024]);
    }

    #[test]
    fn input_is_rgb_in_unit_range_with_edge_padding() {
        let photo = RgbaImage::from_fn(20, 10, |x, _| Rgba([255, 0, (x * 10) as u8, 255]));
        let letterbox = Letterbox {
            photo: [20, 10],
            scaled: [20, 10],
            input: [32, 16],
        };
        let input = to_input(to_pixels(&photo, &letterbox), &Device::flex());
        assert_eq!(input.dims(), [1, 3, 16, 32]);
        let values = input.into_data().try_into_vec::<f32>().unwrap();
        let at = |c: usize, y: usize, x: usize| values[(c * 16 + y) * 32 + x];
        assert_eq!(at(0, 0, 0), 1.0);
        assert_eq!(at(1, 5, 5), 0.0);
        assert_eq!(at(2, 3, 4), 40.0 / 255.0);
        assert_eq!(
            at(2, 15, 31),
            190.0 / 255.0,
            "padding repeats the last column and row"
        );
    }

    /// Transparent pixels are white to the network, whatever RGB they hold, at the photo's size
    /// and scaled; half-transparent ones are blended.
    #[test]
    fn transparent_pixels_are_composited_over_white() {
        let photo = |hidden: [u8; 3]| {
            RgbaImage::from_fn(40, 20, |x, y| match x {
                0..20 => Rgba([(x * 10) as u8, (y * 10) as u8, 90, 255]),
                20 => Rgba([0, 100, 200, 51]),
                _ => Rgba([hidden[0], hidden[1], hidden[2], 0]),
            })
        };
        let white = RgbaImage::from_fn(40, 20, |x, y| match x {
            0..20 => Rgba([(x * 10) as u8, (y * 10) as u8, 90, 255]),
            20 => Rgba([204, 224, 244, 255]), // 0.2 · (0, 100, 200) + 0.8 · 255
            _ => Rgba([255, 255, 255, 255]),
        });
        for letterbox in [Letterbox::new(40, 20, 40), Letterbox::new(40, 20, 256)] {
            let expected = to_pixels(&white, &letterbox).into_data();
            for hidden in [[0, 0, 0], [255, 0, 0], [17, 99, 3]] {
                assert_eq!(
                    to_pixels(&photo(hidden), &letterbox).data,
                    expected,
                    "hidden RGB {hidden:?} at {:?}",
                    letterbox.scaled
                );
            }
        }
    }

    #[test]
    fn scaling_the_quantized_mask_stays_close_to_scaling_the_probabilities() {
        // A map with soft edges and hard ones, enlarged (a photo above the processing size)
        // and shrunk (below it).
        let map: ProbabilityMap = ImageBuffer::from_fn(224, 262, |x, y| {
            let soft = 0.5 + 0.5 * ((x as f32 / 9.0).sin() * (y as f32 / 13.0).cos());
            let hard_edged_block = (x / 40 + y / 50) % 3 == 0;
            Luma([if hard_edged_block { 1.0 } else { soft }])
        });
        for (width, height) in [(512, 600), (100, 117), (224, 262)] {
            let mask = quantize(map.clone(), width, height);
            let reference = resize(map.clone(), width, height);
            let worst = mask
                .as_raw()
                .iter()
                .zip(reference.as_raw())
                .map(|(&level, &p)| (level as f32 - p.clamp(0.0, 1.0) * 255.0).abs())
                .fold(0.0, f32::max);
            // Rounding before scaling (half a level), after it (another half) and the 8-bit
            // kernels' fixed-point weights; scaled as floats and rounded once: half a level.
            assert!(
                worst <= 1.5,
                "{width}×{height}: {worst} levels from the scaled probabilities"
            );
        }
    }

    #[test]
    fn the_mask_is_cropped_and_scaled_back_to_the_photo() {
        let letterbox = Letterbox::new(100, 50, 256);
        let [w, h] = letterbox.input;
        // Left half of the scaled photo is a person, the padding is noise.
        let probabilities: Vec<f32> = (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                if y >= letterbox.scaled[1] {
                    0.5
                } else if x < 128 {
                    1.0
                } else {
                    0.0
                }
            })
            .collect();
        let mask = to_mask(&probabilities, &letterbox);
        assert_eq!(mask.dimensions(), (100, 50));
        assert_eq!(mask.get_pixel(10, 49)[0], 255);
        assert_eq!(mask.get_pixel(90, 0)[0], 0);
    }
}
