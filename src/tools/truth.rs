//! Truth that does not come from the network under test: the images `linseg eval` scores
//! against and `linseg train` learns from.
//!
//! - **Composites**, exact by construction: a person cut out of a photo by its reference matte
//!   and pasted, with that alpha, on a photo without people. The composite's true mask is the
//!   pasted alpha, whatever the matte got wrong about the original photo.
//! - **Real photos** with reference mattes from Robust Video Matting, a much stronger matting
//!   network (`scripts/make-mattes.mjs`); a photo without people has the empty mask.
//!
//! The held-out composites are listed in `models/composites.json`; the training ones are drawn
//! at random each step from the training photos ([`compose`] with a random [`Placement`]).

use std::path::{Path, PathBuf};

use image::imageops::{self, FilterType};
use image::{GrayImage, Luma, RgbaImage};

use crate::error::{Error, Result};
use crate::tools::dataset::{self, DataPaths, Photo, Split};

/// What kind of truth an image has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A person pasted on a photo without people: the truth is exact.
    Composite,
    /// A real photo: the truth is a reference matte (empty where the photo has no people).
    Real,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(match self {
            Kind::Composite => "composite",
            Kind::Real => "real",
        })
    }
}

/// An image with its true mask.
pub struct Sample {
    /// A name to report it by.
    pub name: String,
    /// Composite or real.
    pub kind: Kind,
    /// The pixels, opaque.
    pub image: RgbaImage,
    /// The true alpha of persons, 0–255, the image's size.
    pub truth: GrayImage,
}

impl Sample {
    /// A composite: `person` pasted on `background` (already the canvas's size) as `placement`
    /// says, its truth the pasted alpha.
    pub fn composite(
        name: String,
        person: &Cutout,
        background: &RgbaImage,
        placement: &Placement,
    ) -> Self {
        let (image, truth) = compose(person, background, placement);
        Sample {
            name,
            kind: Kind::Composite,
            image,
            truth,
        }
    }
}

/// The photos with people among `photos`, as real samples against their mattes.
fn real_samples(photos: Vec<(Photo, GrayImage)>) -> impl Iterator<Item = Sample> {
    photos
        .into_iter()
        .filter(|(photo, _)| photo.people)
        .map(|(photo, matte)| Sample {
            name: photo.name,
            kind: Kind::Real,
            image: photo.image,
            truth: matte,
        })
}

/// A person cut out of a photo: the photo and its matte cropped to the matte's bounding box.
#[derive(Clone)]
pub struct Cutout {
    /// The photo's pixels inside the box.
    pub image: RgbaImage,
    /// The matte inside the box.
    pub matte: GrayImage,
    /// Whether the person runs off the photo's bottom edge (a portrait's torso): such a person
    /// is pasted standing on the canvas's bottom edge.
    pub cut_at_bottom: bool,
}

/// Matte values at or above this are part of the person's bounding box.
const BOX_THRESHOLD: u8 = 8;

impl Cutout {
    /// The person of `photo` as `matte` (the same size) outlines it; `None` when the matte is
    /// empty.
    pub fn new(photo: &RgbaImage, matte: &GrayImage) -> Option<Self> {
        assert_eq!(
            photo.dimensions(),
            matte.dimensions(),
            "a matte of another size"
        );
        let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
        for (x, y, a) in matte.enumerate_pixels() {
            if a[0] >= BOX_THRESHOLD {
                (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x + 1), y1.max(y + 1));
            }
        }
        if x1 == 0 {
            return None;
        }
        Some(Cutout {
            image: imageops::crop_imm(photo, x0, y0, x1 - x0, y1 - y0).to_image(),
            matte: imageops::crop_imm(matte, x0, y0, x1 - x0, y1 - y0).to_image(),
            cut_at_bottom: y1 == photo.height(),
        })
    }
}

