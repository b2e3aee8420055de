//! The registration of the attention modes: [`attention_modes!`] turns one line per mode into
//! [`AttentionMode`] (names, the list in order, parsing), the [`ContextBlock`](super::ContextBlock)
//! enum that holds any mode's block, and the dispatch of the cost model. Nothing else lists the
//! modes: the CLI's help, the page's selects and the tests that walk every mode follow from it.

use core::fmt;
use core::str::FromStr;

use super::AttentionMode;

/// Declares the attention modes, one line each: its variant, its name (the CLI, the page and the
/// weight files use it), its block type (which implements
/// [`AttentionBlock`](super::block::AttentionBlock)) and a few words for the page. `none`, no
/// block, comes first by itself.
macro_rules! attention_modes {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $block:ty, $words:literal; )+) => {
        /// Which context-attention block sits in the network.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum AttentionMode {
            /// No block: the feature map passes through untouched.
            #[serde(rename = "none")]
            None,
            $( $(#[$doc])* #[serde(rename = $name)] $variant, )+
        }

        impl AttentionMode {
            /// Every mode, in the order the page and the benchmark show them.
            pub const ALL: [AttentionMode; 1 $(+ { let _ = $name; 1 })+] =
                [AttentionMode::None, $(AttentionMode::$variant),+];

            /// The mode's name, as the CLI, the page and the weight files spell it.
            pub fn name(self) -> &'static str {
                match self {
                    AttentionMode::None => "none",
                    $( AttentionMode::$variant => $name, )+
                }
            }

            /// A few words on what the mode is, for the page's mode list.
            pub fn words(self) -> &'static str {
                match self {
                    AttentionMode::None => "no attention block",
                    $( AttentionMode::$variant => $words, )+
                }
            }

            /// The cost of the mode's block on one map of `shape` (nothing for `none`).
            pub fn cost(self, shape: $crate::attention::block::CostShape) -> $crate::attention::block::Cost {
                match self {
                    AttentionMode::None => Default::default(),
                    $( AttentionMode::$variant => <$block>::cost(shape), )+
                }
            }
        }

        /// One context-attention block, whichever its mode.
        // The variants differ in size by a few hundred bytes of parameter handles, and a network
        // holds one block: boxing them would add an indirection and save nothing.
        #[allow(clippy::large_enum_variant)]
        #[derive(burn::module::Module, Debug)]
        pub enum ContextBlock {
            /// No attention: the input passes through.
            None(burn::nn::Identity),
            $( $(#[$doc])* $variant($block), )+
        }

        impl ContextBlock {
            /// A new block of `mode` (γ = 0, the identity) on `channels` channels with
            /// `key_channels` query and key channels.
            fn new(mode: AttentionMode, channels: usize, key_channels: usize, device: &burn::tensor::Device) -> Self {
                use $crate::attention::block::AttentionBlock;
                match mode {
                    AttentionMode::None => ContextBlock::None(burn::nn::Identity::new()),
                    $( AttentionMode::$variant => ContextBlock::$variant(<$block>::new(channels, key_channels, device)), )+
                }
            }

            /// The block's mode.
            pub fn mode(&self) -> AttentionMode {
                match self {
                    ContextBlock::None(_) => AttentionMode::None,
                    $( ContextBlock::$variant(_) => AttentionMode::$variant, )+
                }
            }

            /// The block as its trait; `None` for mode `none`.
            pub fn block(&self) -> Option<&dyn $crate::attention::block::AttentionBlock> {
                match self {
                    ContextBlock::None(_) => None,
                    $( ContextBlock::$variant(block) => Some(block), )+
                }
            }

            /// The block as its trait, to change it; `None` for mode `none`.
            pub fn block_mut(&mut self) -> Option<&mut dyn $crate::attention::block::AttentionBlock> {
                match self {
                    ContextBlock::None(_) => None,
                    $( ContextBlock::$variant(block) => Some(block), )+
                }
            }
        }
    };
}
pub(crate) use attention_modes;

impl fmt::Display for AttentionMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error for a name that is not one of the modes.
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
