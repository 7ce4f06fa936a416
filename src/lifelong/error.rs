//! Errors of export, import and the task listing. Each names the package file, store or
//! flag at fault, because the fix (re-export, pick another task name, check the path)
//! depends on knowing which one.

use std::path::PathBuf;

use thiserror::Error;

use crate::replay::ReplayError;
use crate::store::StoreError;

/// Why an export, an import or a listing failed. An import that fails leaves the target
/// store's log unchanged (verification happens before anything is written).
#[derive(Debug, Error)]
pub enum LifelongError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// A filesystem operation on a named path failed.
    #[error("{op} {}: {source}", path.display())]
    Io {
        path: PathBuf,
        op: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// The package bytes are not a complete, intact package (bad magic, truncated, checksum
    /// mismatch, undecodable event, missing blob, inconsistent references).
    #[error("package {package}: {reason}")]
    BadPackage { package: String, reason: String },
    /// The package's task is registered in the target store with other data.
    #[error(
        "package {package}: task '{task}' is registered in store {} with other data \
         (fingerprint {ours} here, {theirs} in the package); knowledge of one dataset cannot \
         be filed under the name of another",
        store.display()
    )]
    FingerprintMismatch {
        package: String,
        store: PathBuf,
        task: String,
        ours: String,
        theirs: String,
    },
    /// A request that cannot be served as given (unknown task or experiment, nothing to
    /// export); the message names the flag.
    #[error("{0}")]
    Invalid(String),
}

impl LifelongError {
    pub(crate) fn io(op: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        LifelongError::Io {
            path: path.to_path_buf(),
            op,
            source,
        }
    }

    pub(crate) fn bad(package: &str, reason: impl Into<String>) -> Self {
        LifelongError::BadPackage {
            package: package.to_string(),
            reason: reason.into(),
        }
    }
}
