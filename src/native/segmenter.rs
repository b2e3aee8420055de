//! [`Segmenter`]: linseg as a library — a mode's network at one processing size on one backend,
//! from a photo to its [`Mask`], and to what its attention block looks at ([`Look`]).
//!
//! A segmenter takes the steps `linseg segment` takes, through the same functions: the photo
//! decoded upright with its pixel limit ([`photo::decode`]), the passes planned, run and fused
//! into a mask at the photo's size ([`pipeline::segment_photo`]). So its mask is the one the
//! command writes for the same photo, mode and size.
//!
//! ```
//! use linseg::{AttentionMode, Backend, SegmenterConfig};
//!
//! # fn main() -> linseg::Result<()> {
//! let segmenter = SegmenterConfig::new(AttentionMode::Linear, 256)
//!     .with_backend(Backend::Cpu)
//!     .with_models(concat!(env!("CARGO_MANIFEST_DIR"), "/models"))
//!     .init()?;
//! let photo = image::RgbaImage::from_pixel(120, 80, image::Rgba([40, 90, 160, 255]));
//! let mask = segmenter.segment(&photo.into())?;
//! assert_eq!((mask.width(), mask.height()), (120, 80));
//! assert_eq!(mask.values().len(), 120 * 80);
//! # Ok(())
//! # }
//! ```

use std::io::Cursor;
use std::path::{Path, PathBuf};

use futures_lite::future::block_on;
use image::{DynamicImage, GrayImage, ImageFormat, RgbaImage};

use super::backend::Backend;
use super::weight_files;
use crate::attention::{AttentionMode, Limits};
use crate::error::{Error, Result};
use crate::look::Look;
use crate::network::Network;
use crate::photo::{self, Damage, PhotoError};
use crate::pipeline;
use crate::preprocess::offered_size;
use crate::refine::Plan;
use crate::weights;

/// Where a segmenter's weights come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WeightSource {
    /// A folder holding the modes' weight files, `selfie-<mode>.bpk` ([`weights::file_name`]).
    Folder(PathBuf),
    /// The bytes of the mode's weight file.
    Bytes(Vec<u8>),
}

/// What a [`Segmenter`] is made of: a mode and a processing size, and where the rest has a
/// default — the CPU backend, the weights in `models/`, [`photo::DEFAULT_MAX_PIXELS`], no limit
/// on the attention block's memory but the GPU's per-buffer one.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmenterConfig {
    /// The attention mode of the network's context block.
    pub mode: AttentionMode,
    /// The processing size: the longer side of the network's input, one of
    /// [`SIZES`](crate::preprocess::SIZES). Above the trained size a photo goes through the
    /// network twice ([`crate::refine`]).
    pub size: u32,
    /// Where the network runs.
    pub backend: Backend,
    /// Where the mode's weights come from.
    pub weights: WeightSource,
    /// Photos with more pixels than this are refused ([`ErrorKind::TooLarge`]).
    ///
    /// [`ErrorKind::TooLarge`]: crate::ErrorKind::TooLarge
    pub max_pixels: u64,
    /// The most the attention block may hold at once, all its intermediates together; a photo
    /// whose block would need more is refused ([`ErrorKind::Refused`]). `None`: no limit
    /// (on the GPU, each buffer is still held to the device's per-buffer limit).
    ///
    /// [`ErrorKind::Refused`]: crate::ErrorKind::Refused
    pub max_block_bytes: Option<u64>,
}

impl SegmenterConfig {
    /// `mode` at processing size `size`, with the defaults for the rest.
    pub fn new(mode: AttentionMode, size: u32) -> Self {
        SegmenterConfig {
            mode,
            size,
            backend: Backend::Cpu,
            weights: WeightSource::Folder(weight_files::DEFAULT_FOLDER.into()),
            max_pixels: photo::DEFAULT_MAX_PIXELS,
            max_block_bytes: None,
        }
    }

    /// Runs on `backend`.
    pub fn with_backend(self, backend: Backend) -> Self {
        SegmenterConfig { backend, ..self }
    }

    /// Reads the mode's weight file from the folder `models`.
    pub fn with_models(self, models: impl Into<PathBuf>) -> Self {
        SegmenterConfig {
            weights: WeightSource::Folder(models.into()),
            ..self
        }
    }

    /// Takes the mode's weights from the bytes of its weight file.
    pub fn with_weight_bytes(self, bytes: Vec<u8>) -> Self {
        SegmenterConfig {
            weights: WeightSource::Bytes(bytes),
            ..self
        }
    }

