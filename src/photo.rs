//! Reading a photo from its bytes: format detection, a pixel limit checked before any pixel is
//! decoded, EXIF orientation, and an error a person can act on for every way a file can be bad.
//! The CLI and the browser both come through here.
//!
//! JPEG, PNG, GIF (its first frame), WebP and BMP are decoded here, by the `image` crate, so
//! that the CLI and the page see the same pixels. Other files are named from their first bytes
//! ([`FileKind`]): the page hands the image formats among them that a browser may decode (AVIF,
//! HEIC, …, see [`FileKind::browser_may_decode`]) to the browser's own decoder.

use std::fmt;
use std::io::Cursor;

use image::{
    DynamicImage, GrayImage, ImageDecoder, ImageError, ImageFormat, ImageReader, RgbaImage,
};

/// The largest photo accepted by default, in pixels (50 megapixels, about 200 MB as RGBA).
pub const DEFAULT_MAX_PIXELS: u64 = 50_000_000;

/// The formats read, in words, for the message about a file that is none of them.
pub const READ_FORMATS: &str = "JPEG, PNG, GIF, WebP, BMP, AVIF where the browser reads it";

/// Why a file could not be read as a photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhotoError {
    /// The file has no bytes.
    Empty,
    /// The bytes are not an image linseg decodes; what they are, when it can tell.
    NotSupported(FileKind),
    /// The header names a format linseg reads but the data is cut off or damaged.
    Corrupt {
        /// The format the header names ("PNG").
        format: &'static str,
        /// What is wrong with it.
        damage: Damage,
    },
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

/// What a file that linseg does not decode is, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// An image format a browser may decode but this crate does not ("AVIF", "HEIC", "TIFF").
    Image(&'static str),
    /// An SVG drawing.
    Svg,
    /// A PDF document.
    Pdf,
    /// A web page.
    Html,
    /// A ZIP archive (also .docx, .xlsx, …).
    Zip,
    /// A video (MP4, QuickTime).
    Video,
    /// Plain text.
    Text,
    /// Anything else.
    Unknown,
}

impl FileKind {
    /// Name a file from its first bytes. Only meaningful for files [`decode`] does not read.
    pub fn sniff(bytes: &[u8]) -> FileKind {
        let starts = |magic: &[u8]| bytes.starts_with(magic);
        if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
            return iso_media(bytes);
        }
        if starts(b"%PDF") {
            FileKind::Pdf
        } else if starts(b"II*\0") || starts(b"MM\0*") {
            FileKind::Image("TIFF")
        } else if starts(&[0xFF, 0x0A]) || starts(b"\0\0\0\x0CJXL \r\n\x87\n") {
            FileKind::Image("JPEG XL")
        } else if starts(&[0, 0, 1, 0]) || starts(&[0, 0, 2, 0]) {
            FileKind::Image("ICO")
        } else if starts(b"8BPS") {
            FileKind::Image("Photoshop (PSD)")
        } else if starts(b"PK\x03\x04") || starts(b"PK\x05\x06") {
            FileKind::Zip
        } else if starts(b"RIFF") && bytes.get(8..12) == Some(b"AVI ") {
            FileKind::Video
        } else if let Some(text) = as_text(bytes) {
            let head = text.trim_start_matches('\u{feff}').trim_start();
            let lower = head.to_ascii_lowercase(); // at most 4 KB of text: see `as_text`
            if lower.starts_with("<svg") || (lower.starts_with("<?xml") && lower.contains("<svg")) {
                FileKind::Svg
            } else if lower.starts_with("<!doctype html") || lower.starts_with("<html") {
                FileKind::Html
            } else {
                FileKind::Text
            }
        } else {
            FileKind::Unknown
        }
    }

    /// The format's name when it is an image format some browsers decode and this crate does
    /// not: the page tries the browser's own decoder for these.
    pub fn browser_may_decode(self) -> Option<&'static str> {
        match self {
            FileKind::Image(name) => Some(name),
            _ => None,
        }
    }
}

