//! Each CPU kernel against the Burn op it replaces (the generic path, on Burn's CPU device), on
//! random weights and odd, non-square sizes; then the whole network against `SelfieNet`.

use burn::module::{Module, Param};
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2dConfig, ConvTranspose2dConfig};
use burn::tensor::activation::{hard_swish, relu, sigmoid};
use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use burn::tensor::{Device, Distribution, Tensor, TensorData};

use super::*;
use crate::attention::AttentionMode;
use crate::model::SelfieNetConfig;

fn device() -> Device {
    Device::flex()
}

fn values<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor.into_data().try_into_vec::<f32>().unwrap()
}

fn random_map(height: usize, width: usize, channels: usize) -> FeatureMap {
    let t = Tensor::<3>::random(
        [height, width, channels],
        Distribution::Normal(0.0, 1.0),
        &device(),
    );
    FeatureMap::new(height, width, channels, values(t))
}

/// `[H, W, C]` to Burn's `[1, C, H, W]`.
fn to_tensor(x: &FeatureMap) -> Tensor<4> {
    Tensor::<4>::from_data(
        TensorData::new(x.data.clone(), [1, x.height, x.width, x.channels]),
        &device(),
    )
    .permute([0, 3, 1, 2])
}

/// Burn's `[1, C, H, W]` to `[H, W, C]`.
fn from_tensor(t: Tensor<4>) -> FeatureMap {
    let [_, c, h, w] = t.dims();
    FeatureMap::new(h, w, c, values(t.permute([0, 2, 3, 1])))
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "lengths");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// A convolution with random weights and bias, the bias non-zero.
fn conv(
    channels: [usize; 2],
    kernel: usize,
    stride: usize,
    groups: usize,
) -> burn::nn::conv::Conv2d {
    let mut conv = Conv2dConfig::new(channels, [kernel, kernel])
        .with_stride([stride, stride])
        .with_groups(groups)
        .with_padding(PaddingConfig2d::Same)
        .init(&device());
    let bias = Tensor::<1>::random([channels[1]], Distribution::Normal(0.0, 1.0), &device());
    conv.bias = Some(Param::from_tensor(bias));
    conv
}

fn weights(conv: &burn::nn::conv::Conv2d) -> (Vec<f32>, Vec<f32>) {
    (
        values(conv.weight.val()),
        values(conv.bias.as_ref().unwrap().val()),
    )
}

#[test]
fn pointwise_matches_a_1x1_convolution_with_activation_and_residual() {
    // 7 × 5 = 35 pixels: eight tiles of four and a tail of three.
    let x = random_map(7, 5, 24);
    let residual = random_map(7, 5, 16);
    let layer = conv([24, 16], 1, 1, 1);
    let (weight, bias) = weights(&layer);
    let packed = PackedPointwise::new(&weight, bias, 24);
    for activation in [
        Activation::Identity,
        Activation::Relu,
        Activation::HardSwish,
    ] {
        let ours = packed.forward(&x, activation, Some(&residual));
        let z = layer.forward(to_tensor(&x));
        let z = match activation {
            Activation::Identity => z,
            Activation::Relu => relu(z),
            Activation::HardSwish => hard_swish(z),
        };
        let theirs = from_tensor(z + to_tensor(&residual));
        assert_eq!((ours.height, ours.width, ours.channels), (7, 5, 16));
        assert!(
            max_abs_diff(&ours.data, &theirs.data) < 1e-5,
            "{activation:?}"
        );
    }
}

#[test]
fn folding_a_channel_gate_into_the_weights_equals_gating_the_input() {
    let x = random_map(3, 6, 16);
    let gate: Vec<f32> = (0..16).map(|c| c as f32 / 16.0).collect();
    let layer = conv([16, 8], 1, 1, 1);
    let (weight, bias) = weights(&layer);
    let packed = PackedPointwise::new(&weight, bias, 16);
    let gated = FeatureMap::new(
        3,
        6,
        16,
        x.data
            .iter()
            .enumerate()
            .map(|(i, v)| v * gate[i % 16])
            .collect(),
    );
    let folded = packed
        .with_input_scaled(&gate)
        .forward(&x, Activation::Identity, None);
    let direct = packed.forward(&gated, Activation::Identity, None);
    assert!(max_abs_diff(&folded.data, &direct.data) < 1e-5);
}

/// Sizes with edges only, and with runs of four interior pixels between the edges (at stride 1
/// the sliding-window tile).
#[test]
fn depthwise_matches_burn_with_same_padding_at_both_strides() {
    for (kernel, stride, height, width) in [
        (3, 1, 7, 9),
        (3, 2, 8, 10),
        (5, 1, 6, 5),
        (5, 2, 9, 7),
        (3, 2, 7, 7),
        (3, 1, 5, 17),
        (5, 1, 6, 14),
        (5, 2, 6, 21),
    ] {
        let x = random_map(height, width, 16);
        let layer = conv([16, 16], kernel, stride, 16);
        let (weight, bias) = weights(&layer);
        let ours =
            Depthwise::new(&weight, bias, kernel, stride).forward(&x, Activation::Relu, None);
        let theirs = from_tensor(relu(layer.forward(to_tensor(&x))));
        assert_eq!(
            (ours.height, ours.width),
            (theirs.height, theirs.width),
            "{kernel}×{kernel}/{stride} on {height}×{width}"
        );
        assert!(
            max_abs_diff(&ours.data, &theirs.data) < 1e-5,
            "{kernel}×{kernel}/{stride} on {height}×{width}"
        );
    }
}

