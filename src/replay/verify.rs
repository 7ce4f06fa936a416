//! `replay --verify`: rebuild every projection from the log and check it against what the
//! live run recorded: each finished experiment's summary hash, every policy blob's content,
//! and every policy update recomputed from the recorded batch (same learner code), which must
//! give byte-identical weights.

use crate::agent::{Controller, EmaBaseline};
use crate::critic::Critic;
use crate::pipeline::{
    batch_items, policy_step, replayed_items, BatchItem, CriticState, PipelineError, SearchConfig,
};
use crate::space::Space;
use crate::store::Store;

use super::{ExperimentState, Experiments, Projection, ReplayError};

/// Folds the whole log into the experiment projection.
pub fn fold_store(store: &Store) -> Result<Experiments, ReplayError> {
    let mut state = Experiments::default();
    for item in store.scan(1) {
        let (seq, event) = item?;
        state.apply(seq, &event, store.blobs())?;
    }
    Ok(state)
}

/// Result of the audit, one line per finding.
#[derive(Debug, Default)]
pub struct VerifyReport {
    pub events: u64,
    pub experiments: u64,
    pub policy_updates_checked: u64,
    pub problems: Vec<String>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Audits every experiment in the store.
pub fn verify_store(store: &Store) -> Result<VerifyReport, ReplayError> {
    let state = fold_store(store)?;
    let mut report = VerifyReport {
        events: store.last_seq()?,
        experiments: state.experiments.len() as u64,
        ..VerifyReport::default()
    };
    for exp in state.experiments.values() {
        if let Some(ended) = &exp.ended {
            let rebuilt = exp.summary_hash();
            if rebuilt != ended.summary_hash {
                report.problems.push(format!(
                    "experiment {}: summary hash {} rebuilt, {} recorded",
                    exp.id, rebuilt, ended.summary_hash
                ));
            }
            let last = exp.latest_policy().map(|p| &p.weights);
            if ended.policy.as_ref() != last {
                report.problems.push(format!(
                    "experiment {}: final policy differs from the last policy update",
                    exp.id
                ));
            }
        }
        verify_policies(store, &state, exp, &mut report)?;
    }
    Ok(report)
}

/// Recomputes each policy update from the previous weights and the recorded batch.
fn verify_policies(
    store: &Store,
    state: &Experiments,
    exp: &ExperimentState,
    report: &mut VerifyReport,
) -> Result<(), ReplayError> {
    let config = SearchConfig::from_json(&exp.started.config_json).map_err(|source| {
        ReplayError::BadConfig {
            experiment: exp.id,
            source,
        }
    })?;
    let space = match Space::builtin(&exp.started.space) {
        Ok(space) => space,
        Err(e) => {
            report.problems.push(format!("experiment {}: {e}", exp.id));
            return Ok(());
        }
    };
    let sizes = space.decision_sizes();
    let mut previous: Option<(Controller, EmaBaseline)> = None;
    for (update, &seq) in exp.policies.iter().zip(&exp.policy_seqs) {
        let bytes = match store.blobs().get(&update.weights) {
            Ok(bytes) => bytes,
            Err(e) => {
                report.problems.push(format!(
                    "experiment {} policy v{}: {e}",
                    exp.id, update.version
                ));
                previous = None;
                continue;
            }
        };
        if let Some((mut controller, mut baseline)) = previous.take() {
            let items = batch_items(exp, &update.samples).and_then(|mut batch| {
                batch.extend(replayed_items(state, &update.replayed)?);
                Ok(batch)
            });
            let outcome = items.map_err(|e| e.to_string()).and_then(|batch| {
                let values = match config.uac.as_ref().is_some_and(|u| u.critic_baseline) {
                    true => {
                        critic_values(store, exp, seq, &space, &batch).map_err(|e| e.to_string())?
                    }
                    false => None,
                };
                policy_step(&mut controller, &mut baseline, &batch, values.as_deref())
                    .map_err(|e| e.to_string())
            });
            match outcome {
                Ok(_) if controller.to_bytes() == bytes && baseline.value == update.baseline => {}
                Ok(_) => report.problems.push(format!(
                    "experiment {} policy v{}: recomputed update differs from the recorded weights",
                    exp.id, update.version
                )),
                Err(e) => report.problems.push(format!(
                    "experiment {} policy v{}: {e}",
                    exp.id, update.version
                )),
            }
            report.policy_updates_checked += 1;
        }
        match Controller::from_bytes_checked(&bytes, &sizes) {
            Ok(controller) => {
                let baseline = EmaBaseline {
                    decay: config.baseline_decay,
                    value: update.baseline,
                };
                previous = Some((controller, baseline));
            }
            Err(e) => report.problems.push(format!(
                "experiment {} policy v{}: {e}",
                exp.id, update.version
            )),
        }
    }
    Ok(())
}

/// V(A) of a batch from the critic in force when its policy update was made (the latest
/// critic recorded before it), if the experiment used one.
fn critic_values(
    store: &Store,
    exp: &ExperimentState,
    policy_seq: u64,
    space: &Space,
    batch: &[BatchItem<'_>],
) -> Result<Option<Vec<f64>>, PipelineError> {
    let Some((_, critic)) = exp.critics.iter().rev().find(|(seq, _)| *seq < policy_seq) else {
        return Ok(None);
    };
    let bytes = store.blobs().get(&critic.weights)?;
    let state = CriticState {
        critic: Some(Critic::from_bytes(&bytes)?),
        version: critic.version,
        sigma: critic.sigma,
    };
    let tokens: Vec<&[u8]> = batch.iter().map(|b| b.tokens).collect();
    state.values(space, &tokens)
}