    /// Refuses photos with more than `max_pixels` pixels.
    pub fn with_max_pixels(self, max_pixels: u64) -> Self {
        SegmenterConfig { max_pixels, ..self }
    }

    /// Refuses photos whose attention block would hold more than `bytes` at once.
    pub fn with_max_block_bytes(self, bytes: u64) -> Self {
        SegmenterConfig {
            max_block_bytes: Some(bytes),
            ..self
        }
    }

    /// Checks the size, starts the backend and loads the mode's weights.
    ///
    /// # Errors
    /// [`Error::UnsupportedSize`] for a size not in [`SIZES`](crate::preprocess::SIZES);
    /// [`Error::Device`] when the backend does not start (no wgpu adapter); [`Error::File`] when
    /// the weight file cannot be read, [`Error::Weights`] when it is not the mode's.
    pub fn init(self) -> Result<Segmenter> {
        offered_size(self.size.into())?;
        let started = self.backend.start()?;
        let device = &started.device;
        let net = match self.weights {
            WeightSource::Folder(dir) => weight_files::load(&dir, self.mode, device)?,
            WeightSource::Bytes(bytes) => weights::from_bytes(bytes, self.mode, device)?,
        };
        Ok(Segmenter {
            network: Network::new(net, device),
            size: self.size,
            max_pixels: self.max_pixels,
            limits: Limits {
                buffer_bytes: started.max_buffer_bytes,
                block_bytes: self.max_block_bytes.unwrap_or(u64::MAX),
                block_source: "that the segmenter's max_block_bytes allows",
            },
        })
    }
}

/// A mode's network, ready to segment photos at one processing size: see the
/// [module documentation](self).
pub struct Segmenter {
    network: Network,
    size: u32,
    max_pixels: u64,
    limits: Limits,
}

impl Segmenter {
    /// `mode` at processing size `size` with the defaults of [`SegmenterConfig::new`].
    ///
    /// # Errors
    /// As [`SegmenterConfig::init`].
    pub fn new(mode: AttentionMode, size: u32) -> Result<Segmenter> {
        SegmenterConfig::new(mode, size).init()
    }

    /// The attention mode of the network's context block.
    pub fn mode(&self) -> AttentionMode {
        self.network.mode()
    }

    /// The processing size.
    pub fn size(&self) -> u32 {
        self.size
    }

    /// The mask of a decoded photo, taken as it stands (upright); transparent pixels are
    /// background.
    ///
    /// # Errors
    /// [`Error::Photo`] for a photo without pixels or with more than the segmenter allows;
    /// [`Error::Refused`] when its attention block would not fit; [`Error::Device`] when the
    /// device fails.
    pub fn segment(&self, photo: &DynamicImage) -> Result<Mask> {
        self.check_pixels(photo.width(), photo.height())?;
        self.segment_rgba(&photo.to_rgba8())
    }

    /// The mask of a photo file's bytes (JPEG, PNG, GIF, WebP or BMP), decoded upright (EXIF
    /// orientation applied) by [`photo::decode`]: the mask `linseg segment` writes.
    ///
    /// ```
    /// # fn main() -> linseg::Result<()> {
    /// use linseg::{AttentionMode, ErrorKind, Segmenter};
    ///
    /// let segmenter = Segmenter::new(AttentionMode::Linear, 256)?;
    /// let err = segmenter.segment_bytes(b"hello").unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::BadImage);
    /// assert_eq!(err.to_string(), "this is a text file, not a photo");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::Photo`] for bytes that are not a photo linseg reads, or a photo with more
    /// pixels than the segmenter allows; otherwise as [`Segmenter::segment`].
    pub fn segment_bytes(&self, bytes: &[u8]) -> Result<Mask> {
        self.segment_rgba(&photo::decode(bytes, self.max_pixels)?)
    }

