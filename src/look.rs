//! "What does it look at?": for one photo, the weights with which the attention block gathers
//! context for each cell of its stride-16 map, ready to be read a cell at a time as a pointer
//! moves over the photo.
//!
//! The photo is fitted as [`pipeline`](crate::pipeline) fits it for one pass at the processing
//! size; the block's queries and keys are computed and read back once
//! ([`Look::new`], asynchronous so that the browser's GPU can answer), and each cell's weights
//! are then plain arithmetic on the CPU ([`Look::weights`], `O(N·C′)` or less). [`spread`] sums
//! them up over every cell: how far the block looks, as `linseg look` prints it.

use image::RgbaImage;
use web_time::Instant;

use crate::attention::{ContextWeights, Features};
use crate::model::STRIDE;
use crate::network::Network;
use crate::preprocess::Letterbox;
use crate::refine::Plan;
use crate::stats;

/// A photo's attention weights in one network.
pub struct Look {
    letterbox: Letterbox,
    /// `[W, H]`: the block's map, in cells.
    grid: [usize; 2],
    /// `None` for mode `none`, which has no block.
    weights: Option<Box<dyn ContextWeights>>,
}

impl Look {
    /// Run the network's encoder on `photo` as the pass at `size` sees it ([`Plan`]'s detail
    /// pass) and read back what its block's weights come from.
    pub async fn new(network: &Network, photo: &RgbaImage, size: u32) -> crate::Result<Look> {
        let letterbox = Plan::new(photo.width(), photo.height(), size).detail;
        let input = network.context_input(photo, &letterbox); // [1, C, H, W]
        let [_, _, height, width] = input.dims();
        let block = network.context();
        let mut maps = Vec::new();
        for map in block.weight_maps(input) {
            maps.push(Features::read(map).await?);
        }
        Ok(Look {
            letterbox,
            grid: [width, height],
            weights: block.context_weights(maps),
        })
    }

    /// The block's map, `[W, H]` cells.
    pub fn grid(&self) -> [usize; 2] {
        self.grid
    }

    /// One cell's width and height in the photo's pixels (the grid also covers the padding
    /// that rounds the input up to the stride, beyond the photo's right and bottom edges).
    pub fn cell_size(&self) -> [f64; 2] {
        let [photo_w, photo_h] = self.letterbox.photo;
        let [scaled_w, scaled_h] = self.letterbox.scaled;
        [
            STRIDE as f64 * photo_w as f64 / scaled_w as f64,
            STRIDE as f64 * photo_h as f64 / scaled_h as f64,
        ]
    }

    /// The cell `[column, row]` under the photo's pixel `(x, y)`; `None` off the photo.
    pub fn cell_at(&self, x: f64, y: f64) -> Option<[usize; 2]> {
        let [photo_w, photo_h] = self.letterbox.photo;
        if !(0.0..photo_w as f64).contains(&x) || !(0.0..photo_h as f64).contains(&y) {
            return None;
        }
        let [cell_w, cell_h] = self.cell_size();
        let cell = |at: f64, size: f64, cells: usize| ((at / size) as usize).min(cells - 1);
        Some([cell(x, cell_w, self.grid[0]), cell(y, cell_h, self.grid[1])])
    }

    /// The weights with which cell `[column, row]` gathers context: `H·W` values over the grid,
    /// row-major, that sum to 1; `None` for mode `none`, which gathers none.
    pub fn weights(&self, [column, row]: [usize; 2]) -> Option<Vec<f32>> {
        assert!(
            column < self.grid[0] && row < self.grid[1],
            "cell off the grid"
        );
        let weights = self.weights.as_ref()?;
        Some(weights.row(row * self.grid[0] + column))
    }
}

/// How one mode's weights spread over one photo's map, over all its cells.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// The mean over cells of the largest weight.
    pub peak: f64,
    /// The mean over cells of `1 / Σ w²`.
    pub effective_cells: f64,
    /// The median time to compute one cell's weights, in milliseconds.
    pub ms_per_cell: f64,
}

