//! Coarse to fine: how a photo is segmented above the size the network was trained at.
//!
//! The pretrained network saw people at 256 px. At 1024 px a person spans four times more
//! pixels than its convolutions can see at once, and on its own the network keeps the face and
//! loses the clothes. So above [`TRAINED_SIZE`] a photo goes through the network twice:
//!
//! - the **global pass**, at [`TRAINED_SIZE`], says which regions are a person;
//! - the **detail pass**, at the requested size, says where exactly their edges run.
//!
//! **Shapes.** The detail pass keeps the photo's shape (its longer side the requested size,
//! [`Letterbox::new`]). A pass at [`TRAINED_SIZE`] or below — the global pass, or the only one —
//! stretches the photo to a square ([`Letterbox::stretched`]), as MediaPipe's own graph feeds
//! the network: that is what it was trained on, and against the truth it does better so
//! (`models/README.md`, "How the settings were chosen").
//!
//! Where the global pass is sure it decides; across its soft edge the detail pass takes over:
//!
//! ```text
//! p = c · g + (1 − c) · d,   c = |2g − 1|
//! ```
//!
//! with `g` the global probability scaled up to the detail pass and `d` the detail one. The
//! edge can move anywhere inside the global pass's transition band (where `0.19 < g < 0.81`)
//! but no region the global pass is sure of can appear or vanish. At or below
//! [`TRAINED_SIZE`] there is one pass and `p = d`.

use image::GrayImage;

use crate::attention::{AttentionMode, BlockCost};
use crate::model::{STRIDE, SelfieNetConfig, TRAINED_SIZE};
use crate::preprocess::{self, Letterbox, ProbabilityMap};

/// The passes one photo needs at one processing size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// The pass at the requested size.
    pub detail: Letterbox,
    /// The pass at [`TRAINED_SIZE`], when the requested size is above it.
    pub global: Option<Letterbox>,
}

impl Plan {
    /// One pass through `letterbox`, whatever its size.
    pub fn single(letterbox: Letterbox) -> Self {
        Plan {
            detail: letterbox,
            global: None,
        }
    }

    /// Plan a `width × height` photo at processing size `size`: one pass stretched to a square
    /// up to [`TRAINED_SIZE`], above it a detail pass of the photo's shape and a global pass
    /// stretched to [`TRAINED_SIZE`].
    pub fn new(width: u32, height: u32, size: u32) -> Self {
        let trained = TRAINED_SIZE as u32;
        if size <= trained {
            return Plan::single(Letterbox::stretched(width, height, size));
        }
        Plan {
            detail: Letterbox::new(width, height, size),
            global: Some(Letterbox::stretched(width, height, trained)),
        }
    }

    /// What `mode`'s attention block costs in the plan's largest pass, the detail pass: on its
    /// `[1, 32, H_in/16, W_in/16]` map.
    pub fn block_cost(&self, mode: AttentionMode) -> BlockCost {
        let [width, height] = self.detail.input.map(|side| side as usize / STRIDE);
        SelfieNetConfig::new(mode).context().cost(1, height, width)
    }

    /// The photo's mask, 0–255 at its own size, from each pass's probabilities over its input
    /// (row-major, as [`preprocess::crop`] takes them).
    ///
    /// # Panics
    /// If `global` is given exactly when the plan has no global pass, or a pass's
    /// probabilities do not fit its input.
    pub fn mask(&self, detail: &[f32], global: Option<&[f32]>) -> GrayImage {
        let detail_map = preprocess::crop(detail, &self.detail);
        let map = match (&self.global, global) {
            (None, None) => detail_map,
            (Some(letterbox), Some(global)) => {
                fuse(preprocess::crop(global, letterbox), &detail_map)
            }
            _ => panic!("the global pass's probabilities do not match the plan"),
        };
        let [width, height] = self.detail.photo;
        preprocess::quantize(map, width, height)
    }
}