    /// What the attention block looks at in a decoded photo, taken as it stands: each cell's
    /// weights over the block's map, as the pass at the segmenter's size sees the photo.
    ///
    /// ```
    /// # fn main() -> linseg::Result<()> {
    /// use linseg::{AttentionMode, Segmenter};
    ///
    /// let segmenter = Segmenter::new(AttentionMode::Linear, 512)?;
    /// let photo = image::RgbaImage::new(1000, 600).into();
    /// let look = segmenter.look(&photo)?;
    /// // 1000 × 600 at 512: the photo scaled to 512 × 307, the block's map 32 × 20 cells.
    /// assert_eq!(look.grid(), [32, 20]);
    /// let cell = look.cell_at(500.0, 300.0).expect("a pixel of the photo");
    /// let weights = look.weights(cell).expect("linear attention weighs every cell");
    /// assert_eq!(weights.len(), 32 * 20);
    /// assert!((weights.iter().sum::<f32>() - 1.0).abs() < 1e-3);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`Segmenter::segment`], [`Error::Refused`] aside: the weights are read a cell at a
    /// time.
    pub fn look(&self, photo: &DynamicImage) -> Result<Look> {
        self.check_pixels(photo.width(), photo.height())?;
        block_on(Look::new(&self.network, &photo.to_rgba8(), self.size))
    }

    /// What the attention block looks at in a photo file's bytes, decoded as
    /// [`Segmenter::segment_bytes`] decodes them.
    ///
    /// # Errors
    /// As [`Segmenter::segment_bytes`], [`Error::Refused`] aside.
    pub fn look_bytes(&self, bytes: &[u8]) -> Result<Look> {
        let photo = photo::decode(bytes, self.max_pixels)?;
        block_on(Look::new(&self.network, &photo, self.size))
    }

    /// An upright RGBA photo's mask, once its block is known to fit.
    fn segment_rgba(&self, photo: &RgbaImage) -> Result<Mask> {
        let mode = self.mode();
        Plan::new(photo.width(), photo.height(), self.size)
            .block_cost(mode)
            .check(&self.limits)
            .map_err(|refusal| Error::Refused {
                mode,
                size: self.size,
                refusal,
            })?;
        let masked = pipeline::segment_photo_blocking(&self.network, photo, self.size)?;
        Ok(Mask(masked.mask))
    }

    /// A decoded photo's pixels held to the limits [`photo::decode`] holds a file's to.
    fn check_pixels(&self, width: u32, height: u32) -> Result<()> {
        if width == 0 || height == 0 {
            return Err(PhotoError::Corrupt {
                format: "image",
                damage: Damage::NoPixels,
            }
            .into());
        }
        if width as u64 * height as u64 > self.max_pixels {
            return Err(PhotoError::TooLarge {
                width,
                height,
                max_pixels: self.max_pixels,
            }
            .into());
        }
        Ok(())
    }
}

/// A photo's mask: for each pixel of the photo, at the photo's own size, the probability that
/// it shows a person as a level from 0 (background) to 255 (person).
///
/// The network's probabilities are fused and scaled to the photo as levels
/// ([`crate::preprocess::quantize`]), so a level is the probability within one and a half
/// levels; [`Mask::probability`] gives it back as a float. Transparent pixels of the photo are
/// 0, partly transparent ones faded by their alpha ([`photo::apply_alpha`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mask(GrayImage);

impl Mask {
    /// The photo's width in pixels.
    pub fn width(&self) -> u32 {
        self.0.width()
    }

    /// The photo's height in pixels.
    pub fn height(&self) -> u32 {
        self.0.height()
    }

    /// The levels, row-major: `width · height` values, 0–255.
    pub fn values(&self) -> &[u8] {
        self.0.as_raw()
    }

    /// The level of the pixel `(x, y)`, 0–255.
    ///
    /// # Panics
    /// If the pixel is off the photo.
    pub fn level(&self, x: u32, y: u32) -> u8 {
        self.0.get_pixel(x, y)[0]
    }

    /// The probability of a person at the pixel `(x, y)`, 0–1: its level over 255.
    ///
    /// # Panics
    /// If the pixel is off the photo.
    pub fn probability(&self, x: u32, y: u32) -> f32 {
        self.level(x, y) as f32 / 255.0
    }

