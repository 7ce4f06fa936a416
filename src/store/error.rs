//! Errors of the event store. Every message names the store directory, blob path or
//! event sequence number at fault, because the user's fix (upgrade fnas, close the other
//! process, restore a blob) depends on knowing *which* file is involved.

use std::path::PathBuf;

/// Everything that can go wrong opening, reading or writing a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store {}: no fnas store there (no {}/log); check the path, or run `fnas search --store {}` to create one", dir.display(), dir.display(), dir.display())]
    NotAStore { dir: std::path::PathBuf },
    /// sled holds an exclusive file lock on `<dir>/log/db`; a second open (from another
    /// process, or a second `Store` in this one) is refused instead of corrupting the log.
    #[error(
        "store {} is already open in another process (or by another Store handle in this \
         process); close it and retry",
        dir.display()
    )]
    AlreadyOpen { dir: PathBuf },

    /// The envelope carries a schema version this build does not know how to read.
    #[error(
        "{context}: written with event schema version {found}, but this fnas reads schema \
         versions up to {supported}; upgrade fnas to open this store"
    )]
    NewerSchema {
        found: u16,
        supported: u16,
        context: String,
    },

    /// The envelope's kind id is not one this build knows (kind ids are never reused, so
    /// this means the bytes came from a build with more kinds, or are damaged).
    #[error(
        "{context}: unknown event kind id {kind} (schema version {schema}); it was probably \
         written by a newer fnas; upgrade fnas"
    )]
    UnknownKind {
        kind: u16,
        schema: u16,
        context: String,
    },

    /// Bytes that do not decode as an envelope or as the payload its kind announces.
    #[error("{context}: corrupt event: {reason}")]
    Corrupt { context: String, reason: String },

    /// The log's keys must be 1, 2, 3, ... without holes; anything else means the log was
    /// edited outside fnas or damaged.
    #[error("store {}: sequence gap in the event log: expected seq {expected}, found {found}", dir.display())]
    Gap {
        dir: PathBuf,
        expected: u64,
        found: u64,
    },

    /// An error reported by sled (open, read, apply, flush).
    #[error("store {}: {op} failed: {source}", dir.display())]
    Sled {
        dir: PathBuf,
        op: &'static str,
        #[source]
        source: sled::Error,
    },

    /// A filesystem operation on a named path failed.
    #[error("{op} {}: {source}", path.display())]
    Io {
        path: PathBuf,
        op: &'static str,
        #[source]
        source: std::io::Error,
    },

    /// `Store::recorder` was called while a recorder for the same store is still running.
    #[error(
        "store {}: a recorder is already running; clone the existing Recorder instead of \
         starting a second writer",
        dir.display()
    )]
    RecorderActive { dir: PathBuf },

    /// The writer thread hit an error earlier; the outcome of that write is unknown, so it
    /// refuses further writes until the store is reopened (which re-reads the true tail).
    #[error("store {}: recorder failed: {reason}; reopen the store to continue", dir.display())]
    WriterFailed { dir: PathBuf, reason: String },

    /// The writer thread is gone (it panicked), so nothing can be appended.
    #[error("store {}: the recorder thread has stopped unexpectedly", dir.display())]
    RecorderGone { dir: PathBuf },

    /// A blob named by an event is not on disk.
    #[error("missing blob {}", path.display())]
    BlobMissing { path: PathBuf },

    /// A blob exists but its size or sha256 differs from the reference.
    #[error("corrupt blob {}: {reason}", path.display())]
    BlobCorrupt { path: PathBuf, reason: String },

    /// A `BlobRef` whose hash is not 64 lowercase hex digits (it would not name a blob
    /// file, and could otherwise escape the blob directory).
    #[error("invalid blob hash {hash:?}: expected 64 lowercase hex digits (sha256)")]
    BadBlobHash { hash: String },
}

impl StoreError {
    /// Shorthand for an [`StoreError::Io`] naming the operation and path.
    pub(crate) fn io(op: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.to_path_buf(),
            op,
            source,
        }
    }

    /// Replaces the location of a decode error (codec errors only know "event bytes"; the
    /// store knows the directory and the sequence number). Other variants are unchanged.
    pub fn with_context(self, new_context: String) -> Self {
        match self {
            StoreError::NewerSchema {
                found, supported, ..
            } => StoreError::NewerSchema {
                found,
                supported,
                context: new_context,
            },
            StoreError::UnknownKind { kind, schema, .. } => StoreError::UnknownKind {
                kind,
                schema,
                context: new_context,
            },
            StoreError::Corrupt { reason, .. } => StoreError::Corrupt {
                context: new_context,
                reason,
            },
            other => other,
        }
    }
}
