//! Every CPU kernel (`linseg::cpu`) in every form this target compiles it in, each form its own
//! test (`depthwise::plain`, `depthwise::avx2`, …; `depthwise::simd128` in WebAssembly, run by
//! `scripts/test-wasm-kernels.sh`), against the Burn op it replaces (on Burn's CPU device) on
//! edge shapes: one row; widths 1, 7, 8, 9 and 17 (below, at and above the kernels' tiles of
//! four pixels and groups of eight floats); input channels that are not a multiple of eight
//! where a kernel takes any count, and an odd number of groups of eight where a kernel pairs
//! them.

use burn::module::Param;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2dConfig};
use burn::tensor::activation::{hard_swish, relu, sigmoid};
use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use burn::tensor::{Device, Distribution, Tensor, TensorData};
use linseg::cpu::{
    Activation, Convolution, Depthwise, FeatureMap, Form, PackedPointwise, ToProbabilities,
    channel_means_in, gated_sum_in, upsample2x_in,
};

fn device() -> Device {
    Device::flex()
}

fn values<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor.into_data().try_into_vec::<f32>().unwrap()
}

/// A map of normally distributed values.
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

/// A convolution with 'SAME' padding and random weights and bias, the bias non-zero.
fn conv(channels: [usize; 2], kernel: usize, stride: usize, groups: usize) -> Conv2d {
    let mut conv = Conv2dConfig::new(channels, [kernel, kernel])
        .with_stride([stride, stride])
        .with_groups(groups)
        .with_padding(PaddingConfig2d::Same)
        .init(&device());
    let bias = Tensor::<1>::random([channels[1]], Distribution::Normal(0.0, 1.0), &device());
    conv.bias = Some(Param::from_tensor(bias));
    conv
}

/// A convolution's weights and bias, as Burn lays them out.
fn weights(conv: &Conv2d) -> (Vec<f32>, Vec<f32>) {
    (
        values(conv.weight.val()),
        values(conv.bias.as_ref().unwrap().val()),
    )
}

/// Map heights: one row, and several.
const HEIGHTS: [usize; 2] = [1, 6];
/// Map widths: one pixel, and below, at and above the tiles.
const WIDTHS: [usize; 5] = [1, 7, 8, 9, 17];

/// Every `(height, width)` of [`HEIGHTS`] × [`WIDTHS`].
fn shapes() -> impl Iterator<Item = (usize, usize)> {
    HEIGHTS
        .into_iter()
        .flat_map(|h| WIDTHS.into_iter().map(move |w| (h, w)))
}

/// Burn's form of an activation.
fn activate(activation: Activation, z: Tensor<4>) -> Tensor<4> {
    match activation {
        Activation::Identity => z,
        Activation::Relu => relu(z),
        Activation::HardSwish => hard_swish(z),
    }
}

/// Every activation a kernel applies.
const ACTIVATIONS: [Activation; 3] = [
    Activation::Identity,
    Activation::Relu,
    Activation::HardSwish,
];

/// For each kernel named, a module with one test per form, each calling the function of the
/// same name with that form: `plain` (natively), `avx2` (on x86-64) or `simd128` (WebAssembly
/// with SIMD128). On an x86-64 CPU without AVX2 and FMA the `avx2` test has no form to run and
/// says so on stderr.
macro_rules! in_every_form {
    ($($kernel:ident),* $(,)?) => {$(
        mod $kernel {
            use super::Form;

            #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
            #[test]
            fn plain() {
                super::$kernel(Form::baseline());
            }

            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            #[test]
            fn simd128() {
                super::$kernel(Form::baseline());
            }

            #[cfg(target_arch = "x86_64")]
            #[test]
            fn avx2() {
                match Form::avx2() {
                    Some(form) => super::$kernel(form),
                    None => eprintln!("this CPU lacks AVX2 or FMA: no avx2 form to test"),
                }
            }
        }
    )*};
}

in_every_form!(
    pointwise,
    depthwise,
    convolution,
    channel_means,
    gated_sum,
    upsample2x,
    to_probabilities,
);

