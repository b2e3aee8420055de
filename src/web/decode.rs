//! Photos the page hands over as file bytes: decoded here, or named for the browser's own
//! decoder, with the same words for a photo too large either way.

use serde::Serialize;
use tsify::Tsify;
use wasm_bindgen::prelude::*;

use super::to_js;
use crate::photo;

/// A decoded photo.
#[derive(Serialize, Tsify)]
#[tsify(missing_as_null)]
pub struct Decoded {
    /// In pixels.
    width: u32,
    /// In pixels.
    height: u32,
    /// `width × height` RGBA pixels, upright.
    #[serde(with = "serde_bytes")]
    #[tsify(type = "Uint8Array")]
    rgba: Vec<u8>,
}

/// Decode a JPEG, PNG, GIF (first frame), WebP or BMP: `{ width, height, rgba }`, upright, alpha
/// kept. Throws a message a person can act on for an empty, non-image, corrupt or too large
/// file (for one [`browser_format`] names, the worker tries the browser's decoder first).
#[wasm_bindgen(js_name = decodeImage, unchecked_return_type = "Decoded")]
pub fn decode_image(bytes: &[u8], max_pixels: f64) -> Result<JsValue, JsValue> {
    let image = photo::decode(bytes, max_pixels as u64).map_err(crate::Error::from)?;
    to_js(&Decoded {
        width: image.width(),
        height: image.height(),
        rgba: image.into_raw(),
    })
}

/// The name of the image format of `bytes` ("AVIF", "HEIC", "TIFF", …) when it is one that
/// [`decode_image`] does not read but a browser may; `undefined` for anything else.
#[wasm_bindgen(js_name = browserFormat)]
pub fn browser_format(bytes: &[u8]) -> Option<String> {
    photo::FileKind::sniff(bytes)
        .browser_may_decode()
        .map(str::to_string)
}

/// Throws `too-large`, in the words [`decode_image`] uses, when a `width × height` photo (decoded
/// by the browser) has more than `max_pixels` pixels.
#[wasm_bindgen(js_name = checkPixels)]
pub fn check_pixels(width: u32, height: u32, max_pixels: f64) -> Result<(), JsValue> {
    let max_pixels = max_pixels as u64;
    if width as u64 * height as u64 > max_pixels {
        return Err(crate::Error::from(photo::PhotoError::TooLarge {
            width,
            height,
            max_pixels,
        })
        .into());
    }
    Ok(())
}
