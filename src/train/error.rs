//! Errors of the `train` module. Every variant names the file, task spec or config field at
//! fault, because datasets come from user-supplied directories and a message without the
//! path is useless when a search aborts hours into a run.

use std::path::PathBuf;

/// What can go wrong while loading a task, building a proxy network or training it.
/// A diverging loss is NOT an error: it is a legitimate (bad) result reported in
/// `TrainOutcome::failure`, so the search can learn from it.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("unknown task '{spec}': expected digits, idx:DIR, cifar:DIR (or table:FILE.csv for a benchmark table)")]
    UnknownTask { spec: String },

    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("no {what} found in {}", dir.display())]
    NoData { dir: PathBuf, what: String },

    #[error("{}: wrong IDX magic 0x{found:08x}, expected 0x{expected:08x}", path.display())]
    BadMagic {
        path: PathBuf,
        expected: u32,
        found: u32,
    },

    #[error("{}: truncated: {what} needs {expected} bytes, file has {actual}", path.display())]
    Truncated {
        path: PathBuf,
        what: String,
        expected: usize,
        actual: usize,
    },

    #[error("{}: {actual} bytes but the header says {expected} (trailing data)", path.display())]
    TrailingData {
        path: PathBuf,
        expected: usize,
        actual: usize,
    },

    #[error("{} has {n_images} images but {} has {n_labels} labels", images.display(), labels.display())]
    CountMismatch {
        images: PathBuf,
        labels: PathBuf,
        n_images: usize,
        n_labels: usize,
    },

    #[error("{}: label {label} at index {index} is not below the number of classes {classes}", path.display())]
    LabelOutOfRange {
        path: PathBuf,
        index: usize,
        label: u8,
        classes: usize,
    },

    #[error("{}: length {len} is not a multiple of the CIFAR record size {record}", path.display())]
    CifarLength {
        path: PathBuf,
        len: usize,
        record: usize,
    },

    #[error("{}: images are {found}, but earlier files of the same task are {expected}", path.display())]
    ShapeMismatch {
        path: PathBuf,
        expected: String,
        found: String,
    },

    #[error("task '{task}': {reason}")]
    BadSplit { task: String, reason: String },

    #[error("built-in task '{task}' is not as expected: {reason}")]
    BuiltIn { task: String, reason: String },

    #[error("invalid option {field}: {reason}")]
    InvalidConfig { field: String, reason: String },

    #[error("invalid network: {reason}")]
    InvalidNet { reason: String },

    #[error("network/dataset mismatch: {reason}")]
    Incompatible { reason: String },

    #[error("libtorch error: {0}")]
    Torch(#[from] tch::TchError),
}

impl TrainError {
    /// Wraps an I/O error with the path it concerns (the one thing std's error lacks).
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        TrainError::Io {
            path: path.into(),
            source,
        }
    }
}
