//! `linseg train`: one mode's context block trained against the truth, its record written
//! beside the others with the log of its run.

use std::path::Path;
use std::time::Instant;

use linseg::attention::AttentionMode;
use linseg::model::SelfieNet;
use linseg::native::{files, weight_files};
use linseg::tools::dataset::Split;
use linseg::tools::train::{
    BestCheckpoint, Checkpoint, Images, TrainOptions, TrainingSet, checkpoint, on_cpu,
    pretrained_with_new_block, train,
};
use linseg::tools::truth::Sample;
use linseg::tools::{eval, truth};
use linseg::weights;
use linseg::{Backend, Error};

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
    /// Fit the block to the held-out images themselves, each at a size from --sizes, to measure
    /// how far a block can go on the images it is judged by: a ceiling, not a result. No record
    /// is written; the log goes to models/ceiling-<mode>-<segmented|one-pass>[-decoder].json.
    #[arg(long)]
    pub fit_heldout: bool,
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
pub fn run(args: &TrainArgs) -> linseg::Result<()> {
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
        return Err(Error::BadOption(
            "--images-per-step must be at least 1".into(),
        ));
    }
    if args.sizes.is_empty() || args.sizes.iter().any(|&size| size < 32) {
        return Err(Error::BadOption(
            "--sizes needs at least one training size, each at least 32 px".into(),
        ));
    }
    if mode == AttentionMode::None && !args.train_decoder {
        return Err(Error::BadOption("mode none has no context block: there is nothing to train (but the decoder, with --train-decoder)".into()));
    }
    let photos = truth::photos_with_truth(data, truth_paths, Split::Train)?;
    let set = TrainingSet::new(
        photos
            .iter()
            .map(|(photo, truth)| (photo.image.clone(), truth.clone()))
            .collect(),
    );
    let heldout = if args.checkpoint_every > 0 || args.fit_heldout {
        truth::heldout(data, truth_paths)?
    } else {
        Vec::new()
    };
    let validation = if args.checkpoint_every > 0 {
        truth::validation(data, truth_paths)?
    } else {
        Vec::new()
    };
    let (images, names): (Images, Vec<&str>) = if args.fit_heldout {
        let names = heldout.iter().map(|s| s.name.as_str()).collect();
        (Images::Fixed(&heldout), names)
    } else {
        let names = photos
            .iter()
            .map(|(photo, _)| photo.name.as_str())
            .collect();
        (Images::Augmented(&set), names)
    };
    let student = pretrained_with_new_block(
        &data.models,
        mode,
        options.seed,
        &backend.device()?.autodiff(),
    )?;
    if args.fit_heldout {
        println!(
            "fitting the {mode} block to the {} held-out images themselves (a ceiling, not a \
             result: no record is written), {} steps, learning rate {}, seed {}, on {backend}",
            heldout.len(),
            options.steps,
            options.learning_rate,
            options.seed
        );
    } else {
        println!(
            "training the {mode} block on {} photos ({} people to paste, {} backgrounds), {} \
             steps, learning rate {}, seed {}, on {backend}",
            set.photos.len(),
            set.cutouts.len(),
            set.backgrounds.len(),
            options.steps,
            options.learning_rate,
            options.seed
        );
    }
    let started = Instant::now();
    let mut smoothed = None;
    let (mut losses, mut checkpoints) = (Vec::new(), Vec::new());
    let mut best = BestCheckpoint::default();
    if args.checkpoint_every > 0 {
        let scores = checkpoint(0, &student, &validation, &heldout);
        print_checkpoint(&scores);
        checkpoints.push(scores);
    }
    let trained = train(student, images, options, |step, loss, net| {
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
            if !args.keep_last && !args.fit_heldout {
                best.offer(&scores, net);
            }
            checkpoints.push(scores);
        }
    });
    let minutes = started.elapsed().as_secs_f64() / 60.0;
    let mut log = serde_json::json!({
        "mode": mode.name(),
        "options": options,
        "backend": backend.to_string(),
        "training_photos": names,
        "minutes": minutes,
        "loss": losses,
        "checkpoints": checkpoints,
    });
    if args.fit_heldout {
        let scored = if args.as_segmented {
            "segmented"
        } else {
            "one-pass"
        };
        let decoder = if args.train_decoder { "-decoder" } else { "" };
        let path = data
            .models
            .join(format!("ceiling-{mode}-{scored}{decoder}.json"));
        write_ceiling(&trained, &heldout, &options.sizes, log, &path)?;
        println!(
            "wrote {} in {minutes:.1} min (no record: a block fit to the held-out images is no result)",
            path.display()
        );
        return Ok(());
    }
    let (kept_step, trained) = match best.into_kept() {
        Some((step, record)) => (step, weights::from_bytes(record, mode, &backend.device()?)?),
        None => (options.steps, trained),
    };
    let gamma = trained
        .context
        .gamma()
        .map(|g| g.val().into_scalar::<f32>());
    let path = weight_files::save(trained, &data.models)?;
    log["kept_step"] = kept_step.into();
    let log_path = data.models.join(format!("training-{mode}.json"));
    write_log(&log_path, &log)?;
    println!(
        "wrote {} (the block after step {kept_step}, γ = {:.4}) and {} in {minutes:.1} min",
        path.display(),
        gamma.unwrap_or(0.0),
        log_path.display(),
    );
    Ok(())
}

/// The log of a block fit to the held-out images, with how they score at each size after the
/// last step, one mean per kind of image ([`eval::Score`]), printed as well.
fn write_ceiling(
    trained: &SelfieNet,
    heldout: &[Sample],
    sizes: &[u32],
    mut log: serde_json::Value,
    path: &Path,
) -> linseg::Result<()> {
    let at_end = eval::evaluate(&[on_cpu(trained)], None, heldout, sizes, |score| {
        println!(
            "held-out at {} px after the last step, {} {} images: as segmented {:.4}, one pass {:.4}",
            score.size, score.images, score.kind, score.segmented.iou, score.single_pass.iou
        )
    });
    log["heldout_at_end"] =
        serde_json::to_value(at_end.scores).map_err(|err| Error::file(path, err))?;
    write_log(path, &log)
}

/// Write a training log as one line of JSON.
fn write_log(path: &Path, log: &serde_json::Value) -> linseg::Result<()> {
    let text = serde_json::to_string(log).map_err(|err| Error::file(path, err))?;
    files::write(path, text + "\n")
}
