//! The built-in task: the UCI 8x8 optical digits (1,797 samples) compiled into smartcore,
//! so tests and first runs need no files at all.

use super::error::TrainError;
use super::raw::RawImages;

/// Side of the digit images.
pub const DIGITS_SIDE: usize = 8;
/// Pixel values are ink counts 0..=16.
pub const DIGITS_MAX: u8 = 16;

/// Loads the digits as bytes (counts 0..=16, so the fingerprint covers the exact data).
pub fn load_digits(classes: usize) -> Result<RawImages, TrainError> {
    let ds = smartcore::dataset::digits::load_dataset();
    let side2 = DIGITS_SIDE * DIGITS_SIDE;
    if ds.num_features != side2 || ds.data.len() != ds.num_samples * side2 {
        // Guards against a smartcore upgrade changing the embedded data layout.
        return Err(TrainError::BuiltIn {
            task: "digits".to_string(),
            reason: format!(
                "smartcore digits have {} features x {} samples, expected 64 features",
                ds.num_features, ds.num_samples
            ),
        });
    }
    let pixels = ds
        .data
        .iter()
        .map(|&v| v.round().clamp(0.0, f32::from(DIGITS_MAX)) as u8)
        .collect();
    let labels: Vec<u8> = ds
        .target
        .iter()
        .map(|&v| v.round().clamp(0.0, 255.0) as u8)
        .collect();
    RawImages::check_labels(&labels, classes, std::path::Path::new("<built-in digits>"))?;
    Ok(RawImages {
        channels: 1,
        height: DIGITS_SIDE,
        width: DIGITS_SIDE,
        pixels,
        labels,
        pixel_max: f32::from(DIGITS_MAX),
    })
}