/// Where and how large a person is pasted.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Placement {
    /// The canvas's width.
    pub width: u32,
    /// The canvas's height.
    pub height: u32,
    /// The share of the canvas's height the person's box spans.
    pub person_height: f64,
    /// Where the box sits in the room left for it across, 0 (left) to 1 (right).
    pub x: f64,
    /// Where the box sits in the room left for it down, 0 (top) to 1 (bottom); ignored for a
    /// person cut off at the bottom, who stands on the bottom edge.
    pub y: f64,
}

/// A photo scaled to cover `width × height` and centre-cropped to it.
pub fn cover(photo: &RgbaImage, width: u32, height: u32) -> RgbaImage {
    let scale = (width as f64 / photo.width() as f64).max(height as f64 / photo.height() as f64);
    let (w, h) = (
        ((photo.width() as f64 * scale).ceil() as u32).max(width),
        ((photo.height() as f64 * scale).ceil() as u32).max(height),
    );
    let scaled = imageops::resize(photo, w, h, FilterType::Triangle);
    imageops::crop_imm(&scaled, (w - width) / 2, (h - height) / 2, width, height).to_image()
}

/// Paste `person` on `background` (already the canvas's size) as `placement` says: the
/// composite `a·person + (1 − a)·background` and its true mask `a`.
pub fn compose(
    person: &Cutout,
    background: &RgbaImage,
    placement: &Placement,
) -> (RgbaImage, GrayImage) {
    let (width, height) = (placement.width, placement.height);
    assert_eq!(
        background.dimensions(),
        (width, height),
        "a background of another size"
    );
    let scale = placement.person_height * height as f64 / person.image.height() as f64;
    let pw = ((person.image.width() as f64 * scale).round() as u32).max(1);
    let ph = ((person.image.height() as f64 * scale).round() as u32).max(1);
    let image = imageops::resize(&person.image, pw, ph, FilterType::Triangle);
    let matte = imageops::resize(&person.matte, pw, ph, FilterType::Triangle);
    // The box's top-left corner; a box wider than the canvas is centred and cut on both sides.
    let left = (width as i64 - pw as i64) as f64 * placement.x.clamp(0.0, 1.0);
    let top = if person.cut_at_bottom {
        height as i64 - ph as i64
    } else {
        ((height as i64 - ph as i64) as f64 * placement.y.clamp(0.0, 1.0)).round() as i64
    };
    let left = left.round() as i64;
    let mut composite = background.clone();
    let mut truth = GrayImage::new(width, height);
    for (x, y, alpha) in matte.enumerate_pixels() {
        let (cx, cy) = (left + x as i64, top + y as i64);
        if cx < 0 || cy < 0 || cx >= width as i64 || cy >= height as i64 {
            continue;
        }
        let (cx, cy) = (cx as u32, cy as u32);
        let a = alpha[0] as f32 / 255.0;
        let fg = image.get_pixel(x, y);
        let bg = composite.get_pixel_mut(cx, cy);
        for c in 0..3 {
            bg[c] = (fg[c] as f32 * a + bg[c] as f32 * (1.0 - a)).round() as u8;
        }
        truth.put_pixel(cx, cy, Luma([alpha[0]]));
    }
    (composite, truth)
}

/// One held-out composite as `models/composites.json` lists it.
#[derive(Debug, Clone, serde::Deserialize)]
struct CompositeEntry {
    name: String,
    person: String,
    background: String,
    #[serde(flatten)]
    placement: Placement,
}

/// The held-out composites' list unless another is named: `models/composites.json`.
pub const DEFAULT_COMPOSITES: &str = "models/composites.json";

/// Where the truth is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TruthPaths {
    /// The reference mattes' folder; `None`: where `scripts/make-mattes.mjs` leaves them.
    pub mattes: Option<PathBuf>,
    /// The held-out composites' list.
    pub composites: PathBuf,
}

impl Default for TruthPaths {
    fn default() -> Self {
        TruthPaths {
            mattes: None,
            composites: DEFAULT_COMPOSITES.into(),
        }
    }
}

