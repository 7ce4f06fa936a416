//! Content-addressed blob files beside the log (`<store>/blobs/<hash[0..2]>/<hash>`).
//!
//! Tensor weights and checkpoints are too large for sled (values above ~128 KiB become
//! sled blob files that are never fsynced, and rewrite amplification is severe), so they
//! live in plain files named by their sha256 and events carry only a [`BlobRef`]. A blob is
//! written durably (tmp file -> fsync -> rename -> fsync dir) BEFORE the event naming it is
//! appended, so a crash leaves at most an orphan blob, never a dangling reference.

use std::fs::{self, File};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use super::error::StoreError;
use super::event::BlobRef;

/// Makes temporary file names unique among threads of this process (the pid separates
/// processes, although the store lock means only one process writes at a time).
static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Prefix of temporary files; never a valid hash, so they cannot be mistaken for blobs.
const TMP_PREFIX: &str = ".tmp-";

/// Handle on a blob directory. Cheap to clone; safe to use from several threads.
#[derive(Clone, Debug)]
pub struct BlobStore {
    dir: PathBuf,
}

/// sha256 of `bytes` as 64 lowercase hex digits: the name of a blob.
pub fn hash_bytes(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl BlobStore {
    /// Opens (creating if missing) a blob directory.
    pub fn open(dir: impl Into<PathBuf>) -> Result<BlobStore, StoreError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(|e| StoreError::io("create blob directory", &dir, e))?;
        Ok(BlobStore { dir })
    }

    /// The blob directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the blob lives. Fails for a hash that is not 64 lowercase hex digits, so a
    /// value read from the log can never name a path outside the blob directory.
    pub fn path(&self, blob: &BlobRef) -> Result<PathBuf, StoreError> {
        let h = &blob.hash;
        let valid = h.len() == 64
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !valid {
            return Err(StoreError::BadBlobHash { hash: h.clone() });
        }
        Ok(self.dir.join(&h[..2]).join(h))
    }

    /// Stores `bytes` durably and returns its reference. Idempotent: if a complete blob
    /// with this hash already exists, nothing is written.
    pub fn put(&self, bytes: &[u8]) -> Result<BlobRef, StoreError> {
        let blob = BlobRef {
            hash: hash_bytes(bytes),
            size: bytes.len() as u64,
        };
        let path = self.path(&blob)?;
        if self.contains(&blob)? {
            return Ok(blob);
        }
        // Internal invariant: `path` is `<dir>/<2 hex>/<hash>`, so it has a parent.
        let shard = path.parent().expect("blob path has a shard directory");
        if !shard.is_dir() {
            fs::create_dir_all(shard)
                .map_err(|e| StoreError::io("create blob directory", shard, e))?;
            // The new shard's entry in the blob directory must survive power loss too.
            sync_dir(&self.dir)?;
        }
        let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = shard.join(format!(
            "{TMP_PREFIX}{}-{}-{n}",
            blob.hash,
            std::process::id()
        ));
        let written = write_synced(&tmp, bytes).and_then(|()| {
            fs::rename(&tmp, &path).map_err(|e| StoreError::io("rename blob into place", &path, e))
        });
        if let Err(e) = written {
            // Best effort: the error we report is the write failure, not the cleanup.
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        sync_dir(shard)?;
        Ok(blob)
    }

    /// Reads a blob and verifies its size and sha256, so corrupt weights are never loaded.
    pub fn get(&self, blob: &BlobRef) -> Result<Vec<u8>, StoreError> {
        let path = self.path(blob)?;
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(StoreError::BlobMissing { path })
            }
            Err(e) => return Err(StoreError::io("read blob", &path, e)),
        };
        if bytes.len() as u64 != blob.size {
            let reason = format!(
                "size is {} bytes, the event says {}",
                bytes.len(),
                blob.size
            );
            return Err(StoreError::BlobCorrupt { path, reason });
        }
        let actual = hash_bytes(&bytes);
        if actual != blob.hash {
            let reason = format!("content sha256 is {actual}");
            return Err(StoreError::BlobCorrupt { path, reason });
        }
        Ok(bytes)
    }

    /// Whether a blob file with this hash and the expected size exists (the content is
    /// verified by [`BlobStore::get`], not here, to keep this cheap).
    pub fn contains(&self, blob: &BlobRef) -> Result<bool, StoreError> {
        let path = self.path(blob)?;
        match fs::metadata(&path) {
            Ok(m) => Ok(m.is_file() && m.len() == blob.size),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(StoreError::io("inspect blob", &path, e)),
        }
    }

    /// Deletes temporary files left by a crash in the middle of `put`. Only safe while
    /// nobody else writes blobs, i.e. right after the store (and its lock) was opened.
    pub(crate) fn remove_stale_tmp(&self) -> Result<usize, StoreError> {
        let mut removed = 0;
        for shard in read_dir(&self.dir)? {
            if !shard.is_dir() {
                continue;
            }
            for file in read_dir(&shard)? {
                let is_tmp = file
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(TMP_PREFIX));
                if is_tmp {
                    fs::remove_file(&file)
                        .map_err(|e| StoreError::io("remove stale blob tmp file", &file, e))?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let mut f = File::create(path).map_err(|e| StoreError::io("create blob tmp file", path, e))?;
    f.write_all(bytes)
        .map_err(|e| StoreError::io("write blob tmp file", path, e))?;
    f.sync_all()
        .map_err(|e| StoreError::io("fsync blob tmp file", path, e))
}

/// fsyncs a directory so a rename or new entry in it is durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io("fsync directory", dir, e))
}

fn read_dir(dir: &Path) -> Result<Vec<PathBuf>, StoreError> {
    let entries = fs::read_dir(dir).map_err(|e| StoreError::io("list directory", dir, e))?;
    entries
        .map(|entry| {
            entry
                .map(|e| e.path())
                .map_err(|e| StoreError::io("list directory", dir, e))
        })
        .collect()
}
