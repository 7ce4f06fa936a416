//! MNIST-style IDX files (optionally gzipped). A directory may hold several
//! `<prefix>images-idx3-ubyte[.gz]` / `<prefix>labels-idx1-ubyte[.gz]` pairs (`train-`,
//! `t10k-`, or an empty prefix); all pairs are pooled in prefix order, because the staged
//! sets have no full train split and the proxy task makes its own split from the pool.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::error::TrainError;
use super::raw::RawImages;
use super::read::{file_name, read_maybe_gz, sorted_files};

const IMAGES_MAGIC: u32 = 0x0000_0803;
const LABELS_MAGIC: u32 = 0x0000_0801;
const IMAGES_STEM: &str = "images-idx3-ubyte";
const LABELS_STEM: &str = "labels-idx1-ubyte";

/// Loads and pools every image/label pair of `dir`; labels must be below `classes`.
pub fn load_idx_dir(dir: &Path, classes: usize) -> Result<RawImages, TrainError> {
    let pairs = find_pairs(dir)?;
    let mut pool = None;
    for (images, labels) in pairs {
        let part = load_idx_pair(&images, &labels, classes)?;
        RawImages::pool_into(&mut pool, part, &images)?;
    }
    pool.ok_or_else(|| no_pair(dir))
}

/// Reads one images file and its labels file.
pub fn load_idx_pair(
    images: &Path,
    labels: &Path,
    classes: usize,
) -> Result<RawImages, TrainError> {
    let image_bytes = read_maybe_gz(images)?;
    let (dims, pixels) = parse_idx(images, &image_bytes, IMAGES_MAGIC, 3)?;
    let label_bytes = read_maybe_gz(labels)?;
    let (label_dims, label_payload) = parse_idx(labels, &label_bytes, LABELS_MAGIC, 1)?;
    if dims[0] != label_dims[0] {
        return Err(TrainError::CountMismatch {
            images: images.to_path_buf(),
            labels: labels.to_path_buf(),
            n_images: dims[0],
            n_labels: label_dims[0],
        });
    }
    RawImages::check_labels(label_payload, classes, labels)?;
    Ok(RawImages {
        channels: 1,
        height: dims[1],
        width: dims[2],
        pixels: pixels.to_vec(),
        labels: label_payload.to_vec(),
        pixel_max: 255.0,
    })
}

/// Image files keyed by prefix, each with its labels file. When both a plain and a
/// gzipped copy exist (e.g. after `gunzip -k`) only one is used, or the pool would hold
/// every image twice.
fn find_pairs(dir: &Path) -> Result<Vec<(PathBuf, PathBuf)>, TrainError> {
    let files = sorted_files(dir)?;
    let mut images: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut labels: BTreeMap<String, PathBuf> = BTreeMap::new();
    for path in files {
        let name = file_name(&path);
        let base = name.strip_suffix(".gz").unwrap_or(&name);
        if let Some(prefix) = base.strip_suffix(IMAGES_STEM) {
            images.entry(prefix.to_string()).or_insert(path);
        } else if let Some(prefix) = base.strip_suffix(LABELS_STEM) {
            labels.entry(prefix.to_string()).or_insert(path);
        }
    }
    let mut pairs = Vec::new();
    for (prefix, image_path) in images {
        match labels.get(&prefix) {
            Some(label_path) => pairs.push((image_path, label_path.clone())),
            None => {
                return Err(TrainError::NoData {
                    dir: dir.to_path_buf(),
                    what: format!(
                        "labels file {prefix}{LABELS_STEM}[.gz] for {}",
                        image_path.display()
                    ),
                })
            }
        }
    }
    if pairs.is_empty() {
        return Err(no_pair(dir));
    }
    Ok(pairs)
}

fn no_pair(dir: &Path) -> TrainError {
    TrainError::NoData {
        dir: dir.to_path_buf(),
        what: format!(
            "IDX image/label pair (<prefix>{IMAGES_STEM}[.gz] + <prefix>{LABELS_STEM}[.gz])"
        ),
    }
}

/// Checks magic and exact payload length; returns the header dims and the payload.
fn parse_idx<'a>(
    path: &Path,
    bytes: &'a [u8],
    magic: u32,
    ndims: usize,
) -> Result<(Vec<usize>, &'a [u8]), TrainError> {
    let header_len = 4 * (1 + ndims);
    if bytes.len() < header_len {
        return Err(TrainError::Truncated {
            path: path.to_path_buf(),
            what: format!("the IDX header ({ndims} dims)"),
            expected: header_len,
            actual: bytes.len(),
        });
    }
    let word = |i: usize| {
        u32::from_be_bytes([
            bytes[4 * i],
            bytes[4 * i + 1],
            bytes[4 * i + 2],
            bytes[4 * i + 3],
        ])
    };
    let found = word(0);
    if found != magic {
        return Err(TrainError::BadMagic {
            path: path.to_path_buf(),
            expected: magic,
            found,
        });
    }
    let dims: Vec<usize> = (1..=ndims).map(|i| word(i) as usize).collect();
    // Saturating: an absurd header must fail as "truncated", never overflow or allocate.
    let payload = dims.iter().fold(1usize, |acc, &d| acc.saturating_mul(d));
    let expected = header_len.saturating_add(payload);
    if bytes.len() < expected {
        return Err(TrainError::Truncated {
            path: path.to_path_buf(),
            what: format!("a payload of dims {dims:?}"),
            expected,
            actual: bytes.len(),
        });
    }
    if bytes.len() > expected {
        return Err(TrainError::TrailingData {
            path: path.to_path_buf(),
            expected,
            actual: bytes.len(),
        });
    }
    Ok((dims, &bytes[header_len..]))
}
