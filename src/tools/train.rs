//! Training one mode's context block to segment people as the truth has them (`linseg train`).
//!
//! **Truth.** The targets do not come from the network ([`crate::tools::truth`]): each step is, at
//! random, a composite (a training person cut out by its reference matte and pasted on a
//! training photo without people — the pasted alpha is the exact target), a real training photo
//! with people and its reference matte, or a photo without people and the empty mask. The
//! held-out images never enter a block that is kept.
//!
//! **Ceiling.** With [`Images::Fixed`] a block trains on given images as they are:
//! `linseg train --fit-heldout` fits one to the held-out images themselves, to measure how far
//! a block on this network can go on the very images it is judged by. No record is written.
//!
//! **What is trained.** Only the context block (projections and γ); every other weight stays
//! the pretrained one, so the modes differ in their block alone and `none` is the untouched
//! network. γ starts at 0, so training starts from the original network.
//!
//! **Steps.** Each image a random square crop (40–100 % of the shorter side) at 256, 512, 768
//! or 1024 px, flipped half the time, brightness and contrast jittered ±20 %. (With
//! `stretched`, an image at 256 px is instead a crop of a random shape from 9:16 to 16:9
//! stretched to the square, as the pipeline stretches every photo there,
//! [`crate::refine::Plan`]; tried, no gain on the validation images.) Loss: binary
//! cross-entropy of the logits against the true alpha plus one minus the soft IoU (the metric,
//! made differentiable), averaged over the step's images. (With `as_segmented`, an image above
//! the trained size is scored by the two passes fused as the pipeline fuses them,
//! [`crate::refine`], the same loss of the fused probabilities; tried, no gain on the
//! validation images.) Adam, learning rate decayed by a cosine.
//!
//! **Checkpoints.** Every `--checkpoint-every` steps `linseg train` scores the block at 1024 px
//! on the validation images and on the held-out ones ([`checkpoint`]). The record written is
//! the block at the checkpoint with the best validation IoU ([`BestCheckpoint`]); the held-out
//! scores go into the log for the training curves only, nothing is chosen by them.
//!
//! **Where.** On any backend with autodiff (CPU or wgpu).

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use burn::tensor::{Device, Tensor, TensorData};
use image::imageops::{self, FilterType};
use image::{GrayImage, Rgba, RgbaImage};

use std::path::Path;

use burn::store::ModuleRecord;

use super::eval::{self, MaskScore};
use super::truth::{self, Cutout, Placement, Sample};
use crate::attention::AttentionMode;
use crate::error::{Error, Result};
use crate::model::{SelfieNet, SelfieNetConfig, TRAINED_SIZE};
use crate::network::Network;
use crate::preprocess::{self, Letterbox};
use crate::refine::Plan;
use crate::weights;

/// The pretrained network of `dir/selfie-none.bpk` with a new `mode` block (γ = 0, so the same
/// network), its weights drawn from `seed`: where training starts.
pub fn pretrained_with_new_block(
    dir: &Path,
    mode: AttentionMode,
    seed: u64,
    device: &Device,
) -> Result<SelfieNet> {
    let path = dir.join(weights::file_name(AttentionMode::None));
    let record = ModuleRecord::load(&path).map_err(|err| Error::file(&path, err))?;
    device.seed(seed);
    SelfieNetConfig::new(mode)
        .init(device)
        .try_load_record(record.allow_partial(true))
        .map_err(|err| Error::file(&path, err))
}

/// How training runs.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TrainOptions {
    /// Optimiser steps.
    pub steps: usize,
    /// Images per step (at least one): the step follows the mean of their losses.
    pub images_per_step: usize,
    /// Peak learning rate.
    pub learning_rate: f64,
    /// Seed of the augmentation.
    pub seed: u64,
    /// Square training sizes (at least one), one drawn per image.
    pub sizes: Vec<u32>,
    /// Whether the head and the decoder train with the block.
    pub train_decoder: bool,
    /// Whether images at the trained size come in random shapes stretched to the square, as
    /// the pipeline feeds photos there, instead of square crops.
    pub stretched: bool,
    /// Whether images above the trained size are scored as the pipeline segments them (a
    /// global pass at the trained size fused with theirs, [`crate::refine`]) instead of by
    /// the network's one pass.
    pub as_segmented: bool,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            steps: 500,
            images_per_step: 4,
            learning_rate: 2e-3,
            seed: 7,
            sizes: vec![256, 512, 768, 1024],
            train_decoder: false,
            stretched: false,
            as_segmented: false,
        }
    }
}