/// An ISO media file (`ftyp` box): AVIF, HEIC/HEIF, a video, or something else, by its brands.
fn iso_media(bytes: &[u8]) -> FileKind {
    let size = u32::from_be_bytes(bytes[0..4].try_into().expect("4 bytes")) as usize;
    let end = size.clamp(12, 256).min(bytes.len());
    // The major brand, then (after the minor version) the compatible brands.
    let brands: Vec<&[u8]> = std::iter::once(&bytes[8..12])
        .chain(bytes.get(16..end).unwrap_or_default().chunks_exact(4))
        .collect();
    let has = |names: &[&[u8]]| brands.iter().any(|brand| names.contains(brand));
    if has(&[b"avif", b"avis"]) {
        FileKind::Image("AVIF")
    } else if has(&[
        b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1",
    ]) {
        FileKind::Image("HEIC")
    } else if has(&[
        b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"qt  ",
        b"3gp4", b"3gp5", b"3gp6", b"3g2a", b"dash",
    ]) {
        FileKind::Video
    } else {
        FileKind::Unknown
    }
}

/// The bytes as text when their start is UTF-8 (or UTF-16 with its byte-order mark) without
/// control characters other than white space.
fn as_text(bytes: &[u8]) -> Option<String> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        let units: Vec<u16> = bytes[2..bytes.len().min(4098) & !1]
            .chunks_exact(2)
            .map(|pair| match bytes[0] {
                0xFF => u16::from_le_bytes([pair[0], pair[1]]),
                _ => u16::from_be_bytes([pair[0], pair[1]]),
            })
            .collect();
        let text = String::from_utf16(&units).ok()?;
        return plain(&text).then_some(text);
    }
    let head = &bytes[..bytes.len().min(4096)];
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        // A character cut by the 4096-byte window is still text.
        Err(err) if err.error_len().is_none() => {
            std::str::from_utf8(&head[..err.valid_up_to()]).ok()?
        }
        Err(_) => return None,
    };
    plain(text).then(|| text.to_string())
}

fn plain(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\x0C'))
}

/// What is wrong with a file whose header names a format linseg reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Damage {
    /// The data ends early (or is damaged so that it seems to).
    CutOff,
    /// A checksum does not match the data (PNG's CRCs).
    Checksum,
    /// The header gives a width or height of 0.
    NoPixels,
    /// It uses a part of the format the decoder does not support.
    Unsupported,
    /// Decoding it would take more memory than allowed.
    TooMuchMemory,
    /// Any other damage.
    Damaged,
}

impl fmt::Display for PhotoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PhotoError::Empty => write!(f, "empty file (0 bytes)"),
            PhotoError::NotSupported(kind) => match kind {
                FileKind::Image(name) => write!(f, "{name} is not supported"),
                FileKind::Svg => write!(f, "SVG is a drawing, not a photo"),
                FileKind::Pdf => write!(f, "PDF is a document, not a photo"),
                FileKind::Html => write!(f, "this is a web page, not a photo"),
                FileKind::Zip => write!(f, "this is a ZIP archive, not a photo"),
                FileKind::Video => write!(f, "this is a video, not a photo"),
                FileKind::Text => write!(f, "this is a text file, not a photo"),
                FileKind::Unknown => write!(f, "not an image linseg can read ({READ_FORMATS})"),
            },
            PhotoError::Corrupt { format, damage } => match damage {
                Damage::CutOff => write!(f, "the {format} is cut off or damaged"),
                Damage::Checksum => {
                    write!(f, "the {format} is damaged (a checksum does not match)")
                }
                Damage::NoPixels => write!(f, "the {format} is damaged (it says it has no pixels)"),
                Damage::Unsupported => write!(
                    f,
                    "the {format} uses a feature linseg cannot read; save it again as JPEG or PNG"
                ),
                Damage::TooMuchMemory => {
                    write!(
                        f,
                        "the {format} would need more memory to decode than allowed"
                    )
                }
                Damage::Damaged => write!(f, "the {format} is damaged"),
            },
            PhotoError::TooLarge {
                width,
                height,
                max_pixels,
            } => write!(f, "{}", too_large(*width, *height, *max_pixels)),
        }
    }
}

impl std::error::Error for PhotoError {}

/// The message for a `width × height` photo above `max_pixels` (also for photos the browser
/// decodes).
pub fn too_large(width: u32, height: u32, max_pixels: u64) -> String {
    format!(
        "image is {width}×{height} = {:.1} MP, above the limit of {:.1} MP",
        (width as f64 * height as f64) / 1e6,
        max_pixels as f64 / 1e6
    )
}

