//! The decider (DESIGN's pipeline): turns policy proposals into a batch. Each position is an
//! architecture to evaluate, one already evaluated (free), or, with UAC, a confident one whose
//! reward is the critic's V (a "fake"); with selection, the critic's pick of several draws.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::bench::space_canonical;
use crate::critic::{BatchFill, Decision};
use crate::replay::{ExperimentState, Experiments};
use crate::space::Space;
use crate::store::{ArchSampled, Event, RewardObserved, RewardSource, Store};

use super::policy::{Policy, Proposal};
use super::prior::Prior;
use super::uac::CriticState;
use super::uac::UacConfig;
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
    prior: &[Vec<u8>],
    size: u64,
) -> Result<Vec<Event>, PipelineError> {
    let exp = state.get(experiment)?;
    let next = exp.next_index();
    let uac = config.uac.as_ref();
    let mut fill = BatchFill::new(size as usize, uac.map_or(0, |u| u.max_resamples));
    let mut events = Vec::new();
    let mut in_batch = HashSet::new();
    let best = exp.best().map_or(f64::NEG_INFINITY, |(_, r)| r.reward);
    for index in next..next + size {
        if let (Some(c), Some(u)) = (critic, uac.filter(|u| u.select > 0)) {
            let p = select_candidate(
                exp,
                space,
                policy,
                c,
                u,
                prior,
                config.seed,
                index,
                &in_batch,
            )?;
            in_batch.insert(space_canonical(space, &p.tokens));
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

/// How critic-guided selection (`uac.selNN`) picks each position's architecture. Recorded
/// in the experiment's config (inside `UacConfig`); the defaults are the plain rule (best
/// V + U of the policy draws), so older configs read the same.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Selection {
    /// Weight k of the uncertainty in the optimistic score V + k U (`uac.kNN`: k = NN / 10).
    pub k: f64,
    /// Score by expected improvement over the best measured reward instead of V + k U
    /// (`uac.ei`): a candidate is worth evaluating by how much it may beat the incumbent,
    /// not by how high it may be.
    pub expected_improvement: bool,
    /// Uncertainty from the spread of the value members (V and its cross-fitting nets)
    /// instead of the U net (`uac.ens`): U learns from errors it has not seen many of early on.
    pub ensemble: bool,
    /// The one-edit neighbours of the best `neighbours` measured architectures join the
    /// candidates (`uac.nNN`), scored by the same critic: the policy's draws explore, the
    /// neighbours refine around the incumbents where the tables' best rows sit.
    pub neighbours: usize,
    /// Before the first critic exists, pick the candidate farthest (Hamming) from everything
    /// measured or already in the batch (`uac.div`): a space-filling first batch.
    pub diverse_start: bool,
    /// With a prior (`--init-from`/`--warm-from`), the best `prior` architectures of the
    /// prior's history join the candidates (`uac.pNN`), ranked by the same (inherited, then
    /// fine-tuned) critic: what was best on a related task is the first thing worth a look.
    pub prior: usize,
}

impl Default for Selection {
    fn default() -> Self {
        Selection {
            k: 1.0,
            expected_improvement: false,
            ensemble: false,
            neighbours: 0,
            diverse_start: false,
            prior: 0,
        }
    }
}

impl Selection {
    /// The option names, for error messages.
    pub const OPTIONS: &'static str = "kNN, ei, ens, nNN, div, pNN";

    /// Applies one `uac` option if it is a selection option; `Ok(false)` if it is not one.
    pub fn parse_option(&mut self, option: &str) -> Result<bool, String> {
        let number = |rest: &str, example: &str| {
            rest.parse::<usize>()
                .map_err(|_| format!("module option '{option}': expected {example}"))
        };
        match option {
            "ei" => self.expected_improvement = true,
            "ens" => self.ensemble = true,
            "div" => self.diverse_start = true,
            k if k.starts_with('k') && k.len() > 1 => {
                self.k = number(&k[1..], "kNN (k = NN / 10), e.g. k05")? as f64 / 10.0
            }
            n if n.starts_with('n') && n.len() > 1 => {
                self.neighbours = number(&n[1..], "nNN, e.g. n3")?;
                if self.neighbours == 0 {
                    return Err(format!(
                        "module option '{n}': needs at least 1 architecture"
                    ));
                }
            }
            p if p.starts_with('p') && p.len() > 1 => {
                self.prior = number(&p[1..], "pNN, e.g. p20")?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Score of a candidate whose value-member predictions are `members` (V first) and whose
    /// U is `uncertainty`, given the best measured reward: V + k U (or the members' mean + k
    /// their spread with `ens`), or the expected improvement over `best` with `ei` (U is a
    /// mean absolute error; a normal error with that mean has sigma = U sqrt(pi/2)).
    pub(crate) fn score(&self, members: &[f64], uncertainty: f64, best: f64) -> f64 {
        let (mean, spread, sigma) = if self.ensemble {
            let n = members.len() as f64;
            let mean = members.iter().sum::<f64>() / n;
            let sd = (members.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
            (mean, sd, sd)
        } else {
            let v = members.first().copied().unwrap_or(0.0);
            (
                v,
                uncertainty,
                uncertainty * (std::f64::consts::PI / 2.0).sqrt(),
            )
        };
        if self.expected_improvement && best.is_finite() {
            expected_improvement(mean, self.k * sigma, best)
        } else {
            mean + self.k * spread
        }
    }
}

/// E[max(X - best, 0)] for X ~ N(mean, sigma^2); the plain improvement when sigma is 0.
fn expected_improvement(mean: f64, sigma: f64, best: f64) -> f64 {
    if sigma <= 0.0 {
        return (mean - best).max(0.0);
    }
    let z = (mean - best) / sigma;
    let pdf = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let cdf = 0.5 * (1.0 + erf(z / std::f64::consts::SQRT_2));
    (mean - best) * cdf + sigma * pdf
}

/// Error function (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7): plain arithmetic, so the
/// same bits on every platform.
fn erf(x: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs());
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let y = 1.0 - poly * (-x * x).exp();
    if x < 0.0 {
        -y
    } else {
        y
    }
}

/// The candidates for position `index`: `select` policy draws plus, with a critic, the
/// `prior` architectures (`pNN`) and, with `nNN`, the one-edit neighbours of the best measured
/// architectures, each new network once (canonical form where
/// the space defines one: a duplicate encoding of a measured network would be paid twice).
/// The critic's best-scored candidate is returned; before the first critic, the first draw
/// (or, with `div`, the draw farthest from everything measured). When every candidate is
/// known, the first draw (free: its reward is the earlier one).
#[allow(clippy::too_many_arguments)]
fn select_candidate(
    exp: &ExperimentState,
    space: &Space,
    policy: &mut Policy,
    critic: &CriticState,
    uac: &UacConfig,
    prior: &[Vec<u8>],
    seed: u64,
    index: u64,
    in_batch: &HashSet<Vec<u8>>,
) -> Result<Proposal, PipelineError> {
    let sel = &uac.selection;
    let known: HashSet<Vec<u8>> = exp
        .evaluated
        .keys()
        .map(|t| space_canonical(space, t))
        .chain(in_batch.iter().cloned())
        .collect();
    let mut pool: Vec<Proposal> = Vec::new();
    let mut pooled = HashSet::new();
    let mut first = None;
    for attempt in 0..uac.select as u64 {
        let p = policy.propose(seed, index, attempt);
        let key = space_canonical(space, &p.tokens);
        if known.contains(&key) {
            first.get_or_insert(p);
        } else if pooled.insert(key) {
            pool.push(p);
        }
    }
    if critic.critic.is_some() {
        let local = match sel.neighbours {
            0 => Vec::new(),
            n => neighbours(exp, space, n),
        };
        let extra: Vec<Vec<u8>> = prior
            .iter()
            .cloned()
            .chain(local)
            .filter(|t| {
                let key = space_canonical(space, t);
                !known.contains(&key) && pooled.insert(key)
            })
            .collect();
        for (tokens, log_probs) in extra.iter().zip(policy.log_probs(&extra)?) {
            pool.push(Proposal {
                tokens: tokens.clone(),
                log_probs,
            });
        }
    }
    if pool.is_empty() && critic.critic.is_some() {
        // Every draw is known: the policy has converged. Rather than re-propose (free, but
        // the budget stalls), widen to the neighbours of ever more of the best measured
        // architectures until one is new.
        let measured = exp.distinct_evaluations() as usize;
        let mut top = 1;
        while pool.is_empty() && top <= measured {
            let fresh: Vec<Vec<u8>> = neighbours(exp, space, top)
                .into_iter()
                .filter(|t| {
                    let key = space_canonical(space, t);
                    !known.contains(&key) && pooled.insert(key)
                })
                .collect();
            for (tokens, log_probs) in fresh.iter().zip(policy.log_probs(&fresh)?) {
                pool.push(Proposal {
                    tokens: tokens.clone(),
                    log_probs,
                });
            }
            top *= 2;
        }
    }
    if pool.is_empty() {
        return Ok(first.unwrap_or_else(|| policy.propose(seed, index, 0)));
    }
    let pick = match &critic.critic {
        Some(_) => {
            let tokens: Vec<&[u8]> = pool.iter().map(|p| p.tokens.as_slice()).collect();
            let best = exp.best().map_or(f64::NEG_INFINITY, |(_, r)| r.reward);
            let scores = critic.score(space, &tokens, sel, best)?;
            argmax(&scores)
        }
        None if sel.diverse_start => {
            let spread: Vec<f64> = pool
                .iter()
                .map(|p| min_distance(&p.tokens, &known) as f64)
                .collect();
            argmax(&spread)
        }
        None => 0,
    };
    Ok(pool.swap_remove(pick))
}

/// Index of the largest value, the first on ties (NaN never wins).
fn argmax(values: &[f64]) -> usize {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if *v > values[best] || values[best].is_nan() {
            best = i;
        }
    }
    best
}

/// Hamming distance from `tokens` to the nearest of `others` (the length when there are none).
fn min_distance(tokens: &[u8], others: &HashSet<Vec<u8>>) -> usize {
    others
        .iter()
        .map(|o| o.iter().zip(tokens).filter(|(a, b)| a != b).count())
        .min()
        .unwrap_or(tokens.len())
}

/// Every one-edit neighbour of the `top` best measured architectures (by reward, then
/// index), in a fixed order.
fn neighbours(exp: &ExperimentState, space: &Space, top: usize) -> Vec<Vec<u8>> {
    let mut measured: Vec<(&Vec<u8>, f64, u64)> = exp
        .samples
        .values()
        .filter(|r| r.cached_from.is_none())
        .filter_map(|r| {
            r.reward
                .as_ref()
                .filter(|w| w.source != RewardSource::Critic && w.failure.is_none())
                .map(|w| (&r.sampled.tokens, w.reward, r.sampled.index))
        })
        .collect();
    measured.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.2.cmp(&b.2)));
    let sizes = space.decision_sizes();
    let mut out = Vec::new();
    for (tokens, _, _) in measured.into_iter().take(top) {
        for (d, &size) in sizes.iter().enumerate() {
            for choice in 0..size as u8 {
                if tokens.get(d) != Some(&choice) {
                    let mut t = tokens.clone();
                    t[d] = choice;
                    out.push(t);
                }
            }
        }
    }
    out
}

/// The architectures a warm search offers its critic first: the best `uac.pNN` of the prior's
/// history (by reward, then history order), read from the events before the experiment
/// started, so a resume offers the same ones. Empty for a cold search or without `pNN`.
pub fn prior_candidates(
    store: &Store,
    experiment: u64,
    config: &SearchConfig,
    space: &Space,
) -> Result<Vec<Vec<u8>>, PipelineError> {
    let take = config.uac.as_ref().map_or(0, |u| u.selection.prior);
    if take == 0 || config.prior.is_empty() {
        return Ok(Vec::new());
    }
    let mut history = Prior::load(store, experiment, &config.prior, space)?.history;
    history.sort_by(|a, b| b.reward.total_cmp(&a.reward));
    Ok(history.into_iter().take(take).map(|s| s.tokens).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_options_parse_and_reject() {
        let mut s = Selection::default();
        for option in ["ei", "ens", "div", "k05", "n3", "p20"] {
            assert_eq!(s.parse_option(option), Ok(true), "{option}");
        }
        assert_eq!(s.k, 0.5);
        assert!(s.expected_improvement && s.ensemble && s.diverse_start);
        assert_eq!((s.neighbours, s.prior), (3, 20));
        assert_eq!(s.parse_option("ema"), Ok(false));
        assert!(s.parse_option("kx").is_err());
        assert!(s.parse_option("n0").is_err());
    }

    #[test]
    fn scores_follow_the_acquisition() {
        let plain = Selection::default();
        // V + k U with V = members[0].
        assert_eq!(plain.score(&[1.0, 5.0], 0.5, 0.0), 1.5);
        let ens = Selection {
            ensemble: true,
            ..Selection::default()
        };
        // Mean 2, population sd 1.
        assert!((ens.score(&[1.0, 3.0], 100.0, 0.0) - 3.0).abs() < 1e-12);
        let ei = Selection {
            expected_improvement: true,
            ensemble: true,
            ..Selection::default()
        };
        // Far above the best: EI is the mean gain; far below: about 0; more spread, more EI.
        assert!((ei.score(&[10.0, 10.0], 0.0, 1.0) - 9.0).abs() < 1e-9);
        assert!(ei.score(&[0.0, 0.2], 0.0, 10.0) < 1e-12);
        assert!(ei.score(&[0.0, 2.0], 0.0, 1.5) > ei.score(&[0.5, 1.5], 0.0, 1.5));
    }

    #[test]
    fn erf_matches_known_values() {
        for (x, want) in [
            (0.0, 0.0),
            (0.5, 0.520_499_877_8),
            (1.0, 0.842_700_792_9),
            (-2.0, -0.995_322_265),
        ] {
            assert!((erf(x) - want).abs() < 2e-7, "erf({x})");
        }
    }

    #[test]
    fn argmax_takes_the_first_of_ties_and_skips_nan() {
        assert_eq!(argmax(&[1.0, 3.0, 3.0]), 1);
        assert_eq!(argmax(&[f64::NAN, 0.0]), 1);
    }
}
