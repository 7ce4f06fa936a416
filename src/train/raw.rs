//! Images as they come off disk (u8 pixels, u8 labels), before splitting and
//! normalisation. Every source (built-in digits, IDX, CIFAR) produces this one shape, so
//! splitting, fingerprinting and normalising are written once.

use std::path::Path;

use super::error::TrainError;

/// A pool of images in NCHW byte order with one label each.
#[derive(Clone, Debug, PartialEq)]
pub struct RawImages {
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    /// `len() * channels * height * width` bytes, image after image, planes row-major.
    pub pixels: Vec<u8>,
    pub labels: Vec<u8>,
    /// The value of a full-intensity pixel (255 for IDX/CIFAR, 16 for the UCI counts);
    /// pixels are divided by it before standardisation.
    pub pixel_max: f32,
}

impl RawImages {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Bytes per image.
    pub fn image_size(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// "CxHxW", for messages.
    pub fn shape_text(&self) -> String {
        format!("{}x{}x{}", self.channels, self.height, self.width)
    }

    /// Adds `part` (read from `path`) to an optional pool, starting it if empty.
    pub fn pool_into(
        pool: &mut Option<RawImages>,
        part: RawImages,
        path: &Path,
    ) -> Result<(), TrainError> {
        match pool {
            None => {
                *pool = Some(part);
                Ok(())
            }
            Some(p) => p.append(part, path),
        }
    }

    /// Appends `other` (read from `path`) to this pool. Pooling files of different image
    /// shapes would silently corrupt every tensor built later, so it is refused.
    pub fn append(&mut self, other: RawImages, path: &Path) -> Result<(), TrainError> {
        if (other.channels, other.height, other.width) != (self.channels, self.height, self.width) {
            return Err(TrainError::ShapeMismatch {
                path: path.to_path_buf(),
                expected: self.shape_text(),
                found: other.shape_text(),
            });
        }
        self.pixels.extend_from_slice(&other.pixels);
        self.labels.extend_from_slice(&other.labels);
        Ok(())
    }

    /// Fails naming `path` if any label is not below `classes`.
    pub fn check_labels(labels: &[u8], classes: usize, path: &Path) -> Result<(), TrainError> {
        match labels.iter().position(|&l| usize::from(l) >= classes) {
            Some(index) => Err(TrainError::LabelOutOfRange {
                path: path.to_path_buf(),
                index,
                label: labels[index],
                classes,
            }),
            None => Ok(()),
        }
    }
}
