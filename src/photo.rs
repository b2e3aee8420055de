//! Reading a photo from its bytes: format detection, a pixel limit checked before any pixel is
//! decoded, EXIF orientation, and an error a person can act on for every way a file can be bad.
//! The CLI and the browser both come through here.

use std::fmt;
use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageError, ImageReader, RgbaImage};

/// The largest photo accepted by default, in pixels (50 megapixels, about 200 MB as RGBA).
pub const DEFAULT_MAX_PIXELS: u64 = 50_000_000;

/// Why a file could not be read as a photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhotoError {
    /// The file has no bytes.
    Empty,
    /// The bytes are not a JPEG or PNG.
    NotAnImage,
    /// The header says JPEG or PNG but the data is truncated or corrupt.
    Corrupt(String),
    /// The photo has more pixels than allowed.
    TooLarge {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// The limit in pixels.
        max_pixels: u64,
    },
}

impl fmt::Display for PhotoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PhotoError::Empty => write!(f, "empty file (0 bytes)"),
            PhotoError::NotAnImage => write!(f, "not an image: only JPEG and PNG are read"),
            PhotoError::Corrupt(reason) => write!(f, "truncated or corrupt image: {reason}"),
            PhotoError::TooLarge {
                width,
                height,
                max_pixels,
            } => write!(
                f,
                "image is {width}×{height} = {:.1} MP, above the limit of {:.1} MP",
                (*width as f64 * *height as f64) / 1e6,
                *max_pixels as f64 / 1e6
            ),
        }
    }
}

impl std::error::Error for PhotoError {}

/// Decode a JPEG or PNG into RGBA, upright (EXIF orientation applied).
///
/// The size is read from the header and checked against `max_pixels` before anything is
/// decoded, so a huge file is refused without the memory it would take.
pub fn decode(bytes: &[u8], max_pixels: u64) -> Result<RgbaImage, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Empty);
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|err| PhotoError::Corrupt(err.to_string()))?;
    match reader.format() {
        Some(image::ImageFormat::Jpeg) if !jpeg_is_complete(bytes) => {
            return Err(PhotoError::Corrupt(
                "the JPEG data ends before its end-of-image marker".into(),
            ));
        }
        Some(image::ImageFormat::Jpeg | image::ImageFormat::Png) => {}
        _ => return Err(PhotoError::NotAnImage),
    }
    let mut decoder = reader.into_decoder().map_err(corrupt)?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(PhotoError::Corrupt(format!(
            "the header gives a size of {width}×{height}"
        )));
    }
    if width as u64 * height as u64 > max_pixels {
        return Err(PhotoError::TooLarge {
            width,
            height,
            max_pixels,
        });
    }
    let orientation = decoder.orientation().map_err(corrupt)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    image.apply_orientation(orientation);
    Ok(image.into_rgba8())
}

/// Whether a JPEG's last scan is followed by its end-of-image marker (`FF D9`).
///
/// The JPEG decoder fills a cut-off scan with grey rather than failing, so a truncated file
/// would pass for a photo. Inside a scan `FF` is always followed by `00` or a restart marker, so
/// the last start-of-scan (`FF DA`) is the main image's (an EXIF thumbnail's comes before it) and
/// an `FF D9` after it can only be the real end.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let find_last = |marker: u8| bytes.windows(2).rposition(|w| w == [0xFF, marker]);
    match (find_last(0xDA), find_last(0xD9)) {
        (Some(scan), Some(end)) => end > scan,
        _ => false,
    }
}

fn corrupt(err: ImageError) -> PhotoError {
    PhotoError::Corrupt(err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::codecs::jpeg::JpegEncoder;
    use image::{ImageFormat, Rgb, RgbImage, Rgba};

    fn png(image: &DynamicImage) -> Vec<u8> {
        let mut bytes = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
            .unwrap();
        bytes
    }

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let image = RgbImage::from_fn(width, height, |x, y| Rgb([x as u8, y as u8, 128]));
        let mut bytes = Vec::new();
        JpegEncoder::new_with_quality(&mut bytes, 95)
            .encode_image(&image)
            .unwrap();
        bytes
    }

    /// Put an EXIF APP1 segment with the given orientation right after the JPEG's SOI marker.
    fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
        let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec(); // big-endian TIFF header, IFD at 8
        tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
        tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // tag: Orientation
        tiff.extend_from_slice(&3u16.to_be_bytes()); // type: SHORT
        tiff.extend_from_slice(&1u32.to_be_bytes()); // count
        tiff.extend_from_slice(&orientation.to_be_bytes());
        tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // value padding, no next IFD
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        let mut out = jpeg[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(&app1);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    #[test]
    fn an_empty_file_says_so() {
        assert_eq!(decode(&[], DEFAULT_MAX_PIXELS), Err(PhotoError::Empty));
    }

    #[test]
    fn text_is_not_an_image() {
        assert_eq!(
            decode(b"hello, this is not a photo", DEFAULT_MAX_PIXELS),
            Err(PhotoError::NotAnImage)
        );
    }

    #[test]
    fn a_truncated_jpeg_and_png_are_corrupt() {
        let jpeg = jpeg(64, 48);
        let png = png(&DynamicImage::ImageRgb8(RgbImage::new(64, 48)));
        for (name, bytes) in [("jpeg", &jpeg), ("png", &png)] {
            let cut = &bytes[..bytes.len() / 2];
            match decode(cut, DEFAULT_MAX_PIXELS) {
                Err(PhotoError::Corrupt(_)) => {}
                other => panic!("{name}: expected a corrupt-image error, got {other:?}"),
            }
        }
    }

    /// A JPEG cut inside its scan decodes "successfully" (grey fill) unless checked.
    #[test]
    fn a_jpeg_cut_late_in_its_scan_is_corrupt() {
        let bytes = jpeg(256, 256);
        let cut = &bytes[..bytes.len() - 50];
        assert!(matches!(
            decode(cut, DEFAULT_MAX_PIXELS),
            Err(PhotoError::Corrupt(_))
        ));
    }

    #[test]
    fn a_photo_above_the_pixel_limit_is_refused_from_its_header() {
        let err = decode(&jpeg(200, 100), 10_000).unwrap_err();
        assert_eq!(
            err,
            PhotoError::TooLarge {
                width: 200,
                height: 100,
                max_pixels: 10_000
            }
        );
        assert!(err.to_string().contains("200×100"), "{err}");
    }

    #[test]
    fn exif_rotation_is_applied() {
        let rotated = with_exif_orientation(&jpeg(64, 32), 6); // 6: rotate 90° clockwise
        let image = decode(&rotated, DEFAULT_MAX_PIXELS).unwrap();
        assert_eq!(image.dimensions(), (32, 64));
    }

    #[test]
    fn png_alpha_is_kept() {
        let image = RgbaImage::from_pixel(5, 3, Rgba([10, 20, 30, 40]));
        let decoded = decode(
            &png(&DynamicImage::ImageRgba8(image.clone())),
            DEFAULT_MAX_PIXELS,
        );
        assert_eq!(decoded, Ok(image));
    }
}
