//! [`Error`]: every way the library can fail, and [`ErrorKind`], the kind a caller matches on.
//!
//! The kinds are one list for Rust and JavaScript alike: the wasm boundary (`src/web/`) throws
//! each error as a JS `Error` whose `kind` is [`ErrorKind::name`], and the page's library
//! (`www/linseg.js`, its `LinsegError`) uses the same names for the failures that happen on its
//! side of the boundary (a closed segmenter, a cancelled run, a module that trapped). The
//! TypeScript union of the names, [`ErrorKind::TYPESCRIPT`], is written from the same list.

use std::path::PathBuf;

use crate::attention::{AttentionMode, Refusal, UnknownMode};
use crate::photo::PhotoError;
use crate::preprocess::SIZES;

/// The library's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a call into the library failed. Its text is plain words for a person; its
/// [`kind`](Error::kind) is what a caller matches on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not a photo linseg reads, or the photo has more pixels than allowed.
    #[error(transparent)]
    Photo(#[from] PhotoError),
    /// RGBA pixels whose length does not fit the width and height given.
    #[error("{width}×{height} RGBA needs {} bytes, not {len}", *width as u64 * *height as u64 * 4)]
    PixelCount {
        /// The width given.
        width: u32,
        /// The height given.
        height: u32,
        /// The bytes given.
        len: usize,
    },
    /// A name that is not one of the attention modes.
    #[error(transparent)]
    UnknownMode(#[from] UnknownMode),
    /// A processing size linseg does not offer.
    #[error("{size} is not a processing size linseg offers ({})", SIZES.map(|s| s.to_string()).join(", "))]
    UnsupportedSize {
        /// The size asked for.
        size: f64,
    },
    /// The attention block would not fit the device's memory at this size.
    #[error("{mode} at {size} px {refusal}")]
    Refused {
        /// The mode asked for.
        mode: AttentionMode,
        /// The processing size asked for.
        size: u32,
        /// What would not fit, with both amounts.
        refusal: Refusal,
    },
    /// A weight file that is not one, or not this mode's network.
    #[error("the {mode} weights could not be read: {reason}")]
    Weights {
        /// The mode whose weights they were to be.
        mode: AttentionMode,
        /// What is wrong with them.
        reason: String,
    },
    /// A call that needs something done first: a mode's weights loaded, a photo prepared.
    #[error("{0}")]
    NotReady(String),
    /// The device failed while it ran (a GPU lost, or out of memory).
    #[error("the device failed: {0}")]
    Device(String),
    /// An option out of what it may be: a command-line flag, a setting.
    #[error("{0}")]
    BadOption(String),
    /// A file could not be read or written (natively).
    #[error("{}: {reason}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong, in words.
        reason: String,
    },
}

impl Error {
    /// [`Error::File`]: the file at `path`, and what went wrong with it in words.
    pub fn file(path: impl Into<PathBuf>, reason: impl ToString) -> Error {
        Error::File {
            path: path.into(),
            reason: reason.to_string(),
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Photo(PhotoError::TooLarge { .. }) => ErrorKind::TooLarge,
            Error::Photo(_) | Error::PixelCount { .. } => ErrorKind::BadImage,
            Error::UnknownMode(_) => ErrorKind::UnknownMode,
            Error::UnsupportedSize { .. } => ErrorKind::BadSize,
            Error::Refused { .. } => ErrorKind::Refused,
            Error::Weights { .. } => ErrorKind::BadWeights,
            Error::NotReady(_) => ErrorKind::NotReady,
            Error::Device(_) => ErrorKind::BackendLost,
            Error::File { .. } => ErrorKind::File,
            Error::BadOption(_) => ErrorKind::BadOption,
        }
    }
}

