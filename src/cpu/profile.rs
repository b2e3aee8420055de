//! Where the CPU path's time goes: the time of each kind of layer, summed over the network.

use std::time::Duration;

use web_time::Instant;

/// A kind of layer of the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The 3×3 stride-2 convolution on the RGB input.
    Stem,
    /// 1×1 convolutions (expansions, projections, the head and decoder's convolutions).
    Pointwise,
    /// Depthwise 3×3 and 5×5 convolutions.
    Depthwise,
    /// Global means and the channel gates computed from them.
    Gates,
    /// The context-attention block (Burn's tensor ops).
    Attention,
    /// Bilinear ×2 upsampling.
    Upsample,
    /// The decoder's gated sums of skip and upsampled features.
    Fusion,
    /// The 2×2 transposed convolution and the sigmoid.
    Output,
}

impl Step {
    /// Every step, in the order of the network.
    pub const ALL: [Step; 8] = [
        Step::Stem,
        Step::Pointwise,
        Step::Depthwise,
        Step::Gates,
        Step::Attention,
        Step::Upsample,
        Step::Fusion,
        Step::Output,
    ];

    /// A short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Step::Stem => "3×3 stem convolution",
            Step::Pointwise => "1×1 convolutions",
            Step::Depthwise => "depthwise convolutions",
            Step::Gates => "pooling and channel gates",
            Step::Attention => "attention block",
            Step::Upsample => "bilinear ×2",
            Step::Fusion => "gated skip fusion",
            Step::Output => "transposed conv + sigmoid",
        }
    }
}

/// Time and number of layers per [`Step`] of one forward pass.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Profile {
    totals: [Duration; Step::ALL.len()],
    layers: [u32; Step::ALL.len()],
}

impl Profile {
    /// Run `f` as one layer of `step` and add its time.
    pub fn time<T>(&mut self, step: Step, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let value = f();
        self.totals[step as usize] += start.elapsed();
        self.layers[step as usize] += 1;
        value
    }

    /// Total time of `step`.
    pub fn total(&self, step: Step) -> Duration {
        self.totals[step as usize]
    }

    /// Number of layers of `step` timed.
    pub fn layers(&self, step: Step) -> u32 {
        self.layers[step as usize]
    }

    /// The sum over all steps.
    pub fn sum(&self) -> Duration {
        self.totals.iter().sum()
    }

    /// Add another profile's times (e.g. the passes of one photo, or repeated runs).
    pub fn add(&mut self, other: &Profile) {
        for (total, more) in self.totals.iter_mut().zip(other.totals) {
            *total += more;
        }
        for (layers, more) in self.layers.iter_mut().zip(other.layers) {
            *layers += more;
        }
    }
}