/// The spread of `look`'s weights over every cell of its grid; `None` for mode `none`.
pub fn spread(look: &Look) -> Option<Spread> {
    let [width, height] = look.grid();
    let (mut peak, mut effective, mut times) = (0.0, 0.0, Vec::with_capacity(width * height));
    for row in 0..height {
        for column in 0..width {
            let started = Instant::now();
            let weights = look.weights([column, row])?;
            times.push(started.elapsed().as_secs_f64() * 1e3);
            peak += weights.iter().copied().fold(0.0f32, f32::max) as f64;
            effective += 1.0
                / weights
                    .iter()
                    .map(|&w| (w as f64) * (w as f64))
                    .sum::<f64>();
        }
    }
    let cells = (width * height) as f64;
    Some(Spread {
        peak: peak / cells,
        effective_cells: effective / cells,
        ms_per_cell: stats::median(&mut times)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attention::{AttentionMode, ContextBlock};
    use crate::model::{SelfieNet, SelfieNetConfig};
    use burn::module::Param;
    use burn::tensor::Device;
    use futures_lite::future::block_on;

    fn photo() -> RgbaImage {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/photos/grace_hopper.jpg"
        );
        image::open(path).expect("a sample photo").to_rgba8()
    }

    fn net(mode: AttentionMode, device: &Device) -> SelfieNet {
        crate::weights::shipped(mode, device)
    }

    /// The CPU kernels' path and Burn's (which the browser's GPU takes, read back
    /// asynchronously) give the same weights for every mode, each row summing to 1.
    #[test]
    fn both_paths_give_the_same_weights_in_every_mode() {
        let device = Device::flex();
        let photo = photo();
        for mode in AttentionMode::ALL {
            let kernels = Network::new(net(mode, &device), &device);
            assert!(matches!(kernels, Network::Cpu(_)));
            let burn = Network::Burn {
                net: net(mode, &device),
                device: device.clone(),
            };
            let on_kernels = block_on(Look::new(&kernels, &photo, 512)).unwrap();
            let on_burn = block_on(Look::new(&burn, &photo, 512)).unwrap();
            let grid = on_kernels.grid();
            assert_eq!(grid, on_burn.grid());
            let cell = [grid[0] / 2, grid[1] / 3];
            let (Some(a), Some(b)) = (on_kernels.weights(cell), on_burn.weights(cell)) else {
                assert_eq!(mode, AttentionMode::None, "{mode} has no weights");
                assert!(on_burn.weights(cell).is_none());
                continue;
            };
            assert_eq!(a.len(), grid[0] * grid[1], "{mode}");
            let error = a
                .iter()
                .zip(&b)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, f32::max);
            assert!(error <= 1e-3, "{mode}: max abs difference {error}");
            let sum: f32 = a.iter().sum();
            assert!((sum - 1.0).abs() <= 1e-3, "{mode}: weights sum to {sum}");
        }
    }

    /// A pixel maps to the cell that covers it; off the photo, to none.
    #[test]
    fn pixels_map_to_the_cells_over_them() {
        let device = Device::flex();
        let network = Network::new(net(AttentionMode::Linear, &device), &device);
        let photo = RgbaImage::new(1000, 600);
        let look = block_on(Look::new(&network, &photo, 512)).unwrap();
        // 1000 × 600 at 512: scaled 512 × 307, input 512 × 320, grid 32 × 20.
        assert_eq!(look.grid(), [32, 20]);
        let [cell_w, cell_h] = look.cell_size();
        assert!((cell_w - 31.25).abs() < 1e-9, "{cell_w}");
        assert_eq!(look.cell_at(0.0, 0.0), Some([0, 0]));
        assert_eq!(look.cell_at(999.0, 599.0), Some([31, 19]));
        assert_eq!(look.cell_at(31.3, 2.0 * cell_h + 0.1), Some([1, 2]));
        assert_eq!(look.cell_at(1000.0, 10.0), None);
        assert_eq!(look.cell_at(-1.0, 10.0), None);
    }

    /// Dot-product attention with zero queries weighs every cell alike: the peak is `1/N` and
    /// the effective number of cells is `N`.
    #[test]
    fn uniform_weights_spread_over_every_cell() {
        let device = Device::flex();
        let mut net = SelfieNetConfig::new(AttentionMode::Dot).init(&device);
        let ContextBlock::Dot(block) = &mut net.context else {
            unreachable!("a dot block")
        };
        let query = &mut block.qkv.query;
        query.weight = Param::from_tensor(query.weight.val().zeros_like());
        query.bias = query
            .bias
            .take()
            .map(|b| Param::from_tensor(b.val().zeros_like()));
        let network = Network::new(net, &device);
        // Up to the trained size the photo is stretched to a square: 6 × 6 cells at 96 px.
        let look = block_on(Look::new(&network, &RgbaImage::new(96, 64), 96)).unwrap();
        assert_eq!(look.grid(), [6, 6]);
        let spread = spread(&look).unwrap();
        assert!((spread.peak - 1.0 / 36.0).abs() < 1e-6, "{spread:?}");
        assert!((spread.effective_cells - 36.0).abs() < 1e-3, "{spread:?}");
    }
}
