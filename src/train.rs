//! `linseg train`: teach one mode's context block to keep, at high resolution, the masks the
//! pretrained network gives at the 256 px it was trained at.
//!
//! **Why.** At 1024 px a person covers 16× the pixels the network saw in training, its
//! convolutions see only parts of them, and the mask breaks up (faces kept, clothes lost). The
//! same network at 256 px sees the whole person and is right globally. So the 256-px prediction,
//! upsampled, is the target for the prediction at 256–1024 px: self-distillation, which needs
//! no labels — any photo will do, and people photos matter most.
//!
//! **What is trained.** Only the context block (projections and γ); every other weight stays
//! the pretrained one, so the modes differ in their block alone and `none` is the untouched
//! baseline. γ starts at 0, so training starts from the original network.
//!
//! **Data.** The training photos of `models/photos.json` (the held-out ones never enter), each
//! step a random square crop (40–100 % of the shorter side), flipped half the time, brightness
//! and contrast jittered ±20 %, and a third of the time a person cut out by the teacher's own
//! mask pasted onto another photo. Sizes 256, 512, 768 or 1024 at random (256 too, so that
//! the block learns to leave the network's own resolution alone). Loss: binary cross-entropy
//! of the logits against the soft target. Adam, learning rate decayed by a cosine.
//!
//! **Where.** The student on any backend with autodiff (CPU or wgpu), the teacher on the CPU.

use std::time::Instant;

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::activation::relu;
use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use burn::tensor::{Device, Tensor};
use image::imageops::{self, FilterType};
use image::{GrayImage, Rgba, RgbaImage};

use crate::attention::AttentionMode;
use crate::backend::Backend;
use crate::dataset::{self, DataArgs, Split};
use crate::model::{SelfieNet, TRAINED_SIZE};
use crate::network::Network;
use crate::preprocess::{self, Letterbox};
use crate::{segment, weights};

/// `linseg train`: one mode's context block trained on the training photos, written to
/// models/selfie-<mode>.bpk.
#[derive(Debug, Clone, clap::Args)]
pub struct TrainArgs {
    /// The mode whose block is trained (not none: it has no block).
    #[arg(long)]
    pub mode: AttentionMode,
    /// Where the photos and weights are.
    #[command(flatten)]
    pub data: DataArgs,
    /// Optimiser steps.
    #[arg(long, default_value_t = TrainOptions::default().steps)]
    pub steps: usize,
    /// Seed of the block's initial weights and of the augmentation.
    #[arg(long, default_value_t = TrainOptions::default().seed)]
    pub seed: u64,
    /// Where the network being trained runs: cpu or wgpu (its teacher runs on the CPU).
    #[arg(long, default_value = "cpu")]
    pub backend: Backend,
}

/// How training runs.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Optimiser steps (one photo each).
    pub steps: usize,
    /// Peak learning rate.
    pub learning_rate: f64,
    /// Seed of the augmentation.
    pub seed: u64,
    /// Square training sizes, one drawn per step.
    pub sizes: Vec<u32>,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            steps: 1000,
            learning_rate: 5e-3,
            seed: 7,
            sizes: vec![256, 512, 768, 1024],
        }
    }
}

/// A photo ready for augmentation: the pixels and, for pasting, the teacher's mask of them.
pub struct TrainingPhoto {
    /// The photo, upright, at most 1024 px on its longer side.
    pub image: RgbaImage,
    /// The teacher's mask of it at 256 px, scaled to the photo.
    pub mask: GrayImage,
}

