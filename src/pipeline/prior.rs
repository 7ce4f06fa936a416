//! Warm starts from recorded knowledge (the seed's transfer, Table 5): `--init-from TASK`
//! starts the critic from the latest critic of another task (own or imported) and
//! fine-tunes it on this task's real samples (the unified value network); `--warm-from ID`
//! pre-trains the critic on a recorded history's real (architecture, reward) pairs.
//!
//! Determinism: the choice is recorded in the experiment's config, and the prior is read
//! only from events with a sequence number below the experiment's start, so a resume or a
//! replay sees the same prior whatever was appended later. The warm-start critic is itself
//! recorded as the experiment's first `critic_updated`, so `replay --verify` recomputes
//! every policy update with the critic that was really in force.

use serde::{Deserialize, Serialize};

use crate::critic::Critic;
use crate::replay::{Experiments, Projection};
use crate::space::{Arch, Space};
use crate::store::{BlobRef, BlobStore, CriticUpdated, Event, RewardSource, Store};

use super::journal::Journal;
use super::learner::single_threaded;
use super::uac::{CriticState, UacConfig};
use super::{PipelineError, SearchConfig, StrategyConfig};

/// Where a warm-started search takes its prior from; part of the recorded config.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PriorConfig {
    /// A task of this store (own or imported) whose latest critic starts this search's.
    pub init_from: Option<String>,
    /// An experiment of this store (own or imported) whose real samples pre-train the critic.
    pub warm_from: Option<u64>,
}

impl PriorConfig {
    /// True when no prior is asked for (a cold start).
    pub fn is_empty(&self) -> bool {
        self.init_from.is_none() && self.warm_from.is_none()
    }
}

/// The latest critic of the `--init-from` task (its weights are a blob of this store).
#[derive(Clone, Debug, PartialEq)]
pub struct PriorCritic {
    /// Experiment (in this store) that recorded it.
    pub experiment: u64,
    /// Its `critic_updated` version and sequence number.
    pub version: u64,
    pub seq: u64,
    pub weights: BlobRef,
    /// Real samples it was fitted on.
    pub samples: u64,
}

/// One real (measured, not estimated, not failed) sample of a prior experiment.
#[derive(Clone, Debug, PartialEq)]
pub struct PriorSample {
    pub tokens: Vec<u8>,
    pub reward: f64,
    /// The experiment (in this store) that measured it.
    pub experiment: u64,
}

/// Knowledge a warm-started search starts from. `history` is every distinct real sample of
/// the `--init-from` task's experiments and of the `--warm-from` experiment (first
/// measurement of an architecture wins, in experiment then index order), usable both to
/// pre-train a critic and to seed candidates.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Prior {
    /// The `--init-from` task.
    pub task: Option<String>,
    /// The `--warm-from` experiment.
    pub experiment: Option<u64>,
    /// Experiments the prior was read from.
    pub experiments: Vec<u64>,
    pub critic: Option<PriorCritic>,
    pub history: Vec<PriorSample>,
}

impl Prior {
    /// Loads the prior of `config` from the events of `store` with seq < `before_seq` (the
    /// experiment's id; before it starts, `last_seq + 1`), for a search in `space`. Errors
    /// name the flag: an unknown task or experiment, another space, no critic to start from.
    pub fn load(
        store: &Store,
        before_seq: u64,
        config: &PriorConfig,
        space: &Space,
    ) -> Result<Prior, PipelineError> {
        let mut state = Experiments::default();
        for item in store.scan(1) {
            let (seq, event) = item?;
            if seq >= before_seq {
                break;
            }
            state.apply(seq, &event, store.blobs())?;
        }
        Prior::from_state(&state, config, space)
    }

