//! The Burn port of Selfie Segmentation against the original model: masks that MediaPipe's own
//! `.tflite`, run by `ai-edge-litert`, gave for the same 256×256 inputs
//! (`scripts/golden.py`, `tests/fixtures/golden/README.md`), through Burn's tensor ops and
//! through the CPU kernels.

use std::path::Path;

use burn::module::Param;
use burn::tensor::{Device, Tensor, TensorData};
use linseg::attention::AttentionMode;
use linseg::cpu::{CpuNet, FeatureMap};
use linseg::model::SelfieNet;
use linseg::native::weight_files;
use linseg::tools::eval;

const PHOTOS: [&str; 5] = ["astronaut", "grace_hopper", "coffee", "chelsea", "rocket"];

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/golden")
        .join(name)
}

/// The 8-bit RGB input as `[1, 3, 256, 256]` in `[0, 1]`.
fn input(name: &str, device: &Device) -> Tensor<4> {
    let image = image::open(fixture(&format!("{name}.input.png")))
        .unwrap()
        .into_rgb8();
    let (w, h) = image.dimensions();
    let plane = (w * h) as usize;
    let mut values = vec![0.0f32; 3 * plane];
    for (i, pixel) in image.pixels().enumerate() {
        for c in 0..3 {
            values[c * plane + i] = pixel[c] as f32 / 255.0;
        }
    }
    Tensor::from_data(
        TensorData::new(values, [1, 3, h as usize, w as usize]),
        device,
    )
}

/// The reference probabilities, stored as 16-bit grey.
fn reference(name: &str) -> Vec<f32> {
    let mask = image::open(fixture(&format!("{name}.mask.png")))
        .unwrap()
        .into_luma16();
    mask.pixels().map(|p| p[0] as f32 / 65535.0).collect()
}

fn load(mode: AttentionMode, device: &Device) -> SelfieNet {
    weight_files::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("models"),
        mode,
        device,
    )
    .unwrap()
}

fn probabilities(net: &SelfieNet, x: Tensor<4>) -> Vec<f32> {
    net.forward(x).into_data().try_into_vec::<f32>().unwrap()
}

/// IoU of two probability maps thresholded at 0.5.
fn iou(a: &[f32], b: &[f32]) -> f64 {
    eval::iou_of(a.iter().map(|p| *p > 0.5), b.iter().map(|p| *p > 0.5))
}

/// The port's probabilities both ways it runs on the CPU: Burn's tensor ops, and the fused
/// CPU kernels (`linseg::cpu`, what `linseg segment` and the page's CPU backend use).
fn both_paths(net: &SelfieNet, x: Tensor<4>, device: &Device) -> [(&'static str, Vec<f32>); 2] {
    let [_, channels, height, width] = x.dims();
    let pixels = FeatureMap::new(
        height,
        width,
        channels,
        x.clone()
            .permute([0, 2, 3, 1])
            .into_data()
            .try_into_vec::<f32>()
            .unwrap(),
    );
    let (kernels, _) = CpuNet::new(net, device).forward(&pixels);
    [("burn", probabilities(net, x)), ("cpu kernels", kernels)]
}

#[test]
fn port_matches_mediapipe_on_every_golden_photo() {
    let device = Device::flex();
    let net = load(AttentionMode::None, &device);
    for name in PHOTOS {
        let theirs = reference(name);
        for (path, ours) in both_paths(&net, input(name, &device), &device) {
            assert_eq!(ours.len(), theirs.len(), "{name}");
            let mean_abs = ours
                .iter()
                .zip(&theirs)
                .map(|(a, b)| (a - b).abs() as f64)
                .sum::<f64>()
                / ours.len() as f64;
            let max_abs = ours
                .iter()
                .zip(&theirs)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            let iou = iou(&ours, &theirs);
            println!(
                "{name}, {path}: mean abs {mean_abs:.2e}, max abs {max_abs:.2e}, IoU {iou:.5}"
            );
            assert!(
                mean_abs <= 0.01,
                "{name}, {path}: mean abs difference {mean_abs}"
            );
            assert!(iou >= 0.99, "{name}, {path}: IoU {iou}");
        }
    }
}

/// With γ set to 0, every mode's network is the original exactly: training moved the block
/// alone, and a block with γ = 0 is the identity.
#[test]
fn every_mode_with_gamma_zero_is_the_original_network_exactly() {
    let device = Device::flex();
    let x = input("astronaut", &device);
    let original = probabilities(&load(AttentionMode::None, &device), x.clone());
    for mode in AttentionMode::ALL {
        let mut net = load(mode, &device);
        net.context
            .set_gamma(Param::from_tensor(Tensor::zeros([1], &device)));
        assert_eq!(probabilities(&net, x.clone()), original, "{mode}");
    }
}
