//! The pool as a projection of the log: every `block_checkpointed` of every experiment and
//! task, in sequence order, plus the sequence number of every `arch_sampled` (to know where a
//! batch began). Live searches and `fold_pool` feed it the same events, so it is identical
//! after a replay.
//!
//! **Representative policy** (which checkpoint a key recalls). Only checkpoints whose part
//! started from a fresh init (`init_similarity = None`) are recallable: each has had exactly
//! one proxy training budget, so every checkpoint a sample can start from has been trained
//! the same number of iterations (the paper's fairness rule), and chains of
//! recall-train-store cannot give later samples ever more trained weights than earlier ones.
//! Parts that started from a recalled checkpoint are still recorded (and counted in the hit
//! ratio) but never recalled. Among recallable checkpoints of one (part, key): the fewest
//! iterations (a store mixing budgets stays on the lowest level), then the best reward
//! (weights from the better network), then the smallest (experiment, index). The choice
//! depends only on the set of entries, not on the order two workers finished in.

use std::collections::{BTreeMap, HashMap};

use crate::replay::{Projection, ReplayError};
use crate::store::{BlobRef, BlobStore, BlockCheckpointed, Event, Store};

use super::index::{RecallIndex, Representative};
use super::PoolError;

/// One `block_checkpointed` event, with its sequence number.
#[derive(Clone, Debug, PartialEq)]
pub struct PoolEntry {
    pub seq: u64,
    pub event: BlockCheckpointed,
}

impl PoolEntry {
    /// Whether the fairness rule lets this checkpoint be recalled.
    pub fn recallable(&self) -> bool {
        self.event.init_similarity.is_none()
    }
}

/// Every pool checkpoint of the store.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pool {
    pub entries: Vec<PoolEntry>,
    /// (experiment, sample index) -> sequence number of its `arch_sampled`.
    sampled: HashMap<(u64, u64), u64>,
}

impl Projection for Pool {
    fn apply(&mut self, seq: u64, event: &Event, _blobs: &BlobStore) -> Result<(), ReplayError> {
        match event {
            Event::BlockCheckpointed(e) => self.entries.push(PoolEntry {
                seq,
                event: e.clone(),
            }),
            Event::ArchSampled(e) => {
                self.sampled.insert((e.experiment, e.index), seq);
            }
            _ => {}
        }
        Ok(())
    }
}

/// Folds the whole log into a pool.
pub fn fold_pool(store: &Store) -> Result<Pool, PoolError> {
    let mut pool = Pool::default();
    for item in store.scan(1) {
        let (seq, event) = item?;
        if let Event::BlockCheckpointed(_) | Event::ArchSampled(_) = event {
            // Pool::apply never fails.
            let _ = pool.apply(seq, &event, store.blobs());
        }
    }
    Ok(pool)
}

/// Orders recallable entries of one key: true if `a` represents it better than `b`.
fn better(a: &BlockCheckpointed, b: &BlockCheckpointed) -> bool {
    (
        a.iterations,
        std::cmp::Reverse(OrdF64(a.reward)),
        a.experiment,
        a.index,
    ) < (
        b.iterations,
        std::cmp::Reverse(OrdF64(b.reward)),
        b.experiment,
        b.index,
    )
}

/// Total order on f64 for the tie rule (NaN rewards sort lowest). Every comparison goes
/// through `cmp` (the tuple comparison in `better` uses `PartialOrd`), so a NaN reward can
/// never make two checkpoints incomparable and the choice depend on event order.
struct OrdF64(f64);

impl PartialEq for OrdF64 {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}

impl Eq for OrdF64 {}

impl PartialOrd for OrdF64 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OrdF64 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let key = |x: f64| if x.is_nan() { f64::NEG_INFINITY } else { x };
        key(self.0).total_cmp(&key(other.0))
    }
}

impl Pool {
    /// Sequence number of sample `index`'s `arch_sampled` in `experiment`.
    pub fn sampled_seq(&self, experiment: u64, index: u64) -> Option<u64> {
        self.sampled.get(&(experiment, index)).copied()
    }

    /// The recall index over entries recorded before sequence number `before` (all when
    /// None), one representative per (part, key) by the module's policy.
    pub fn snapshot(&self, before: Option<u64>) -> RecallIndex {
        let mut best: BTreeMap<(u32, &[u8]), &BlockCheckpointed> = BTreeMap::new();
        for e in &self.entries {
            if before.is_some_and(|b| e.seq >= b) || !e.recallable() {
                continue;
            }
            let ev = &e.event;
            let slot = best.entry((ev.part, ev.key.as_slice())).or_insert(ev);
            if better(ev, slot) {
                *slot = ev;
            }
        }
        RecallIndex::build(best.into_values().map(|e| {
            (
                e.part,
                Representative {
                    key: e.key.clone(),
                    weights: e.weights.clone(),
                    task: e.task.clone(),
                    experiment: e.experiment,
                    index: e.index,
                    iterations: e.iterations,
                    reward: e.reward,
                },
            )
        }))
    }

    /// Distinct blobs and their total size.
    pub fn blobs(&self) -> (usize, u64) {
        let distinct: BTreeMap<&str, &BlobRef> = self
            .entries
            .iter()
            .map(|e| (e.event.weights.hash.as_str(), &e.event.weights))
            .collect();
        (distinct.len(), distinct.values().map(|b| b.size).sum())
    }
}