/// The formats decoded here.
const DECODED: [ImageFormat; 5] = [
    ImageFormat::Jpeg,
    ImageFormat::Png,
    ImageFormat::Gif,
    ImageFormat::WebP,
    ImageFormat::Bmp,
];

fn format_name(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Jpeg => "JPEG",
        ImageFormat::Png => "PNG",
        ImageFormat::Gif => "GIF",
        ImageFormat::WebP => "WebP",
        ImageFormat::Bmp => "BMP",
        _ => "image",
    }
}

/// Decode a JPEG, PNG, GIF (its first frame), WebP or BMP into RGBA, upright (EXIF orientation
/// applied), alpha kept.
///
/// The size is read from the header and checked against `max_pixels` before anything is
/// decoded, so a huge file is refused without the memory it would take.
pub fn decode(bytes: &[u8], max_pixels: u64) -> Result<RgbaImage, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Empty);
    }
    let format = match image::guess_format(bytes) {
        Ok(format) if DECODED.contains(&format) => format,
        _ => return Err(PhotoError::NotSupported(FileKind::sniff(bytes))),
    };
    let name = format_name(format);
    let damaged = |damage| PhotoError::Corrupt {
        format: name,
        damage,
    };
    if format == ImageFormat::Jpeg && !jpeg_is_complete(bytes) {
        return Err(damaged(Damage::CutOff));
    }
    let corrupt = |err: ImageError| damaged(damage_of(&err));
    let reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut decoder = reader.into_decoder().map_err(corrupt)?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(damaged(Damage::NoPixels));
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

/// What a decoder's error says is wrong, in the few kinds a person can act on. The decoders'
/// own words (chunk names, expected CRCs) stay out of the message.
fn damage_of(err: &ImageError) -> Damage {
    match err {
        ImageError::IoError(_) => Damage::CutOff,
        ImageError::Limits(_) => Damage::TooMuchMemory,
        ImageError::Unsupported(_) => Damage::Unsupported,
        ImageError::Decoding(_) => {
            let text = err.to_string().to_ascii_lowercase();
            if text.contains("crc") || text.contains("checksum") {
                Damage::Checksum
            } else if [
                "eof",
                "end of",
                "truncat",
                "unexpected end",
                "ended",
                "too short",
            ]
            .iter()
            .any(|word| text.contains(word))
            {
                Damage::CutOff
            } else {
                Damage::Damaged
            }
        }
        _ => Damage::Damaged,
    }
}

