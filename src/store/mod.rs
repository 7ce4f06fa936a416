//! The event store: an append-only, gap-free event log on sled plus content-addressed
//! blobs beside it. It is the single source of truth; every other subsystem either
//! produces events (through the one [`Recorder`]) or folds them ([`Store::scan`]).
//!
//! Layout of a store directory: `log/` (sled database, tree "log", keys = u64 big-endian
//! sequence numbers from 1) and `blobs/<hash[0..2]>/<sha256>`. The wire format is owned by
//! [`codec`] and documented in schema/events.md.

mod blobs;
pub mod codec;
mod error;
mod event;
mod log;
mod recorder;

pub use blobs::{hash_bytes, BlobStore};
pub use codec::{KindInfo, SCHEMA_VERSION};
pub use error::StoreError;
pub use event::{
    ArchSampled, BlobRef, BlockCheckpointed, CriticEstimate, CriticFit, CriticUpdated, EndReason,
    Event, ExperimentEnded, ExperimentMapping, ExperimentStarted, Imported, PolicyStats,
    PolicyUpdated, ReplayedSample, RewardObserved, RewardSource, TaskRegistered,
};
pub use log::{Scan, Store};
pub use recorder::{Recorder, RecorderStats};