impl TrainingPhoto {
    /// Prepare a photo: shrink it to at most 1024 px and take the teacher's mask.
    pub fn new(image: RgbaImage, teacher: &Network) -> Self {
        let longest = image.width().max(image.height());
        let image = if longest > 1024 {
            let fit = Letterbox::new(image.width(), image.height(), 1024).scaled;
            imageops::resize(&image, fit[0], fit[1], FilterType::Triangle)
        } else {
            image
        };
        let (mask, _) = segment::segment_photo(teacher, &image, TRAINED_SIZE as u32);
        TrainingPhoto { image, mask }
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

/// A random square crop of `side` pixels, resized to `size`, with its mask.
fn crop(photo: &TrainingPhoto, rng: &mut Rng, size: u32) -> (RgbaImage, GrayImage) {
    let shorter = photo.image.width().min(photo.image.height());
    let side = ((shorter as f64 * rng.uniform(0.4, 1.0)) as u32).max(16);
    let x = rng.below((photo.image.width() - side + 1) as usize) as u32;
    let y = rng.below((photo.image.height() - side + 1) as usize) as u32;
    let image = imageops::crop_imm(&photo.image, x, y, side, side).to_image();
    let mask = imageops::crop_imm(&photo.mask, x, y, side, side).to_image();
    (
        imageops::resize(&image, size, size, FilterType::Triangle),
        imageops::resize(&mask, size, size, FilterType::Triangle),
    )
}

/// One augmented `size × size` training image.
pub fn augment(photos: &[TrainingPhoto], rng: &mut Rng, size: u32) -> RgbaImage {
    let (mut image, mask) = crop(&photos[rng.below(photos.len())], rng, size);
    if rng.uniform(0.0, 1.0) < 1.0 / 3.0 {
        // Paste the person (as the teacher sees it) onto another photo.
        let (background, _) = crop(&photos[rng.below(photos.len())], rng, size);
        for (x, y, pixel) in image.enumerate_pixels_mut() {
            let a = mask.get_pixel(x, y)[0] as f32 / 255.0;
            let b = background.get_pixel(x, y);
            for c in 0..3 {
                pixel[c] = (pixel[c] as f32 * a + b[c] as f32 * (1.0 - a)).round() as u8;
            }
        }
    }
    if rng.uniform(0.0, 1.0) < 0.5 {
        imageops::flip_horizontal_in_place(&mut image);
    }
    let (brightness, contrast) = (rng.uniform(0.8, 1.2), rng.uniform(0.8, 1.2));
    for pixel in image.pixels_mut() {
        let Rgba([r, g, b, a]) = *pixel;
        let adjust =
            |v: u8| (((v as f64 - 128.0) * contrast + 128.0) * brightness).clamp(0.0, 255.0) as u8;
        *pixel = Rgba([adjust(r), adjust(g), adjust(b), a]);
    }
    image
}

/// The target: the teacher's probabilities at 256 px, upsampled to the image.
///
/// # Shapes
/// - output: `[1, 1, size, size]`, on `device`
fn target(
    teacher: &SelfieNet,
    image: &RgbaImage,
    teacher_device: &Device,
    device: &Device,
) -> Tensor<4> {
    let small = Letterbox::new(image.width(), image.height(), TRAINED_SIZE as u32);
    let probabilities = teacher.forward(preprocess::to_input(
        preprocess::to_pixels(image, &small),
        teacher_device,
    )); // [1, 1, 256, 256]
    let options = InterpolateOptions::new(InterpolateMode::Bilinear)
        .with_align_corners(false)
        .with_output_size([image.height() as usize, image.width() as usize]);
    Tensor::from_data(interpolate(probabilities, options).into_data(), device)
}

/// Binary cross-entropy of logits against soft targets, in its stable form
/// `max(x, 0) − x·t + log(1 + e^−|x|)`, averaged.
pub fn binary_cross_entropy_with_logits(logits: Tensor<4>, targets: Tensor<4>) -> Tensor<1> {
    let stable = logits.clone().abs().neg().exp().log1p();
    (relu(logits.clone()) - logits * targets + stable).mean()
}

/// Freeze everything but the context block.
fn only_context_trains(net: SelfieNet) -> SelfieNet {
    let mut frozen = net.no_grad();
    frozen.context = frozen.context.set_require_grad(true);
    frozen
}

/// Train `student`'s context block against `teacher`; `report(step, loss)` is called after
/// every step. The student lives on an autodiff device, the teacher on a plain one.
pub fn train(
    student: SelfieNet,
    teacher: &SelfieNet,
    photos: &[TrainingPhoto],
    options: &TrainOptions,
    teacher_device: &Device,
    mut report: impl FnMut(usize, f64),
) -> SelfieNet {
    let device = student.stem.weight.device();
    let mut net = only_context_trains(student);
    let mut optimizer = AdamConfig::new().init();
    let mut rng = Rng::new(options.seed);
    for step in 0..options.steps {
        let size = options.sizes[rng.below(options.sizes.len())];
        let image = augment(photos, &mut rng, size);
        let targets = target(teacher, &image, teacher_device, &device);
        let input = preprocess::to_input(
            preprocess::to_pixels(&image, &Letterbox::new(size, size, size)),
            &device,
        );
        let loss = binary_cross_entropy_with_logits(net.logits(input), targets);
        let value = loss.clone().into_scalar::<f32>() as f64;
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        let progress = step as f64 / options.steps as f64;
        let learning_rate =
            options.learning_rate * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos());
        net = optimizer.step(learning_rate, net, grads);
        report(step + 1, value);
    }
    net.valid()
}

/// A progress line: `step 40/300  loss 0.0812  1m02s elapsed, about 6m40s left`.
pub fn progress_line(step: usize, steps: usize, loss: f64, started: Instant) -> String {
    let elapsed = started.elapsed().as_secs_f64();
    let left = elapsed / step as f64 * (steps - step) as f64;
    let clock = |s: f64| format!("{}m{:02}s", (s / 60.0) as u64, (s % 60.0) as u64);
    format!(
        "step {step}/{steps}  loss {loss:.4}  {} elapsed, about {} left",
        clock(elapsed),
        clock(left)
    )
}

/// Run `linseg train`: the block trained, its record written beside the others.
pub fn run(args: &TrainArgs) -> Result<(), String> {
    let (mode, data, backend) = (args.mode, &args.data, args.backend);
    let options = &TrainOptions {
        steps: args.steps,
        seed: args.seed,
        ..TrainOptions::default()
    };
    if mode == AttentionMode::None {
        return Err("mode none has no context block: there is nothing to train".into());
    }
    let (models, photos) = (&data.models, data.photos());
    let plain = Backend::Cpu.device()?;
    let teacher = weights::load(models, AttentionMode::None, &plain)?;
    let teacher_network = Network::new(teacher.clone(), &plain);
    let photos: Vec<TrainingPhoto> = dataset::load(&data.manifest, &photos, Split::Train)?
        .into_iter()
        .map(|photo| TrainingPhoto::new(photo.image, &teacher_network))
        .collect();
    let student = weights::pretrained_with_new_block(
        models,
        mode,
        options.seed,
        &backend.device()?.autodiff(),
    )?;
    println!(
        "training the {mode} block on {} photos, {} steps, seed {}, on {backend}",
        photos.len(),
        options.steps,
        options.seed
    );
    let started = std::time::Instant::now();
    let mut smoothed = None;
    let trained = train(student, &teacher, &photos, options, &plain, |step, loss| {
        let average = smoothed.map_or(loss, |s: f64| 0.9 * s + 0.1 * loss);
        smoothed = Some(average);
        if step % 10 == 0 || step == options.steps {
            println!("{}", progress_line(step, options.steps, average, started));
        }
    });
    let gamma = trained
        .context
        .gamma()
        .map(|g| g.val().into_scalar::<f32>());
    let path = weights::save(trained, models)?;
    println!(
        "wrote {} (γ = {:.4}) in {:.1} min",
        path.display(),
        gamma.unwrap_or(0.0),
        started.elapsed().as_secs_f64() / 60.0
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attention::AttentionMode;
    use crate::model::SelfieNetConfig;

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
    fn the_same_seed_gives_the_same_augmentation() {
        let device = Device::flex();
        let teacher = SelfieNetConfig::new(AttentionMode::None).init(&device);
        let image = RgbaImage::from_fn(80, 60, |x, y| Rgba([x as u8, y as u8, 3, 255]));
        let photos = [TrainingPhoto::new(
            image,
            &Network::new(teacher.clone(), &device),
        )];
        let (a, b) = (
            augment(&photos, &mut Rng::new(3), 32),
            augment(&photos, &mut Rng::new(3), 32),
        );
        assert_eq!(a, b);
        assert_ne!(a, augment(&photos, &mut Rng::new(4), 32));
    }

    /// Training also runs on wgpu (every op of the backward pass exists there), where an
    /// adapter exists.
    #[test]
    fn training_runs_on_wgpu() {
        let device = match Device::wgpu_options().init() {
            Ok(device) => device.autodiff(),
            Err(err) => {
                println!("SKIPPED training_runs_on_wgpu: no wgpu adapter ({err})");
                return;
            }
        };
        let plain = Device::flex();
        let teacher = SelfieNetConfig::new(AttentionMode::None).init(&plain);
        let image =
            RgbaImage::from_fn(64, 64, |x, y| Rgba([(x * 3) as u8, (y * 3) as u8, 40, 255]));
        let photos = [TrainingPhoto::new(
            image,
            &Network::new(teacher.clone(), &plain),
        )];
        let student = SelfieNetConfig::new(AttentionMode::CrissCross).init(&device);
        let options = TrainOptions {
            steps: 2,
            sizes: vec![32],
            ..TrainOptions::default()
        };
        let mut losses = Vec::new();
        let trained = train(student, &teacher, &photos, &options, &plain, |_, loss| {
            losses.push(loss)
        });
        assert!(losses.iter().all(|l| l.is_finite()), "{losses:?}");
        assert!(
            trained.context.gamma().unwrap().val().into_scalar::<f32>() != 0.0,
            "γ did not move"
        );
    }

    /// A few steps move the block and nothing else.
    #[test]
    fn training_changes_only_the_context_block() {
        let plain = Device::flex();
        let device = plain.clone().autodiff();
        let teacher = SelfieNetConfig::new(AttentionMode::None).init(&plain);
        let image =
            RgbaImage::from_fn(96, 96, |x, y| Rgba([(x * 2) as u8, (y * 2) as u8, 90, 255]));
        let photos = [TrainingPhoto::new(
            image,
            &Network::new(teacher.clone(), &plain),
        )];
        let student = SelfieNetConfig::new(AttentionMode::Linear).init(&device);
        let stem_before = student.stem.weight.val().into_data();
        let options = TrainOptions {
            steps: 3,
            sizes: vec![64],
            ..TrainOptions::default()
        };
        let mut losses = Vec::new();
        let trained = train(student, &teacher, &photos, &options, &plain, |_, loss| {
            losses.push(loss)
        });
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
}
