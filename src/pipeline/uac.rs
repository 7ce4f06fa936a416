//! UAC, the uncertainty-aware critic in the search loop (FNAS Section 4.1): where the
//! critic's uncertainty U(A) is below sigma, its value V(A) is the reward and the
//! architecture is not evaluated ("fake" sample), at most half of each batch; the critic is
//! PPO's baseline and is refitted on every measured sample after each batch. Its weights go
//! to a blob and each refit is a `CriticUpdated` event, so replay rebuilds it exactly.

use serde::{Deserialize, Serialize};

use crate::critic::{is_confident, Critic, CriticConfig, SigmaPolicy};
use crate::replay::{ExperimentState, Experiments};
use crate::space::{Arch, Space};
use crate::store::{CriticEstimate, CriticUpdated, Event, RewardSource};

use super::decider::Selection;
use super::journal::Journal;
use super::learner::single_threaded;
use super::PipelineError;

/// UAC settings, recorded with the search's config.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UacConfig {
    pub critic: CriticConfig,
    /// When V is trusted. Default: U below the median out-of-sample |V-R| of the last 40
    /// measured samples (adapts to the reward scale and to how good the critic is; nothing is
    /// faked until 40 such errors exist).
    pub sigma: SigmaPolicy,
    /// Also fit on measured samples of other experiments in the store with the same space and
    /// task (the unified critic of FNAS Section 3.1).
    pub unified: bool,
    /// PPO's baseline is V(A) (the paper's rule; a fake then has advantage 0) when true, the
    /// EMA baseline when false (fakes then steer the policy towards what the critic rates).
    pub critic_baseline: bool,
    /// Critic-guided selection (0 = off): each batch position draws this many candidates from
    /// the policy and keeps the unevaluated one with the highest V + U (optimism under
    /// uncertainty), so real evaluations go where the critic expects the most.
    #[serde(default)]
    pub select: usize,
    /// How selection scores and widens its candidates (acquisition, ensemble uncertainty,
    /// neighbours of the best, a diverse first batch); see `decider::Selection`.
    #[serde(default)]
    pub selection: Selection,
    /// At least this many AdamW steps per refit (0 = the critic's `epochs` only): with a few
    /// dozen samples an epoch is one step, and ten steps leave V near its random init.
    #[serde(default)]
    pub min_fit_steps: usize,
    /// Redraws allowed per batch when the fake quota (half the batch) is full and the policy
    /// keeps proposing confident architectures; then proposals are evaluated anyway, so
    /// resampling always terminates.
    pub max_resamples: usize,
}

impl Default for UacConfig {
    fn default() -> Self {
        UacConfig {
            critic: CriticConfig::default(),
            sigma: SigmaPolicy::Quantile { q: 0.5, window: 40 },
            unified: false,
            critic_baseline: true,
            select: 0,
            selection: Selection::default(),
            min_fit_steps: 0,
            max_resamples: 200,
        }
    }
}

