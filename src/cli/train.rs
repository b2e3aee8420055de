//! `linseg train`: one mode's context block trained against the truth, its record written
//! beside the others with the log of its run.

use std::time::Instant;

use linseg::attention::AttentionMode;
use linseg::backend::Backend;
use linseg::dataset::Split;
use linseg::train::{BestCheckpoint, Checkpoint, TrainOptions, TrainingSet, checkpoint, train};
use linseg::{files, truth, weights};

use crate::data::{DataArgs, TruthArgs};
use crate::mode;

/// `linseg train`: one mode's context block trained against the truth of the training images,
/// written to models/selfie-<mode>.bpk with its log models/training-<mode>.json.
#[derive(Debug, Clone, clap::Args)]
pub struct TrainArgs {
    /// The mode whose block is trained (not none: it has no block).
    #[arg(long, value_parser = mode::parser())]
    pub mode: AttentionMode,
    /// Where the photos and weights are.
    #[command(flatten)]
    pub data: DataArgs,
    /// Where the truth is.
    #[command(flatten)]
    pub truth: TruthArgs,
    /// Optimiser steps.
    #[arg(long, default_value_t = TrainOptions::default().steps)]
    pub steps: usize,
    /// Images per optimiser step (the step follows the mean of their losses).
    #[arg(long, default_value_t = TrainOptions::default().images_per_step)]
    pub images_per_step: usize,
    /// Square training sizes, one drawn per image, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = TrainOptions::default().sizes)]
    pub sizes: Vec<u32>,
    /// Peak learning rate.
    #[arg(long, default_value_t = TrainOptions::default().learning_rate)]
    pub learning_rate: f64,
    /// Seed of the block's initial weights and of the augmentation.
    #[arg(long, default_value_t = TrainOptions::default().seed)]
    pub seed: u64,
    /// Train the head and the decoder with the block (for every mode, none included, so that
    /// the modes still differ by their block alone).
    #[arg(long)]
    pub train_decoder: bool,
    /// Make each training image at 256 px a crop of a random shape (9:16 to 16:9) stretched to
    /// the square, as the pipeline feeds photos there, instead of a square crop.
    #[arg(long)]
    pub stretched: bool,
    /// Score each training image above 256 px as the pipeline segments it (a global pass at
    /// 256 px fused with the pass at its size) instead of by the network's one pass.
    #[arg(long)]
    pub as_segmented: bool,
    /// Score the network on the validation and held-out images every this many steps (0: never).
    #[arg(long, default_value_t = 50)]
    pub checkpoint_every: usize,
    /// Write the block as it is after the last step, not at the checkpoint with the best
    /// validation IoU at 1024 px as segmented.
    #[arg(long)]
    pub keep_last: bool,
    /// Where the network being trained runs: cpu or wgpu.
    #[arg(long, default_value = "cpu")]
    pub backend: Backend,
}

/// A checkpoint's line: IoU at 1024 px on the validation and the held-out images.
fn print_checkpoint(c: &Checkpoint) {
    println!(
        "  step {}: IoU at 1024 px, as segmented / one pass: validation {:.4} / {:.4}, held-out {:.4} / {:.4}",
        c.step,
        c.validation.segmented.iou,
        c.validation.single_pass.iou,
        c.heldout.segmented.iou,
        c.heldout.single_pass.iou
    );
}

/// A progress line: `step 40/300  loss 0.0812  1m02s elapsed, about 6m40s left`.
fn progress_line(step: usize, steps: usize, loss: f64, started: Instant) -> String {
    let elapsed = started.elapsed().as_secs_f64();
    let left = elapsed / step as f64 * (steps - step) as f64;
    let clock = |s: f64| format!("{}m{:02}s", (s / 60.0) as u64, (s % 60.0) as u64);
    format!(
        "step {step}/{steps}  loss {loss:.4}  {} elapsed, about {} left",
        clock(elapsed),
        clock(left)
    )
}