/// The training images: photos with their true masks, and the people cut out of them.
pub struct TrainingSet {
    /// Every training photo, at most 1024 px on its longer side, with its true mask.
    pub photos: Vec<(RgbaImage, GrayImage)>,
    /// The people of the photos with people, for pasting.
    pub cutouts: Vec<Cutout>,
    /// The indices in `photos` of those without people: the composites' backgrounds.
    pub backgrounds: Vec<usize>,
}

/// A person smaller than this share of its photo is not cut out for pasting (a crowd of
/// distant figures is no person to paste).
const LEAST_PERSON: f64 = 0.02;

impl TrainingSet {
    /// The set from photos and their true masks (empty for photos without people).
    pub fn new(photos: Vec<(RgbaImage, GrayImage)>) -> Self {
        let photos: Vec<(RgbaImage, GrayImage)> = photos
            .into_iter()
            .map(|(image, truth)| {
                let longest = image.width().max(image.height());
                if longest <= 1024 {
                    return (image, truth);
                }
                let [w, h] = Letterbox::new(image.width(), image.height(), 1024).scaled;
                (
                    imageops::resize(&image, w, h, FilterType::Triangle),
                    imageops::resize(&truth, w, h, FilterType::Triangle),
                )
            })
            .collect();
        let share = |truth: &GrayImage| {
            truth.pixels().filter(|p| p[0] >= 128).count() as f64 / truth.len() as f64
        };
        let cutouts = photos
            .iter()
            .filter(|(_, truth)| share(truth) >= LEAST_PERSON)
            .filter_map(|(image, truth)| Cutout::new(image, truth))
            .collect();
        let backgrounds = (0..photos.len())
            .filter(|&i| photos[i].1.pixels().all(|p| p[0] == 0))
            .collect();
        TrainingSet {
            photos,
            cutouts,
            backgrounds,
        }
    }
}

