//! [`CpuNet`]: the Selfie Segmentation network's forward pass on the CPU kernels, layer by
//! layer as in [`crate::model`], with the weights taken from a [`SelfieNet`].

use std::borrow::Cow;

use burn::module::Param;
use burn::nn::conv::Conv2d;
use burn::tensor::{Device, Tensor, TensorData};

use super::activation::Activation;
use super::depthwise::{Convolution, Depthwise};
use super::feature_map::FeatureMap;
use super::parallel::on_pool;
use super::pointwise::PackedPointwise;
use super::pooling::{Dense, channel_gate, channel_means, gated_sum};
use super::profile::{Profile, Step};
use super::resample::{ToProbabilities, upsample2x};
use crate::attention::{AttentionMode, ContextBlock};
use crate::model::{DecoderStage, Head, InvertedResidual, SelfieNet};

/// A tensor's values, row-major.
fn values<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor
        .into_data()
        .try_into_vec::<f32>()
        .expect("f32 weights")
}

/// A convolution's weights (Burn's layout) and bias.
fn weights_of(conv: &Conv2d) -> (Vec<f32>, Vec<f32>) {
    let bias = conv
        .bias
        .as_ref()
        .map(Param::val)
        .expect("convolutions have a bias");
    (values(conv.weight.val()), values(bias))
}

fn pointwise(conv: &Conv2d) -> PackedPointwise {
    let (weight, bias) = weights_of(conv);
    PackedPointwise::new(&weight, bias, conv.weight.dims()[1])
}

fn depthwise(conv: &Conv2d) -> Depthwise {
    let (weight, bias) = weights_of(conv);
    Depthwise::new(&weight, bias, conv.kernel_size[0], conv.stride[0])
}

fn dense(conv: &Conv2d) -> Dense {
    let (weight, bias) = weights_of(conv);
    Dense::new(weight, bias)
}

/// An inverted residual block ([`InvertedResidual`]).
struct Block {
    expand: PackedPointwise,
    depthwise: Depthwise,
    /// Squeeze-and-excitation: reduce, expand.
    excitation: Option<(Dense, Dense)>,
    project: PackedPointwise,
    activation: Activation,
    residual: bool,
}

impl Block {
    fn new(block: &InvertedResidual) -> Self {
        Block {
            expand: pointwise(&block.expand),
            depthwise: depthwise(&block.depthwise),
            excitation: block
                .excitation
                .as_ref()
                .map(|se| (dense(&se.reduce), dense(&se.expand))),
            project: pointwise(&block.project),
            activation: if block.hard_swish {
                Activation::HardSwish
            } else {
                Activation::Relu
            },
            residual: block.residual,
        }
    }

    /// `[H, W, C_in] -> [H / s, W / s, C_out]`; the SE gate is folded into the projection.
    fn forward(&self, x: &FeatureMap, profile: &mut Profile) -> FeatureMap {
        let t = profile.time(Step::Pointwise, || {
            self.expand.forward(x, self.activation, None)
        });
        let t = profile.time(Step::Depthwise, || {
            self.depthwise.forward(&t, self.activation, None)
        });
        let project = match &self.excitation {
            Some((reduce, expand)) => profile.time(Step::Gates, || {
                let gate = channel_gate(reduce, expand, &channel_means(&t));
                Cow::Owned(self.project.with_input_scaled(&gate))
            }),
            None => Cow::Borrowed(&self.project),
        };
        let residual = self.residual.then_some(x);
        profile.time(Step::Pointwise, || {
            project.forward(&t, Activation::Identity, residual)
        })
    }
}

/// The LR-ASPP head ([`Head`]): the global gate is folded into the projection.
struct HeadLayers {
    features: PackedPointwise,
    gate: Dense,
    project: PackedPointwise,
}

impl HeadLayers {
    fn new(head: &Head) -> Self {
        HeadLayers {
            features: pointwise(&head.features),
            gate: dense(&head.gate),
            project: pointwise(&head.project),
        }
    }

