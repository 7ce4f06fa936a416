//! Experiment summaries: every sample with its reward and every policy version, per
//! experiment. `summary_hash` is what a live run records at its end and what
//! `replay --verify` recomputes.

use std::collections::{BTreeMap, HashMap};

use sha2::{Digest, Sha256};

use crate::store::{
    ArchSampled, BlobStore, CriticUpdated, Event, ExperimentEnded, ExperimentStarted,
    PolicyUpdated, RewardObserved, RewardSource, TaskRegistered,
};

use super::{Projection, ReplayError};

/// One sampled architecture and, once observed, its reward.
#[derive(Clone, Debug)]
pub struct SampleRecord {
    pub sampled: ArchSampled,
    pub reward: Option<RewardObserved>,
    /// Set when this architecture had already been evaluated in the experiment: the reward
    /// is that earlier sample's, and nothing was paid for it. A rule of the fold, so live
    /// runs and replays agree without a separate event.
    pub cached_from: Option<u64>,
}

/// Everything recorded about one experiment.
#[derive(Clone, Debug)]
pub struct ExperimentState {
    pub id: u64,
    pub started: ExperimentStarted,
    pub samples: BTreeMap<u64, SampleRecord>,
    pub policies: Vec<PolicyUpdated>,
    /// Critic refits with the sequence number they were recorded at: a policy update uses
    /// the latest critic recorded before it.
    pub critics: Vec<(u64, CriticUpdated)>,
    /// Sequence number of each policy update, parallel to `policies`.
    pub policy_seqs: Vec<u64>,
    pub ended: Option<ExperimentEnded>,
    /// Tokens of every evaluated architecture -> the index of its (first) evaluation.
    pub evaluated: HashMap<Vec<u8>, u64>,
}

impl ExperimentState {
    /// Architectures actually evaluated (cache hits excluded): what a budget counts.
    pub fn distinct_evaluations(&self) -> u64 {
        self.evaluated.len() as u64
    }

    /// Index after the last recorded sample.
    pub fn next_index(&self) -> u64 {
        self.samples.keys().next_back().map_or(0, |i| i + 1)
    }

    /// Rewards of the evaluated (not cached) samples in index order: the trace a benchmark
    /// scores (best after k distinct evaluations).
    pub fn evaluation_trace(&self) -> Vec<f64> {
        self.samples
            .values()
            .filter(|s| s.cached_from.is_none())
            .filter_map(|s| s.reward.as_ref())
            .filter(|r| r.source != RewardSource::Critic)
            .map(|r| r.reward)
            .collect()
    }

    /// Samples whose reward has been observed, in index order.
    pub fn rewarded(&self) -> impl Iterator<Item = (&ArchSampled, &RewardObserved)> {
        self.samples
            .values()
            .filter_map(|s| s.reward.as_ref().map(|r| (&s.sampled, r)))
    }

    pub fn rewarded_count(&self) -> u64 {
        self.rewarded().count() as u64
    }

    /// Samples whose reward was measured (evaluated or cached), not estimated by a critic.
    pub fn measured(&self) -> impl Iterator<Item = (&ArchSampled, &RewardObserved)> {
        self.rewarded()
            .filter(|(_, r)| r.source != RewardSource::Critic)
    }

    /// The highest measured reward (ties: the earliest index).
    pub fn best(&self) -> Option<(&ArchSampled, &RewardObserved)> {
        self.measured().fold(None, |best, (s, r)| match best {
            // Only a strictly higher reward replaces the incumbent (a NaN never does).
            Some((_, br))
                if r.reward.partial_cmp(&br.reward) != Some(std::cmp::Ordering::Greater) =>
            {
                best
            }
            _ => Some((s, r)),
        })
    }

    pub fn latest_critic(&self) -> Option<&CriticUpdated> {
        self.critics.last().map(|(_, c)| c)
    }

    /// Samples whose reward the critic estimated instead of an evaluation.
    pub fn fake_count(&self) -> u64 {
        self.rewarded()
            .filter(|(_, r)| r.source == RewardSource::Critic)
            .count() as u64
    }

    pub fn latest_policy(&self) -> Option<&PolicyUpdated> {
        self.policies.last()
    }

    /// Hash of everything deterministic about the experiment: the samples, their rewards and
    /// the policy versions. Wall-clock fields (train seconds) are left out, so a search that
    /// was killed and resumed hashes the same as one that ran straight through.
    pub fn summary_hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.started.seed.to_le_bytes());
        h.update(self.started.space_hash.as_bytes());
        for rec in self.samples.values() {
            let s = &rec.sampled;
            h.update(s.index.to_le_bytes());
            h.update((s.tokens.len() as u64).to_le_bytes());
            h.update(&s.tokens);
            h.update(s.policy_version.to_le_bytes());
            for lp in &s.log_probs {
                h.update(lp.to_bits().to_le_bytes());
            }
            if let Some(r) = &rec.reward {
                h.update([1u8]);
                h.update(format!("{:?}", r.source).as_bytes());
                h.update(r.accuracy.to_bits().to_le_bytes());
                h.update(r.reward.to_bits().to_le_bytes());
                h.update(r.macs.to_le_bytes());
                h.update(r.params.to_le_bytes());
                h.update(r.failure.as_deref().unwrap_or("").as_bytes());
            } else {
                h.update([0u8]);
            }
        }
        for p in &self.policies {
            h.update(p.version.to_le_bytes());
            h.update(p.weights.hash.as_bytes());
        }
        for (_, c) in &self.critics {
            h.update(c.version.to_le_bytes());
            h.update(c.weights.hash.as_bytes());
        }
        hex::encode(h.finalize())
    }
}

