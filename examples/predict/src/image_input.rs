//! From the bytes a client sent to the model's input: decode (PNG or JPEG only), flatten transparency onto
//! white paper, convert to gray, resize to the model's size, and turn ink into 1.0 and paper into 0.0, as
//! `model/make_cnn.py` prepared the training images.

use std::io::Cursor;

use image::imageops::FilterType;
use image::{ImageFormat, ImageReader, Limits};

use crate::model::{Pixels, INPUT_SIZE};

/// The decoder's bounds, against images that are small on the wire and huge in memory.
#[derive(Debug, Clone, Copy)]
pub struct ImageLimits {
    /// Most pixels (width × height) an image may have.
    pub max_pixels: u64,
    /// Longest side, in pixels: resizing a 16,000,000 × 1 image would take gigabytes where its pixel count
    /// does not.
    pub max_side: u32,
    /// Most bytes the decoder may allocate.
    pub max_alloc: u64,
}

impl Default for ImageLimits {
    /// 16 megapixels, 8,192 pixels a side, 256 MiB.
    fn default() -> Self {
        ImageLimits {
            max_pixels: 16_000_000,
            max_side: 8192,
            max_alloc: 256 * 1024 * 1024,
        }
    }
}

/// Why an image could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageError {
    /// Not a PNG or JPEG, or a broken one.
    NotAnImage(String),
    /// Over [`ImageLimits`].
    TooLarge(String),
}

/// The model's input for the image in `bytes`.
///
/// # Errors
/// [`ImageError::NotAnImage`] when `bytes` is not a PNG or JPEG that decodes; [`ImageError::TooLarge`] past
/// `limits`.
pub fn preprocess(bytes: &[u8], limits: ImageLimits) -> Result<Pixels, ImageError> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| ImageError::NotAnImage("the data could not be read".into()))?;
    match reader.format() {
        Some(ImageFormat::Png | ImageFormat::Jpeg) => {}
        _ => return Err(ImageError::NotAnImage("the data is neither PNG nor JPEG".into())),
    }
    let (width, height) = reader.into_dimensions().map_err(read_error)?;
    if u64::from(width) * u64::from(height) > limits.max_pixels || width.max(height) > limits.max_side {
        return Err(ImageError::TooLarge(format!(
            "{width}×{height} pixels; at most {} pixels and {} a side are decoded",
            limits.max_pixels, limits.max_side
        )));
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| ImageError::NotAnImage("the data could not be read".into()))?;
    let mut decoder_limits = Limits::default();
    decoder_limits.max_alloc = Some(limits.max_alloc);
    reader.limits(decoder_limits);
    let image = reader.decode().map_err(read_error)?;
    // Transparent pixels are paper: composite onto white before taking the gray level.
    let gray_alpha = image.to_luma_alpha8();
    let mut gray = image::GrayImage::new(gray_alpha.width(), gray_alpha.height());
    for (out, px) in gray.pixels_mut().zip(gray_alpha.pixels()) {
        let [g, a] = px.0;
        out.0[0] = ((u16::from(g) * u16::from(a) + 255 * (255 - u16::from(a)) + 127) / 255) as u8;
    }
    let size = INPUT_SIZE as u32;
    if gray.dimensions() != (size, size) {
        gray = if gray.width() >= size && gray.height() >= size {
            // PERF: area averaging in integers, memory of the output's size; a filtered resize of a large
            // image first builds a full-width float copy.
            image::imageops::thumbnail(&gray, size, size)
        } else {
            image::imageops::resize(&gray, size, size, FilterType::Triangle)
        };
    }
    Ok(gray.pixels().map(|p| 1.0 - f32::from(p.0[0]) / 255.0).collect())
}

/// A short reason for the client; the decoder's own message names its internals.
fn read_error(e: image::ImageError) -> ImageError {
    match e {
        image::ImageError::Limits(_) => {
            ImageError::TooLarge("the image needs more memory to decode than allowed".into())
        }
        _ => ImageError::NotAnImage("the PNG or JPEG is corrupt or truncated".into()),
    }
}
