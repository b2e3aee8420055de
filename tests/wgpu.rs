//! The GPU path against the CPU's: the attention blocks and the whole network on wgpu (with
//! Burn's fusion and autotune) give what Burn's CPU backend and the CPU kernels give, every mode.
//!
//! These fail without a wgpu adapter: where there is no GPU, lavapipe (Vulkan on the CPU,
//! Debian's `mesa-vulkan-drivers`, which `scripts/test.sh` installs) is one. They are their own
//! test binary: `cargo test --release --test wgpu`.

use burn::module::{Module, Param};
use burn::tensor::{Device, Distribution, Tensor};
use linseg::Backend;
use linseg::attention::{AttentionMode, ContextBlockConfig};
use linseg::cpu::{CpuNet, FeatureMap};
use linseg::model::SelfieNetConfig;

fn gpu() -> Device {
    Backend::Wgpu
        .device()
        .unwrap_or_else(|err| panic!("{err}: install a Vulkan driver, lavapipe will do"))
}

fn values<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor.into_data().try_into_vec::<f32>().unwrap()
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn gamma(value: f32, device: &Device) -> Param<Tensor<1>> {
    Param::from_tensor(Tensor::<1>::from_floats([value], device))
}

/// Burn's CPU backend and wgpu compute the same context block, every mode, on a non-square map.
#[test]
fn every_attention_block_on_wgpu_matches_the_cpu() {
    let (gpu, cpu) = (gpu(), Device::flex());
    for mode in AttentionMode::ALL {
        let mut block = ContextBlockConfig::new(mode, 16).init(&cpu);
        block.set_gamma(gamma(0.7, &cpu));
        let x = Tensor::<4>::random([1, 16, 7, 10], Distribution::Normal(0.0, 1.0), &cpu);
        let expected = values(block.forward(x.clone()));
        let on_gpu = values(block.to_device(&gpu).forward(x.to_device(&gpu)));
        let error = max_abs_diff(&expected, &on_gpu);
        assert!(error <= 1e-3, "{mode}: max abs error {error}");
    }
}

/// The whole network on wgpu against the CPU kernels, every mode, on a non-square input.
#[test]
fn the_network_on_wgpu_matches_the_cpu_kernels() {
    let (gpu, cpu) = (gpu(), Device::flex());
    let x = Tensor::<4>::random([1, 3, 48, 64], Distribution::Uniform(0.0, 1.0), &cpu);
    let pixels = FeatureMap::new(48, 64, 3, values(x.clone().permute([0, 2, 3, 1])));
    for mode in AttentionMode::ALL {
        let mut net = SelfieNetConfig::new(mode).init(&cpu);
        net.context.set_gamma(gamma(0.5, &cpu));
        let (ours, _) = CpuNet::new(&net, &cpu).forward(&pixels);
        let on_gpu = values(net.to_device(&gpu).forward(x.clone().to_device(&gpu)));
        let diff = max_abs_diff(&ours, &on_gpu);
        assert!(diff <= 1e-3, "{mode}: max |difference| {diff}");
    }
}
