//! One photo's mask, as `linseg segment` writes it, through the library's public API:
//!
//! ```text
//! cargo run --release --example segment -- PHOTO --mode MODE --size SIZE --out MASK.png
//! ```

use std::process::ExitCode;

use linseg::Segmenter;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: segment PHOTO --mode MODE --size SIZE --out MASK.png";
    let option = |name: &str| {
        let at = args.iter().position(|arg| arg == name).ok_or(usage)?;
        args.get(at + 1).ok_or(usage)
    };
    let run = || -> Result<(), Box<dyn std::error::Error>> {
        let photo = std::fs::read(args.first().ok_or(usage)?)?;
        let segmenter = Segmenter::new(option("--mode")?.parse()?, option("--size")?.parse()?)?;
        Ok(segmenter.segment_bytes(&photo)?.save(option("--out")?)?)
    };
    if let Err(err) = run() {
        eprintln!("segment: {err}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
