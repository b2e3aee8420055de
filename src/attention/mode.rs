//! The names of the five attention modes linseg compares.

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Serialize};

/// Which context-attention block sits in the network.
///
/// Parsed from and printed as `none`, `dot`, `linear`, `efficient`, `criss-cross`: the names the
/// CLI, the page and the weight files use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AttentionMode {
    /// No block: the feature map passes through untouched.
    None,
    /// Softmax dot-product (non-local) attention over all `N = H·W` positions: `O(N²)`.
    Dot,
    /// The Linear Attention Mechanism of Li et al. (2020): `O(N)`.
    Linear,
    /// Efficient attention of Shen et al. (2021): `O(N)`.
    Efficient,
    /// Criss-cross attention of Huang et al. (CCNet), applied twice: `O(N·(H + W))`.
    CrissCross,
}

impl AttentionMode {
    /// Every mode, in the order the page and the benchmark show them.
    pub const ALL: [AttentionMode; 5] = [
        AttentionMode::None,
        AttentionMode::Dot,
        AttentionMode::Linear,
        AttentionMode::Efficient,
        AttentionMode::CrissCross,
    ];

    /// The mode's name: `none`, `dot`, `linear`, `efficient` or `criss-cross`.
    pub fn name(self) -> &'static str {
        match self {
            AttentionMode::None => "none",
            AttentionMode::Dot => "dot",
            AttentionMode::Linear => "linear",
            AttentionMode::Efficient => "efficient",
            AttentionMode::CrissCross => "criss-cross",
        }
    }
}

impl fmt::Display for AttentionMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error for a name that is not one of the five modes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownMode(pub String);

impl fmt::Display for UnknownMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = AttentionMode::ALL.iter().map(|m| m.name()).collect();
        write!(
            f,
            "unknown attention mode '{}' (expected one of: {})",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownMode {}

impl FromStr for AttentionMode {
    type Err = UnknownMode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AttentionMode::ALL
            .into_iter()
            .find(|mode| mode.name() == s)
            .ok_or_else(|| UnknownMode(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for mode in AttentionMode::ALL {
            assert_eq!(mode.to_string().parse::<AttentionMode>(), Ok(mode));
        }
        assert_eq!("criss-cross".parse(), Ok(AttentionMode::CrissCross));
    }

    #[test]
    fn unknown_names_say_what_is_expected() {
        let err = "crisscross".parse::<AttentionMode>().unwrap_err();
        assert!(err.to_string().contains("criss-cross"), "{err}");
    }
}