/// Declares [`ErrorKind`] with each kind's name, once.
macro_rules! error_kinds {
    ($($(#[doc = $doc:literal])* $kind:ident = $name:literal,)*) => {
        /// The kinds of failure, one list for the Rust library and the page's (`LinsegError.kind`
        /// in `www/linseg.js`): Rust decides the kinds of the failures that happen in Rust, the
        /// JavaScript library those that happen on its side.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorKind {
            $($(#[doc = $doc])* $kind,)*
        }

        impl ErrorKind {
            /// Every kind, in the order of the list.
            pub const ALL: &[ErrorKind] = &[$(ErrorKind::$kind,)*];

            /// The TypeScript type of the names: `type ErrorKind = "bad-image" | …;`.
            pub const TYPESCRIPT: &str = concat!(
                "/** What kind of failure a LinsegError is (src/error.rs). */\n",
                "export type ErrorKind =", $(" | \"", $name, "\"",)* ";\n"
            );

            /// The kind's name, as JavaScript sees it: `"bad-image"`.
            pub const fn name(self) -> &'static str {
                match self {
                    $(ErrorKind::$kind => $name,)*
                }
            }
        }
    };
}

error_kinds! {
    /// The bytes or pixels are not a photo linseg reads (empty, damaged, another kind of file).
    BadImage = "bad-image",
    /// The photo (or its file) is larger than allowed.
    TooLarge = "too-large",
    /// Not one of the attention modes.
    UnknownMode = "unknown-mode",
    /// Not one of the processing sizes offered.
    BadSize = "bad-size",
    /// The backend refuses the mode at this size: its attention block would not fit.
    Refused = "refused",
    /// A weight file that is not one, or not the mode's network.
    BadWeights = "bad-weights",
    /// Something must be done first (a mode's weights loaded, a photo segmented).
    NotReady = "not-ready",
    /// The GPU device failed (lost, out of memory); the page's library moves to the CPU.
    BackendLost = "backend-lost",
    /// A file could not be read or written (natively).
    File = "file",
    /// The module or a weight file could not be fetched or started (JavaScript).
    LoadFailed = "load-failed",
    /// The module trapped (a Rust panic) and was restarted (JavaScript).
    Crashed = "crashed",
    /// The run was stopped before it ended: cancelled, or replaced by a newer request
    /// (JavaScript).
    Cancelled = "cancelled",
    /// The segmenter was closed (JavaScript).
    Closed = "closed",
    /// An option the library does not take, or a value out of what it may be.
    BadOption = "bad-option",
    /// A failure of no kind above: a bug to report.
    Internal = "internal",
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::photo;

    /// Each error maps to its kind, and a photo too large is told apart from a bad one.
    #[test]
    fn errors_have_their_kinds() {
        let too_large = Error::from(PhotoError::TooLarge {
            width: 10_000,
            height: 10_000,
            max_pixels: 1,
        });
        assert_eq!(too_large.kind(), ErrorKind::TooLarge);
        assert_eq!(
            Error::from(photo::decode(b"", 100).unwrap_err()).kind(),
            ErrorKind::BadImage
        );
        let unknown: Error = "lineer".parse::<AttentionMode>().unwrap_err().into();
        assert_eq!(unknown.kind(), ErrorKind::UnknownMode);
        assert!(unknown.to_string().contains("lineer"));
        let size = Error::UnsupportedSize { size: 300.0 };
        assert_eq!(size.kind(), ErrorKind::BadSize);
        assert_eq!(
            size.to_string(),
            "300 is not a processing size linseg offers (256, 512, 1024, 2048)"
        );
        assert_eq!(Error::Device("lost".into()).kind().name(), "backend-lost");
    }

    /// The TypeScript union names every kind once, in the list's order.
    #[test]
    fn the_typescript_union_names_every_kind() {
        let names: Vec<&str> = ErrorKind::ALL.iter().map(|kind| kind.name()).collect();
        let union = ErrorKind::TYPESCRIPT
            .split_once("export type ErrorKind =")
            .unwrap()
            .1;
        let listed: Vec<&str> = union
            .trim_end_matches([';', '\n'])
            .split('|')
            .map(|name| name.trim().trim_matches('"'))
            .filter(|name| !name.is_empty())
            .collect();
        assert_eq!(listed, names);
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len());
    }
}
