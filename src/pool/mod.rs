//! LKP, the lifelong knowledge pool (FNAS 4.2): trained weights of every part of every
//! really trained network (stem, each searchable block, head), keyed by the part's one-hot
//! embedding and recalled by cosine similarity to initialise later samples, across all
//! experiments and tasks of a store.
//!
//! Files, one job each: [`key`] (parts and their keys), [`weights`] (a part's tensors as a
//! deterministic blob), [`adapt`] (loading a part into a network of another shape),
//! [`index`] (fast cosine recall over one representative per key), [`projection`] (the
//! pool folded from `block_checkpointed` events, and the representative policy), [`stats`]
//! (hit ratios and sizes). Knows nothing of the search loop: `pipeline` decides when to
//! recall and record.

pub mod adapt;
mod error;
pub mod index;
pub mod key;
pub mod projection;
pub mod stats;
pub mod weights;

pub use adapt::{copy_overlap, load_part, LoadReport};
pub use error::PoolError;
pub use index::{Recall, RecallIndex, Representative};
pub use key::{cosine, head_part, num_parts, part_key, part_kind, part_prefixes, PartKind};
pub use projection::{fold_pool, Pool, PoolEntry};
pub use stats::{experiment_hits, pool_stats, sample_hits, ExperimentHits, PoolStats, SampleHits};
pub use weights::{PartTensor, PartWeights};