    /// The probabilities of every pixel, row-major: the levels over 255.
    pub fn probabilities(&self) -> impl Iterator<Item = f32> + '_ {
        self.values().iter().map(|&level| level as f32 / 255.0)
    }

    /// The mask as a grey image.
    pub fn as_image(&self) -> &GrayImage {
        &self.0
    }

    /// The mask as a grey image, taken.
    pub fn into_image(self) -> GrayImage {
        self.0
    }

    /// The mask as a PNG file's bytes: 8-bit grey, the levels as they are.
    pub fn to_png(&self) -> Vec<u8> {
        let mut png = Vec::new();
        self.0
            .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
            .expect("a grey image encodes as PNG in memory");
        png
    }

    /// Writes the mask to `path` as a PNG file ([`Mask::to_png`]).
    ///
    /// # Errors
    /// [`Error::File`] when the file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        crate::native::files::write(path.as_ref(), self.to_png())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn root() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR"))
    }

    fn photo_bytes(name: &str) -> Vec<u8> {
        std::fs::read(root().join("tests/fixtures/photos").join(name)).unwrap()
    }

    /// A segmenter's mask of a file's bytes is the pipeline's mask of the decoded photo, pixel
    /// for pixel, in one pass and in two; a decoded photo given as it stands masks the same.
    #[test]
    fn segment_bytes_masks_as_the_pipeline_does() {
        let bytes = photo_bytes("grace_hopper.jpg");
        let photo = photo::decode(&bytes, photo::DEFAULT_MAX_PIXELS).unwrap();
        for size in [256, 1024] {
            let segmenter = Segmenter::new(AttentionMode::Linear, size).unwrap();
            let mask = segmenter.segment_bytes(&bytes).unwrap();
            let network = &segmenter.network;
            let expected = pipeline::segment_photo_blocking(network, &photo, size).unwrap();
            assert_eq!(mask.as_image(), &expected.mask, "at {size}");
            let from_image = segmenter.segment(&photo.clone().into()).unwrap();
            assert_eq!(from_image, mask, "at {size}");
        }
    }

    /// The weights may be given as bytes, and a file that is not the mode's is refused.
    #[test]
    fn weights_come_from_a_folder_or_bytes() {
        let file = root()
            .join("models")
            .join(weights::file_name(AttentionMode::Dot));
        let bytes = std::fs::read(file).unwrap();
        let segmenter = SegmenterConfig::new(AttentionMode::Dot, 256)
            .with_weight_bytes(bytes.clone())
            .init()
            .unwrap();
        assert_eq!(segmenter.mode(), AttentionMode::Dot);
        let err = SegmenterConfig::new(AttentionMode::Linear, 256)
            .with_weight_bytes(bytes)
            .init()
            .err()
            .unwrap();
        assert_eq!(err.kind(), ErrorKind::BadWeights);
        let err = SegmenterConfig::new(AttentionMode::Linear, 256)
            .with_models(root().join("no-such-folder"))
            .init()
            .err()
            .unwrap();
        assert_eq!(err.kind(), ErrorKind::File);
    }

    /// Each way a request can be wrong has its kind: a size not offered, a mode's name that is
    /// none, bytes that are not a photo, a photo too large, a block that would not fit.
    #[test]
    fn bad_requests_have_their_kinds() {
        let err = Segmenter::new(AttentionMode::Linear, 300).err().unwrap();
        assert_eq!(err.kind(), ErrorKind::BadSize);
        let err = Error::from("lineer".parse::<AttentionMode>().unwrap_err());
        assert_eq!(err.kind(), ErrorKind::UnknownMode);
        let segmenter = SegmenterConfig::new(AttentionMode::Dot, 512)
            .with_max_pixels(1000)
            .with_max_block_bytes(1 << 20)
            .init()
            .unwrap();
        let err = segmenter.segment_bytes(b"").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadImage);
        let err = segmenter
            .segment(&RgbaImage::new(0, 10).into())
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadImage);
        let err = segmenter
            .segment(&RgbaImage::new(40, 30).into())
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TooLarge);
        let err = segmenter
            .segment_bytes(&photo_bytes("rocket.jpg"))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TooLarge);
        let small = RgbaImage::new(30, 20).into();
        let err = segmenter.segment(&small).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Refused);
        assert!(
            err.to_string().starts_with("dot at 512 px would need"),
            "{err}"
        );
    }

    /// A mask's PNG file holds its levels as they are.
    #[test]
    fn a_mask_saves_as_a_png_of_its_levels() {
        let mask = Mask(GrayImage::from_fn(3, 2, |x, y| {
            image::Luma([(x * 100 + y) as u8])
        }));
        let read = image::load_from_memory(&mask.to_png())
            .unwrap()
            .into_luma8();
        assert_eq!(read, *mask.as_image());
        assert_eq!(mask.level(2, 1), 201);
        assert!((mask.probability(2, 1) - 201.0 / 255.0).abs() < 1e-7);
        assert_eq!(mask.probabilities().count(), 6);
    }
}
