use thiserror::Error;

use crate::nn::NnError;
use crate::store::StoreError;

/// Why a pool operation failed. Blob bytes come from disk, so a damaged part blob is an
/// error naming the blob, never a panic.
#[derive(Debug, Error)]
pub enum PoolError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Nn(#[from] NnError),
    #[error("libtorch: {0}")]
    Tch(#[from] tch::TchError),
    #[error("part blob {blob}: {reason}")]
    Corrupt { blob: String, reason: String },
    #[error("part {part}: {reason}")]
    Part { part: u32, reason: String },
}
