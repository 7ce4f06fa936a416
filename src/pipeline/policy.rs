//! The proposer side of a search: the PPO controller or a baseline. Both are rebuilt from
//! the log on resume, and both propose sample i from the generator of (seed, i).

use crate::agent::{Controller, EmaBaseline};
use crate::bench::{Proposer, RandomSearch, RegularizedEvolution};
use crate::replay::ExperimentState;
use crate::space::{Arch, Space};
use crate::store::{Event, PolicyStats, PolicyUpdated};

use super::journal::Journal;
use super::learner::{batch_items, replayed_items};
use super::learner::{policy_step, single_threaded};
use super::replay_buffer::draw_old;
use super::seeds::sampling_rng;
use super::uac::CriticState;
use super::{PipelineError, SearchConfig, StrategyConfig};

/// A proposal: tokens and, for the controller, the per-decision log-probabilities PPO needs.
pub struct Proposal {
    pub tokens: Vec<u8>,
    pub log_probs: Vec<f32>,
}

/// The state that proposes architectures and learns from their rewards.
pub enum Policy {
    Controller {
        controller: Controller,
        baseline: EmaBaseline,
        version: u64,
        learned_upto: u64,
    },
    Baseline {
        proposer: Box<dyn Proposer>,
        observed_upto: u64,
    },
}

impl Policy {
    /// Rebuilds the policy of `experiment` from the journal (the initial controller is made
    /// from the seed and recorded as version 0 when none was recorded yet).
    pub fn restore(
        journal: &mut Journal<'_>,
        experiment: u64,
        config: &SearchConfig,
        space: &Space,
    ) -> Result<Policy, PipelineError> {
        let sizes = space.decision_sizes();
        match &config.strategy {
            StrategyConfig::Mnas => {
                let exp = journal.state.get(experiment)?;
                if let Some(latest) = exp.latest_policy().cloned() {
                    let bytes = journal.blobs().get(&latest.weights)?;
                    let controller = Controller::from_bytes_checked(&bytes, &sizes)?;
                    let learned_upto = learned_upto(exp);
                    let baseline = EmaBaseline {
                        decay: config.baseline_decay,
                        value: latest.baseline,
                    };
                    return Ok(Policy::Controller {
                        controller,
                        baseline,
                        version: latest.version,
                        learned_upto,
                    });
                }
                let controller = Controller::new(&sizes, config.controller.clone(), config.seed)?;
                let weights = journal.put_blob(&controller.to_bytes())?;
                journal.append(Event::PolicyUpdated(PolicyUpdated {
                    experiment,
                    version: 0,
                    weights,
                    baseline: None,
                    samples: Vec::new(),
                    stats: PolicyStats::default(),
                    replayed: Vec::new(),
                }))?;
                let baseline = EmaBaseline {
                    decay: config.baseline_decay,
                    value: None,
                };
                Ok(Policy::Controller {
                    controller,
                    baseline,
                    version: 0,
                    learned_upto: 0,
                })
            }
            StrategyConfig::Random => Ok(Policy::baseline(
                Box::new(RandomSearch::new(space)),
                journal.state.get(experiment)?,
            )),
            StrategyConfig::Evolution {
                population,
                sample_size,
            } => Ok(Policy::baseline(
                Box::new(RegularizedEvolution::new(space, *population, *sample_size)),
                journal.state.get(experiment)?,
            )),
        }
    }

    fn baseline(proposer: Box<dyn Proposer>, exp: &ExperimentState) -> Policy {
        let mut policy = Policy::Baseline {
            proposer,
            observed_upto: 0,
        };
        policy.observe_rewarded(exp);
        policy
    }

    /// Index from which samples have not been learned from yet: the pending batch.
    pub fn learned_upto(&self) -> u64 {
        match self {
            Policy::Controller { learned_upto, .. } => *learned_upto,
            Policy::Baseline { observed_upto, .. } => *observed_upto,
        }
    }

    /// Proposes sample `index` (controller math on one thread, see `single_threaded`).
    pub fn propose(&mut self, seed: u64, index: u64, attempt: u64) -> Proposal {
        let mut rng = sampling_rng(seed, index, attempt);
        match self {
            Policy::Controller { controller, .. } => {
                let s = single_threaded(|| controller.sample(&mut rng));
                Proposal {
                    tokens: s.tokens,
                    log_probs: s.log_probs,
                }
            }
            Policy::Baseline { proposer, .. } => Proposal {
                tokens: proposer.propose(&mut rng).tokens,
                log_probs: Vec::new(),
            },
        }
    }

