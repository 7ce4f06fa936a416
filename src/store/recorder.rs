//! The only writer of the log: one thread that owns the sequence number and commits
//! whatever is queued as one group (group commit).
//!
//! Durability (see stack notes §1.2): sled 0.34.7's `flush()` ends in `sync_file_range`,
//! which survives kill -9 but not power loss, so after `apply_batch` + `flush()` the thread
//! also calls `sync_data()` (fdatasync) on its own handle of `<db>/db`, and only then
//! acknowledges. fsync on any descriptor of the inode flushes the file and the disk cache.
//! One fdatasync serves a whole group, which is what makes many producers cheap.

use std::borrow::Borrow;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};

use super::codec;
use super::error::StoreError;
use super::event::Event;
use super::log::key;

/// Upper bound of events in one group, to bound the batch held in memory.
const MAX_GROUP_EVENTS: usize = 4096;
/// Queued requests before `append` blocks on sending (callers block on the reply anyway).
const QUEUE: usize = 1024;

/// One caller's events, already encoded (encoding runs on the caller's thread), and where
/// to send the first sequence number (or the failure reason) once they are durable.
struct Request {
    events: Vec<Vec<u8>>,
    reply: Sender<Result<u64, String>>,
}

/// Counters of committed work; read by the benchmark and by progress displays.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecorderStats {
    /// Durable group commits (each one apply_batch + flush + fdatasync).
    pub groups: u64,
    /// Events committed.
    pub events: u64,
}

#[derive(Default)]
struct Counters {
    groups: AtomicU64,
    events: AtomicU64,
}

/// Handle to the writer thread. Clone it freely (it is `Send + Sync`); the thread ends
/// when the last handle is dropped, and dropping the last handle waits for it.
#[derive(Clone)]
pub struct Recorder {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    /// `Option` only so `Drop` can close the channel before joining the thread.
    tx: Option<Sender<Request>>,
    thread: Option<JoinHandle<()>>,
    counters: Arc<Counters>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(thread) = self.thread.take() {
            // A panic of the writer was already reported to waiting callers as RecorderGone.
            let _ = thread.join();
        }
    }
}

impl Recorder {
    /// Starts the writer (called by `Store::recorder`, which guarantees it is the only
    /// one). `active` is cleared when the thread ends, even by panic.
    pub(crate) fn spawn(
        dir: PathBuf,
        log: sled::Tree,
        db_file: &Path,
        next_seq: u64,
        active: Arc<AtomicBool>,
    ) -> Result<Recorder, StoreError> {
        let guard = ActiveGuard(active);
        let file = File::open(db_file)
            .map_err(|e| StoreError::io("open sled database file", db_file, e))?;
        let (tx, rx) = crossbeam_channel::bounded(QUEUE);
        let counters = Arc::new(Counters::default());
        let writer = Writer {
            log,
            file,
            next_seq,
            counters: counters.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("fnas-recorder".to_string())
            .spawn(move || {
                let _guard = guard;
                writer.run(rx);
            })
            .map_err(|e| StoreError::io("spawn recorder thread for", &dir, e))?;
        let inner = Inner {
            dir,
            tx: Some(tx),
            thread: Some(thread),
            counters,
        };
        Ok(Recorder {
            inner: Arc::new(inner),
        })
    }

    /// Appends one event and returns its sequence number once it is durable (fdatasync'ed).
    /// Accepts `Event` or `&Event`.
    pub fn append<E: Borrow<Event>>(&self, event: E) -> Result<u64, StoreError> {
        self.commit(vec![codec::encode(event.borrow())])
    }

    /// Appends events atomically as consecutive sequence numbers in one group commit.
    /// Returns their sequence numbers (empty input: nothing is written).
    pub fn append_all<I>(&self, events: I) -> Result<Vec<u64>, StoreError>
    where
        I: IntoIterator,
        I::Item: Borrow<Event>,
    {
        let encoded: Vec<Vec<u8>> = events
            .into_iter()
            .map(|e| codec::encode(e.borrow()))
            .collect();
        let n = encoded.len() as u64;
        if n == 0 {
            return Ok(Vec::new());
        }
        let first = self.commit(encoded)?;
        Ok((first..first + n).collect())
    }

    /// Group commits and events committed so far by this recorder.
    pub fn stats(&self) -> RecorderStats {
        let c = &self.inner.counters;
        RecorderStats {
            groups: c.groups.load(Ordering::Relaxed),
            events: c.events.load(Ordering::Relaxed),
        }
    }

    /// Drops this handle; if it is the last one, closes the queue and waits for the writer
    /// to finish, reporting a writer panic. Everything acknowledged is already durable.
    pub fn shutdown(self) -> Result<(), StoreError> {
        let Ok(mut inner) = Arc::try_unwrap(self.inner) else {
            return Ok(());
        };
        inner.tx.take();
        match inner.thread.take().map(JoinHandle::join) {
            Some(Err(_)) => Err(StoreError::RecorderGone {
                dir: inner.dir.clone(),
            }),
            _ => Ok(()),
        }
    }

    fn commit(&self, events: Vec<Vec<u8>>) -> Result<u64, StoreError> {
        let gone = || StoreError::RecorderGone {
            dir: self.inner.dir.clone(),
        };
        // Internal invariant: `tx` is only taken in Drop/shutdown, which own the last handle.
        let tx = self
            .inner
            .tx
            .as_ref()
            .expect("recorder queue is open while a handle exists");
        let (reply, answer) = crossbeam_channel::bounded(1);
        tx.send(Request { events, reply }).map_err(|_| gone())?;
        match answer.recv().map_err(|_| gone())? {
            Ok(first) => Ok(first),
            Err(reason) => Err(StoreError::WriterFailed {
                dir: self.inner.dir.clone(),
                reason,
            }),
        }
    }
}

/// Clears the store's "writer running" flag when the writer thread ends.
struct ActiveGuard(Arc<AtomicBool>);

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// State owned by the writer thread.
struct Writer {
    log: sled::Tree,
    /// Handle on `<db>/db` used only for fdatasync.
    file: File,
    next_seq: u64,
    counters: Arc<Counters>,
}

impl Writer {
    fn run(mut self, rx: Receiver<Request>) {
        // After a failed commit the state of that group on disk is unknown (it may still be
        // persisted by sled later), so every later request is refused with the same reason;
        // reopening the store re-reads the true tail.
        let mut failed: Option<String> = None;
        while let Ok(first) = rx.recv() {
            let group = drain(first, &rx);
            let result = match &failed {
                Some(reason) => Err(reason.clone()),
                None => self.commit(&group),
            };
            match result {
                Ok(mut seq) => {
                    for req in group {
                        let n = req.events.len() as u64;
                        // A caller that gave up waiting is not an error of the log.
                        let _ = req.reply.send(Ok(seq));
                        seq += n;
                    }
                }
                Err(reason) => {
                    for req in group {
                        let _ = req.reply.send(Err(reason.clone()));
                    }
                    failed = Some(reason);
                }
            }
        }
    }