    /// [`Prior::load`] on an already folded state (every event of which counts).
    pub fn from_state(
        state: &Experiments,
        config: &PriorConfig,
        space: &Space,
    ) -> Result<Prior, PipelineError> {
        let invalid = |m: String| PipelineError::Invalid(m);
        let hash = space.hash();
        let mut prior = Prior {
            task: config.init_from.clone(),
            experiment: config.warm_from,
            ..Prior::default()
        };
        let mut sources: Vec<u64> = Vec::new();
        if let Some(task) = &config.init_from {
            if !state.tasks.contains_key(task) {
                let mut known: Vec<&str> = state.tasks.keys().map(String::as_str).collect();
                if known.is_empty() {
                    known.push("none");
                }
                return Err(invalid(format!(
                    "--init-from {task}: no task '{task}' in this store (known: {}); import its package first",
                    known.join(", ")
                )));
            }
            let same: Vec<u64> = state
                .experiments
                .values()
                .filter(|e| &e.started.task == task && e.started.space_hash == hash)
                .map(|e| e.id)
                .collect();
            prior.critic = same
                .iter()
                .filter_map(|id| state.experiments.get(id))
                .flat_map(|e| e.critics.iter().map(move |(seq, c)| (e.id, *seq, c)))
                .max_by_key(|(_, seq, _)| *seq)
                .map(|(experiment, seq, c)| PriorCritic {
                    experiment,
                    version: c.version,
                    seq,
                    weights: c.weights.clone(),
                    samples: c.samples,
                });
            if prior.critic.is_none() {
                return Err(invalid(format!(
                    "--init-from {task}: task '{task}' has no critic in space '{}' in this store (search it with --modules uac, or import a package exported with --what critic)",
                    space.name()
                )));
            }
            sources.extend(same);
        }
        if let Some(id) = config.warm_from {
            let exp = state.experiments.get(&id).ok_or_else(|| {
                invalid(format!(
                    "--warm-from {id}: no experiment {id} started before this search in this store"
                ))
            })?;
            if exp.started.space_hash != hash {
                return Err(invalid(format!(
                    "--warm-from {id}: experiment {id} searched space '{}', not this version of '{}'",
                    exp.started.space,
                    space.name()
                )));
            }
            if !sources.contains(&id) {
                sources.push(id);
            }
        }
        sources.sort_unstable();
        let mut seen = std::collections::HashSet::new();
        for id in &sources {
            let Some(exp) = state.experiments.get(id) else {
                continue;
            };
            for rec in exp.samples.values().filter(|r| r.cached_from.is_none()) {
                let real = rec
                    .reward
                    .as_ref()
                    .filter(|r| r.source != RewardSource::Critic && r.failure.is_none());
                if let Some(r) = real {
                    if seen.insert(rec.sampled.tokens.clone()) {
                        prior.history.push(PriorSample {
                            tokens: rec.sampled.tokens.clone(),
                            reward: r.reward,
                            experiment: *id,
                        });
                    }
                }
            }
        }
        if let Some(id) = config.warm_from {
            if !prior.history.iter().any(|s| s.experiment == id) {
                return Err(invalid(format!(
                    "--warm-from {id}: experiment {id} has no real samples to learn from"
                )));
            }
        }
        prior.experiments = sources;
        Ok(prior)
    }

    /// The `--init-from` critic, checked against this space's input size.
    pub fn load_critic(
        &self,
        blobs: &BlobStore,
        space: &Space,
    ) -> Result<Option<Critic>, PipelineError> {
        let Some(c) = &self.critic else {
            return Ok(None);
        };
        let bytes = blobs.get(&c.weights)?;
        Ok(Some(Critic::from_bytes_checked(&bytes, input_dim(space))?))
    }
}

/// Refuses prior flags that could not take effect, before the search records anything.
pub fn validate_prior(
    store: &Store,
    config: &SearchConfig,
    space: &Space,
) -> Result<(), PipelineError> {
    if config.prior.is_empty() {
        return Ok(());
    }
    if config.strategy == StrategyConfig::Mnas && config.uac.is_none() {
        return Err(PipelineError::Invalid(
            "--init-from/--warm-from warm-start the critic: add --modules uac (or --algo fnas)"
                .into(),
        ));
    }
    Prior::load(store, store.last_seq()? + 1, &config.prior, space).map(|_| ())
}

/// Gives a new experiment its warm-start critic (the prior task's critic, then fitted on
/// the `--warm-from` history) and records it as the experiment's first `critic_updated`.
/// Runs only while the experiment has no critic and no sample yet, so a resume after a
/// crash at any point gets the same critic.
pub fn warm_start(
    store: &Store,
    journal: &mut Journal<'_>,
    experiment: u64,
    config: &SearchConfig,
    uac: &UacConfig,
    space: &Space,
    state: &mut CriticState,
) -> Result<(), PipelineError> {
    let exp = journal.state.get(experiment)?;
    if config.prior.is_empty()
        || state.critic.is_some()
        || !exp.critics.is_empty()
        || !exp.samples.is_empty()
    {
        return Ok(());
    }
    let prior = Prior::load(store, experiment, &config.prior, space)?;
    let mut critic = match prior.load_critic(store.blobs(), space)? {
        Some(c) => c,
        None => Critic::new(input_dim(space), uac.critic.clone(), config.seed)?,
    };
    let (warm_in, warm_r) = one_hots(
        space,
        prior
            .history
            .iter()
            .filter(|s| Some(s.experiment) == config.prior.warm_from),
    );
    let fit = if !warm_in.is_empty() {
        single_threaded(|| critic.fit(&warm_in, &warm_r))?
    } else {
        // Recorded diagnostics of the inherited critic on the prior task's own samples.
        let (inputs, rewards) = one_hots(space, prior.history.iter());
        match inputs.is_empty() {
            true => crate::critic::CriticFit::default(),
            false => single_threaded(|| critic.evaluate(&inputs, &rewards))?,
        }
    };
    let weights = journal.put_blob(&critic.to_bytes())?;
    journal.append(Event::CriticUpdated(CriticUpdated {
        experiment,
        version: state.version + 1,
        weights,
        samples: warm_in.len() as u64,
        sigma: state.sigma,
        fit,
    }))?;
    state.version += 1;
    state.critic = Some(critic);
    Ok(())
}

fn one_hots<'a>(
    space: &Space,
    samples: impl Iterator<Item = &'a PriorSample>,
) -> (Vec<Vec<f32>>, Vec<f64>) {
    samples
        .map(|s| (space.one_hot(&Arch::new(s.tokens.clone())), s.reward))
        .unzip()
}

fn input_dim(space: &Space) -> usize {
    space
        .one_hot(&Arch::new(vec![0; space.num_decisions()]))
        .len()
}
