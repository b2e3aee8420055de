//! `linseg bench network`: the whole network's inference on the CPU kernels, timed per kind of
//! layer, and the same weights and input through Burn's generic path.

use std::time::{Duration, Instant};

use burn::tensor::Device;

use crate::cpu::{CpuNet, FeatureMap, Profile};
use crate::error::{Error, Result};
use crate::model::SelfieNet;
use crate::{preprocess, stats};

/// What one run of the benchmark measured.
#[derive(Debug, Clone)]
pub struct NetworkMeasurement {
    /// Each timed run of the CPU kernels.
    pub kernel_times: Vec<Duration>,
    /// Each timed run of Burn's generic path.
    pub burn_times: Vec<Duration>,
    /// The CPU kernels' time per kind of layer, summed over the timed runs.
    pub profile: Profile,
    /// The largest difference between the two paths' probabilities.
    pub max_abs_difference: f32,
}

impl NetworkMeasurement {
    /// The CPU kernels' median and 90th percentile, in milliseconds.
    pub fn kernel_ms(&self) -> (f64, f64) {
        median_and_p90_ms(&self.kernel_times)
    }

    /// Burn's generic path's median and 90th percentile, in milliseconds.
    pub fn burn_ms(&self) -> (f64, f64) {
        median_and_p90_ms(&self.burn_times)
    }
}

/// Time `net` on `pixels` (`[H, W, 3]`, RGB in `[0, 1]`): `warmup` untimed then `runs` timed
/// passes on the CPU kernels, then as many through Burn's generic path on `device`.
pub fn measure(
    net: &SelfieNet,
    pixels: &FeatureMap,
    runs: u32,
    warmup: u32,
    device: &Device,
) -> Result<NetworkMeasurement> {
    let kernels = CpuNet::new(net, device);
    let mut profile = Profile::default();
    let mut kernel_times = Vec::with_capacity(runs as usize);
    let mut reference = Vec::new();
    for run in 0..warmup + runs {
        let start = Instant::now();
        let (probabilities, run_profile) = kernels.forward(pixels);
        let elapsed = start.elapsed();
        if run >= warmup {
            kernel_times.push(elapsed);
            profile.add(&run_profile);
        }
        reference = probabilities;
    }

    let mut burn_times = Vec::with_capacity(runs as usize);
    let mut generic = Vec::new();
    for run in 0..warmup + runs {
        let input = preprocess::to_input(pixels.clone(), device);
        let start = Instant::now();
        generic = net
            .forward(input)
            .into_data()
            .try_into_vec::<f32>()
            .map_err(|err| Error::Device(format!("{err:?}")))?;
        if run >= warmup {
            burn_times.push(start.elapsed());
        }
    }
    let max_abs_difference = reference
        .iter()
        .zip(&generic)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    Ok(NetworkMeasurement {
        kernel_times,
        burn_times,
        profile,
        max_abs_difference,
    })
}

/// The median and 90th percentile of some durations, in milliseconds.
fn median_and_p90_ms(times: &[Duration]) -> (f64, f64) {
    let mut ms: Vec<f64> = times.iter().map(|t| t.as_secs_f64() * 1e3).collect();
    let p90 = stats::percentile(&mut ms, 0.9).unwrap_or(f64::NAN);
    (stats::median(&mut ms).unwrap_or(f64::NAN), p90)
}
