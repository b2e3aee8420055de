//! The CPU path against Burn (the generic path, on Burn's CPU device): the channel gate and the
//! folding of a gate into weights, the whole network in every mode, on threads, and on wgpu;
//! the polynomial `e^x`. Each kernel in each form: `tests/kernels.rs`.

use burn::module::Param;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2dConfig;
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::{Device, Distribution, Tensor};

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

/// The channel gate of pooled features: `sigmoid(expand(relu(reduce(v))))`, as two 1×1
/// convolutions on a `[C, 1, 1]` map.
#[test]
fn the_channel_gate_matches_burn() {
    let pooled = Tensor::<4>::random([1, 16, 1, 1], Distribution::Normal(0.0, 1.0), &device());
    let reduce = conv([16, 8], 1, 1, 1);
    let expand = conv([8, 16], 1, 1, 1);
    let (rw, rb) = weights(&reduce);
    let (ew, eb) = weights(&expand);
    let ours = channel_gate(
        &Dense::new(rw, rb),
        &Dense::new(ew, eb),
        &values(pooled.clone()),
    );
    let theirs = values(sigmoid(expand.forward(relu(reduce.forward(pooled)))));
    assert!(max_abs_diff(&ours, &theirs) < 1e-5);
}

/// The whole network on the CPU kernels against Burn, every mode, with γ = 0.5 so that the
/// attention block counts, on a non-square input.
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
        let (ours, profile) = CpuNet::new(&net, &device).forward(&pixels);
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

/// Threads: each layer's rows split among Rayon's (the `threads` feature).
#[cfg(feature = "threads")]
mod threads {
    use super::*;

    /// Splitting each layer into bands of rows among threads changes no value: the network on three
    /// threads (uneven bands) equals it on one, bit for bit. Mode none: the attention block's Burn
    /// ops may sum in another order on more threads.
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
    static THREAD_LIMIT_TESTS: std::sync::Mutex<()> = std::sync::Mutex::new(());

    /// The threads tests' network (mode none) and input (160×112, uneven bands on three threads).
    fn threaded_case() -> (CpuNet, FeatureMap) {
        let device = device();
        let net = CpuNet::new(
            &SelfieNetConfig::new(AttentionMode::None).init(&device),
            &device,
        );
        (net, random_map(160, 112, 3))
    }

    /// A Rayon pool of `count` threads.
    fn pool(count: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(count)
            .build()
            .unwrap()
    }

    /// A thread limit keeps the bands within it on a larger pool, and lifting it gives the pool's
    /// threads back; the probabilities are the same either way.
    #[test]
    fn a_thread_limit_keeps_the_layers_on_that_many_threads() {
        let _limit = THREAD_LIMIT_TESTS.lock().unwrap();
        let (net, x) = threaded_case();
        let (limited, lifted) = pool(3).install(|| {
            crate::cpu::limit_threads(1);
            let limited = (threads(), net.forward(&x).0);
            crate::cpu::limit_threads(usize::MAX);
            (limited, (threads(), net.forward(&x).0))
        });
        assert_eq!((limited.0, lifted.0), (1, 3));
        assert!(
            limited.1 == lifted.1,
            "the probabilities differ with the limit"
        );
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