impl TruthPaths {
    /// The mattes' folder: the one named, else where `scripts/make-mattes.mjs` leaves them.
    pub fn mattes(&self) -> PathBuf {
        self.mattes
            .clone()
            .unwrap_or_else(|| dataset::cache_folder().join("mattes"))
    }
}

/// The file of a photo's matte: its stem with `.png`.
fn matte_path(folder: &Path, photo: &str) -> PathBuf {
    let stem = Path::new(photo)
        .file_stem()
        .map_or(photo.into(), |s| s.to_string_lossy());
    folder.join(format!("{stem}.png"))
}

/// A photo's true mask: its reference matte where it has people, else empty. A matte missing,
/// or not of the photo's size, is an [`Error::File`].
pub fn truth_of(photo: &Photo, mattes: &Path) -> Result<GrayImage> {
    let (width, height) = photo.image.dimensions();
    if !photo.people {
        return Ok(GrayImage::new(width, height));
    }
    let path = matte_path(mattes, &photo.name);
    let matte = image::open(&path)
        .map_err(|err| Error::file(&path, format!("{err} (run scripts/make-mattes.mjs)")))?
        .to_luma8();
    if matte.dimensions() != (width, height) {
        let (matte_w, matte_h) = matte.dimensions();
        return Err(Error::file(
            &path,
            format!("{matte_w}×{matte_h}, but the photo is {width}×{height}"),
        ));
    }
    Ok(matte)
}

/// The photos of one split, each with its true mask.
pub fn photos_with_truth(
    data: &DataPaths,
    truth: &TruthPaths,
    split: Split,
) -> Result<Vec<(Photo, GrayImage)>> {
    let mattes = truth.mattes();
    dataset::load(&data.manifest, &data.photos(), split)?
        .into_iter()
        .map(|photo| truth_of(&photo, &mattes).map(|mask| (photo, mask)))
        .collect()
}

/// The held-out composites listed in `path` (`models/composites.json`).
fn composite_entries(path: &Path) -> Result<Vec<CompositeEntry>> {
    let text = std::fs::read_to_string(path).map_err(|err| Error::file(path, err))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|err| Error::file(path, err))?;
    serde_json::from_value(json["heldout"].clone()).map_err(|err| Error::file(path, err))
}

/// The held-out samples: the composites of `models/composites.json`, then the held-out real
/// photos with people. (The held-out photos without people are the composites' backgrounds.)
/// A composite that will not do is an [`Error::File`] that names its file or its photo.
pub fn heldout(data: &DataPaths, truth: &TruthPaths) -> Result<Vec<Sample>> {
    let photos = photos_with_truth(data, truth, Split::Heldout)?;
    let find = |name: &str| {
        photos
            .iter()
            .find(|(photo, _)| photo.name == name)
            .ok_or_else(|| {
                let list = data.manifest.display();
                Error::file(name, format!("not a held-out photo of {list}"))
            })
    };
    let mut samples = Vec::new();
    for entry in composite_entries(&truth.composites)? {
        let (person, matte) = find(&entry.person)?;
        let (background, _) = find(&entry.background)?;
        if background.people {
            return Err(Error::file(&entry.background, "the background has people"));
        }
        let cutout = Cutout::new(&person.image, matte)
            .ok_or_else(|| Error::file(&entry.person, "its matte is empty"))?;
        let canvas = cover(
            &background.image,
            entry.placement.width,
            entry.placement.height,
        );
        samples.push(Sample::composite(
            entry.name,
            &cutout,
            &canvas,
            &entry.placement,
        ));
    }
    samples.extend(real_samples(photos));
    Ok(samples)
}

