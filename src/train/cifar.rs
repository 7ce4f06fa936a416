//! CIFAR-10 binary batches (`*.bin` or `*.bin.gz`): records of 1 label byte followed by
//! 3x32x32 pixel bytes (R plane, G plane, B plane). Every batch file in the directory is
//! pooled in name order; any record count is accepted (the staged set has 10,000).

use std::collections::BTreeMap;
use std::path::Path;

use super::error::TrainError;
use super::raw::RawImages;
use super::read::{file_name, read_maybe_gz, sorted_files};

const SIDE: usize = 32;
const PIXELS: usize = 3 * SIDE * SIDE;
/// Bytes of one record: the label, then the three planes.
pub const CIFAR_RECORD: usize = 1 + PIXELS;

/// Loads and pools every CIFAR batch file of `dir`; labels must be below `classes`.
pub fn load_cifar_dir(dir: &Path, classes: usize) -> Result<RawImages, TrainError> {
    // Keyed by the name without ".gz" so a plain and a gzipped copy count once.
    let mut batches = BTreeMap::new();
    for path in sorted_files(dir)? {
        let name = file_name(&path);
        let base = name.strip_suffix(".gz").unwrap_or(&name).to_string();
        if base.ends_with(".bin") {
            batches.entry(base).or_insert(path);
        }
    }
    let mut pool = None;
    for path in batches.values() {
        let part = load_cifar_file(path, classes)?;
        RawImages::pool_into(&mut pool, part, path)?;
    }
    match pool {
        Some(p) if !p.is_empty() => Ok(p),
        _ => Err(TrainError::NoData {
            dir: dir.to_path_buf(),
            what: "CIFAR batch (*.bin or *.bin.gz with records)".to_string(),
        }),
    }
}

/// Reads one batch file.
pub fn load_cifar_file(path: &Path, classes: usize) -> Result<RawImages, TrainError> {
    let bytes = read_maybe_gz(path)?;
    if bytes.len() % CIFAR_RECORD != 0 {
        return Err(TrainError::CifarLength {
            path: path.to_path_buf(),
            len: bytes.len(),
            record: CIFAR_RECORD,
        });
    }
    let n = bytes.len() / CIFAR_RECORD;
    let mut labels = Vec::with_capacity(n);
    let mut pixels = Vec::with_capacity(n * PIXELS);
    for record in bytes.chunks_exact(CIFAR_RECORD) {
        labels.push(record[0]);
        pixels.extend_from_slice(&record[1..]);
    }
    RawImages::check_labels(&labels, classes, path)?;
    Ok(RawImages {
        channels: 3,
        height: SIDE,
        width: SIDE,
        pixels,
        labels,
        pixel_max: 255.0,
    })
}