/// All tasks and experiments of a store.
#[derive(Clone, Debug, Default)]
pub struct Experiments {
    pub tasks: BTreeMap<String, TaskRegistered>,
    pub experiments: BTreeMap<u64, ExperimentState>,
}

impl Experiments {
    pub fn get(&self, id: u64) -> Result<&ExperimentState, ReplayError> {
        self.experiments
            .get(&id)
            .ok_or(ReplayError::UnknownExperiment(id))
    }

    fn state_mut(&mut self, seq: u64, id: u64) -> Result<&mut ExperimentState, ReplayError> {
        self.experiments
            .get_mut(&id)
            .ok_or_else(|| ReplayError::Inconsistent {
                seq,
                message: format!("names experiment {id}, which was never started"),
            })
    }
}

impl Projection for Experiments {
    fn apply(&mut self, seq: u64, event: &Event, _blobs: &BlobStore) -> Result<(), ReplayError> {
        match event {
            Event::TaskRegistered(t) => {
                self.tasks.insert(t.task.clone(), t.clone());
            }
            Event::ExperimentStarted(s) => {
                self.experiments.insert(
                    seq,
                    ExperimentState {
                        id: seq,
                        started: s.clone(),
                        samples: BTreeMap::new(),
                        policies: Vec::new(),
                        critics: Vec::new(),
                        policy_seqs: Vec::new(),
                        ended: None,
                        evaluated: HashMap::new(),
                    },
                );
            }
            Event::ArchSampled(a) => {
                let exp = self.state_mut(seq, a.experiment)?;
                if exp.samples.contains_key(&a.index) {
                    return Err(ReplayError::Inconsistent {
                        seq,
                        message: format!(
                            "sample {} of experiment {} recorded twice",
                            a.index, a.experiment
                        ),
                    });
                }
                let (reward, cached_from) = match exp.evaluated.get(&a.tokens) {
                    Some(&first) => (
                        exp.samples.get(&first).and_then(|s| s.reward.clone()),
                        Some(first),
                    ),
                    None => (None, None),
                };
                exp.samples.insert(
                    a.index,
                    SampleRecord {
                        sampled: a.clone(),
                        reward,
                        cached_from,
                    },
                );
            }
            Event::RewardObserved(r) => {
                let exp = self.state_mut(seq, r.experiment)?;
                let rec =
                    exp.samples
                        .get_mut(&r.index)
                        .ok_or_else(|| ReplayError::Inconsistent {
                            seq,
                            message: format!(
                                "reward for sample {} of experiment {} that was never sampled",
                                r.index, r.experiment
                            ),
                        })?;
                if rec.reward.is_some() {
                    return Err(ReplayError::Inconsistent {
                        seq,
                        message: format!(
                            "sample {} of experiment {} rewarded twice",
                            r.index, r.experiment
                        ),
                    });
                }
                rec.reward = Some(r.clone());
                if r.source == RewardSource::Critic {
                    // A critic's estimate is not an evaluation: it neither counts towards the
                    // budget nor answers later proposals of the same architecture.
                    return Ok(());
                }
                let tokens = rec.sampled.tokens.clone();
                exp.evaluated.entry(tokens.clone()).or_insert(r.index);
                // Later samples of the same architecture waiting for this evaluation.
                for other in exp.samples.values_mut() {
                    if other.reward.is_none()
                        && other.sampled.index != r.index
                        && other.sampled.tokens == tokens
                    {
                        other.reward = Some(r.clone());
                        other.cached_from = Some(r.index);
                    }
                }
            }
            Event::PolicyUpdated(p) => {
                let exp = self.state_mut(seq, p.experiment)?;
                exp.policies.push(p.clone());
                exp.policy_seqs.push(seq);
            }
            Event::ExperimentEnded(e) => {
                let exp = self.state_mut(seq, e.experiment)?;
                exp.ended = Some(e.clone());
            }
            Event::CriticUpdated(c) => {
                self.state_mut(seq, c.experiment)?
                    .critics
                    .push((seq, c.clone()));
            }
            // The knowledge pool is its own projection (`pool::`); an import's provenance
            // changes no experiment's state (its events were folded as they came).
            Event::BlockCheckpointed(_) | Event::Imported(_) => {}
        }
        Ok(())
    }
}