/// Where the validation composites put their person, one placement per composite in turn: the
/// spread of sizes (512–2048 px on the longer side), shapes and places the held-out composites have
/// (`models/composites.json`), so that settings chosen on them are chosen for that spread.
const VALIDATION_PLACEMENTS: [Placement; 6] = [
    Placement {
        width: 512,
        height: 384,
        person_height: 0.8,
        x: 0.75,
        y: 0.8,
    },
    Placement {
        width: 768,
        height: 1024,
        person_height: 0.7,
        x: 0.4,
        y: 1.0,
    },
    Placement {
        width: 1536,
        height: 1152,
        person_height: 0.6,
        x: 0.15,
        y: 0.7,
    },
    Placement {
        width: 2048,
        height: 1536,
        person_height: 0.9,
        x: 0.25,
        y: 0.8,
    },
    Placement {
        width: 384,
        height: 512,
        person_height: 0.55,
        x: 0.35,
        y: 0.75,
    },
    Placement {
        width: 1024,
        height: 768,
        person_height: 0.7,
        x: 0.85,
        y: 0.7,
    },
];

/// The validation samples: each validation person pasted on each validation photo without
/// people, each composite at the next of `VALIDATION_PLACEMENTS`, then the validation photos
/// with people. For choosing training settings; never trained on.
pub fn validation(data: &DataPaths, truth: &TruthPaths) -> Result<Vec<Sample>> {
    let photos = photos_with_truth(data, truth, Split::Validation)?;
    let mut placements = VALIDATION_PLACEMENTS.iter().cycle();
    let mut samples = Vec::new();
    for (person, matte) in photos.iter().filter(|(photo, _)| photo.people) {
        let Some(cutout) = Cutout::new(&person.image, matte) else {
            continue;
        };
        for (background, _) in photos.iter().filter(|(photo, _)| !photo.people) {
            let placement = placements.next().expect("a cycle never ends");
            let canvas = cover(&background.image, placement.width, placement.height);
            let name = format!("{} on {}", person.name, background.name);
            samples.push(Sample::composite(name, &cutout, &canvas, placement));
        }
    }
    samples.extend(real_samples(photos));
    Ok(samples)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    /// A red disc on a blue square, with a soft matte of the disc.
    fn person() -> (RgbaImage, GrayImage) {
        let matte = GrayImage::from_fn(40, 60, |x, y| {
            let d = ((x as f64 - 20.0).powi(2) + (y as f64 - 30.0).powi(2)).sqrt();
            Luma([((12.0 - d).clamp(0.0, 1.0) * 255.0) as u8])
        });
        let photo = RgbaImage::from_fn(40, 60, |x, y| {
            if matte.get_pixel(x, y)[0] > 0 {
                Rgba([255, 0, 0, 255])
            } else {
                Rgba([0, 0, 255, 255])
            }
        });
        (photo, matte)
    }

    #[test]
    fn a_cutout_is_the_matte_s_bounding_box() {
        let (photo, matte) = person();
        let cutout = Cutout::new(&photo, &matte).unwrap();
        assert_eq!(cutout.image.dimensions(), cutout.matte.dimensions());
        assert!(cutout.image.width() <= 25 && cutout.image.width() >= 22);
        assert!(!cutout.cut_at_bottom);
        assert!(Cutout::new(&photo, &GrayImage::new(40, 60)).is_none());
    }

    /// The truth is the pasted alpha: where it is 1 the composite is the person's colour, where
    /// it is 0 the background's, and its area is the matte's scaled area.
    #[test]
    fn the_truth_is_the_pasted_alpha() {
        let (photo, matte) = person();
        let cutout = Cutout::new(&photo, &matte).unwrap();
        let background = RgbaImage::from_pixel(200, 100, Rgba([0, 255, 0, 255]));
        let placement = Placement {
            width: 200,
            height: 100,
            person_height: 0.5,
            x: 0.5,
            y: 0.5,
        };
        let (composite, truth) = compose(&cutout, &background, &placement);
        let mut inside = 0;
        for (x, y, a) in truth.enumerate_pixels() {
            let p = composite.get_pixel(x, y);
            match a[0] {
                255 => {
                    inside += 1;
                    assert_eq!(p.0, [255, 0, 0, 255]);
                }
                0 => assert_eq!(p.0, [0, 255, 0, 255]),
                _ => {}
            }
        }
        // A disc of radius 12 in a 24-high box scaled to 50: radius about 25.
        let expected = std::f64::consts::PI * 24.0 * 24.0;
        assert!(
            (inside as f64 - expected).abs() < 0.15 * expected,
            "{inside}"
        );
    }

    /// The same inputs give the same bytes: the data set regenerates exactly.
    #[test]
    fn composing_is_deterministic() {
        let (photo, matte) = person();
        let cutout = Cutout::new(&photo, &matte).unwrap();
        let background = cover(
            &RgbaImage::from_fn(30, 20, |x, y| Rgba([x as u8 * 8, y as u8 * 12, 7, 255])),
            160,
            120,
        );
        let placement = Placement {
            width: 160,
            height: 120,
            person_height: 0.9,
            x: 0.1,
            y: 1.0,
        };
        let a = compose(&cutout, &background, &placement);
        let b = compose(&cutout, &background, &placement);
        assert_eq!(a.0, b.0);
        assert_eq!(a.1, b.1);
    }

    /// A person running off the photo's bottom stands on the canvas's bottom edge.
    #[test]
    fn a_portrait_stands_on_the_bottom_edge() {
        let (photo, _) = person();
        let matte = GrayImage::from_fn(40, 60, |x, y| {
            Luma([if x > 10 && y > 30 { 255 } else { 0 }])
        });
        let cutout = Cutout::new(&photo, &matte).unwrap();
        assert!(cutout.cut_at_bottom);
        let background = RgbaImage::from_pixel(100, 100, Rgba([0, 0, 0, 255]));
        let placement = Placement {
            width: 100,
            height: 100,
            person_height: 0.3,
            x: 0.0,
            y: 0.0,
        };
        let (_, truth) = compose(&cutout, &background, &placement);
        assert_eq!(truth.get_pixel(5, 99)[0], 255);
        assert_eq!(truth.get_pixel(5, 60)[0], 0);
    }

    /// Settings chosen on the validation composites are chosen for the held-out ones' spread:
    /// portrait and landscape, the smallest and the largest canvas, the person small and large.
    #[test]
    fn the_validation_placements_span_the_held_out_ones() {
        let heldout = composite_entries(Path::new(DEFAULT_COMPOSITES)).unwrap();
        let spread = |placements: &[Placement]| {
            let longer = |p: &Placement| p.width.max(p.height);
            (
                placements.iter().map(longer).min().unwrap(),
                placements.iter().map(longer).max().unwrap(),
                placements.iter().any(|p| p.height > p.width),
                placements.iter().any(|p| p.width > p.height),
                placements
                    .iter()
                    .map(|p| p.person_height)
                    .fold(f64::INFINITY, f64::min),
                placements
                    .iter()
                    .map(|p| p.person_height)
                    .fold(0.0, f64::max),
            )
        };
        let held: Vec<Placement> = heldout.iter().map(|entry| entry.placement).collect();
        let (held_min, held_max, held_portrait, held_landscape, held_small, held_large) =
            spread(&held);
        let (min, max, portrait, landscape, small, large) = spread(&VALIDATION_PLACEMENTS);
        assert_eq!((min, max), (held_min, held_max), "the canvas sizes");
        assert_eq!((portrait, landscape), (held_portrait, held_landscape));
        // Within 0.05 of the held-out extremes (and a rounding error).
        let near = |a: f64, b: f64| (a - b).abs() <= 0.05 + 1e-9;
        assert!(
            near(small, held_small),
            "smallest person {small} against {held_small}"
        );
        assert!(
            near(large, held_large),
            "largest person {large} against {held_large}"
        );
    }
}
