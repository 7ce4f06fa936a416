//! The live run's write path: append through the recorder (durable before it returns), then
//! fold the acknowledged event into the same projection replay uses.

use std::io::Write;

use crate::pool::{fold_pool, Pool};
use crate::replay::{Experiments, Projection};
use crate::store::{BlobRef, BlobStore, Event, Recorder, Store};

use super::PipelineError;

/// Appends events and keeps the experiment projection current.
pub struct Journal<'s> {
    recorder: Recorder,
    blobs: &'s BlobStore,
    /// The projection of everything acknowledged so far.
    pub state: Experiments,
    /// The knowledge pool projection, kept only when a search uses it (`--modules lkp`).
    pub pool: Option<Pool>,
    /// Print `ack <seq>` on stdout after each acknowledged append (for crash tests and
    /// tools that follow a search).
    print_acks: bool,
}

impl<'s> Journal<'s> {
    pub fn open(
        store: &'s Store,
        state: Experiments,
        print_acks: bool,
    ) -> Result<Self, PipelineError> {
        Ok(Journal {
            recorder: store.recorder()?,
            blobs: store.blobs(),
            state,
            pool: None,
            print_acks,
        })
    }

    /// Folds the store's knowledge pool and keeps it current from now on.
    pub fn enable_pool(&mut self, store: &Store) -> Result<(), PipelineError> {
        self.pool = Some(fold_pool(store)?);
        Ok(())
    }

    /// Durably appends one event and applies it; returns its sequence number.
    pub fn append(&mut self, event: Event) -> Result<u64, PipelineError> {
        let seq = self.recorder.append(event.clone())?;
        self.acknowledged(seq, &event)?;
        Ok(seq)
    }

    /// Durably appends events as one group commit (consecutive sequence numbers).
    pub fn append_all(&mut self, events: Vec<Event>) -> Result<Vec<u64>, PipelineError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let seqs = self.recorder.append_all(events.clone())?;
        for (seq, event) in seqs.iter().zip(&events) {
            self.acknowledged(*seq, event)?;
        }
        Ok(seqs)
    }

    /// Writes a blob durably; call before appending the event that names it.
    pub fn put_blob(&self, bytes: &[u8]) -> Result<BlobRef, PipelineError> {
        Ok(self.blobs.put(bytes)?)
    }

    pub fn blobs(&self) -> &BlobStore {
        self.blobs
    }

    fn acknowledged(&mut self, seq: u64, event: &Event) -> Result<(), PipelineError> {
        self.state.apply(seq, event, self.blobs)?;
        if let Some(pool) = self.pool.as_mut() {
            pool.apply(seq, event, self.blobs)?;
        }
        if self.print_acks {
            let mut out = std::io::stdout().lock();
            // A closed stdout must not stop the search: the event is already durable.
            let _ = writeln!(out, "ack {seq} {}", event.kind_name());
            let _ = out.flush();
        }
        Ok(())
    }
}