impl UacConfig {
    /// Parses a module spec: `uac`, with options after dots for ablations: `ema` (EMA
    /// baseline instead of V), `qNN` (sigma = the NN% quantile of recent errors), `wNN` (of
    /// the last NN errors: short searches with real training have few), `unified`, `selNN`.
    pub fn parse(spec: &str) -> Result<UacConfig, String> {
        let mut parts = spec.split('.');
        if parts.next() != Some("uac") {
            return Err(format!("unknown module '{spec}' (available: uac, aeb)"));
        }
        let mut config = UacConfig::default();
        let mut seen: Vec<&str> = Vec::new();
        for option in parts {
            // Each kind of option once: `uac.q25.q50` would leave it unclear which applies.
            // The kind is the option's leading letters (`q25` -> `q`, `ens` -> `ens`).
            let kind = option.trim_end_matches(|c: char| c.is_ascii_digit());
            if seen.contains(&kind) {
                return Err(format!(
                    "module option '{option}' of {spec}: an option of this kind was already given"
                ));
            }
            seen.push(kind);
            match option {
                "ema" => config.critic_baseline = false,
                "unified" => config.unified = true,
                // Selection spends the critic on choosing, not on faking rewards.
                sel if sel.starts_with("sel") => {
                    config.select = sel[3..].parse().map_err(|_| {
                        format!("module option '{sel}': expected selNN, e.g. sel64")
                    })?;
                    if config.select < 2 {
                        return Err(format!(
                            "module option '{sel}': selection needs at least 2 candidates"
                        ));
                    }
                    config.critic_baseline = false;
                }
                w if w.starts_with('w') => {
                    let window: usize = w[1..]
                        .parse()
                        .map_err(|_| format!("module option '{w}': expected wNN, e.g. w20"))?;
                    if window == 0 {
                        return Err(format!(
                            "module option '{w}': the window needs at least 1 error"
                        ));
                    }
                    let q = match config.sigma {
                        SigmaPolicy::Quantile { q, .. } => q,
                        SigmaPolicy::Fixed(_) => 0.5,
                    };
                    config.sigma = SigmaPolicy::Quantile { q, window };
                }
                q if q.starts_with('q') => {
                    let pct: f64 = q[1..]
                        .parse()
                        .map_err(|_| format!("module option '{q}': expected qNN, e.g. q25"))?;
                    if !(0.0..=100.0).contains(&pct) {
                        return Err(format!("module option '{q}': quantile must be 0-100"));
                    }
                    let window = match config.sigma {
                        SigmaPolicy::Quantile { window, .. } => window,
                        SigmaPolicy::Fixed(_) => 40,
                    };
                    config.sigma = SigmaPolicy::Quantile {
                        q: pct / 100.0,
                        window,
                    };
                }
                f if f.starts_with('f') && f.len() > 1 => {
                    config.min_fit_steps = f[1..]
                        .parse()
                        .map_err(|_| format!("module option '{f}': expected fNNN, e.g. f200"))?;
                }
                other => {
                    if !config.selection.parse_option(other)? {
                        return Err(format!(
                            "module option '{other}' of uac is unknown (ema, unified, qNN, wNN, selNN, fNNN, {})",
                            Selection::OPTIONS
                        ));
                    }
                }
            }
        }
        Ok(config)
    }
}

/// The critic of one experiment as the search uses it.
pub struct CriticState {
    pub critic: Option<Critic>,
    pub version: u64,
    pub sigma: f64,
}

impl CriticState {
    /// The latest recorded critic of `experiment`, or none before the first refit.
    pub fn restore(
        journal: &Journal<'_>,
        exp: &ExperimentState,
        space: &Space,
    ) -> Result<CriticState, PipelineError> {
        match exp.latest_critic() {
            Some(c) => {
                let bytes = journal.blobs().get(&c.weights)?;
                let critic = Critic::from_bytes_checked(
                    &bytes,
                    space
                        .one_hot(&Arch::new(vec![0; space.num_decisions()]))
                        .len(),
                )?;
                Ok(CriticState {
                    critic: Some(critic),
                    version: c.version,
                    sigma: c.sigma,
                })
            }
            None => Ok(CriticState {
                critic: None,
                version: 0,
                sigma: 0.0,
            }),
        }
    }

    /// V and U of an architecture, when a critic exists.
    pub fn estimate(
        &self,
        space: &Space,
        tokens: &[u8],
    ) -> Result<Option<CriticEstimate>, PipelineError> {
        let Some(critic) = &self.critic else {
            return Ok(None);
        };
        let input = space.one_hot(&Arch::new(tokens.to_vec()));
        let out = single_threaded(|| critic.predict(&[input]))?;
        Ok(out.first().map(|&(value, uncertainty)| CriticEstimate {
            value,
            uncertainty,
            critic_version: self.version,
        }))
    }

    /// Selection scores of candidate architectures (one batched critic pass), given the best
    /// measured reward; see `Selection::score`.
    pub fn score(
        &self,
        space: &Space,
        tokens: &[&[u8]],
        selection: &Selection,
        best: f64,
    ) -> Result<Vec<f64>, PipelineError> {
        let Some(critic) = &self.critic else {
            return Ok(vec![0.0; tokens.len()]);
        };
        let inputs: Vec<Vec<f32>> = tokens
            .iter()
            .map(|t| space.one_hot(&Arch::new(t.to_vec())))
            .collect();
        let (members, vu) = single_threaded(|| {
            Ok::<_, crate::critic::CriticError>((
                critic.predict_members(&inputs)?,
                critic.predict(&inputs)?,
            ))
        })?;
        Ok(members
            .iter()
            .zip(&vu)
            .map(|(m, &(_, u))| selection.score(m, u, best))
            .collect())
    }