    /// `[H, W, C] -> [2H, 2W, C_skip]`.
    fn forward(&self, x: &FeatureMap, profile: &mut Profile) -> FeatureMap {
        let project = profile.time(Step::Gates, || {
            let gate: Vec<f32> = self
                .gate
                .forward(&channel_means(x))
                .into_iter()
                .map(super::activation::sigmoid)
                .collect();
            self.project.with_input_scaled(&gate)
        });
        let features = profile.time(Step::Pointwise, || {
            self.features.forward(x, Activation::Relu, None)
        });
        let projected = profile.time(Step::Pointwise, || {
            project.forward(&features, Activation::Identity, None)
        });
        profile.time(Step::Upsample, || upsample2x(&projected))
    }
}

/// A decoder stage ([`DecoderStage`]).
struct Stage {
    gate_reduce: Dense,
    gate_expand: Dense,
    fuse: PackedPointwise,
    refine: Depthwise,
}

impl Stage {
    fn new(stage: &DecoderStage) -> Self {
        Stage {
            gate_reduce: dense(&stage.gate_reduce),
            gate_expand: dense(&stage.gate_expand),
            fuse: pointwise(&stage.fuse),
            refine: depthwise(&stage.refine),
        }
    }

    /// `[H, W, C]` twice -> `[H, W, C]`.
    fn forward(&self, skip: &FeatureMap, up: FeatureMap, profile: &mut Profile) -> FeatureMap {
        let gate = profile.time(Step::Gates, || {
            let pooled: Vec<f32> = channel_means(skip)
                .iter()
                .zip(channel_means(&up))
                .map(|(s, u)| s + u)
                .collect();
            channel_gate(&self.gate_reduce, &self.gate_expand, &pooled)
        });
        let fused = profile.time(Step::Fusion, || gated_sum(skip, &gate, up));
        let fused = profile.time(Step::Pointwise, || {
            self.fuse.forward(&fused, Activation::Relu, None)
        });
        profile.time(Step::Depthwise, || {
            self.refine.forward(&fused, Activation::Relu, Some(&fused))
        })
    }
}

/// A projection and ×2 upsampling between decoder stages ([`crate::model::Upsample`]).
fn upsample(project: &PackedPointwise, x: &FeatureMap, profile: &mut Profile) -> FeatureMap {
    let projected = profile.time(Step::Pointwise, || {
        project.forward(x, Activation::Identity, None)
    });
    profile.time(Step::Upsample, || upsample2x(&projected))
}

/// The network on the CPU kernels, for inference on one image.
///
/// Built once from a [`SelfieNet`] (its weights are copied and packed); its output equals
/// `SelfieNet::forward` up to float rounding. The context block still runs as Burn tensor ops
/// on the CPU device, on the small stride-16 map.
pub struct CpuNet {
    stem: Convolution,
    blocks: Vec<Block>,
    context: ContextBlock,
    device: Device,
    head: HeadLayers,
    decode8: Stage,
    up4: PackedPointwise,
    decode4: Stage,
    up2: PackedPointwise,
    decode2: Stage,
    output: ToProbabilities,
}

impl CpuNet {
    /// Copy and pack the weights of `net`, whose context block lives on `device` (Burn's CPU
    /// backend).
    pub fn new(net: &SelfieNet, device: &Device) -> Self {
        let (stem_weight, stem_bias) = weights_of(&net.stem);
        let output_bias = net
            .output
            .bias
            .as_ref()
            .map(Param::val)
            .expect("output bias");
        CpuNet {
            stem: Convolution::new(
                &stem_weight,
                stem_bias,
                net.stem.weight.dims()[1],
                net.stem.kernel_size[0],
                net.stem.stride[0],
            ),
            blocks: net.blocks.iter().map(Block::new).collect(),
            context: net.context.clone(),
            device: device.clone(),
            head: HeadLayers::new(&net.head),
            decode8: Stage::new(&net.decode8),
            up4: pointwise(&net.up4.project),
            decode4: Stage::new(&net.decode4),
            up2: pointwise(&net.up2.project),
            decode2: Stage::new(&net.decode2),
            output: ToProbabilities::new(&values(net.output.weight.val()), values(output_bias)[0]),
        }
    }