#[test]
fn depthwise_adds_the_residual_after_the_activation() {
    let x = random_map(5, 6, 8);
    let layer = conv([8, 8], 3, 1, 8);
    let (weight, bias) = weights(&layer);
    let ours = Depthwise::new(&weight, bias, 3, 1).forward(&x, Activation::Relu, Some(&x));
    let theirs = from_tensor(to_tensor(&x) + relu(layer.forward(to_tensor(&x))));
    assert!(max_abs_diff(&ours.data, &theirs.data) < 1e-5);
}

#[test]
fn the_stem_convolution_matches_burn() {
    for (height, width) in [(16, 16), (9, 14), (6, 26)] {
        let x = random_map(height, width, 3);
        let layer = conv([3, 16], 3, 2, 1);
        let (weight, bias) = weights(&layer);
        let ours = Convolution::new(&weight, bias, 3, 3, 2).forward(&x, Activation::HardSwish);
        let theirs = from_tensor(hard_swish(layer.forward(to_tensor(&x))));
        assert_eq!((ours.height, ours.width), (theirs.height, theirs.width));
        assert!(
            max_abs_diff(&ours.data, &theirs.data) < 1e-5,
            "{height}×{width}"
        );
    }
}

#[test]
fn upsampling_matches_burns_bilinear_interpolation() {
    let x = random_map(5, 7, 8);
    let options = InterpolateOptions::new(InterpolateMode::Bilinear)
        .with_align_corners(false)
        .with_output_size([10, 14]);
    let theirs = from_tensor(interpolate(to_tensor(&x), options));
    let ours = upsample2x(&x);
    assert!(max_abs_diff(&ours.data, &theirs.data) < 1e-5);
}

#[test]
fn the_output_layer_matches_a_transposed_convolution_and_sigmoid() {
    let mut layer = ConvTranspose2dConfig::new([16, 1], [2, 2])
        .with_stride([2, 2])
        .init(&device());
    layer.bias = Some(Param::from_tensor(Tensor::<1>::from_floats(
        [0.3],
        &device(),
    )));
    // Even and odd widths: the kernel takes input pixels in pairs.
    for width in [6, 7] {
        let x = random_map(4, width, 16);
        let ours = ToProbabilities::new(&values(layer.weight.val()), 0.3).forward(&x);
        let theirs = values(sigmoid(layer.forward(to_tensor(&x))));
        assert!(max_abs_diff(&ours, &theirs) < 1e-6, "width {width}");
    }
}

#[test]
fn gates_and_means_match_burn() {
    let x = random_map(6, 5, 16);
    let means = channel_means(&x);
    let theirs = values(to_tensor(&x).mean_dim(2).mean_dim(3));
    assert!(max_abs_diff(&means, &theirs) < 1e-5);

    let reduce = conv([16, 8], 1, 1, 1);
    let expand = conv([8, 16], 1, 1, 1);
    let (rw, rb) = weights(&reduce);
    let (ew, eb) = weights(&expand);
    let ours = channel_gate(&Dense::new(rw, rb), &Dense::new(ew, eb), &means);
    let pooled = to_tensor(&x).mean_dim(2).mean_dim(3);
    let theirs = values(sigmoid(expand.forward(relu(reduce.forward(pooled)))));
    assert!(max_abs_diff(&ours, &theirs) < 1e-5);

    let up = random_map(6, 5, 16);
    let gate_tensor = Tensor::<1>::from_floats(ours.as_slice(), &device()).reshape([1, 16, 1, 1]);
    let theirs = from_tensor(to_tensor(&x) * gate_tensor + to_tensor(&up));
    assert!(max_abs_diff(&gated_sum(&x, &ours, up.clone()).data, &theirs.data) < 1e-5);
}