    /// Writes one group durably and returns its first sequence number.
    fn commit(&mut self, group: &[Request]) -> Result<u64, String> {
        let first = self.next_seq;
        let mut batch = sled::Batch::default();
        let mut seq = first;
        for event in group.iter().flat_map(|r| r.events.iter()) {
            batch.insert(&key(seq)[..], event.as_slice());
            seq += 1;
        }
        self.log
            .apply_batch(batch)
            .map_err(|e| format!("apply_batch: {e}"))?;
        self.log.flush().map_err(|e| format!("flush: {e}"))?;
        self.file
            .sync_data()
            .map_err(|e| format!("fdatasync of the sled db file: {e}"))?;
        self.counters.groups.fetch_add(1, Ordering::Relaxed);
        self.counters
            .events
            .fetch_add(seq - first, Ordering::Relaxed);
        self.next_seq = seq;
        Ok(first)
    }
}

/// The first request plus whatever else is already queued, up to `MAX_GROUP_EVENTS`.
fn drain(first: Request, rx: &Receiver<Request>) -> Vec<Request> {
    let mut n = first.events.len();
    let mut group = vec![first];
    while n < MAX_GROUP_EVENTS {
        match rx.try_recv() {
            Ok(req) => {
                n += req.events.len();
                group.push(req);
            }
            Err(_) => break,
        }
    }
    group
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::event::{EndReason, ExperimentEnded};

    fn ended() -> Event {
        Event::ExperimentEnded(ExperimentEnded {
            experiment: 1,
            reason: EndReason::Finished,
            samples: 0,
            summary_hash: String::new(),
            policy: None,
        })
    }

    /// fdatasync on /dev/null fails (EINVAL), which stands in for a failing disk: every
    /// waiting caller and every later caller gets the error, and nothing panics.
    #[test]
    fn writer_errors_reach_every_caller() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let tree = db.open_tree("log").unwrap();
        let active = Arc::new(AtomicBool::new(true));
        let dir = PathBuf::from("/nonexistent/store");
        let rec = Recorder::spawn(dir, tree, Path::new("/dev/null"), 1, active.clone()).unwrap();
        let errors: Vec<StoreError> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    let rec = rec.clone();
                    s.spawn(move || rec.append(ended()).unwrap_err())
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for e in errors
            .iter()
            .chain([rec.append_all([ended(), ended()]).unwrap_err()].iter())
        {
            assert!(matches!(e, StoreError::WriterFailed { .. }), "{e:?}");
            let msg = e.to_string();
            assert!(
                msg.contains("/nonexistent/store") && msg.contains("fdatasync"),
                "{msg}"
            );
        }
        assert_eq!(rec.stats().groups, 0);
        rec.shutdown().unwrap();
        assert!(
            !active.load(Ordering::Acquire),
            "the writer cleared the store's flag"
        );
    }
}
