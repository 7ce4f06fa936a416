//! The event log: one sled tree "log" whose keys are u64 big-endian sequence numbers
//! 1, 2, 3, ... without gaps (big-endian so sled's byte order is numeric order), and whose
//! values are codec envelopes. This file owns opening and reading; all writes go through
//! the single [`Recorder`](super::recorder::Recorder) thread, which owns the sequence.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::blobs::BlobStore;
use super::codec;
use super::error::StoreError;
use super::event::Event;
use super::recorder::Recorder;

/// Name of the sled tree holding the events.
const LOG_TREE: &str = "log";
/// Name of the sled tree holding store metadata (outside the event log: not state).
const META_TREE: &str = "meta";
/// Key of the store id in the meta tree.
const STORE_ID_KEY: &[u8] = b"store_id";
/// Sub-directory of the store holding the sled database.
const LOG_DIR: &str = "log";
/// Sub-directory of the store holding content-addressed blobs.
const BLOB_DIR: &str = "blobs";
/// Part of the message sled 0.34.7 (`config.rs`, `try_lock`) gives when its exclusive
/// `flock` on `<db>/db` is held by someone else. sled is pinned to =0.34.7, and a test
/// checks this mapping, so a change of wording would be caught.
const SLED_LOCK_MESSAGE: &str = "could not acquire lock";

/// An open store directory: the event log plus the blob directory. Exclusive: sled locks
/// the database file, so only one `Store` per directory exists at a time (in any process).
pub struct Store {
    dir: PathBuf,
    log: sled::Tree,
    // Kept so the database outlives every tree handle we give out; sled closes on drop.
    _db: sled::Db,
    blobs: BlobStore,
    /// Set while a recorder thread runs, so a store never has two writers.
    writer_active: Arc<AtomicBool>,
}

impl Store {
    /// Opens (creating if missing) the store at `dir`: sled at `dir/log`, blobs at
    /// `dir/blobs`. Refuses, before writing anything to the log, a store whose last event
    /// has a newer schema version than this build reads, and a store already open elsewhere.
    pub fn open(dir: impl AsRef<Path>) -> Result<Store, StoreError> {
        let dir = std::path::absolute(dir.as_ref()).unwrap_or_else(|_| dir.as_ref().to_path_buf());
        std::fs::create_dir_all(&dir)
            .map_err(|e| StoreError::io("create store directory", &dir, e))?;
        let db = sled::Config::new()
            .path(dir.join(LOG_DIR))
            .open()
            .map_err(|e| map_open_error(&dir, e))?;
        let log = db.open_tree(LOG_TREE).map_err(|source| StoreError::Sled {
            dir: dir.clone(),
            op: "open tree \"log\"",
            source,
        })?;
        let store = Store {
            blobs: BlobStore::open(dir.join(BLOB_DIR))?,
            dir,
            log,
            _db: db,
            writer_active: Arc::new(AtomicBool::new(false)),
        };
        store.check_tail_schema()?;
        store.blobs.remove_stale_tmp()?;
        Ok(store)
    }

    /// Opens a store that must already exist: read-only commands (`log`, `top`, `replay`,
    /// `report`) given a mistyped path should say so, not create an empty store and report
    /// on it.
    pub fn open_existing(dir: impl AsRef<Path>) -> Result<Store, StoreError> {
        let dir = dir.as_ref();
        if !dir.join(LOG_DIR).is_dir() {
            return Err(StoreError::NotAStore {
                dir: dir.to_path_buf(),
            });
        }
        Store::open(dir)
    }

    /// The store directory (absolute).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The sequence number of the last event, 0 if the log is empty.
    pub fn last_seq(&self) -> Result<u64, StoreError> {
        match self
            .log
            .last()
            .map_err(|e| self.sled_err("read last event", e))?
        {
            Some((key, _)) => seq_of(&self.dir, &key),
            None => Ok(0),
        }
    }

    /// Iterates the events from `from_seq` (0 and 1 both mean the start) in order, checking
    /// that the sequence has no gaps. The iterator stops after the first error.
    pub fn scan(&self, from_seq: u64) -> Scan {
        let start = from_seq.max(1);
        Scan {
            dir: self.dir.clone(),
            inner: self.log.range(key(start)..),
            expected: start,
            done: false,
        }
    }

    /// One event by sequence number; `None` if it was never written.
    pub fn get(&self, seq: u64) -> Result<Option<Event>, StoreError> {
        let value = self
            .log
            .get(key(seq))
            .map_err(|e| self.sled_err("read event", e))?;
        value.map(|v| decode_at(&self.dir, seq, &v)).transpose()
    }