    /// The attention mode of the context block.
    pub fn mode(&self) -> AttentionMode {
        self.context.mode()
    }

    /// The probability that each pixel belongs to a person, and where the time went.
    ///
    /// # Shapes
    /// - `x`: `[H, W, 3]`, RGB in `[0, 1]`, `H` and `W` multiples of [`crate::model::STRIDE`]
    /// - output: `H × W` probabilities, row-major
    pub fn forward(&self, x: &FeatureMap) -> (Vec<f32>, Profile) {
        on_pool(|| self.layers(x))
    }

    /// [`CpuNet::forward`], on the calling thread.
    fn layers(&self, x: &FeatureMap) -> (Vec<f32>, Profile) {
        let mut profile = Profile::default();
        let p = &mut profile;
        let [s2, s4, s8, e16] = self.encode(x, p);
        let e16 = p.time(Step::Attention, || self.attend(e16));

        let d8 = self.decode8.forward(&s8, self.head.forward(&e16, p), p); // [H/8, W/8, 24]
        let d4 = self.decode4.forward(&s4, upsample(&self.up4, &d8, p), p); // [H/4, W/4, 16]
        let d2 = self.decode2.forward(&s2, upsample(&self.up2, &d4, p), p); // [H/2, W/2, 16]
        let probabilities = p.time(Step::Output, || self.output.forward(&d2)); // H × W
        (probabilities, profile)
    }

    /// The encoder: its skips at strides 2, 4 and 8 (`[H/2, W/2, 16]`, `[H/4, W/4, 16]`,
    /// `[H/8, W/8, 24]`) and its stride-16 features (`[H/16, W/16, 32]`).
    fn encode(&self, x: &FeatureMap, p: &mut Profile) -> [FeatureMap; 4] {
        let s2 = p.time(Step::Stem, || self.stem.forward(x, Activation::HardSwish)); // [H/2, W/2, 16]
        let s4 = self.blocks[0].forward(&s2, p); // [H/4, W/4, 16]
        let s8 = self.blocks[2].forward(&self.blocks[1].forward(&s4, p), p); // [H/8, W/8, 24]
        let mut e16 = self.blocks[3].forward(&s8, p);
        for block in &self.blocks[4..] {
            e16 = block.forward(&e16, p); // [H/16, W/16, 32]
        }
        [s2, s4, s8, e16]
    }

    /// The context block's input, the encoder's stride-16 features, as a Burn tensor on the
    /// CPU device.
    ///
    /// # Shapes
    /// - `x`: `[H, W, 3]`
    /// - output: `[1, 32, H/16, W/16]`
    pub fn context_input(&self, x: &FeatureMap) -> Tensor<4> {
        let [_, _, _, e16] = on_pool(|| self.encode(x, &mut Profile::default()));
        self.to_tensor(e16)
    }

    /// The context block, the block whose [`CpuNet::context_input`] this is.
    pub fn context(&self) -> &ContextBlock {
        &self.context
    }

    /// A feature map as a Burn tensor on the CPU device: `[H, W, C] -> [1, C, H, W]`.
    fn to_tensor(&self, x: FeatureMap) -> Tensor<4> {
        let (height, width, channels) = (x.height, x.width, x.channels);
        Tensor::<4>::from_data(
            TensorData::new(x.into_data(), [1, height, width, channels]),
            &self.device,
        )
        .permute([0, 3, 1, 2])
    }

    /// The context block, as Burn tensor ops: `[H, W, C] -> [H, W, C]`.
    fn attend(&self, x: FeatureMap) -> FeatureMap {
        if self.context.mode() == AttentionMode::None {
            return x;
        }
        let (height, width, channels) = (x.height, x.width, x.channels);
        let output = self
            .context
            .forward(self.to_tensor(x))
            .permute([0, 2, 3, 1]); // [1, H, W, C]
        FeatureMap::new(height, width, channels, values(output))
    }
}
