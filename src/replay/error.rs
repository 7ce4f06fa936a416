use thiserror::Error;

use crate::store::StoreError;

/// Why folding or auditing the log failed.
#[derive(Debug, Error)]
pub enum ReplayError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("event {seq}: {message}")]
    Inconsistent { seq: u64, message: String },
    #[error("experiment {0} not found in the store")]
    UnknownExperiment(u64),
    #[error("experiment {experiment}: config recorded in the log is unreadable: {source}")]
    BadConfig {
        experiment: u64,
        source: serde_json::Error,
    },
}
