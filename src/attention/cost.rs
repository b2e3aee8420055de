//! What a block costs, computed from the shapes alone, before anything runs: the benchmark
//! prints it beside the times, and both the benchmark and the page refuse, through
//! [`BlockCost::check`], a case whose buffers would not fit.

use core::fmt;

use super::ContextBlockConfig;
use super::block::CostShape;

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
        let shape = CostShape {
            channels: self.channels as u64,
            key_channels: self.key_channels() as u64,
            height: height as u64,
            width: width as u64,
        };
        let cost = self.mode.cost(shape);
        let b = batch as u64;
        BlockCost {
            flops: b * cost.flops,
            projection_flops: b * cost.projection_flops,
            peak_bytes: FLOAT * b * cost.peak_floats,
            largest_buffer_bytes: FLOAT * b * cost.largest_floats,
        }
    }
}

/// What a device lets one attention block hold: the one rule behind every refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most one buffer may hold (a GPU's per-buffer limit), if the device has one.
    pub buffer_bytes: Option<u64>,
    /// The most the block may hold at once, all its intermediates together.
    pub block_bytes: u64,
    /// What `block_bytes` is, as a refusal words it after the amount: "above the 3.0 GiB
    /// {block_source}", e.g. "the CPU fallback (32-bit WebAssembly) leaves for it".
    pub block_source: &'static str,
}

/// Why a block cannot run on a device: one of its buffers, or all of them together, would not
/// fit. Its text says which, with both amounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The largest intermediate is above the per-buffer limit.
    Buffer {
        /// Bytes of the largest intermediate.
        needed: u64,
        /// The per-buffer limit.
        allowed: u64,
    },
    /// The intermediates alive together are above the block limit.
    Block {
        /// Bytes of the intermediates at the block's peak.
        needed: u64,
        /// Bytes of the largest of them (within the per-buffer limit, or there is none).
        largest: u64,
        /// The block limit.
        allowed: u64,
        /// Who sets the limit (see [`Limits::block_source`]).
        source: &'static str,
    },
}

impl Refusal {
    /// The bytes the refused block would need: of one buffer or of the whole block.
    pub fn needed_bytes(&self) -> u64 {
        match *self {
            Refusal::Buffer { needed, .. } | Refusal::Block { needed, .. } => needed,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Refusal::Buffer { needed, allowed } => write!(
                f,
                "would need one buffer of {}, above the {} this device allows per buffer",
                bytes(needed),
                bytes(allowed)
            ),
            Refusal::Block {
                needed,
                largest,
                allowed,
                source,
            } => write!(
                f,
                "would need {} at once for its attention block (all its intermediates together; \
                 the largest one {}), above the {} {source}",
                bytes(needed),
                bytes(largest),
                bytes(allowed)
            ),
        }
    }
}

/// Bytes in binary units with one decimal: "756.3 MiB", "1.5 GiB".
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

impl BlockCost {
    /// Whether the block fits `limits`: its largest buffer first, then all of it at once.
    pub fn check(&self, limits: &Limits) -> Result<(), Refusal> {
        if let Some(allowed) = limits.buffer_bytes
            && self.largest_buffer_bytes > allowed
        {
            return Err(Refusal::Buffer {
                needed: self.largest_buffer_bytes,
                allowed,
            });
        }
        if self.peak_bytes > limits.block_bytes {
            return Err(Refusal::Block {
                needed: self.peak_bytes,
                largest: self.largest_buffer_bytes,
                allowed: limits.block_bytes,
                source: limits.block_source,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attention::AttentionMode;

    /// A GPU with a 1 GiB per-buffer limit and a 1 GiB budget per block.
    const GPU: Limits = Limits {
        buffer_bytes: Some(1 << 30),
        block_bytes: 1 << 30,
        block_source: "a block may hold at once on this GPU",
    };

    /// The per-buffer limit is checked against the largest buffer, the block limit against the
    /// peak, and each refusal names its own amounts.
    #[test]
    fn check_compares_like_with_like() {
        // dot at 64 × 64: a 64 MiB score map, ~130 MiB at once: fits.
        assert_eq!(cost(AttentionMode::Dot, 64).check(&GPU), Ok(()));
        // dot at 128 × 128: the 1 GiB map fits one buffer exactly; the block's 2 GiB does not.
        let refusal = cost(AttentionMode::Dot, 128).check(&GPU).unwrap_err();
        assert!(matches!(refusal, Refusal::Block { allowed, .. } if allowed == 1 << 30));
        // Both figures the page's table shows for it: the block's memory and its largest buffer.
        let dot = cost(AttentionMode::Dot, 128);
        assert_eq!(
            refusal.to_string(),
            format!(
                "would need {} at once for its attention block (all its intermediates together; \
                 the largest one {}), above the 1.0 GiB a block may hold at once on this GPU",
                bytes(dot.peak_bytes),
                bytes(dot.largest_buffer_bytes)
            )
        );
        assert_eq!(bytes(dot.largest_buffer_bytes), "1.0 GiB");
        // dot at 160 × 160: the map alone is above one buffer, which is said first.
        let refusal = cost(AttentionMode::Dot, 160).check(&GPU).unwrap_err();
        assert_eq!(
            refusal,
            Refusal::Buffer {
                needed: cost(AttentionMode::Dot, 160).largest_buffer_bytes,
                allowed: 1 << 30
            }
        );
        assert_eq!(
            refusal.to_string(),
            "would need one buffer of 2.4 GiB, above the 1.0 GiB this device allows per buffer"
        );
        // Without a per-buffer limit (the CPU) only the block limit counts.
        let cpu = Limits {
            buffer_bytes: None,
            block_bytes: 3 << 30,
            block_source: "the CPU fallback leaves for it",
        };
        let refusal = cost(AttentionMode::Dot, 160).check(&cpu).unwrap_err();
        assert!(refusal.needed_bytes() > 3 << 30);
        assert!(
            refusal
                .to_string()
                .ends_with("above the 3.0 GiB the CPU fallback leaves for it")
        );
        assert_eq!(cost(AttentionMode::Linear, 160).check(&cpu), Ok(()));
    }

    #[test]
    fn bytes_read_as_people_write_them() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(756 << 20), "756.0 MiB");
        assert_eq!(bytes(3 << 30), "3.0 GiB");
    }

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