/// The whole network, every mode, with γ = 0.5 so that the attention block counts, on a
/// non-square input: the CPU kernels give Burn's probabilities.
/// The whole network on the CPU kernels against Burn, in every mode; and each kernel's baseline
/// form (plain floats here; the same generic code as SIMD128 in the browser), which a machine
/// with AVX2 would otherwise never run, against Burn too. The switch is process-wide: a test
/// running beside this one may take either form, both correct.
#[test]
fn the_network_on_the_cpu_kernels_matches_burn_in_every_mode() {
    let device = device();
    let x = Tensor::<4>::random([1, 3, 48, 80], Distribution::Uniform(0.0, 1.0), &device);
    let pixels = FeatureMap::new(48, 80, 3, values(x.clone().permute([0, 2, 3, 1])));
    for mode in AttentionMode::ALL {
        let mut net = SelfieNetConfig::new(mode).init(&device);
        net.context
            .set_gamma(Param::from_tensor(Tensor::<1>::from_floats([0.5], &device)));
        let theirs = values(net.forward(x.clone()));
        let cpu = CpuNet::new(&net, &device);
        crate::cpu::force_baseline(true);
        let (baseline, _) = cpu.forward(&pixels);
        crate::cpu::force_baseline(false);
        let diff = max_abs_diff(&baseline, &theirs);
        assert!(
            diff < 1e-5,
            "{mode}, baseline form: max |difference| {diff}"
        );
        let (ours, profile) = cpu.forward(&pixels);
        let diff = max_abs_diff(&ours, &theirs);
        assert!(diff < 1e-5, "{mode}: max |difference| {diff}");
        assert_eq!(profile.layers(Step::Attention), 1);
        assert_eq!(
            profile.layers(Step::Depthwise),
            8 + 3,
            "eight blocks, three decoder stages"
        );
    }
}

/// Splitting each layer into bands of rows among threads changes no value: the network on three
/// threads (uneven bands) equals it on one, bit for bit. Mode none: the attention block's Burn
/// ops may sum in another order on more threads.
#[cfg(feature = "threads")]
#[test]
fn the_network_on_three_threads_gives_the_bits_of_one() {
    let _limit = THREAD_LIMIT_TESTS.lock().unwrap();
    let (net, x) = threaded_case();
    let on = |count: usize| pool(count).install(|| (threads(), net.forward(&x).0));
    let (one_thread, one) = on(1);
    let (three_threads, three) = on(3);
    assert_eq!((one_thread, three_threads), (1, 3));
    assert!(
        one == three,
        "the probabilities differ between one and three threads"
    );
}

/// The tests that read or set the process-wide thread limit, one at a time.
#[cfg(feature = "threads")]
static THREAD_LIMIT_TESTS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The threads tests' network (mode none) and input (160×112, uneven bands on three threads).
#[cfg(feature = "threads")]
fn threaded_case() -> (CpuNet, FeatureMap) {
    let device = device();
    let net = CpuNet::new(
        &SelfieNetConfig::new(AttentionMode::None).init(&device),
        &device,
    );
    (net, random_map(160, 112, 3))
}

/// A Rayon pool of `count` threads.
#[cfg(feature = "threads")]
fn pool(count: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(count)
        .build()
        .unwrap()
}

/// A thread limit keeps the bands within it on a larger pool, and lifting it gives the pool's
/// threads back; the probabilities are the same either way.
#[cfg(feature = "threads")]
#[test]
fn a_thread_limit_keeps_the_layers_on_that_many_threads() {
    let _limit = THREAD_LIMIT_TESTS.lock().unwrap();
    let (net, x) = threaded_case();
    let (limited, lifted) = pool(3).install(|| {
        super::limit_threads(1);
        let limited = (threads(), net.forward(&x).0);
        super::limit_threads(usize::MAX);
        (limited, (threads(), net.forward(&x).0))
    });
    assert_eq!((limited.0, lifted.0), (1, 3));
    assert!(
        limited.1 == lifted.1,
        "the probabilities differ with the limit"
    );
}

/// The whole network on wgpu (with Burn's fusion and autotune) against the CPU kernels, every
/// mode, on a non-square input; skipped without an adapter.
#[test]
fn the_cpu_kernels_match_the_network_on_wgpu() {
    let gpu = match Device::wgpu_options().init() {
        Ok(device) => device,
        Err(err) => {
            println!("SKIPPED the_cpu_kernels_match_the_network_on_wgpu: no wgpu adapter ({err})");
            return;
        }
    };
    let cpu = device();
    let x = Tensor::<4>::random([1, 3, 48, 64], Distribution::Uniform(0.0, 1.0), &cpu);
    let pixels = FeatureMap::new(48, 64, 3, values(x.clone().permute([0, 2, 3, 1])));
    for mode in AttentionMode::ALL {
        let mut net = SelfieNetConfig::new(mode).init(&cpu);
        net.context
            .set_gamma(Param::from_tensor(Tensor::<1>::from_floats([0.5], &cpu)));
        let (ours, _) = CpuNet::new(&net, &cpu).forward(&pixels);
        let on_gpu = values(net.to_device(&gpu).forward(x.clone().to_device(&gpu)));
        let diff = max_abs_diff(&ours, &on_gpu);
        assert!(diff <= 1e-3, "{mode}: max |difference| {diff}");
    }
}

/// The polynomial `e^x` against the library's over the range it is exact for (clamped beyond).
#[test]
fn exp_is_within_a_few_ulp_of_the_library() {
    for i in -2000..=2000 {
        let x = i as f32 * 0.0436; // up to ±87.2
        let (ours, theirs) = (activation::exp(x), x.exp());
        assert!(
            ((ours - theirs) / theirs).abs() < 1e-6,
            "e^{x}: {ours} vs {theirs}"
        );
    }
    assert!(activation::exp(-200.0) > 0.0 && activation::exp(200.0).is_finite());
}
