//! The pipeline from a photo to its mask, one implementation for the CLI and the browser: plan
//! the passes ([`crate::refine`]), run them ([`Network::run_passes`]), fuse their outputs into
//! a mask at the photo's size and make transparent pixels background.

use std::time::Duration;

use image::{GrayImage, RgbaImage};
use web_time::Instant;

use crate::cpu::Profile;
use crate::error::Result;
use crate::network::Network;
use crate::photo;
use crate::refine::Plan;

/// How long each step of one photo took.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timings {
    /// RGBA to the network's inputs, every pass.
    pub preprocess: Duration,
    /// The network, every pass, until the device has finished.
    pub inference: Duration,
    /// The outputs copied back from the device (nothing on the CPU kernels).
    pub readback: Duration,
    /// Probabilities to the mask at the photo's size.
    pub postprocess: Duration,
}

/// One photo's mask and what it took.
pub struct Masked {
    /// The probability of a person per pixel, 0–255, at the photo's size.
    pub mask: GrayImage,
    /// Time per step.
    pub timings: Timings,
    /// Where the CPU kernels' time went; `None` through Burn.
    pub profile: Option<Profile>,
    /// Whether a global pass at the trained size ran before the detail pass.
    pub two_passes: bool,
}

/// Segment a decoded photo at processing size `size`: in one pass up to the trained size, in a
/// global and a detail pass above it (see [`crate::refine`]). Transparent pixels are background
/// ([`photo::apply_alpha`]).
pub async fn segment_photo(net: &Network, photo: &RgbaImage, size: u32) -> Result<Masked> {
    let plan = Plan::new(photo.width(), photo.height(), size);
    let passes = net.run_passes(photo, &plan).await?;
    let start = Instant::now();
    let mut mask = plan.mask(&passes.detail, passes.global.as_deref());
    photo::apply_alpha(&mut mask, photo);
    Ok(Masked {
        mask,
        timings: Timings {
            preprocess: passes.preprocess,
            inference: passes.inference,
            readback: passes.readback,
            postprocess: start.elapsed(),
        },
        profile: passes.profile,
        two_passes: plan.global.is_some(),
    })
}

/// [`segment_photo`], waited for on this thread.
pub fn segment_photo_blocking(net: &Network, photo: &RgbaImage, size: u32) -> Result<Masked> {
    futures_lite::future::block_on(segment_photo(net, photo, size))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attention::AttentionMode;
    use burn::tensor::Device;

    /// The path the browser's GPU takes (Burn's ops, every pass queued, then read back
    /// asynchronously) and the CPU kernels' give the same two-pass mask, with their times.
    #[test]
    fn burn_s_asynchronous_path_masks_as_the_cpu_kernels_do() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let photo = image::open(root.join("tests/fixtures/photos/grace_hopper.jpg"))
            .unwrap()
            .to_rgba8();
        let device = Device::flex();
        let load = || crate::weights::shipped(AttentionMode::Linear, &device);
        let kernels = Network::new(load(), &device);
        let burn = Network::Burn {
            net: load(),
            device: device.clone(),
        };
        let on_kernels = segment_photo_blocking(&kernels, &photo, 512).unwrap();
        let on_burn = segment_photo_blocking(&burn, &photo, 512).unwrap();
        assert!(on_kernels.two_passes && on_burn.two_passes);
        assert!(on_kernels.profile.is_some() && on_burn.profile.is_none());
        assert!(on_burn.timings.inference > Duration::ZERO);
        let differing = on_kernels
            .mask
            .pixels()
            .zip(on_burn.mask.pixels())
            .filter(|(a, b)| a[0].abs_diff(b[0]) > 2)
            .count();
        assert!(
            differing * 1000 < on_kernels.mask.len(),
            "{differing} pixels differ by more than 2 levels"
        );
    }
}
