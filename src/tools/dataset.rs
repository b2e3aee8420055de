//! The photos for training and evaluation: `models/photos.json` names each one, where it comes
//! from and whether it is for training or held out; `scripts/fetch-photos.sh` puts the files in a
//! folder.

use std::path::{Path, PathBuf};

use image::RgbaImage;

use crate::error::{Error, Result};
use crate::native::weight_files;
use crate::photo;

/// Which side of the fixed split a photo is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// Seen by `linseg train`.
    Train,
    /// Set apart from the training photos to choose training settings by.
    Validation,
    /// Seen only by `linseg eval`.
    Heldout,
}

/// One photo of the list, decoded.
pub struct Photo {
    /// Its file name.
    pub name: String,
    /// Whether people are in it.
    pub people: bool,
    /// The pixels, upright.
    pub image: RgbaImage,
}

/// The photos of one split, decoded. A list, photo or split that will not do is an
/// [`Error::File`] that names its file.
pub fn load(manifest: &Path, folder: &Path, split: Split) -> Result<Vec<Photo>> {
    let text = std::fs::read_to_string(manifest).map_err(|err| Error::file(manifest, err))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|err| Error::file(manifest, err))?;
    let wanted = match split {
        Split::Train => "train",
        Split::Validation => "validation",
        Split::Heldout => "heldout",
    };
    let entries = json["photos"]
        .as_array()
        .ok_or_else(|| Error::file(manifest, "no \"photos\" list"))?;
    let mut photos = Vec::new();
    for entry in entries.iter().filter(|entry| entry["split"] == wanted) {
        let name = entry["name"]
            .as_str()
            .ok_or_else(|| Error::file(manifest, "a photo without a name"))?;
        let path = folder.join(name);
        let bytes = std::fs::read(&path).map_err(|err| {
            let reason = crate::native::files::plain_words(&err);
            Error::file(&path, format!("{reason} (run scripts/fetch-photos.sh)"))
        })?;
        let image = photo::decode(&bytes, photo::DEFAULT_MAX_PIXELS)
            .map_err(|err| Error::file(&path, err))?;
        photos.push(Photo {
            name: name.to_string(),
            people: entry["people"] == true,
            image,
        });
    }
    if photos.is_empty() {
        return Err(Error::file(manifest, format!("no {wanted} photos")));
    }
    Ok(photos)
}

/// The photo list unless another is named: `models/photos.json`.
pub const DEFAULT_MANIFEST: &str = "models/photos.json";

/// Where training and evaluation find photos and weights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataPaths {
    /// The photos' folder; `None`: where `scripts/fetch-photos.sh` leaves them.
    pub photos: Option<PathBuf>,
    /// The photo list with the fixed train / held-out split.
    pub manifest: PathBuf,
    /// The folder of the weight records (read, and for training written).
    pub models: PathBuf,
}

impl Default for DataPaths {
    fn default() -> Self {
        DataPaths {
            photos: None,
            manifest: DEFAULT_MANIFEST.into(),
            models: weight_files::DEFAULT_FOLDER.into(),
        }
    }
}

impl DataPaths {
    /// The photos' folder: the one named, else where `scripts/fetch-photos.sh` leaves them.
    pub fn photos(&self) -> PathBuf {
        self.photos.clone().unwrap_or_else(default_photos)
    }
}

/// The photos' folder, as `scripts/fetch-photos.sh` leaves it.
fn default_photos() -> PathBuf {
    cache_folder().join("photos")
}

/// Where the scripts keep what they fetch and make: `$LINSEG_CACHE`, else `~/.cache/linseg`.
pub fn cache_folder() -> PathBuf {
    std::env::var_os("LINSEG_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/linseg")
        })
}