    /// Whether this estimate is trusted enough to skip the evaluation.
    pub fn confident(&self, estimate: Option<&CriticEstimate>) -> bool {
        estimate.is_some_and(|e| is_confident(e.uncertainty, self.sigma))
    }

    /// V(A) for each architecture of a finished batch: PPO's baseline.
    pub fn values(
        &self,
        space: &Space,
        tokens: &[&[u8]],
    ) -> Result<Option<Vec<f64>>, PipelineError> {
        let Some(critic) = &self.critic else {
            return Ok(None);
        };
        let inputs: Vec<Vec<f32>> = tokens
            .iter()
            .map(|t| space.one_hot(&Arch::new(t.to_vec())))
            .collect();
        let out = single_threaded(|| critic.predict(&inputs))?;
        Ok(Some(out.into_iter().map(|(v, _)| v).collect()))
    }

    /// Refits on every measured sample (of this experiment, or of the unified set); returns
    /// the `critic_updated` with the new weights (blob already written) and sigma, for the
    /// caller to append with the policy update of the same batch. None before any sample.
    pub fn refit(
        &mut self,
        journal: &Journal<'_>,
        experiment: u64,
        config: &UacConfig,
        seed: u64,
        space: &Space,
    ) -> Result<Option<Event>, PipelineError> {
        let (inputs, rewards) = training_set(&journal.state, experiment, config.unified, space)?;
        if inputs.is_empty() {
            return Ok(None);
        }
        let input_dim = inputs[0].len();
        let mut critic = match self.critic.take() {
            Some(c) => c,
            None => Critic::new(input_dim, config.critic.clone(), seed)?,
        };
        let epochs = config.critic.epochs.max(
            config
                .min_fit_steps
                .div_ceil(critic.steps_per_epoch(inputs.len())),
        );
        let fit = single_threaded(|| critic.fit_epochs(&inputs, &rewards, epochs))?;
        let sigma = config
            .sigma
            .sigma(&out_of_sample_errors(journal.state.get(experiment)?));
        let weights = journal.put_blob(&critic.to_bytes())?;
        self.version += 1;
        self.sigma = sigma;
        self.critic = Some(critic);
        Ok(Some(Event::CriticUpdated(CriticUpdated {
            experiment,
            version: self.version,
            weights,
            samples: inputs.len() as u64,
            sigma,
            fit,
        })))
    }
}

/// One-hot inputs and rewards of the measured samples the critic learns from, in a fixed
/// order (experiment id, then sample index), each distinct architecture once.
fn training_set(
    state: &Experiments,
    experiment: u64,
    unified: bool,
    space: &Space,
) -> Result<(Vec<Vec<f32>>, Vec<f64>), PipelineError> {
    let this = state.get(experiment)?;
    let (mut inputs, mut rewards) = (Vec::new(), Vec::new());
    for exp in state.experiments.values() {
        let same = exp.id == experiment
            || (unified
                && exp.started.space_hash == this.started.space_hash
                && exp.started.task == this.started.task);
        if !same {
            continue;
        }
        for rec in exp.samples.values().filter(|r| r.cached_from.is_none()) {
            if let Some(r) = rec
                .reward
                .as_ref()
                .filter(|r| r.source != RewardSource::Critic && r.failure.is_none())
            {
                inputs.push(space.one_hot(&Arch::new(rec.sampled.tokens.clone())));
                rewards.push(r.reward);
            }
        }
    }
    Ok((inputs, rewards))
}

/// |V - R| of measured samples whose critic estimate was recorded before they were
/// evaluated: honest errors for the sigma policy, in index order.
pub fn out_of_sample_errors(exp: &ExperimentState) -> Vec<f64> {
    exp.samples
        .values()
        .filter(|r| r.cached_from.is_none())
        .filter_map(|r| r.reward.as_ref())
        .filter(|r| r.source != RewardSource::Critic)
        .filter_map(|r| r.critic.as_ref().map(|c| (c.value - r.reward).abs()))
        .collect()
}
