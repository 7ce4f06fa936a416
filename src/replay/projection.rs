//! The one way state is derived from the log: live search and replay both feed every
//! acknowledged event through `apply`, so a reopened store rebuilds exactly the state the
//! live run had.

use crate::store::{BlobStore, Event};

use super::ReplayError;

/// State folded from the event log, one event at a time, in sequence order.
pub trait Projection {
    fn apply(&mut self, seq: u64, event: &Event, blobs: &BlobStore) -> Result<(), ReplayError>;
}
