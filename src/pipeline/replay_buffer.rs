//! AEB in the search loop (FNAS Section 5): each PPO batch mixes new samples with old ones
//! drawn from an experience buffer by priority softmax(r), weighted by (N P_i)^-beta with
//! beta annealed over the search. The buffer is a projection: the last N measured samples
//! before the batch, in index order, so the live run and replay build the same one; which
//! samples an update replayed, with their weights, is recorded in its `PolicyUpdated`.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::buffer::{BufferConfig, BufferEntry, ExperienceBuffer};
use crate::replay::ExperimentState;
use crate::store::{ReplayedSample, RewardSource};

use super::PipelineError;

/// The buffer as it stood before the batch starting at `batch_start`.
pub fn buffer_before(
    exp: &ExperimentState,
    config: &BufferConfig,
    batch_start: u64,
) -> Result<ExperienceBuffer, PipelineError> {
    let mut buffer =
        ExperienceBuffer::new(config.clone()).map_err(|e| PipelineError::Invalid(e.to_string()))?;
    for rec in exp.samples.range(..batch_start).map(|(_, r)| r) {
        let Some(r) = rec
            .reward
            .as_ref()
            .filter(|r| r.source != RewardSource::Critic && r.failure.is_none())
        else {
            continue;
        };
        // Baseline strategies record no log-probs; nothing to replay from them.
        if rec.sampled.log_probs.len() != rec.sampled.tokens.len() {
            continue;
        }
        buffer
            .push(BufferEntry {
                experiment: exp.id,
                index: rec.sampled.index,
                tokens: rec.sampled.tokens.clone(),
                log_probs: rec.sampled.log_probs.clone(),
                reward: r.reward,
            })
            .map_err(|e| PipelineError::Invalid(e.to_string()))?;
    }
    Ok(buffer)
}

/// How many old samples the batch starting at `batch_start` will replay: half the batch at
/// most (the quota), no more than the buffer holds.
pub fn old_count(
    exp: &ExperimentState,
    config: &BufferConfig,
    batch_start: u64,
    batch_size: usize,
) -> Result<usize, PipelineError> {
    let buffer = buffer_before(exp, config, batch_start)?;
    Ok(buffer.old_quota(batch_size).min(buffer.len()))
}

/// Draws the old samples for policy version `version`'s update of `new` new samples (a seeded
/// draw of its own, so it depends on nothing but the log), weighted at beta(progress). Never
/// more old than new samples: a short last batch keeps the 50% bound too.
#[allow(clippy::too_many_arguments)]
pub fn draw_old(
    exp: &ExperimentState,
    config: &BufferConfig,
    batch_start: u64,
    batch_size: usize,
    new: usize,
    progress: f64,
    seed: u64,
    version: u64,
) -> Result<Vec<ReplayedSample>, PipelineError> {
    let buffer = buffer_before(exp, config, batch_start)?;
    let k = buffer.old_quota(batch_size).min(buffer.len()).min(new);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6165_6200_0000_0000 ^ version.rotate_left(17));
    Ok(buffer
        .draw(k, buffer.beta(progress), &mut rng)
        .into_iter()
        .map(|(e, weight)| ReplayedSample {
            experiment: e.experiment,
            index: e.index,
            weight,
        })
        .collect())
}
