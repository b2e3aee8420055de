//! The one data type of the CPU path: a feature map of one image, channels last.

use super::buffers;

/// A `height × width × channels` feature map of one image, channels last (NHWC with `N = 1`):
/// `data[(y · width + x) · channels + c]`. One pixel's channels are contiguous, so a 1×1
/// convolution is a matrix product over rows of `channels` and every per-channel loop runs over
/// adjacent floats.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureMap {
    /// Rows.
    pub height: usize,
    /// Columns.
    pub width: usize,
    /// Values per pixel.
    pub channels: usize,
    /// `height · width · channels` values.
    pub data: Vec<f32>,
}

impl FeatureMap {
    /// A map of zeros, in a recycled buffer where one is spare (`buffers.rs`).
    pub fn zeros(height: usize, width: usize, channels: usize) -> Self {
        FeatureMap {
            height,
            width,
            channels,
            data: buffers::zeros(height * width * channels),
        }
    }

    /// A map over existing values.
    ///
    /// # Panics
    /// If `data` does not hold `height · width · channels` values.
    pub fn new(height: usize, width: usize, channels: usize, data: Vec<f32>) -> Self {
        assert_eq!(
            data.len(),
            height * width * channels,
            "{height}×{width}×{channels} feature map"
        );
        FeatureMap {
            height,
            width,
            channels,
            data,
        }
    }

    /// The values, taken out of the map (their buffer is then not recycled).
    pub fn into_data(mut self) -> Vec<f32> {
        std::mem::take(&mut self.data)
    }

    /// Number of pixels.
    pub fn pixels(&self) -> usize {
        self.height * self.width
    }

    /// The channels of pixel `(y, x)`.
    #[inline(always)]
    pub fn pixel(&self, y: usize, x: usize) -> &[f32] {
        let start = (y * self.width + x) * self.channels;
        &self.data[start..start + self.channels]
    }
}

/// A map's buffer goes back to `buffers.rs` for the next map.
impl Drop for FeatureMap {
    fn drop(&mut self) {
        buffers::recycle(std::mem::take(&mut self.data));
    }
}
