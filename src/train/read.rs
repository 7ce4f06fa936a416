//! Reading a data file whole, transparently gunzipping it. The gzip magic (1f 8b) is
//! sniffed rather than trusting the `.gz` suffix: neither IDX (starts 00 00) nor CIFAR
//! (starts with a label byte < 10) can begin with it, so detection is unambiguous, and a
//! renamed file still loads.

use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;

use super::error::TrainError;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Returns the (decompressed) bytes of `path`; errors name the file.
pub fn read_maybe_gz(path: &Path) -> Result<Vec<u8>, TrainError> {
    let raw = std::fs::read(path).map_err(|e| TrainError::io(path, e))?;
    if raw.len() >= 2 && raw[..2] == GZIP_MAGIC {
        let mut out = Vec::with_capacity(raw.len() * 4);
        GzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .map_err(|e| TrainError::io(path, e))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// The regular files of `dir`, sorted by name so that pooling order (and thus the split
/// and the fingerprint) does not depend on the file system's listing order.
pub fn sorted_files(dir: &Path) -> Result<Vec<PathBuf>, TrainError> {
    let entries = std::fs::read_dir(dir).map_err(|e| TrainError::io(dir, e))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| TrainError::io(dir, e))?;
        let path = entry.path();
        if path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The file name as text (lossy), for suffix/prefix matching.
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
