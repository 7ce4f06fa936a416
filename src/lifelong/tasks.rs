//! `fnas tasks`: what a store knows, per task: its data (fingerprint, shape, classes), its
//! experiments and measured samples, and the knowledge that transfers (critics, pool
//! blocks, imported packages).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::replay::{Experiments, Projection};
use crate::store::{Event, RewardSource, Store};

use super::LifelongError;

/// One task of a store with its knowledge counts.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TaskSummary {
    pub task: String,
    pub fingerprint: String,
    pub input_shape: Vec<u32>,
    pub classes: u32,
    /// Experiments on the task (own and imported).
    pub experiments: u64,
    /// Measured samples (trained or looked up; not critic estimates, not cache hits).
    pub samples: u64,
    /// `critic_updated` events of the task's experiments.
    pub critics: u64,
    /// `block_checkpointed` events trained on the task (its pool).
    pub pool_blocks: u64,
    /// Packages about the task imported into this store.
    pub imports: u64,
}

/// Lists every task of the store, by name.
pub fn list_tasks(store: &Store) -> Result<Vec<TaskSummary>, LifelongError> {
    let mut state = Experiments::default();
    let mut blocks: BTreeMap<String, u64> = BTreeMap::new();
    let mut imports: BTreeMap<String, u64> = BTreeMap::new();
    for item in store.scan(1) {
        let (seq, event) = item?;
        match &event {
            Event::BlockCheckpointed(b) => *blocks.entry(b.task.clone()).or_default() += 1,
            Event::Imported(i) => *imports.entry(i.task.clone()).or_default() += 1,
            _ => {}
        }
        state.apply(seq, &event, store.blobs())?;
    }
    let mut out: BTreeMap<String, TaskSummary> = state
        .tasks
        .values()
        .map(|t| {
            let summary = TaskSummary {
                task: t.task.clone(),
                fingerprint: t.fingerprint.clone(),
                input_shape: t.input_shape.clone(),
                classes: t.classes,
                pool_blocks: blocks.get(&t.task).copied().unwrap_or(0),
                imports: imports.get(&t.task).copied().unwrap_or(0),
                ..TaskSummary::default()
            };
            (t.task.clone(), summary)
        })
        .collect();
    for exp in state.experiments.values() {
        let Some(t) = out.get_mut(&exp.started.task) else {
            continue;
        };
        t.experiments += 1;
        t.samples += exp
            .samples
            .values()
            .filter(|s| s.cached_from.is_none())
            .filter(|s| {
                s.reward
                    .as_ref()
                    .is_some_and(|r| r.source != RewardSource::Critic)
            })
            .count() as u64;
        t.critics += exp.critics.len() as u64;
    }
    Ok(out.into_values().collect())
}
