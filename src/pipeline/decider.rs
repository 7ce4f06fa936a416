//! The decider (DESIGN's pipeline): turns policy proposals into a batch. Each position is an
//! architecture to evaluate, one already evaluated (free), or, with UAC, a confident one whose
//! reward is the critic's V (a "fake"); with selection, the critic's pick of several draws.

use std::collections::HashSet;

use crate::critic::{BatchFill, Decision};
use crate::replay::{ExperimentState, Experiments};
use crate::space::Space;
use crate::store::{ArchSampled, Event, RewardObserved, RewardSource};

use super::policy::{Policy, Proposal};
use super::uac::CriticState;
use super::{PipelineError, SearchConfig};

/// Proposes the next batch: `size` positions, each an architecture to evaluate, one already
/// evaluated (free), or, with UAC, a confident one whose reward is the critic's V. The
/// critic's `BatchFill` keeps fakes to half the batch; past that a confident proposal is
/// dropped and the position redrawn (at most `max_resamples` times per batch, then it is
/// evaluated). With selection (`uac.selNN`), each position is the critic's pick instead.
/// Returns the events to append as one group: the batch is recorded whole or not at all.
pub fn propose_batch(
    state: &Experiments,
    experiment: u64,
    config: &SearchConfig,
    space: &Space,
    policy: &mut Policy,
    critic: Option<&CriticState>,
    size: u64,
) -> Result<Vec<Event>, PipelineError> {
    let exp = state.get(experiment)?;
    let next = exp.next_index();
    let uac = config.uac.as_ref();
    let select = uac.map_or(0, |u| u.select);
    let mut fill = BatchFill::new(size as usize, uac.map_or(0, |u| u.max_resamples));
    let mut events = Vec::new();
    let mut in_batch = HashSet::new();
    let best = exp.best().map_or(f64::NEG_INFINITY, |(_, r)| r.reward);
    for index in next..next + size {
        if let Some(c) = critic.filter(|c| select > 0 && c.critic.is_some()) {
            let p = select_candidate(exp, space, policy, c, config.seed, index, select, &in_batch)?;
            in_batch.insert(p.tokens.clone());
            events.push(Event::ArchSampled(ArchSampled {
                experiment,
                index,
                tokens: p.tokens,
                log_probs: p.log_probs,
                policy_version: policy.version(),
            }));
            continue;
        }
        let mut attempt = 0;
        loop {
            let p = policy.propose(config.seed, index, attempt);
            // An architecture evaluated before is free and exact: never faked.
            let estimate = match critic {
                Some(c) if !exp.evaluated.contains_key(&p.tokens) => {
                    c.estimate(space, &p.tokens)?
                }
                _ => None,
            };
            // Only an architecture the critic is sure cannot beat the best measured one is
            // faked: a promising one is evaluated, or the search could never find its best.
            let (uncertainty, sigma) = match (critic, &estimate) {
                (Some(c), Some(e)) if e.value + e.uncertainty < best => (e.uncertainty, c.sigma),
                _ => (f64::INFINITY, 0.0),
            };
            let decision = fill.offer(uncertainty, sigma);
            if decision == Decision::Resample {
                attempt += 1;
                continue;
            }
            events.push(Event::ArchSampled(ArchSampled {
                experiment,
                index,
                tokens: p.tokens,
                log_probs: p.log_probs,
                policy_version: policy.version(),
            }));
            if let (Decision::Fake, Some(e)) = (decision, estimate) {
                events.push(Event::RewardObserved(RewardObserved {
                    experiment,
                    index,
                    source: RewardSource::Critic,
                    accuracy: 0.0,
                    macs: 0,
                    params: 0,
                    reward: e.value,
                    train_seconds: 0.0,
                    failure: None,
                    critic: Some(e),
                }));
            }
            break;
        }
    }
    Ok(events)
}

/// Of `candidates` policy draws for position `index`, the unevaluated one (not already in the
/// batch) with the highest V + U; the first draw when every candidate is known.
#[allow(clippy::too_many_arguments)]
fn select_candidate(
    exp: &ExperimentState,
    space: &Space,
    policy: &mut Policy,
    critic: &CriticState,
    seed: u64,
    index: u64,
    candidates: usize,
    in_batch: &HashSet<Vec<u8>>,
) -> Result<Proposal, PipelineError> {
    let mut best: Option<(f64, Proposal)> = None;
    let mut first = None;
    for attempt in 0..candidates as u64 {
        let p = policy.propose(seed, index, attempt);
        if exp.evaluated.contains_key(&p.tokens) || in_batch.contains(&p.tokens) {
            first.get_or_insert(p);
            continue;
        }
        let Some(e) = critic.estimate(space, &p.tokens)? else {
            return Ok(p);
        };
        let score = e.value + e.uncertainty;
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, p));
        }
    }
    match (best, first) {
        (Some((_, p)), _) | (None, Some(p)) => Ok(p),
        (None, None) => Ok(policy.propose(seed, index, 0)),
    }
}