/// Fuse a global map with a detail map: `c · g + (1 − c) · d`, `c = |2g − 1|`, with `g` scaled
/// to the detail map's size (see the [module documentation](self)).
pub fn fuse(global: ProbabilityMap, detail: &ProbabilityMap) -> ProbabilityMap {
    let (width, height) = detail.dimensions();
    let mut fused = preprocess::resize(global, width, height);
    for (g, d) in fused.pixels_mut().zip(detail.pixels()) {
        let confidence = (2.0 * g[0] - 1.0).abs();
        g[0] = confidence * g[0] + (1.0 - confidence) * d[0];
    }
    fused
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageBuffer, Luma};

    fn map(width: u32, height: u32, value: impl Fn(u32, u32) -> f32) -> ProbabilityMap {
        ImageBuffer::from_fn(width, height, |x, y| Luma([value(x, y)]))
    }

    #[test]
    fn one_stretched_pass_up_to_the_trained_size_two_above() {
        let small = Plan::new(600, 400, 256);
        assert_eq!(small.global, None);
        assert_eq!(small.detail, Letterbox::stretched(600, 400, 256));
        assert_eq!(small.detail.input, [256, 256]);
        let plan = Plan::new(600, 400, 1024);
        assert_eq!(plan.detail, Letterbox::new(600, 400, 1024));
        assert_eq!(plan.detail.input, [1024, 688]);
        assert_eq!(plan.global, Some(Letterbox::stretched(600, 400, 256)));
    }

    /// A size that is no multiple of the stride is stretched to it and padded to the stride.
    #[test]
    fn a_small_odd_size_is_stretched_then_padded() {
        let plan = Plan::new(600, 400, 100);
        assert_eq!(plan.detail.scaled, [100, 100]);
        assert_eq!(plan.detail.input, [112, 112]);
    }

    #[test]
    fn where_the_global_pass_is_sure_it_decides() {
        let global = map(4, 4, |x, _| if x < 2 { 0.0 } else { 1.0 });
        let detail = map(4, 4, |x, _| if x < 2 { 0.9 } else { 0.1 });
        let fused = fuse(global.clone(), &detail);
        assert_eq!(fused, global);
    }

    #[test]
    fn where_the_global_pass_is_unsure_the_detail_pass_decides() {
        let global = map(4, 4, |_, _| 0.5);
        let detail = map(4, 4, |x, y| (x + 4 * y) as f32 / 16.0);
        assert_eq!(fuse(global, &detail), detail);
    }

    /// Across the band the fused value moves from the detail pass's towards the global one,
    /// and the 0.5 crossing stays between g = 0.19 and g = 0.81 whatever the detail says.
    #[test]
    fn the_edge_moves_only_within_the_global_transition_band() {
        let fused_at = |g: f32, d: f32| fuse(map(1, 1, |_, _| g), &map(1, 1, |_, _| d))[(0, 0)][0];
        assert!((fused_at(0.75, 0.0) - 0.375).abs() < 1e-6);
        assert!(fused_at(0.82, 0.0) > 0.5 && fused_at(0.80, 0.0) < 0.5);
        assert!(fused_at(0.18, 1.0) < 0.5 && fused_at(0.20, 1.0) > 0.5);
    }

    #[test]
    fn the_global_map_is_scaled_to_the_detail_one() {
        let global = map(2, 2, |_, _| 1.0);
        let detail = map(8, 8, |_, _| 0.0);
        let fused = fuse(global, &detail);
        assert_eq!(fused.dimensions(), (8, 8));
        assert!(fused.pixels().all(|p| p[0] == 1.0));
    }

    #[test]
    fn one_pass_masks_are_the_detail_pass_cropped_and_scaled_to_the_photo() {
        let plan = Plan::new(100, 50, 256);
        let [w, h] = plan.detail.input;
        let probabilities = vec![1.0; (w * h) as usize];
        let mask = plan.mask(&probabilities, None);
        assert_eq!(mask.dimensions(), (100, 50));
        assert!(mask.pixels().all(|p| p[0] == 255));
    }

    #[test]
    fn two_pass_masks_keep_what_the_global_pass_is_sure_of() {
        let plan = Plan::new(100, 50, 1024);
        let global_box = plan.global.expect("a global pass at 1024");
        let [gw, gh] = global_box.input;
        // The global pass: a person on the left half, sure of it; the detail pass sees nothing.
        let global: Vec<f32> = (0..gw * gh)
            .map(|i| {
                if i % gw < global_box.scaled[0] / 2 {
                    1.0
                } else {
                    0.0
                }
            })
            .collect();
        let [dw, dh] = plan.detail.input;
        let detail = vec![0.0; (dw * dh) as usize];
        let mask = plan.mask(&detail, Some(&global));
        assert_eq!(mask.dimensions(), (100, 50));
        assert_eq!(mask[(10, 25)][0], 255);
        assert_eq!(mask[(90, 25)][0], 0);
    }

    #[test]
    #[should_panic(expected = "do not match the plan")]
    fn a_missing_global_pass_is_a_bug() {
        let plan = Plan::new(100, 50, 1024);
        let [w, h] = plan.detail.input;
        plan.mask(&vec![0.0; (w * h) as usize], None);
    }
}
