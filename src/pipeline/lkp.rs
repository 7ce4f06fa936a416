//! `--modules lkp`: the search's side of the knowledge pool (see [`crate::pool`]).
//!
//! Before a batch is evaluated, each of its samples is planned from the pool **as it was when
//! the batch was sampled** (entries recorded before the batch's first `arch_sampled`): two
//! workers finishing in either order, or a search killed mid-batch and resumed, give every
//! sample the same starting weights. Per part, the representative with the highest cosine
//! similarity is used if the similarity reaches the threshold (a hit); otherwise the part keeps
//! its fresh init. After a sample trains, its parts' blobs are written and its
//! `block_checkpointed` events are appended in the same group commit as its reward.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::pool::{num_parts, part_key, PartWeights, RecallIndex};
use crate::space::{Arch, Space};
use crate::store::{BlobStore, BlockCheckpointed, Event, RewardObserved};

use super::journal::Journal;
use super::workers::Job;
use super::PipelineError;

/// Cosine similarity at or above which a recalled part initialises a sample: 1.0, exact keys
/// only. Measured (docs/pool.md, `examples/lkp_rank.rs`): blocks recalled from the exact key
/// (plus stem and head) made short trainings rank better than scratch at every budget,
/// while blocks adapted from a neighbouring key (`lkp.t80`: at most one of the 6 decisions
/// differs, 6/7 = 0.857) made them rank worse.
pub const DEFAULT_THRESHOLD: f32 = 1.0;

/// Settings of the pool module.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LkpConfig {
    pub threshold: f32,
}

impl Default for LkpConfig {
    fn default() -> Self {
        LkpConfig {
            threshold: DEFAULT_THRESHOLD,
        }
    }
}

impl LkpConfig {
    /// `lkp` (threshold 1.0: exact keys) or `lkp.tNN` (threshold NN/100, e.g. `lkp.t80`: one
    /// decision may differ).
    pub fn parse(spec: &str) -> Result<LkpConfig, String> {
        match spec.strip_prefix("lkp") {
            Some("") => Ok(LkpConfig::default()),
            Some(rest) => {
                let t = rest
                    .strip_prefix(".t")
                    .and_then(|t| t.parse::<u32>().ok())
                    .filter(|t| *t <= 100)
                    .ok_or_else(|| {
                        format!("module '{spec}': expected lkp or lkp.tNN with NN in 0..=100 (similarity threshold in percent)")
                    })?;
                Ok(LkpConfig {
                    threshold: t as f32 / 100.0,
                })
            }
            None => Err(format!("module '{spec}' is not lkp")),
        }
    }

    /// The pool needs trained weights: refuse table tasks, naming the flag.
    pub fn check_task(task: &str) -> Result<(), String> {
        if task.starts_with("table:") {
            return Err(format!(
                "module lkp needs real training (an image task: digits, idx:DIR, cifar:DIR); --task {task} looks rewards up in a table, so there are no weights to pool"
            ));
        }
        Ok(())
    }
}

/// The initialisation of one part from the pool.
#[derive(Clone, Debug)]
pub struct PartInit {
    pub part: u32,
    pub similarity: f32,
    /// Iterations the recalled weights have seen.
    pub iterations: u64,
    /// Trained on this search's task (the classifier is copied only then).
    pub same_task: bool,
    pub weights: Arc<PartWeights>,
}

/// What a worker needs for one sample under `lkp`: the key of every part (to checkpoint)
/// and the parts recalled from the pool.
#[derive(Clone, Debug, Default)]
pub struct LkpJob {
    pub keys: Vec<Vec<u8>>,
    pub inits: Vec<PartInit>,
}

/// A trained part, encoded by the worker, for the main thread to store.
#[derive(Clone, Debug)]
pub struct TrainedPart {
    pub part: u32,
    pub key: Vec<u8>,
    pub bytes: Vec<u8>,
    pub iterations: u64,
    pub init_similarity: Option<f32>,
}

/// Plans every job of the batch from the pool snapshot taken where the batch began
/// (`first`: the batch's smallest sample index). No-op without `lkp` or without a pool.
pub fn plan_batch(
    journal: &Journal<'_>,
    lkp: Option<&LkpConfig>,
    task: &str,
    space: &Space,
    experiment: u64,
    first: Option<u64>,
    jobs: &mut [Job],
) -> Result<(), PipelineError> {
    let (Some(lkp), Some(pool), Some(first)) = (lkp, journal.pool.as_ref(), first) else {
        return Ok(());
    };
    let snapshot = pool.snapshot(pool.sampled_seq(experiment, first));
    let mut cache = HashMap::new();
    for job in jobs {
        job.lkp = Some(Arc::new(plan_sample(
            &snapshot,
            lkp,
            task,
            space,
            &job.arch,
            journal.blobs(),
            &mut cache,
        )?));
    }
    Ok(())
}

/// One sample's plan from `snapshot` (see [`plan_batch`]); decoded blobs are shared through
/// `cache`. Public for experiments that initialise networks from a pool outside a search.
pub fn plan_sample(
    snapshot: &RecallIndex,
    lkp: &LkpConfig,
    task: &str,
    space: &Space,
    arch: &Arch,
    blobs: &BlobStore,
    cache: &mut HashMap<String, Arc<PartWeights>>,
) -> Result<LkpJob, PipelineError> {
    let mut job = LkpJob::default();
    for part in 0..num_parts(space) {
        let key = part_key(space, arch, part);
        if let Some(hit) = snapshot
            .recall(part, &key)
            .filter(|r| r.similarity >= lkp.threshold)
        {
            let blob = &hit.entry.weights;
            let weights = match cache.get(&blob.hash) {
                Some(w) => w.clone(),
                None => {
                    let bytes = blobs.get(blob)?;
                    let w = Arc::new(PartWeights::decode(&bytes, &blob.hash)?);
                    cache.insert(blob.hash.clone(), w.clone());
                    w
                }
            };
            job.inits.push(PartInit {
                part,
                similarity: hit.similarity,
                iterations: hit.entry.iterations,
                same_task: hit.entry.task == task,
                weights,
            });
        }
        job.keys.push(key);
    }
    Ok(job)
}

/// Writes the parts' blobs (durable) and returns their `block_checkpointed` events, to be
/// appended with the sample's reward.
pub fn checkpoint_events(
    journal: &Journal<'_>,
    task: &str,
    reward: &RewardObserved,
    parts: Vec<TrainedPart>,
) -> Result<Vec<Event>, PipelineError> {
    parts
        .into_iter()
        .map(|p| {
            let weights = journal.put_blob(&p.bytes)?;
            Ok(Event::BlockCheckpointed(BlockCheckpointed {
                experiment: reward.experiment,
                index: reward.index,
                task: task.to_string(),
                part: p.part,
                key: p.key,
                weights,
                iterations: p.iterations,
                reward: reward.reward,
                init_similarity: p.init_similarity,
            }))
        })
        .collect()
}
