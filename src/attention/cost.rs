//! What a block costs, computed from the shapes alone, before anything runs: the benchmark
//! prints it beside the times, and the page refuses a size whose buffers would not fit the GPU.

use super::{AttentionMode, ContextBlockConfig, RECURRENCE};

/// Bytes of one f32.
const FLOAT: u64 = 4;

/// The cost of one block on a `[B, C, H, W]` map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockCost {
    /// Floating-point operations (a multiply-add counts 2), projections included.
    pub flops: u64,
    /// The part of `flops` spent in the 1×1 projections, which every mode shares.
    pub projection_flops: u64,
    /// Bytes of the intermediates alive together at the block's peak (not its input or weights).
    pub peak_bytes: u64,
    /// Bytes of the largest single intermediate: what one GPU buffer must hold.
    pub largest_buffer_bytes: u64,
}

impl ContextBlockConfig {
    /// The block's cost on a `[batch, C, height, width]` map.
    pub fn cost(&self, batch: usize, height: usize, width: usize) -> BlockCost {
        let [b, c, k] = [batch, self.channels, self.key_channels()].map(|v| v as u64);
        let (h, w) = (height as u64, width as u64);
        let n = h * w;
        let projections = match self.mode {
            AttentionMode::None => 0,
            AttentionMode::Efficient => 2 * n * c * (2 * k + 2 * c), // and the reprojection
            AttentionMode::CrissCross => RECURRENCE as u64 * 2 * n * c * (2 * k + c),
            _ => 2 * n * c * (2 * k + c),
        };
        let (flops, peak, largest) = match self.mode {
            AttentionMode::None => (0, 0, 0),
            // q, k, v; the N×N scores and their softmax together; the output.
            AttentionMode::Dot => (
                projections + 2 * n * n * (k + c) + 5 * n * n,
                2 * k * n + 2 * c * n + 2 * n * n,
                n * n,
            ),
            // q, k, v and the normalised q̂, k̂; the C×C' sum; numerator, denominator, output.
            AttentionMode::Linear => (
                projections + 4 * n * c * k + 8 * n * k + 2 * n * c,
                4 * k * n + 3 * c * n + c * k + n,
                c * n,
            ),
            // q, k, v and their softmaxes; the C'×C context; the output and its reprojection.
            AttentionMode::Efficient => (
                projections + 4 * n * c * k + 10 * n * k,
                4 * k * n + 3 * c * n + c * k,
                c * n,
            ),
            // Per pass: q, k, v; row and column scores, joined, and their softmax; three outputs.
            AttentionMode::CrissCross => {
                let candidates = n * (h + w);
                (
                    projections + RECURRENCE as u64 * (2 * candidates * (k + c) + 5 * candidates),
                    2 * k * n + 4 * c * n + 3 * candidates,
                    candidates.max(c * n),
                )
            }
        };
        BlockCost {
            flops: b * flops,
            projection_flops: b * projections,
            peak_bytes: FLOAT * b * peak,
            largest_buffer_bytes: FLOAT * b * largest,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cost(mode: AttentionMode, size: usize) -> BlockCost {
        ContextBlockConfig::new(mode, 128).cost(1, size, size)
    }

    /// The dot-product map at 128 × 128 is the 1 GiB the attention notes quote.
    #[test]
    fn dot_product_map_at_128_is_one_gibibyte() {
        assert_eq!(cost(AttentionMode::Dot, 128).largest_buffer_bytes, 1 << 30);
    }

    /// Quadrupling N multiplies dot's cost by about 16 and linear's by about 4.
    #[test]
    fn growth_is_quadratic_for_dot_and_linear_for_linear() {
        let ratio = |mode, metric: fn(BlockCost) -> u64| {
            metric(cost(mode, 128)) as f64 / metric(cost(mode, 64)) as f64
        };
        assert!(ratio(AttentionMode::Dot, |c| c.flops) > 14.0);
        assert!(ratio(AttentionMode::Dot, |c| c.peak_bytes) > 14.0);
        for mode in [AttentionMode::Linear, AttentionMode::Efficient] {
            assert!((ratio(mode, |c| c.flops) - 4.0).abs() < 0.01, "{mode}");
            assert!((ratio(mode, |c| c.peak_bytes) - 4.0).abs() < 0.01, "{mode}");
        }
        assert_eq!(
            cost(AttentionMode::None, 128),
            BlockCost {
                flops: 0,
                projection_flops: 0,
                peak_bytes: 0,
                largest_buffer_bytes: 0
            }
        );
    }
}
