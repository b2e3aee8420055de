//! `linseg eval`: every mode scored against the truth of the held-out images, a table printed
//! as it fills and the scores written to models/metrics.json; with `--validation`, of the
//! validation images, which settings are chosen by.

use std::path::PathBuf;

use linseg::Backend;
use linseg::Error;
use linseg::attention::AttentionMode;
use linseg::native::{files, weight_files};
use linseg::network::Network;
use linseg::tools::eval;
use linseg::tools::truth::{self, Kind};

use crate::data::{DataArgs, TruthArgs};
use crate::mode;

/// `linseg eval`: every mode scored against the truth of the held-out images; writes
/// models/metrics.json and prints a table.
#[derive(Debug, Clone, clap::Args)]
pub struct EvalArgs {
    /// Where the photos and weights are.
    #[command(flatten)]
    pub data: DataArgs,
    /// Where the truth is.
    #[command(flatten)]
    pub truth: TruthArgs,
    /// Processing sizes.
    #[arg(long, value_delimiter = ',', default_values_t = eval::DEFAULT_SIZES)]
    pub sizes: Vec<u32>,
    /// The modes scored (default: every mode).
    #[arg(long, value_delimiter = ',', value_parser = mode::parser())]
    pub modes: Vec<AttentionMode>,
    /// Score the validation images instead of the held-out ones: what settings are chosen by.
    #[arg(long)]
    pub validation: bool,
    /// Where the scores are written (default: models/metrics.json; with --validation, nowhere).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Run `linseg eval`: the table printed as it fills, the scores written to --out.
pub fn run(args: &EvalArgs) -> linseg::Result<()> {
    let (data, sizes) = (&args.data, &args.sizes);
    let device = Backend::Cpu.device()?;
    let (split, samples, default_out) = if args.validation {
        let samples = truth::validation(&data.paths(), &args.truth.paths())?;
        ("validation", samples, None)
    } else {
        let samples = truth::heldout(&data.paths(), &args.truth.paths())?;
        (
            "heldout",
            samples,
            Some(PathBuf::from("models/metrics.json")),
        )
    };
    let modes = if args.modes.is_empty() {
        AttentionMode::ALL.to_vec()
    } else {
        args.modes.clone()
    };
    let load = |mode| {
        weight_files::load(&data.models, mode, &device).map(|net| Network::new(net, &device))
    };
    let networks = modes
        .iter()
        .map(|&mode| load(mode))
        .collect::<Result<Vec<_>, _>>()?;
    let untouched = load(AttentionMode::None)?;
    let names: Vec<&str> = samples.iter().map(|s| s.name.as_str()).collect();
    println!("{} {split} images: {}", names.len(), names.join(", "));
    println!(
        "{:<12} {:>5} {:<10} {:>7} {:>11} {:>7} {:>11}   one pass: {:>7} {:>11} {:>7}",
        "mode",
        "size",
        "images",
        "IoU",
        "boundary F",
        "MAE",
        "ms / image",
        "IoU",
        "boundary F",
        "MAE"
    );
    let evaluation = eval::evaluate(&networks, Some(&untouched), &samples, sizes, |s| {
        println!(
            "{:<12} {:>5} {:<10} {:>7.4} {:>11.4} {:>7.4} {:>11.1}             {:>7.4} {:>11.4} {:>7.4}",
            s.mode,
            s.size,
            format!("{} {}", s.images, s.kind),
            s.segmented.iou,
            s.segmented.boundary_f,
            s.segmented.mae,
            s.ms_per_image,
            s.single_pass.iou,
            s.single_pass.boundary_f,
            s.single_pass.mae,
        );
    });
    for kind in [Kind::Composite, Kind::Real] {
        println!(
            "\n{kind} images: IoU as segmented and in one pass; boundary F and MAE as segmented\n"
        );
        print!("{}", eval::markdown_tables(&evaluation.scores, kind, sizes));
    }
    let metrics = serde_json::json!({
        "truth": "composites: the pasted alpha (exact); real photos: Robust Video Matting's matte (scripts/make-mattes.mjs)",
        "anchor": "mediapipe: selfie-none.bpk on the photo stretched to 256 × 256, as MediaPipe's graph feeds it",
        "boundary_tolerance": "0.75 % of the photo diagonal",
        split: names,
        "sizes": sizes,
        "backend": "cpu",
        "scores": evaluation.scores,
        "per_image": evaluation.samples,
    });
    let Some(out) = args.out.clone().or(default_out) else {
        return Ok(());
    };
    let text = serde_json::to_string_pretty(&metrics).map_err(|err| Error::file(&out, err))?;
    files::write(&out, text + "\n")?;
    println!("\nwrote {}", out.display());
    Ok(())
}
