//! The `linseg` command line: benchmark the attention modes, import the pretrained weights,
//! segment photos, train and score the blocks. Each command is a module here with its arguments
//! and its `run` (checks, printing, files); the work is the library's. This file only dispatches.

mod bench;
mod data;
mod dataset;
mod eval;
mod import;
mod look;
mod mode;
mod network_bench;
mod segment;
mod train;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use bench::BenchArgs;
use dataset::DatasetArgs;
use eval::EvalArgs;
use import::ImportArgs;
use look::LookArgs;
use network_bench::NetworkBenchArgs;
use segment::SegmentArgs;
use train::TrainArgs;

/// Semantic segmentation with the Linear Attention Mechanism.
#[derive(Parser, Debug)]
#[command(name = "linseg", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Measure time and memory.
    Bench {
        #[command(subcommand)]
        target: BenchTarget,
    },
    /// Convert MediaPipe Selfie Segmentation's TensorFlow.js weights into one record per mode.
    Import(ImportArgs),
    /// Segment photos: writes NAME.mask.png and NAME.overlay.png for each.
    Segment(SegmentArgs),
    /// How far each mode's block looks on a photo: its largest weight and the effective number
    /// of cells it gathers from, over every cell, and the time per cell.
    Look(LookArgs),
    /// Write the held-out images of the quality data set and their true masks as PNG files.
    Dataset(DatasetArgs),
    /// Train one mode's context block against the truth: writes models/selfie-<mode>.bpk.
    Train(TrainArgs),
    /// Score every mode against the truth of the held-out images: writes models/metrics.json.
    Eval(EvalArgs),
}

#[derive(Subcommand, Debug)]
enum BenchTarget {
    /// Every attention mode on feature maps from 16×16 to 128×128, C = 64 and 128.
    Attention(BenchArgs),
    /// The whole network on the CPU: time per kind of layer on the CPU kernels, and the same
    /// weights and input through Burn's generic path. Set RAYON_NUM_THREADS for Burn's pool.
    Network(NetworkBenchArgs),
}

fn main() -> ExitCode {
    match run(Cli::parse().command) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("linseg: {err}");
            ExitCode::FAILURE
        }
    }
}

/// A report that could not be written to standard output (a closed pipe, a full disk).
fn stdout_failed(err: std::io::Error) -> linseg::Error {
    linseg::Error::file("standard output", linseg::native::files::plain_words(&err))
}

/// Run a command: its exit code, or the error that stopped it.
fn run(command: Command) -> linseg::Result<ExitCode> {
    let done = |()| ExitCode::SUCCESS;
    match command {
        Command::Bench {
            target: BenchTarget::Attention(args),
        } => bench::run(&args, &mut std::io::stdout().lock()).map(done),
        Command::Bench {
            target: BenchTarget::Network(args),
        } => network_bench::run(&args, &mut std::io::stdout().lock()).map(done),
        Command::Import(args) => import::run(&args).map(done),
        Command::Segment(args) => segment::run(&args),
        Command::Look(args) => look::run(&args).map(done),
        Command::Dataset(args) => dataset::run(&args).map(done),
        Command::Train(args) => train::run(&args).map(done),
        Command::Eval(args) => eval::run(&args).map(done),
    }
}