/// Clear the mask where the photo is fully transparent, and fade it where it is partly:
/// `mask · alpha / 255`, rounded. A transparent pixel is background, in the mask and so in the
/// cut-out. The CLI and the page both make their masks through here.
pub fn apply_alpha(mask: &mut GrayImage, photo: &RgbaImage) {
    assert_eq!(
        mask.dimensions(),
        photo.dimensions(),
        "the mask fits the photo"
    );
    for (m, pixel) in mask.pixels_mut().zip(photo.pixels()) {
        let alpha = pixel[3] as u32;
        if alpha != 255 {
            m[0] = ((m[0] as u32 * alpha + 127) / 255) as u8;
        }
    }
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
            Err(PhotoError::NotSupported(FileKind::Text))
        );
    }

    #[test]
    fn a_truncated_jpeg_and_png_are_corrupt() {
        let jpeg = jpeg(64, 48);
        let png = png(&DynamicImage::ImageRgb8(RgbImage::new(64, 48)));
        for (name, bytes) in [("jpeg", &jpeg), ("png", &png)] {
            let cut = &bytes[..bytes.len() / 2];
            match decode(cut, DEFAULT_MAX_PIXELS) {
                Err(err @ PhotoError::Corrupt { .. }) => {
                    assert!(
                        err.to_string().contains("cut off or damaged"),
                        "{name}: {err}"
                    )
                }
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
            Err(PhotoError::Corrupt {
                format: "JPEG",
                damage: Damage::CutOff
            })
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

    fn encoded(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut bytes = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut bytes), format)
            .unwrap();
        bytes
    }

    /// A small photo-like image: a gradient with a bright square.
    fn sample() -> RgbImage {
        RgbImage::from_fn(24, 16, |x, y| {
            if (8..16).contains(&x) && (4..12).contains(&y) {
                Rgb([250, 240, 230])
            } else {
                Rgb([(x * 10) as u8, (y * 15) as u8, 60])
            }
        })
    }

    #[test]
    fn gif_webp_and_bmp_are_read() {
        let rgb = sample();
        // GIF quantises to a palette (on average within a few levels); BMP and lossless WebP
        // keep every value.
        for (format, mean_tolerance) in [
            (ImageFormat::Gif, 8.0),
            (ImageFormat::WebP, 0.0),
            (ImageFormat::Bmp, 0.0),
        ] {
            let bytes = encoded(&DynamicImage::ImageRgb8(rgb.clone()), format);
            let decoded = decode(&bytes, DEFAULT_MAX_PIXELS)
                .unwrap_or_else(|err| panic!("{format:?}: {err}"));
            assert_eq!(decoded.dimensions(), (24, 16), "{format:?}");
            let mut error = 0.0;
            for (a, b) in decoded.pixels().zip(rgb.pixels()) {
                error += (0..3).map(|c| a[c].abs_diff(b[c]) as f64).sum::<f64>();
                assert_eq!(a[3], 255, "{format:?}");
            }
            let mean = error / (3.0 * 24.0 * 16.0);
            assert!(mean <= mean_tolerance, "{format:?}: mean error {mean}");
            // The bright square survives any palette.
            assert!(decoded.get_pixel(12, 8)[0] > 200, "{format:?}");
        }
    }

    #[test]
    fn a_gif_gives_its_first_frame() {
        use image::codecs::gif::GifEncoder;
        use image::{Delay, Frame};
        let frame = |value: u8| {
            Frame::from_parts(
                RgbaImage::from_pixel(8, 8, Rgba([value, value, value, 255])),
                0,
                0,
                Delay::from_numer_denom_ms(100, 1),
            )
        };
        let mut bytes = Vec::new();
        GifEncoder::new(&mut bytes)
            .encode_frames([frame(255), frame(0)])
            .unwrap();
        let decoded = decode(&bytes, DEFAULT_MAX_PIXELS).unwrap();
        assert_eq!(decoded.get_pixel(3, 3), &Rgba([255, 255, 255, 255]));
    }

    #[test]
    fn other_files_are_named() {
        let ftyp = |brands: &[&[u8; 4]]| {
            let mut bytes = ((8 + 4 * brands.len()) as u32 + 4).to_be_bytes().to_vec();
            bytes.extend_from_slice(b"ftyp");
            bytes.extend_from_slice(brands[0]);
            bytes.extend_from_slice(&[0, 0, 0, 0]);
            for brand in &brands[1..] {
                bytes.extend_from_slice(*brand);
            }
            bytes.extend_from_slice(&[0; 64]); // a box of garbage after it
            bytes
        };
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            (
                "HEIC",
                ftyp(&[b"heic", b"mif1", b"heic"]),
                "HEIC is not supported",
            ),
            ("HEIF", ftyp(&[b"mif1", b"heic"]), "HEIC is not supported"),
            (
                "AVIF",
                ftyp(&[b"avif", b"mif1", b"miaf"]),
                "AVIF is not supported",
            ),
            (
                "AVIF (mif1 first)",
                ftyp(&[b"mif1", b"avif"]),
                "AVIF is not supported",
            ),
            (
                "MP4",
                ftyp(&[b"isom", b"mp42"]),
                "this is a video, not a photo",
            ),
            (
                "QuickTime",
                ftyp(&[b"qt  "]),
                "this is a video, not a photo",
            ),
            (
                "M4A",
                ftyp(&[b"M4A ", b"M4A "]),
                "not an image linseg can read (JPEG, PNG, GIF, WebP, BMP, AVIF where the browser reads it)",
            ),
            (
                "SVG",
                b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>".to_vec(),
                "SVG is a drawing, not a photo",
            ),
            (
                "SVG with a prolog",
                b"\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!-- drawn -->\n<svg></svg>".to_vec(),
                "SVG is a drawing, not a photo",
            ),
            (
                "PDF",
                b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj".to_vec(),
                "PDF is a document, not a photo",
            ),
            ("TIFF", b"II*\0\x08\0\0\0".to_vec(), "TIFF is not supported"),
            (
                "ZIP",
                b"PK\x03\x04\x14\0\0\0".to_vec(),
                "this is a ZIP archive, not a photo",
            ),
            (
                "text",
                "a note, with ünïcödé\r\n\tand lines\n".as_bytes().to_vec(),
                "this is a text file, not a photo",
            ),
            (
                "HTML",
                b"<!DOCTYPE html><html></html>".to_vec(),
                "this is a web page, not a photo",
            ),
            (
                "random bytes",
                vec![0x13, 0x00, 0xFE, 0x80, 0x01, 0x02],
                "not an image linseg can read (JPEG, PNG, GIF, WebP, BMP, AVIF where the browser reads it)",
            ),
        ];
        for (name, bytes, message) in cases {
            let err = decode(&bytes, DEFAULT_MAX_PIXELS).unwrap_err();
            assert_eq!(err.to_string(), message, "{name}");
        }
        assert_eq!(
            FileKind::sniff(&ftyp(&[b"heic"])).browser_may_decode(),
            Some("HEIC")
        );
        assert_eq!(FileKind::sniff(b"<svg/>").browser_may_decode(), None);
    }

    /// UTF-16 text (with its byte-order mark) is text, however long and wide its characters.
    #[test]
    fn utf16_text_is_text() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "a €uro, ".repeat(1000).encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        assert_eq!(FileKind::sniff(&bytes), FileKind::Text);
        let mut svg = vec![0xFE, 0xFF];
        for unit in "<svg></svg>".encode_utf16() {
            svg.extend_from_slice(&unit.to_be_bytes());
        }
        assert_eq!(FileKind::sniff(&svg), FileKind::Svg);
    }

    /// The CRC of a PNG's IHDR chunk sits at bytes 29..33 (signature 8, length 4, type 4, data 13).
    #[test]
    fn a_png_with_a_bad_checksum_says_so_in_plain_words() {
        let mut bytes = png(&DynamicImage::ImageRgb8(sample()));
        bytes[30] ^= 0x5A;
        let err = decode(&bytes, DEFAULT_MAX_PIXELS).unwrap_err();
        assert_eq!(
            err,
            PhotoError::Corrupt {
                format: "PNG",
                damage: Damage::Checksum
            }
        );
        assert_eq!(
            err.to_string(),
            "the PNG is damaged (a checksum does not match)"
        );
        // A CRC in the image data's chunk (the last 12 bytes are IEND; its CRC comes before).
        let mut bytes = png(&DynamicImage::ImageRgb8(sample()));
        let at = bytes.len() - 13;
        bytes[at] ^= 0x01;
        let err = decode(&bytes, DEFAULT_MAX_PIXELS).unwrap_err();
        assert!(
            !err.to_string().contains("ChunkType") && !err.to_string().contains("expected"),
            "{err}"
        );
    }

    #[test]
    fn damaged_gif_webp_and_bmp_are_cut_off_or_damaged() {
        let image = DynamicImage::ImageRgb8(sample());
        for format in [ImageFormat::Gif, ImageFormat::WebP, ImageFormat::Bmp] {
            let bytes = encoded(&image, format);
            let cut = &bytes[..bytes.len() * 2 / 3];
            let err = decode(cut, DEFAULT_MAX_PIXELS).unwrap_err();
            assert!(
                matches!(err, PhotoError::Corrupt { .. }),
                "{format:?}: {err:?}"
            );
            let text = err.to_string();
            assert!(text.starts_with("the "), "{format:?}: {text}");
            assert!(
                !text.contains('{') && !text.contains("Error"),
                "{format:?}: {text}"
            );
        }
    }

    /// Left half opaque, right half fully transparent (black RGB there), a partly transparent
    /// column in the middle.
    #[test]
    fn transparent_pixels_are_background_in_the_mask() {
        let photo = RgbaImage::from_fn(8, 4, |x, _| match x {
            0..3 => Rgba([200, 150, 100, 255]),
            3 => Rgba([200, 150, 100, 128]),
            _ => Rgba([0, 0, 0, 0]),
        });
        let decoded = decode(
            &png(&DynamicImage::ImageRgba8(photo.clone())),
            DEFAULT_MAX_PIXELS,
        )
        .unwrap();
        let mut mask = GrayImage::from_pixel(8, 4, image::Luma([255]));
        apply_alpha(&mut mask, &decoded);
        for (x, _, value) in mask.enumerate_pixels() {
            let expected = match x {
                0..3 => 255,
                3 => 128,
                _ => 0,
            };
            assert_eq!(value[0], expected, "x = {x}");
        }
    }
}