/// The 1×1 convolution, every activation, with and without the residual: pixel counts of every
/// remainder by the tile of four, 3 and 13 input channels, and 1 and 3 groups of output
/// channels (the odd group outside the pairs).
fn pointwise(form: Form) {
    for (height, width) in shapes() {
        for [cin, cout] in [[3, 8], [13, 24], [16, 16]] {
            let x = random_map(height, width, cin);
            let residual = random_map(height, width, cout);
            let layer = conv([cin, cout], 1, 1, 1);
            let (weight, bias) = weights(&layer);
            let packed = PackedPointwise::new(&weight, bias, cin);
            for (activation, residual) in ACTIVATIONS
                .into_iter()
                .flat_map(|a| [(a, None), (a, Some(&residual))])
            {
                let ours = packed.forward_in(form, &x, activation, residual);
                let mut z = activate(activation, layer.forward(to_tensor(&x)));
                if let Some(residual) = residual {
                    z = z + to_tensor(residual);
                }
                let case = format!(
                    "{cin} → {cout} on {height}×{width}, {activation:?}, residual {}",
                    residual.is_some()
                );
                assert_eq!(
                    (ours.height, ours.width, ours.channels),
                    (height, width, cout),
                    "{case}"
                );
                let diff = max_abs_diff(&ours.data, &from_tensor(z).data);
                assert!(diff < 1e-5, "{case}: max |difference| {diff}");
            }
        }
    }
}

/// The depthwise convolution, 3×3 and 5×5 at strides 1 and 2, with 1 and 3 groups of channels;
/// with the residual on the larger.
fn depthwise(form: Form) {
    for (height, width) in shapes() {
        for (kernel, stride) in [(3, 1), (3, 2), (5, 1), (5, 2)] {
            for (channels, activation) in [(8, Activation::Relu), (24, Activation::HardSwish)] {
                let x = random_map(height, width, channels);
                let layer = conv([channels, channels], kernel, stride, channels);
                let (weight, bias) = weights(&layer);
                let z = activate(activation, layer.forward(to_tensor(&x)));
                let [_, _, out_height, out_width] = z.dims();
                let residual = (channels > 8).then(|| random_map(out_height, out_width, channels));
                let ours = Depthwise::new(&weight, bias, kernel, stride).forward_in(
                    form,
                    &x,
                    activation,
                    residual.as_ref(),
                );
                let theirs = match &residual {
                    Some(residual) => z + to_tensor(residual),
                    None => z,
                };
                let case =
                    format!("{kernel}×{kernel}/{stride}, {channels} channels on {height}×{width}");
                assert_eq!((ours.height, ours.width), (out_height, out_width), "{case}");
                let diff = max_abs_diff(&ours.data, &from_tensor(theirs).data);
                assert!(diff < 1e-5, "{case}: max |difference| {diff}");
            }
        }
    }
}

/// The full convolution of the stem, 3×3 at strides 1 and 2, from 3 and 13 channels to 2 and 3
/// groups of channels (a pair, and a pair and one).
fn convolution(form: Form) {
    for (height, width) in shapes() {
        for stride in [1, 2] {
            for [cin, cout] in [[3, 16], [13, 24]] {
                let x = random_map(height, width, cin);
                let layer = conv([cin, cout], 3, stride, 1);
                let (weight, bias) = weights(&layer);
                let ours = Convolution::new(&weight, bias, cin, 3, stride).forward_in(
                    form,
                    &x,
                    Activation::HardSwish,
                );
                let theirs = from_tensor(hard_swish(layer.forward(to_tensor(&x))));
                let case = format!("{cin} → {cout}, stride {stride} on {height}×{width}");
                assert_eq!(
                    (ours.height, ours.width),
                    (theirs.height, theirs.width),
                    "{case}"
                );
                let diff = max_abs_diff(&ours.data, &theirs.data);
                assert!(diff < 1e-5, "{case}: max |difference| {diff}");
            }
        }
    }
}

/// Each channel's mean over pixel counts of every remainder by the four summed at a time.
fn channel_means(form: Form) {
    for (height, width) in shapes() {
        for channels in [8, 24] {
            let x = random_map(height, width, channels);
            let ours = channel_means_in(form, &x);
            let theirs = values(to_tensor(&x).mean_dim(2).mean_dim(3));
            let diff = max_abs_diff(&ours, &theirs);
            assert!(
                diff < 1e-5,
                "{channels} channels on {height}×{width}: max |difference| {diff}"
            );
        }
    }
}

