//! Hit accounting and pool statistics, recomputed from the log alone.
//!
//! A block (parts 1..=B; the stem and head have one constant key, so they would always
//! "hit" and are left out) is a **hit** when it was initialised from a pool entry, which a
//! search does only when the entry's cosine similarity is at least its threshold: its
//! `init_similarity` is recorded as Some. A sample's hit ratio = hits / B; a search's =
//! hits / blocks over its checkpointed samples.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::projection::Pool;

/// Hits of one trained sample.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SampleHits {
    pub experiment: u64,
    pub index: u64,
    pub blocks: u32,
    pub hits: u32,
}

impl SampleHits {
    pub fn ratio(&self) -> f64 {
        if self.blocks == 0 {
            0.0
        } else {
            f64::from(self.hits) / f64::from(self.blocks)
        }
    }
}

/// Hits of one experiment; `history` is the hit ratio of each window of `window` samples
/// in index order (how the pool warmed up).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExperimentHits {
    pub experiment: u64,
    pub task: String,
    pub samples: usize,
    pub blocks: u64,
    pub hits: u64,
    pub ratio: f64,
    pub window: usize,
    pub history: Vec<f64>,
}

/// What `fnas pool stats` prints.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PoolStats {
    pub entries: usize,
    /// Entries the fairness rule lets be recalled (trained from a fresh init).
    pub recallable: usize,
    pub distinct_blobs: usize,
    pub blob_bytes: u64,
    /// Part -> distinct keys stored / distinct keys recallable.
    pub keys: BTreeMap<u32, (usize, usize)>,
    /// Training iterations -> number of entries.
    pub iterations: BTreeMap<u64, usize>,
    pub experiments: Vec<ExperimentHits>,
}

/// Per-sample hits in (experiment, index) order.
pub fn sample_hits(pool: &Pool) -> Vec<SampleHits> {
    let mut by_sample: BTreeMap<(u64, u64), Vec<(u32, bool)>> = BTreeMap::new();
    for e in &pool.entries {
        by_sample
            .entry((e.event.experiment, e.event.index))
            .or_default()
            .push((e.event.part, e.event.init_similarity.is_some()));
    }
    by_sample
        .into_iter()
        .map(|((experiment, index), parts)| {
            // The head is the highest part; blocks are strictly between stem and head.
            let head = parts.iter().map(|p| p.0).max().unwrap_or(0);
            let blocks: Vec<_> = parts.iter().filter(|p| p.0 >= 1 && p.0 < head).collect();
            SampleHits {
                experiment,
                index,
                blocks: blocks.len() as u32,
                hits: blocks.iter().filter(|p| p.1).count() as u32,
            }
        })
        .collect()
}

/// Hit ratio of each experiment, with a history in windows of `window` samples.
pub fn experiment_hits(pool: &Pool, window: usize) -> Vec<ExperimentHits> {
    let window = window.max(1);
    let tasks: BTreeMap<u64, &str> = pool
        .entries
        .iter()
        .map(|e| (e.event.experiment, e.event.task.as_str()))
        .collect();
    let mut by_exp: BTreeMap<u64, Vec<SampleHits>> = BTreeMap::new();
    for s in sample_hits(pool) {
        by_exp.entry(s.experiment).or_default().push(s);
    }
    by_exp
        .into_iter()
        .map(|(experiment, samples)| {
            let ratio_of = |s: &[SampleHits]| {
                let blocks: u64 = s.iter().map(|x| u64::from(x.blocks)).sum();
                let hits: u64 = s.iter().map(|x| u64::from(x.hits)).sum();
                (
                    blocks,
                    hits,
                    if blocks == 0 {
                        0.0
                    } else {
                        hits as f64 / blocks as f64
                    },
                )
            };
            let (blocks, hits, ratio) = ratio_of(&samples);
            ExperimentHits {
                experiment,
                task: tasks.get(&experiment).copied().unwrap_or("").to_string(),
                samples: samples.len(),
                blocks,
                hits,
                ratio,
                window,
                history: samples.chunks(window).map(|c| ratio_of(c).2).collect(),
            }
        })
        .collect()
}

/// Size, coverage, iterations and hit ratios of the whole pool.
pub fn pool_stats(pool: &Pool, window: usize) -> PoolStats {
    let mut keys: BTreeMap<u32, (BTreeSet<&[u8]>, BTreeSet<&[u8]>)> = BTreeMap::new();
    let mut iterations = BTreeMap::new();
    for e in &pool.entries {
        let k = keys.entry(e.event.part).or_default();
        k.0.insert(&e.event.key);
        if e.recallable() {
            k.1.insert(&e.event.key);
        }
        *iterations.entry(e.event.iterations).or_insert(0) += 1;
    }
    let (distinct_blobs, blob_bytes) = pool.blobs();
    PoolStats {
        entries: pool.entries.len(),
        recallable: pool.entries.iter().filter(|e| e.recallable()).count(),
        distinct_blobs,
        blob_bytes,
        keys: keys
            .into_iter()
            .map(|(p, (all, rec))| (p, (all.len(), rec.len())))
            .collect(),
        iterations,
        experiments: experiment_hits(pool, window),
    }
}