/// SplitMix64: a small, fast, seedable generator, so that a seed gives the same run anywhere.
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[low, high)`.
    pub fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// A random crop of an image and its mask shaped `width × height` (40–100 % of the largest
/// region of that shape, anywhere), resized to `width × height`.
fn crop(
    image: &RgbaImage,
    truth: &GrayImage,
    rng: &mut Rng,
    [width, height]: [u32; 2],
) -> (RgbaImage, GrayImage) {
    let largest = f64::min(
        image.width() as f64 / width as f64,
        image.height() as f64 / height as f64,
    );
    let scale = largest * rng.uniform(0.4, 1.0);
    let side = |shape: u32, room: u32| ((shape as f64 * scale) as u32).clamp(16.min(room), room);
    let (crop_w, crop_h) = (side(width, image.width()), side(height, image.height()));
    let x = rng.below((image.width() - crop_w + 1) as usize) as u32;
    let y = rng.below((image.height() - crop_h + 1) as usize) as u32;
    let image = imageops::crop_imm(image, x, y, crop_w, crop_h).to_image();
    let truth = imageops::crop_imm(truth, x, y, crop_w, crop_h).to_image();
    (
        imageops::resize(&image, width, height, FilterType::Triangle),
        imageops::resize(&truth, width, height, FilterType::Triangle),
    )
}

/// The shape a training image at `size` has before it is made square: with `stretched` and at
/// most [`TRAINED_SIZE`], where the pipeline stretches every photo to a square
/// ([`crate::refine::Plan`]), a random one from 9:16 to 16:9 with `size` the longer side, else
/// the square itself.
fn shape(rng: &mut Rng, size: u32, stretched: bool) -> [u32; 2] {
    if !stretched || size > TRAINED_SIZE as u32 {
        return [size, size];
    }
    let aspect = rng
        .uniform((9.0f64 / 16.0).ln(), (16.0f64 / 9.0).ln())
        .exp();
    let shorter = |ratio: f64| ((size as f64 * ratio).round() as u32).max(1);
    if aspect >= 1.0 {
        [size, shorter(1.0 / aspect)]
    } else {
        [shorter(aspect), size]
    }
}

/// One augmented `size × size` training image and its true mask: half the time a composite,
/// else a crop of a training photo. With `stretched`, an image at the trained size is first
/// made in a random shape and then stretched to the square, as the pipeline feeds photos there.
pub fn augment(
    set: &TrainingSet,
    rng: &mut Rng,
    size: u32,
    stretched: bool,
) -> (RgbaImage, GrayImage) {
    let [width, height] = shape(rng, size, stretched);
    let (mut image, mut truth) =
        if rng.uniform(0.0, 1.0) < 0.5 && !set.cutouts.is_empty() && !set.backgrounds.is_empty() {
            let (background, empty) =
                &set.photos[set.backgrounds[rng.below(set.backgrounds.len())]];
            let (background, _) = crop(background, empty, rng, [width, height]);
            let person = &set.cutouts[rng.below(set.cutouts.len())];
            let placement = Placement {
                width,
                height,
                person_height: rng.uniform(0.3, 1.0),
                x: rng.uniform(0.0, 1.0),
                y: rng.uniform(0.3, 1.0),
            };
            truth::compose(person, &background, &placement)
        } else {
            let (image, truth) = &set.photos[rng.below(set.photos.len())];
            crop(image, truth, rng, [width, height])
        };
    if rng.uniform(0.0, 1.0) < 0.5 {
        imageops::flip_horizontal_in_place(&mut image);
        imageops::flip_horizontal_in_place(&mut truth);
    }
    let (brightness, contrast) = (rng.uniform(0.8, 1.2), rng.uniform(0.8, 1.2));
    for pixel in image.pixels_mut() {
        let Rgba([r, g, b, a]) = *pixel;
        let adjust =
            |v: u8| (((v as f64 - 128.0) * contrast + 128.0) * brightness).clamp(0.0, 255.0) as u8;
        *pixel = Rgba([adjust(r), adjust(g), adjust(b), a]);
    }
    if [width, height] != [size, size] {
        image = imageops::resize(&image, size, size, FilterType::Triangle);
        truth = imageops::resize(&truth, size, size, FilterType::Triangle);
    }
    (image, truth)
}

/// A true mask as the target tensor, alpha in `[0, 1]`.
///
/// # Shapes
/// - output: `[1, 1, H, W]`
fn target(truth: &GrayImage, device: &Device) -> Tensor<4> {
    let (width, height) = truth.dimensions();
    let values: Vec<f32> = truth.pixels().map(|p| p[0] as f32 / 255.0).collect();
    Tensor::from_data(
        TensorData::new(values, [1, 1, height as usize, width as usize]),
        device,
    )
}

/// Binary cross-entropy of logits against soft targets, in its stable form
/// `max(x, 0) − x·t + log(1 + e^−|x|)`, averaged.
pub fn binary_cross_entropy_with_logits(logits: Tensor<4>, targets: Tensor<4>) -> Tensor<1> {
    let stable = logits.clone().abs().neg().exp().log1p();
    (relu(logits.clone()) - logits * targets + stable).mean()
}

/// Binary cross-entropy of probabilities against soft targets,
/// `−(t·ln p + (1 − t)·ln(1 − p))` with `p` kept within 10⁻⁶ of 0 and 1, averaged.
pub fn binary_cross_entropy(probabilities: Tensor<4>, targets: Tensor<4>) -> Tensor<1> {
    let p = probabilities.clamp(1e-6, 1.0 - 1e-6);
    let not = targets.clone().neg() + 1.0;
    (targets * p.clone().log() + not * (p.neg() + 1.0).log())
        .mean()
        .neg()
}

/// One minus the soft IoU of probabilities `p` and the targets:
/// `1 − Σ p·t / (Σ p + Σ t − Σ p·t)`, with 1 added above and below so that an empty target and
/// an empty prediction score 0.
pub fn soft_iou_loss(probabilities: Tensor<4>, targets: Tensor<4>) -> Tensor<1> {
    let both = (probabilities.clone() * targets.clone()).sum();
    let either = probabilities.sum() + targets.sum() - both.clone();
    (both + 1.0).div(either + 1.0).neg() + 1.0
}

/// The training loss of logits: binary cross-entropy plus one minus the soft IoU.
pub fn loss(logits: Tensor<4>, targets: Tensor<4>) -> Tensor<1> {
    binary_cross_entropy_with_logits(logits.clone(), targets.clone())
        + soft_iou_loss(sigmoid(logits), targets)
}

/// The training loss of probabilities: binary cross-entropy plus one minus the soft IoU.
pub fn probability_loss(probabilities: Tensor<4>, targets: Tensor<4>) -> Tensor<1> {
    binary_cross_entropy(probabilities.clone(), targets.clone())
        + soft_iou_loss(probabilities, targets)
}

/// The network's logits over the photo inside `letterbox`, the padding cropped off.
///
/// # Shapes
/// - output: `[1, 1, H, W]`, `[W, H] = letterbox.scaled`
fn photo_logits(
    net: &SelfieNet,
    image: &RgbaImage,
    letterbox: &Letterbox,
    device: &Device,
) -> Tensor<4> {
    let [width, height] = letterbox.scaled.map(|side| side as usize);
    net.logits(preprocess::photo_input(image, letterbox, device))
        .slice([0..1, 0..1, 0..height, 0..width])
}

/// An image through the network as the pipeline segments it with two passes
/// ([`crate::refine`]): the global pass scaled up bilinearly to `g`, fused with the detail pass
/// `d` as `c · g + (1 − c) · d`, `c = |2g − 1|`: [`crate::refine::fuse`] on tensors, so that
/// gradients flow through both passes (a test holds the two equal).
///
/// # Shapes
/// - output: `[1, 1, H, W]`, probabilities, `[W, H] = detail.scaled`
fn segmented(
    net: &SelfieNet,
    image: &RgbaImage,
    [detail, global]: [&Letterbox; 2],
    device: &Device,
) -> Tensor<4> {
    let [width, height] = detail.scaled.map(|side| side as usize);
    let pass = |letterbox: &Letterbox| sigmoid(photo_logits(net, image, letterbox, device));
    let detail = pass(detail);
    let scaled = interpolate(
        pass(global),
        InterpolateOptions::new(InterpolateMode::Bilinear)
            .with_align_corners(false)
            .with_output_size([height, width]),
    );
    let confidence = (scaled.clone() * 2.0 - 1.0).abs();
    confidence.clone() * scaled + (confidence.neg() + 1.0) * detail
}

/// One image's loss at processing size `size`, planned as the pipeline plans it
/// ([`Plan::new`]): the network's one pass through the plan's detail letterbox or, with
/// `as_segmented` where the plan has a global pass, both passes fused ([`segmented`]). The
/// truth is scaled to the detail pass's photo.
fn image_loss(
    net: &SelfieNet,
    (image, truth): (&RgbaImage, &GrayImage),
    size: u32,
    as_segmented: bool,
    device: &Device,
) -> Tensor<1> {
    let plan = Plan::new(image.width(), image.height(), size);
    let [width, height] = plan.detail.scaled;
    let targets = if truth.dimensions() == (width, height) {
        target(truth, device)
    } else {
        target(
            &imageops::resize(truth, width, height, FilterType::Triangle),
            device,
        )
    };
    match plan.global {
        Some(global) if as_segmented => probability_loss(
            segmented(net, image, [&plan.detail, &global], device),
            targets,
        ),
        _ => loss(photo_logits(net, image, &plan.detail, device), targets),
    }
}

/// Freeze everything but the context block and, with `decoder`, the head and the decoder.
fn freeze_encoder(net: SelfieNet, decoder: bool) -> SelfieNet {
    let mut frozen = net.no_grad();
    frozen.context = frozen.context.set_require_grad(true);
    if decoder {
        frozen.head = frozen.head.set_require_grad(true);
        frozen.decode8 = frozen.decode8.set_require_grad(true);
        frozen.up4 = frozen.up4.set_require_grad(true);
        frozen.decode4 = frozen.decode4.set_require_grad(true);
        frozen.up2 = frozen.up2.set_require_grad(true);
        frozen.decode2 = frozen.decode2.set_require_grad(true);
        frozen.output = frozen.output.set_require_grad(true);
    }
    frozen
}

/// What a step's images are drawn from.
#[derive(Clone, Copy)]
pub enum Images<'a> {
    /// Augmented from the training set: what every block in `models/` is trained on.
    Augmented(&'a TrainingSet),
    /// These images as they are, one drawn at random each time. With the held-out images this
    /// measures a ceiling (how far a block can fit the very images it is judged by), never a
    /// block to keep.
    Fixed(&'a [Sample]),
}

/// Train `student`'s context block on `images`; `report(step, loss, net)` is called after every
/// step with the network as it is then. The student lives on an autodiff device.
pub fn train(
    student: SelfieNet,
    images: Images,
    options: &TrainOptions,
    mut report: impl FnMut(usize, f64, &SelfieNet),
) -> SelfieNet {
    let device = student.stem.weight.device();
    let mut net = freeze_encoder(student, options.train_decoder);
    let mut optimizer = AdamConfig::new().init();
    let mut rng = Rng::new(options.seed);
    for step in 0..options.steps {
        let losses: Vec<Tensor<1>> = (0..options.images_per_step)
            .map(|_| {
                let size = options.sizes[rng.below(options.sizes.len())];
                let augmented;
                let image = match images {
                    Images::Augmented(set) => {
                        augmented = augment(set, &mut rng, size, options.stretched);
                        (&augmented.0, &augmented.1)
                    }
                    Images::Fixed(samples) => {
                        let sample = &samples[rng.below(samples.len())];
                        (&sample.image, &sample.truth)
                    }
                };
                image_loss(&net, image, size, options.as_segmented, &device)
            })
            .collect();
        let loss = Tensor::cat(losses, 0).mean();
        let value = loss.clone().into_scalar::<f32>() as f64;
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        let progress = step as f64 / options.steps as f64;
        let learning_rate =
            options.learning_rate * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos());
        net = optimizer.step(learning_rate, net, grads);
        report(step + 1, value, &net);
    }
    net.valid()
}

/// Mean scores over some images at 1024 px.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Scores {
    /// As segmented (both passes).
    pub segmented: MaskScore,
    /// The network alone, in a single pass.
    pub single_pass: MaskScore,
}

impl Scores {
    /// Score `net` on `samples` at 1024 px.
    pub fn at_1024(net: &Network, samples: &[Sample]) -> Scores {
        let evaluation = eval::evaluate(std::slice::from_ref(net), None, samples, &[1024], |_| {});
        let all = &evaluation.samples;
        Scores {
            segmented: MaskScore::mean(all.iter().map(|s| &s.segmented)),
            single_pass: MaskScore::mean(all.iter().map(|s| &s.single_pass)),
        }
    }
}

/// How the network being trained scores at one checkpoint.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Checkpoint {
    /// Steps done.
    pub step: usize,
    /// On the validation images: what settings are chosen by.
    pub validation: Scores,
    /// On the held-out images: for the training curves only.
    pub heldout: Scores,
}

/// `net`, wherever it is being trained, as the CPU pipeline runs it.
pub fn on_cpu(net: &SelfieNet) -> Network {
    let device = Device::flex();
    let bytes = weights::to_bytes(net.clone().valid()).expect("a record of the network");
    let plain = weights::from_bytes(bytes, net.mode(), &device).expect("the same network");
    Network::new(plain, &device)
}

/// Score `net` (moved to the CPU) on the validation and the held-out images at 1024 px.
pub fn checkpoint(
    step: usize,
    net: &SelfieNet,
    validation: &[Sample],
    heldout: &[Sample],
) -> Checkpoint {
    let network = on_cpu(net);
    Checkpoint {
        step,
        validation: Scores::at_1024(&network, validation),
        heldout: Scores::at_1024(&network, heldout),
    }
}

/// The block worth keeping: the one at the checkpoint with the highest validation IoU at
/// 1024 px as segmented (what users get), as a weight record. `linseg train` does not offer
/// step 0, the untouched network, so a mode's record always holds a trained block.
#[derive(Debug, Default)]
pub struct BestCheckpoint {
    best: Option<(usize, f64, Vec<u8>)>,
}

impl BestCheckpoint {
    /// Keep `net` if `scores` beat every checkpoint offered before.
    pub fn offer(&mut self, scores: &Checkpoint, net: &SelfieNet) {
        let iou = scores.validation.segmented.iou;
        if self.best.as_ref().is_none_or(|(_, best, _)| iou > *best) {
            let record = weights::to_bytes(net.clone().valid()).expect("a record of the network");
            self.best = Some((scores.step, iou, record));
        }
    }

    /// The step and the weight record kept, if any checkpoint was offered.
    pub fn into_kept(self) -> Option<(usize, Vec<u8>)> {
        self.best.map(|(step, _, record)| (step, record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attention::ContextBlockConfig;
    use crate::attention::oracle::{gamma, random_input};
    use burn::module::Param;
    use image::Luma;

    /// The loss reaches γ and every convolution of every mode (on a map of several 8 × 8 blocks,
    /// where each of interlaced attention's stages has groups of more than one position).
    #[test]
    fn gradients_reach_gamma_and_every_convolution() {
        let device = Device::flex().autodiff();
        for mode in AttentionMode::ALL.into_iter().skip(1) {
            let block = {
                let mut block = ContextBlockConfig::new(mode, 16).init(&device);
                block.set_gamma(gamma(0.5, &device));
                block
            };
            let x = random_input([1, 16, 10, 12], &device);
            let grads = block.forward(x).powi_scalar(2).sum().backward();
            let gamma = block.gamma().unwrap();
            let norm = |param: &Param<Tensor<4>>| {
                let grad = param.val().grad(&grads).expect("a gradient");
                grad.abs().sum().into_scalar::<f32>()
            };
            let gamma_grad = gamma.val().grad(&grads).expect("a gradient for γ");
            assert!(
                gamma_grad.abs().sum().into_scalar::<f32>() > 0.0,
                "{mode}: γ"
            );
            assert!(!block.convolutions().is_empty(), "{mode}: nothing learned");
            for (i, conv) in block.convolutions().into_iter().enumerate() {
                assert!(norm(&conv.weight) > 0.0, "{mode}: convolution {i}");
            }
        }
    }

    #[test]
    fn the_loss_is_binary_cross_entropy() {
        let device = Device::flex();
        let logits = Tensor::<4>::from_floats([[[[0.0, 2.0, -3.0]]]], &device);
        let targets = Tensor::<4>::from_floats([[[[0.5, 1.0, 0.2]]]], &device);
        let expected: f64 = [(0.0f64, 0.5f64), (2.0, 1.0), (-3.0, 0.2)]
            .iter()
            .map(|&(x, t)| {
                let p = 1.0 / (1.0 + (-x).exp());
                -(t * p.ln() + (1.0 - t) * (1.0 - p).ln())
            })
            .sum::<f64>()
            / 3.0;
        let loss = binary_cross_entropy_with_logits(logits, targets).into_scalar::<f32>() as f64;
        assert!((loss - expected).abs() < 1e-6, "{loss} vs {expected}");
    }

    #[test]
    fn the_cross_entropy_of_probabilities_keeps_them_off_0_and_1() {
        let device = Device::flex();
        let probabilities = Tensor::<4>::from_floats([[[[0.5, 0.9, 0.0]]]], &device);
        let targets = Tensor::<4>::from_floats([[[[0.5, 1.0, 0.2]]]], &device);
        // p = 0 is kept at 10⁻⁶, so its term is finite.
        let expected = -((0.5f64.ln() * 0.5 + 0.5f64.ln() * 0.5)
            + 0.9f64.ln()
            + (0.2 * 1e-6f64.ln() + 0.8 * (1.0f64 - 1e-6).ln()))
            / 3.0;
        let loss = binary_cross_entropy(probabilities, targets).into_scalar::<f32>() as f64;
        assert!((loss - expected).abs() < 1e-5, "{loss} vs {expected}");
    }

    /// Training as segmented scores what the pipeline makes of the image: the fused map of
    /// [`crate::refine::Plan`], up to its 8-bit mask and its resize filter, on a photo of
    /// another shape than the square.
    #[test]
    fn training_as_segmented_scores_the_pipelines_mask() {
        let device = Device::flex();
        device.seed(3);
        let net = SelfieNetConfig::new(AttentionMode::Linear).init(&device);
        let image = RgbaImage::from_fn(512, 384, |x, y| {
            Rgba([(x / 2) as u8, (y / 2) as u8, ((x + y) / 4) as u8, 255])
        });
        let probabilities = |letterbox: &Letterbox| -> Vec<f32> {
            sigmoid(net.logits(preprocess::photo_input(&image, letterbox, &device)))
                .into_data()
                .try_to_vec::<f32>()
                .unwrap()
        };
        let plan = Plan::new(512, 384, 512);
        let global = plan.global.unwrap();
        let mask = plan.mask(&probabilities(&plan.detail), Some(&probabilities(&global)));
        let fused = segmented(&net, &image, [&plan.detail, &global], &device);
        assert_eq!(fused.dims(), [1, 1, 384, 512]);
        let ours: Vec<f32> = fused.into_data().try_to_vec::<f32>().unwrap();
        let worst = mask
            .pixels()
            .zip(&ours)
            .map(|(m, p)| (m[0] as f32 / 255.0 - p).abs())
            .fold(0.0, f32::max);
        let spread =
            ours.iter().fold(0.0f32, |a, p| a.max(*p)) - ours.iter().fold(1.0f32, |a, p| a.min(*p));
        assert!(
            spread > 0.05,
            "the network's map is too flat to test with ({spread})"
        );
        assert!(worst < 0.01, "{worst}");
    }

    /// Hand-computed: p = σ(0, 2, −3) = (0.5, 0.8808, 0.0474), t = (1, 1, 0):
    /// 1 − (1.3808 + 1) / (2.4282 + 2 − 1.3808 + 1).
    #[test]
    fn the_soft_iou_loss_is_one_minus_the_soft_iou() {
        let device = Device::flex();
        let logits = Tensor::<4>::from_floats([[[[0.0, 2.0, -3.0]]]], &device);
        let targets = Tensor::<4>::from_floats([[[[1.0, 1.0, 0.0]]]], &device);
        let p: Vec<f64> = [0.0f64, 2.0, -3.0]
            .iter()
            .map(|x| 1.0 / (1.0 + (-x).exp()))
            .collect();
        let both = p[0] + p[1];
        let either = p.iter().sum::<f64>() + 2.0 - both;
        let expected = 1.0 - (both + 1.0) / (either + 1.0);
        let loss = soft_iou_loss(sigmoid(logits), targets).into_scalar::<f32>() as f64;
        assert!((loss - expected).abs() < 1e-6, "{loss} vs {expected}");
    }

    /// A photo with a person (a bright square and its matte) and one without.
    fn small_set() -> TrainingSet {
        let person =
            RgbaImage::from_fn(96, 96, |x, y| Rgba([(x * 2) as u8, (y * 2) as u8, 90, 255]));
        let matte = GrayImage::from_fn(96, 96, |x, y| {
            Luma([if (30..70).contains(&x) && y > 20 {
                255
            } else {
                0
            }])
        });
        let empty = RgbaImage::from_fn(80, 60, |x, y| Rgba([x as u8, y as u8, 3, 255]));
        TrainingSet::new(vec![(person, matte), (empty, GrayImage::new(80, 60))])
    }

    #[test]
    fn the_set_cuts_out_people_and_keeps_backgrounds() {
        let set = small_set();
        assert_eq!(set.cutouts.len(), 1);
        assert_eq!(set.backgrounds, vec![1]);
    }

    #[test]
    fn the_same_seed_gives_the_same_augmentation() {
        let set = small_set();
        let (a, b) = (
            augment(&set, &mut Rng::new(3), 32, true),
            augment(&set, &mut Rng::new(3), 32, true),
        );
        assert_eq!(a, b);
        assert_ne!(a, augment(&set, &mut Rng::new(4), 32, true));
    }

    /// At the trained size a stretched image is made in shapes from 9:16 to 16:9, its longer
    /// side the size; above it, and without stretching, it is square.
    #[test]
    fn images_at_the_trained_size_come_in_every_shape() {
        let mut rng = Rng::new(5);
        let shapes: Vec<[u32; 2]> = (0..200).map(|_| shape(&mut rng, 256, true)).collect();
        assert!(
            shapes
                .iter()
                .all(|&[w, h]| w.max(h) == 256 && w.min(h) >= 144)
        );
        assert!(shapes.iter().any(|&[w, h]| w == 256 && h < 160));
        assert!(shapes.iter().any(|&[w, h]| h == 256 && w < 160));
        assert_eq!(shape(&mut rng, 512, true), [512, 512]);
        assert_eq!(shape(&mut rng, 256, false), [256, 256]);
    }

    /// A flipped image has its truth flipped with it: the truth always marks the pasted person.
    #[test]
    fn the_truth_follows_the_image() {
        let set = small_set();
        let mut rng = Rng::new(11);
        for i in 0..40 {
            let (image, truth) = augment(&set, &mut rng, 48, i % 2 == 0);
            assert_eq!(image.dimensions(), (48, 48));
            assert_eq!(truth.dimensions(), (48, 48));
            for (x, y, a) in truth.enumerate_pixels() {
                if a[0] == 255 {
                    // The person's pixels have blue 90 (jittered, but never the background's 3).
                    assert!(image.get_pixel(x, y)[2] > 40, "({x}, {y})");
                }
            }
        }
    }

    /// Training also runs on wgpu (every op of the backward pass exists there). Fails without a
    /// wgpu adapter: where there is no GPU, lavapipe (which `scripts/test.sh` installs) is one.
    #[test]
    fn training_runs_on_wgpu() {
        let device = crate::native::backend::Backend::Wgpu
            .device()
            .unwrap_or_else(|err| panic!("{err}: install a Vulkan driver, lavapipe will do"))
            .autodiff();
        let student = SelfieNetConfig::new(AttentionMode::CrissCross).init(&device);
        let options = TrainOptions {
            steps: 2,
            sizes: vec![32],
            ..TrainOptions::default()
        };
        let mut losses = Vec::new();
        let trained = train(
            student,
            Images::Augmented(&small_set()),
            &options,
            |_, loss, _| losses.push(loss),
        );
        assert!(losses.iter().all(|l| l.is_finite()), "{losses:?}");
        assert!(
            trained.context.gamma().unwrap().val().into_scalar::<f32>() != 0.0,
            "γ did not move"
        );
    }

    /// A few steps move the block and nothing else.
    #[test]
    fn training_changes_only_the_context_block() {
        let device = Device::flex().autodiff();
        let student = SelfieNetConfig::new(AttentionMode::Linear).init(&device);
        let stem_before = student.stem.weight.val().into_data();
        let options = TrainOptions {
            steps: 3,
            sizes: vec![64],
            ..TrainOptions::default()
        };
        let mut losses = Vec::new();
        let trained = train(
            student,
            Images::Augmented(&small_set()),
            &options,
            |_, loss, _| losses.push(loss),
        );
        assert_eq!(losses.len(), 3);
        assert!(losses.iter().all(|l| l.is_finite()));
        assert_eq!(
            trained.stem.weight.val().into_data(),
            stem_before,
            "the stem moved"
        );
        let gamma = trained.context.gamma().unwrap().val().into_scalar::<f32>();
        assert!(gamma != 0.0, "γ did not move");
    }

    /// Trained as segmented, the gradient flows through both passes and the fusion.
    #[test]
    fn training_as_segmented_moves_the_block() {
        let device = Device::flex().autodiff();
        let student = SelfieNetConfig::new(AttentionMode::Linear).init(&device);
        let options = TrainOptions {
            steps: 2,
            images_per_step: 1,
            sizes: vec![TRAINED_SIZE as u32 + 64],
            as_segmented: true,
            ..TrainOptions::default()
        };
        let mut losses = Vec::new();
        let trained = train(
            student,
            Images::Augmented(&small_set()),
            &options,
            |_, loss, _| losses.push(loss),
        );
        assert!(losses.iter().all(|l| l.is_finite()), "{losses:?}");
        let gamma = trained.context.gamma().unwrap().val().into_scalar::<f32>();
        assert!(gamma != 0.0, "γ did not move");
    }

    /// Fixed images of any shape train at any size: the truth follows the photo into the
    /// pass, the padding to the stride is cropped off.
    #[test]
    fn training_on_fixed_images_of_any_shape() {
        let device = Device::flex().autodiff();
        let student = SelfieNetConfig::new(AttentionMode::Linear).init(&device);
        let samples = [Sample {
            name: "odd".into(),
            kind: truth::Kind::Composite,
            image: RgbaImage::from_fn(100, 60, |x, y| Rgba([(x * 2) as u8, (y * 4) as u8, 9, 255])),
            truth: GrayImage::from_fn(100, 60, |x, _| Luma([if x > 40 { 255 } else { 0 }])),
        }];
        for size in [72, TRAINED_SIZE as u32 + 40] {
            let options = TrainOptions {
                steps: 2,
                images_per_step: 1,
                sizes: vec![size],
                as_segmented: true,
                ..TrainOptions::default()
            };
            let mut losses = Vec::new();
            let trained = train(
                student.clone(),
                Images::Fixed(&samples),
                &options,
                |_, loss, _| losses.push(loss),
            );
            assert!(losses.iter().all(|l| l.is_finite()), "{size}: {losses:?}");
            let gamma = trained.context.gamma().unwrap().val().into_scalar::<f32>();
            assert!(gamma != 0.0, "{size}: γ did not move");
        }
    }

    /// The kept block is the one with the best validation IoU, not the last or the first.
    #[test]
    fn the_best_validation_checkpoint_is_kept() {
        let device = Device::flex().autodiff();
        let score = |iou| MaskScore {
            iou,
            boundary_f: 0.0,
            mae: 0.0,
        };
        let at = |step, iou| Checkpoint {
            step,
            validation: Scores {
                segmented: score(iou),
                single_pass: score(0.0),
            },
            heldout: Scores {
                segmented: score(1.0),
                single_pass: score(1.0),
            },
        };
        let mut best = BestCheckpoint::default();
        let mut records = Vec::new();
        for (step, iou) in [(100, 0.70), (200, 0.75), (300, 0.72)] {
            device.seed(step as u64);
            let net = SelfieNetConfig::new(AttentionMode::Linear).init(&device);
            records.push(weights::to_bytes(net.clone().valid()).unwrap());
            best.offer(&at(step, iou), &net);
        }
        let (step, record) = best.into_kept().expect("a checkpoint kept");
        assert_eq!(step, 200);
        assert_eq!(record, records[1]);
    }

    /// A checkpoint scores the network being trained the way `linseg eval` does.
    #[test]
    fn a_checkpoint_scores_the_block_on_the_cpu() {
        let device = Device::flex().autodiff();
        let student = SelfieNetConfig::new(AttentionMode::Efficient).init(&device);
        let samples = [Sample {
            name: "square".into(),
            kind: truth::Kind::Composite,
            image: RgbaImage::from_pixel(64, 48, Rgba([200, 10, 10, 255])),
            truth: GrayImage::new(64, 48),
        }];
        let scores = checkpoint(5, &student, &samples, &samples);
        assert_eq!(scores.step, 5);
        assert!((0.0..=1.0).contains(&scores.heldout.single_pass.iou));
    }
}