    /// This store's id: 32 lowercase hex digits drawn at random the first time it is asked
    /// for, then persisted (sled tree "meta", flushed and fdatasynced) and never changed.
    /// Knowledge packages name the store they were exported from by it, so an import's
    /// provenance survives copies and renames of the directory.
    pub fn id(&self) -> Result<String, StoreError> {
        let meta = self
            ._db
            .open_tree(META_TREE)
            .map_err(|e| self.sled_err("open tree \"meta\"", e))?;
        if let Some(v) = meta
            .get(STORE_ID_KEY)
            .map_err(|e| self.sled_err("read store id", e))?
        {
            return String::from_utf8(v.to_vec()).map_err(|_| StoreError::Corrupt {
                context: format!("store {}", self.dir.display()),
                reason: "store id in tree \"meta\" is not UTF-8".to_string(),
            });
        }
        let fresh = hex::encode(rand::random::<[u8; 16]>());
        // compare_and_swap: if two threads race, both return the id that won.
        let _ = meta
            .compare_and_swap(STORE_ID_KEY, None as Option<&[u8]>, Some(fresh.as_bytes()))
            .map_err(|e| self.sled_err("write store id", e))?;
        meta.flush()
            .map_err(|e| self.sled_err("flush store id", e))?;
        let db_file = self.dir.join(LOG_DIR).join("db");
        std::fs::File::open(&db_file)
            .and_then(|f| f.sync_data())
            .map_err(|e| StoreError::io("fdatasync", &db_file, e))?;
        let stored = meta
            .get(STORE_ID_KEY)
            .map_err(|e| self.sled_err("read store id", e))?;
        Ok(stored
            .map(|v| String::from_utf8_lossy(&v).into_owned())
            .unwrap_or(fresh))
    }

    /// The blob directory of this store.
    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    /// Starts the single writer thread. Only one recorder runs per store at a time (clone
    /// it to share); a second call while it runs is refused.
    pub fn recorder(&self) -> Result<Recorder, StoreError> {
        if self
            .writer_active
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err(StoreError::RecorderActive {
                dir: self.dir.clone(),
            });
        }
        let next_seq = match self.last_seq() {
            Ok(last) => last + 1,
            Err(e) => {
                self.writer_active.store(false, Ordering::Release);
                return Err(e);
            }
        };
        let db_file = self.dir.join(LOG_DIR).join("db");
        Recorder::spawn(
            self.dir.clone(),
            self.log.clone(),
            &db_file,
            next_seq,
            self.writer_active.clone(),
        )
    }

    fn check_tail_schema(&self) -> Result<(), StoreError> {
        let Some((k, v)) = self
            .log
            .last()
            .map_err(|e| self.sled_err("read last event", e))?
        else {
            return Ok(());
        };
        let seq = seq_of(&self.dir, &k)?;
        let ctx = || event_context(&self.dir, seq);
        let header = codec::peek(&v).map_err(|e| e.with_context(ctx()))?;
        codec::check_schema(header.schema).map_err(|e| e.with_context(ctx()))
    }

    fn sled_err(&self, op: &'static str, source: sled::Error) -> StoreError {
        StoreError::Sled {
            dir: self.dir.clone(),
            op,
            source,
        }
    }
}

/// Iterator returned by [`Store::scan`]: `(seq, event)` in order, gap-checked.
pub struct Scan {
    dir: PathBuf,
    inner: sled::Iter,
    expected: u64,
    done: bool,
}

impl Iterator for Scan {
    type Item = Result<(u64, Event), StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.inner.next()?.map_err(|source| StoreError::Sled {
            dir: self.dir.clone(),
            op: "scan the log",
            source,
        });
        let result = item.and_then(|(k, v)| {
            let seq = seq_of(&self.dir, &k)?;
            if seq != self.expected {
                let (dir, expected) = (self.dir.clone(), self.expected);
                return Err(StoreError::Gap {
                    dir,
                    expected,
                    found: seq,
                });
            }
            self.expected += 1;
            Ok((seq, decode_at(&self.dir, seq, &v)?))
        });
        self.done = result.is_err();
        Some(result)
    }
}

/// The sled key of a sequence number (big-endian, so byte order is numeric order).
pub(crate) fn key(seq: u64) -> [u8; 8] {
    seq.to_be_bytes()
}

fn seq_of(dir: &Path, key: &[u8]) -> Result<u64, StoreError> {
    let bytes: [u8; 8] = key.try_into().map_err(|_| StoreError::Corrupt {
        context: format!("store {}", dir.display()),
        reason: format!(
            "log key of {} bytes (expected an 8-byte sequence number)",
            key.len()
        ),
    })?;
    Ok(u64::from_be_bytes(bytes))
}

fn decode_at(dir: &Path, seq: u64, bytes: &[u8]) -> Result<Event, StoreError> {
    codec::decode(bytes).map_err(|e| e.with_context(event_context(dir, seq)))
}

fn event_context(dir: &Path, seq: u64) -> String {
    format!("store {}, event seq {seq}", dir.display())
}

fn map_open_error(dir: &Path, source: sled::Error) -> StoreError {
    match &source {
        sled::Error::Io(e) if e.to_string().contains(SLED_LOCK_MESSAGE) => {
            StoreError::AlreadyOpen {
                dir: dir.to_path_buf(),
            }
        }
        _ => StoreError::Sled {
            dir: dir.to_path_buf(),
            op: "open the sled database",
            source,
        },
    }
}