    /// Per-decision log-probabilities of given architectures under the current controller
    /// (what PPO needs for a candidate the policy did not draw itself); empty for baselines.
    pub fn log_probs(&self, tokens: &[Vec<u8>]) -> Result<Vec<Vec<f32>>, PipelineError> {
        match self {
            Policy::Controller { controller, .. } => {
                Ok(single_threaded(|| controller.log_probs(tokens))?)
            }
            Policy::Baseline { .. } => Ok(vec![Vec::new(); tokens.len()]),
        }
    }

    pub fn version(&self) -> u64 {
        match self {
            Policy::Controller { version, .. } => *version,
            Policy::Baseline { .. } => 0,
        }
    }

    /// Learns from the finished batch `indices`. The controller: one PPO update on the batch
    /// plus, with AEB, old samples replayed from the buffer, against the critic's V(A) as
    /// baseline when UAC says so; returns the `policy_updated` to record (weights blob
    /// already written), which the caller appends together with the critic refit that
    /// follows, so a crash cannot separate them. A baseline observes the rewards in index
    /// order and returns nothing.
    pub fn learn(
        &mut self,
        journal: &Journal<'_>,
        experiment: u64,
        indices: &[u64],
        config: &SearchConfig,
        space: &Space,
        critic: Option<&CriticState>,
    ) -> Result<Option<Event>, PipelineError> {
        match self {
            Policy::Controller {
                controller,
                baseline,
                version,
                learned_upto,
            } => {
                let exp = journal.state.get(experiment)?;
                let replayed = match (&config.aeb, indices.first()) {
                    (Some(aeb), Some(&start)) => {
                        let progress =
                            exp.distinct_evaluations() as f64 / config.budget.max(1) as f64;
                        draw_old(
                            exp,
                            aeb,
                            start,
                            config.batch_size,
                            indices.len(),
                            progress,
                            config.seed,
                            *version + 1,
                        )?
                    }
                    _ => Vec::new(),
                };
                let mut batch = batch_items(exp, indices)?;
                batch.extend(replayed_items(&journal.state, &replayed)?);
                let values = match (
                    critic,
                    config.uac.as_ref().is_some_and(|u| u.critic_baseline),
                ) {
                    (Some(c), true) => {
                        c.values(space, &batch.iter().map(|b| b.tokens).collect::<Vec<_>>())?
                    }
                    _ => None,
                };
                let stats = policy_step(controller, baseline, &batch, values.as_deref())?;
                let new = &batch[..indices.len()];
                let mean_reward =
                    new.iter().map(|b| b.reward).sum::<f64>() / new.len().max(1) as f64;
                let weights = journal.put_blob(&controller.to_bytes())?;
                *version += 1;
                let event = Event::PolicyUpdated(PolicyUpdated {
                    experiment,
                    version: *version,
                    weights,
                    baseline: baseline.value,
                    samples: indices.to_vec(),
                    stats: PolicyStats {
                        loss: stats.loss,
                        entropy: stats.entropy,
                        clip_fraction: stats.clip_fraction,
                        approx_kl: stats.approx_kl,
                        mean_reward,
                        mean_advantage: stats.mean_advantage,
                    },
                    replayed,
                });
                *learned_upto = indices.iter().max().map_or(*learned_upto, |i| i + 1);
                Ok(Some(event))
            }
            Policy::Baseline { .. } => {
                self.observe_rewarded(journal.state.get(experiment)?);
                Ok(None)
            }
        }
    }

    /// A baseline observes every rewarded sample it has not seen, in index order, up to the
    /// first sample still waiting for its reward: the same order live and after a resume.
    fn observe_rewarded(&mut self, exp: &ExperimentState) {
        if let Policy::Baseline {
            proposer,
            observed_upto,
        } = self
        {
            for rec in exp.samples.range(*observed_upto..).map(|(_, r)| r) {
                let Some(reward) = &rec.reward else { break };
                proposer.observe(&Arch::new(rec.sampled.tokens.clone()), reward.reward);
                *observed_upto = rec.sampled.index + 1;
            }
        }
    }
}

/// One past the last sample a recorded policy update learned from.
fn learned_upto(exp: &ExperimentState) -> u64 {
    exp.policies
        .iter()
        .flat_map(|p| p.samples.iter())
        .max()
        .map_or(0, |i| i + 1)
}
