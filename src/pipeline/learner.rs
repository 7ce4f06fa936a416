//! One policy step from a finished batch. Shared by the live search and by
//! `replay --verify`, which recomputes every update from the log and compares weights.

use crate::agent::{AgentError, Controller, EmaBaseline, PpoSample, UpdateStats};
use crate::replay::{ExperimentState, Experiments};
use crate::store::ReplayedSample;

use super::PipelineError;

/// A sample as the learner needs it: what was chosen, how likely it was (under the policy
/// that proposed it: for a sample replayed from the experience buffer the PPO ratio against
/// it is the off-policy correction), what it earned, and the weight of its loss term (1, or
/// the buffer's importance weight).
pub struct BatchItem<'a> {
    pub tokens: &'a [u8],
    pub log_probs: &'a [f32],
    pub reward: f64,
    pub weight: f64,
}

/// Advantages are reward minus a baseline, scaled by the batch's reward spread: proxy rewards
/// differ by a few hundredths, and without the scaling an update at lr 3.5e-4 barely moves
/// the policy. The baseline is the critic's V(A) per sample when UAC is on (`values`), else
/// the EMA baseline (the batch mean seeds it). Then the EMA takes the batch mean.
pub fn policy_step(
    controller: &mut Controller,
    baseline: &mut EmaBaseline,
    batch: &[BatchItem<'_>],
    values: Option<&[f64]>,
) -> Result<UpdateStats, AgentError> {
    let n = batch.len() as f64;
    let mean = batch.iter().map(|b| b.reward).sum::<f64>() / n;
    let var = batch.iter().map(|b| (b.reward - mean).powi(2)).sum::<f64>() / n;
    let scale = 1.0 / (var.sqrt() + 1e-8);
    let reference = baseline.value.unwrap_or(mean);
    let samples: Vec<PpoSample> = batch
        .iter()
        .enumerate()
        .map(|(i, b)| PpoSample {
            tokens: b.tokens.to_vec(),
            old_log_probs: b.log_probs.to_vec(),
            advantage: (b.reward - values.and_then(|v| v.get(i).copied()).unwrap_or(reference))
                * scale,
            weight: b.weight,
        })
        .collect();
    let stats = single_threaded(|| controller.update(&samples))?;
    baseline.update(mean);
    Ok(stats)
}

/// Runs controller math on one libtorch thread, whatever the trainers use, so a policy
/// update gives the same bits live, after a resume, and when `replay --verify` redoes it
/// in a process with another thread setting. Trainers are idle while the controller works.
pub fn single_threaded<T>(f: impl FnOnce() -> T) -> T {
    let before = tch::get_num_threads();
    tch::set_num_threads(1);
    let out = f();
    tch::set_num_threads(before);
    out
}

/// The learner's view of recorded samples, in index order. Shared with `replay --verify`.
pub fn batch_items<'a>(
    exp: &'a ExperimentState,
    indices: &[u64],
) -> Result<Vec<BatchItem<'a>>, PipelineError> {
    indices
        .iter()
        .map(|i| {
            let rec = exp.samples.get(i).ok_or_else(|| {
                PipelineError::Invalid(format!(
                    "experiment {}: sample {i} missing from the log",
                    exp.id
                ))
            })?;
            let reward = rec.reward.as_ref().ok_or_else(|| {
                PipelineError::Invalid(format!("experiment {}: sample {i} has no reward", exp.id))
            })?;
            Ok(BatchItem {
                tokens: &rec.sampled.tokens,
                log_probs: &rec.sampled.log_probs,
                reward: reward.reward,
                weight: 1.0,
            })
        })
        .collect()
}

/// Old samples a policy update replayed from the experience buffer, with their recorded
/// importance weights. Shared with `replay --verify`.
pub fn replayed_items<'a>(
    state: &'a Experiments,
    replayed: &[ReplayedSample],
) -> Result<Vec<BatchItem<'a>>, PipelineError> {
    replayed
        .iter()
        .map(|old| {
            let exp = state.get(old.experiment)?;
            let mut item = batch_items(exp, &[old.index])?.remove(0);
            item.weight = old.weight;
            Ok(item)
        })
        .collect()
}
