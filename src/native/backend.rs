//! Which native backend runs the model: Burn's CPU backend (Flex) or wgpu (Vulkan, Metal, DX12).

use core::fmt;
use core::str::FromStr;
use std::sync::OnceLock;

use burn::tensor::Device;

use crate::error::{Error, Result};

/// A native compute backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Burn's pure-Rust CPU backend, threaded and SIMD.
    Cpu,
    /// wgpu's default adapter, running the same WGSL kernels as the browser.
    Wgpu,
}

impl Backend {
    /// The backend's name: `cpu` or `wgpu`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Cpu => "cpu",
            Backend::Wgpu => "wgpu",
        }
    }

    /// Start the backend's device; wgpu fails when no adapter is found ([`Error::Device`]).
    pub fn device(self) -> Result<Device> {
        self.start().map(|started| started.device)
    }

    /// Start the backend's device and read its limits; wgpu fails when no adapter is found
    /// ([`Error::Device`]). wgpu starts once per process (its runtime can be registered only
    /// once): every later call shares that device, or that failure.
    pub fn start(self) -> Result<StartedBackend> {
        static WGPU: OnceLock<Result<StartedBackend>> = OnceLock::new();
        match self {
            Backend::Cpu => Ok(StartedBackend {
                device: Device::flex(),
                max_buffer_bytes: None,
            }),
            Backend::Wgpu => WGPU.get_or_init(start_wgpu).clone(),
        }
    }
}

/// wgpu's default adapter as a device, with its per-buffer limit.
fn start_wgpu() -> Result<StartedBackend> {
    let (device, setup) = Device::wgpu_options()
        .init_with_setup()
        .map_err(|err| Error::Device(format!("no wgpu adapter: {err}")))?;
    let limits = setup.device.limits();
    let max_buffer = limits
        .max_buffer_size
        .min(limits.max_storage_buffer_binding_size);
    Ok(StartedBackend {
        device,
        max_buffer_bytes: Some(max_buffer),
    })
}

/// A started backend.
#[derive(Clone)]
pub struct StartedBackend {
    /// Its device.
    pub device: Device,
    /// The most one GPU buffer may hold (`None` on the CPU): a tensor larger than this fails.
    pub max_buffer_bytes: Option<u64>,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Backend {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "cpu" => Ok(Backend::Cpu),
            "wgpu" => Ok(Backend::Wgpu),
            other => Err(Error::BadOption(format!(
                "unknown backend '{other}' (expected cpu or wgpu)"
            ))),
        }
    }
}