/// `skip · gate + up`, with 1 and 3 groups of channels.
fn gated_sum(form: Form) {
    for (height, width) in shapes() {
        for channels in [8, 24] {
            let (skip, up) = (
                random_map(height, width, channels),
                random_map(height, width, channels),
            );
            let gate = values(Tensor::<1>::random(
                [channels],
                Distribution::Uniform(0.0, 1.0),
                &device(),
            ));
            let gate_tensor =
                Tensor::<1>::from_floats(gate.as_slice(), &device()).reshape([1, channels, 1, 1]);
            let theirs = from_tensor(to_tensor(&skip) * gate_tensor + to_tensor(&up));
            let ours = gated_sum_in(form, &skip, &gate, up);
            let diff = max_abs_diff(&ours.data, &theirs.data);
            assert!(
                diff < 1e-5,
                "{channels} channels on {height}×{width}: max |difference| {diff}"
            );
        }
    }
}

/// Bilinear ×2 upsampling against Burn's interpolation, with 1 and 3 groups of channels.
fn upsample2x(form: Form) {
    for (height, width) in shapes() {
        for channels in [8, 24] {
            let x = random_map(height, width, channels);
            let options = InterpolateOptions::new(InterpolateMode::Bilinear)
                .with_align_corners(false)
                .with_output_size([2 * height, 2 * width]);
            let theirs = from_tensor(interpolate(to_tensor(&x), options));
            let ours = upsample2x_in(form, &x);
            let diff = max_abs_diff(&ours.data, &theirs.data);
            assert!(
                diff < 1e-5,
                "{channels} channels on {height}×{width}: max |difference| {diff}"
            );
        }
    }
}

/// The output layer against a 2×2 stride-2 transposed convolution and the sigmoid: odd widths
/// (the kernel takes input pixels in pairs), from 3, 13 and 16 channels.
fn to_probabilities(form: Form) {
    for (height, width) in shapes() {
        for channels in [3, 13, 16] {
            let mut layer = ConvTranspose2dConfig::new([channels, 1], [2, 2])
                .with_stride([2, 2])
                .init(&device());
            layer.bias = Some(Param::from_tensor(Tensor::<1>::from_floats(
                [0.3],
                &device(),
            )));
            let x = random_map(height, width, channels);
            let ours = ToProbabilities::new(&values(layer.weight.val()), 0.3).forward_in(form, &x);
            let theirs = values(sigmoid(layer.forward(to_tensor(&x))));
            let diff = max_abs_diff(&ours, &theirs);
            assert!(
                diff < 1e-6,
                "{channels} channels on {height}×{width}: max |difference| {diff}"
            );
        }
    }
}

/// The kernels that work on groups of eight output channels refuse other counts instead of
/// leaving the last channels unwritten.
#[cfg(panic = "unwind")]
#[test]
fn kernels_refuse_channel_counts_that_are_not_a_multiple_of_eight() {
    use std::panic::catch_unwind;

    let x = random_map(3, 5, 13);
    let refused = [
        (
            "pointwise",
            catch_unwind(|| PackedPointwise::new(&[0.0; 13 * 13], vec![0.0; 13], 13)).is_err(),
        ),
        (
            "depthwise",
            catch_unwind(|| Depthwise::new(&[0.0; 13 * 9], vec![0.0; 13], 3, 1)).is_err(),
        ),
        (
            "convolution",
            catch_unwind(|| Convolution::new(&[0.0; 13 * 3 * 9], vec![0.0; 13], 3, 3, 2)).is_err(),
        ),
        (
            "channel_means",
            catch_unwind(|| channel_means_in(Form::baseline(), &x)).is_err(),
        ),
        (
            "gated_sum",
            catch_unwind(|| gated_sum_in(Form::baseline(), &x, &[1.0; 13], x.clone())).is_err(),
        ),
        (
            "upsample2x",
            catch_unwind(|| upsample2x_in(Form::baseline(), &x)).is_err(),
        ),
    ];
    for (kernel, refused) in refused {
        assert!(refused, "{kernel} took 13 channels");
    }
}
