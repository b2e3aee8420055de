//! Which native backend runs the model: Burn's CPU backend (Flex) or wgpu (Vulkan, Metal, DX12).

use core::fmt;
use core::str::FromStr;

use burn::tensor::Device;

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

    /// Start the backend's device; wgpu fails when no adapter is found.
    pub fn device(self) -> Result<Device, String> {
        match self {
            Backend::Cpu => Ok(Device::flex()),
            Backend::Wgpu => Device::wgpu_options()
                .init()
                .map_err(|err| format!("no wgpu adapter: {err}")),
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Backend {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "cpu" => Ok(Backend::Cpu),
            "wgpu" => Ok(Backend::Wgpu),
            other => Err(format!("unknown backend '{other}' (expected cpu or wgpu)")),
        }
    }
}