/// Run `linseg train`: the block trained, its record written beside the others with the log.
pub fn run(args: &TrainArgs) -> Result<(), String> {
    let (mode, backend) = (args.mode, args.backend);
    let (data, truth_paths) = (&args.data.paths(), &args.truth.paths());
    let options = &TrainOptions {
        steps: args.steps,
        images_per_step: args.images_per_step,
        sizes: args.sizes.clone(),
        learning_rate: args.learning_rate,
        seed: args.seed,
        train_decoder: args.train_decoder,
        stretched: args.stretched,
        as_segmented: args.as_segmented,
    };
    if args.images_per_step == 0 {
        return Err("--images-per-step must be at least 1".into());
    }
    if args.sizes.is_empty() || args.sizes.iter().any(|&size| size < 32) {
        return Err("--sizes needs at least one training size, each at least 32 px".into());
    }
    if mode == AttentionMode::None && !args.train_decoder {
        return Err("mode none has no context block: there is nothing to train (but the decoder, with --train-decoder)".into());
    }
    let photos = truth::photos_with_truth(data, truth_paths, Split::Train)?;
    let names: Vec<String> = photos.iter().map(|(photo, _)| photo.name.clone()).collect();
    let set = TrainingSet::new(
        photos
            .into_iter()
            .map(|(photo, truth)| (photo.image, truth))
            .collect(),
    );
    let (validation, heldout) = if args.checkpoint_every > 0 {
        (
            truth::validation(data, truth_paths)?,
            truth::heldout(data, truth_paths)?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let student = weights::pretrained_with_new_block(
        &data.models,
        mode,
        options.seed,
        &backend.device()?.autodiff(),
    )?;
    println!(
        "training the {mode} block on {} photos ({} people to paste, {} backgrounds), {} steps, \
         learning rate {}, seed {}, on {backend}",
        set.photos.len(),
        set.cutouts.len(),
        set.backgrounds.len(),
        options.steps,
        options.learning_rate,
        options.seed
    );
    let started = Instant::now();
    let mut smoothed = None;
    let (mut losses, mut checkpoints) = (Vec::new(), Vec::new());
    let mut best = BestCheckpoint::default();
    if args.checkpoint_every > 0 {
        let scores = checkpoint(0, &student, &validation, &heldout);
        print_checkpoint(&scores);
        checkpoints.push(scores);
    }
    let trained = train(student, &set, options, |step, loss, net| {
        losses.push(loss);
        let average = smoothed.map_or(loss, |s: f64| 0.9 * s + 0.1 * loss);
        smoothed = Some(average);
        if step % 10 == 0 || step == options.steps {
            println!("{}", progress_line(step, options.steps, average, started));
        }
        if args.checkpoint_every > 0 && (step % args.checkpoint_every == 0 || step == options.steps)
        {
            let scores = checkpoint(step, net, &validation, &heldout);
            print_checkpoint(&scores);
            if !args.keep_last {
                best.offer(&scores, net);
            }
            checkpoints.push(scores);
        }
    });
    let (kept_step, trained) = match best.into_kept() {
        Some((step, record)) => (step, weights::from_bytes(record, mode, &backend.device()?)?),
        None => (options.steps, trained),
    };
    let minutes = started.elapsed().as_secs_f64() / 60.0;
    let gamma = trained
        .context
        .gamma()
        .map(|g| g.val().into_scalar::<f32>());
    let path = weights::save(trained, &data.models)?;
    let log = serde_json::json!({
        "mode": mode.name(),
        "options": options,
        "backend": backend.to_string(),
        "training_photos": names,
        "minutes": minutes,
        "kept_step": kept_step,
        "loss": losses,
        "checkpoints": checkpoints,
    });
    let log_path = data.models.join(format!("training-{mode}.json"));
    let text = serde_json::to_string(&log).map_err(|err| err.to_string())?;
    files::write(&log_path, text + "\n")?;
    println!(
        "wrote {} (the block after step {kept_step}, γ = {:.4}) and {} in {minutes:.1} min",
        path.display(),
        gamma.unwrap_or(0.0),
        log_path.display(),
    );
    Ok(())
}
