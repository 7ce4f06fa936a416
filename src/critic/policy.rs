//! The decision rules of the uncertainty-aware critic: the threshold sigma, the confidence
//! test `U(A) < sigma`, and the cap of at most half fake samples per PPO batch.

use serde::{Deserialize, Serialize};

use super::error::CriticError;
use super::metrics::quantile;

/// How the uncertainty threshold sigma is chosen. A sample whose predicted uncertainty U is
/// below sigma gets the critic's V as its reward instead of being trained ("fake").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum SigmaPolicy {
    /// A constant threshold in reward units (the paper's setting). 0 disables faking.
    Fixed(f64),
    /// sigma = the `q`-quantile of the last `window` absolute errors |V(A) - R(A)| of real
    /// samples, each measured BEFORE the critic was trained on that sample (an honest,
    /// out-of-sample error). It adapts to the reward scale and to how good the critic
    /// currently is, and `q` reads directly as "trust V where it is expected to be at least
    /// as accurate as it was on the `q` fraction of recent real samples".
    /// Until `window` such errors exist, sigma is 0 and nothing is faked.
    Quantile { q: f64, window: usize },
}

impl SigmaPolicy {
    /// Rejects a negative or non-finite fixed sigma, a `q` outside [0, 1] or an empty window.
    pub fn validate(&self) -> Result<(), CriticError> {
        let bad = |field, reason| Err(CriticError::SigmaPolicy { field, reason });
        match *self {
            SigmaPolicy::Fixed(s) if !(s.is_finite() && s >= 0.0) => {
                bad("fixed", format!("{s} must be finite and >= 0"))
            }
            SigmaPolicy::Quantile { q, .. } if !(0.0..=1.0).contains(&q) => {
                bad("q", format!("{q} is not in [0, 1]"))
            }
            SigmaPolicy::Quantile { window: 0, .. } => bad("window", "must be at least 1".into()),
            _ => Ok(()),
        }
    }

    /// The threshold to use now. `recent_abs_errors` are the out-of-sample |V - R| of real
    /// samples in the order they were observed (oldest first); only the last `window` count.
    /// An invalid policy (see [`SigmaPolicy::validate`]) or too few errors give 0, which no
    /// uncertainty is below, so the critic never replaces training on a guess.
    pub fn sigma(&self, recent_abs_errors: &[f64]) -> f64 {
        if self.validate().is_err() {
            return 0.0;
        }
        match *self {
            SigmaPolicy::Fixed(s) => s,
            SigmaPolicy::Quantile { q, window } => {
                if recent_abs_errors.len() < window {
                    return 0.0;
                }
                let last = &recent_abs_errors[recent_abs_errors.len() - window..];
                quantile(last, q)
                    .filter(|s| s.is_finite())
                    .unwrap_or(0.0)
                    .max(0.0)
            }
        }
    }
}

/// Whether the critic is trusted for one architecture: its uncertainty is strictly below
/// sigma. Strict, so sigma = 0 never fakes; a NaN uncertainty is never confident.
pub fn is_confident(uncertainty: f64, sigma: f64) -> bool {
    uncertainty < sigma
}

/// Whether one more fake sample may join a PPO batch of `batch_size` that already holds
/// `fake_so_far` fakes: at most floor(batch_size / 2) fakes per batch, so at least half of
/// every update is real rewards. When this says no, the caller drops the fake sample and
/// samples again until the batch is filled with real ones.
pub fn fake_allowed(fake_so_far: usize, batch_size: usize) -> bool {
    fake_so_far < batch_size / 2
}

/// What to do with one proposed architecture while a PPO batch is being filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Use the critic's V as its reward; do not train it.
    Fake,
    /// Train it (send it to the evaluator).
    Real,
    /// The critic is confident but the batch already holds its share of fakes: drop this
    /// proposal and sample another one.
    Resample,
}

/// The fake/real bookkeeping of one PPO batch: at most floor(batch_size / 2) fakes, confident
/// proposals over that cap dropped and resampled, and filling always terminating.
///
/// Termination: a critic confident on everything would make "resample until a real one comes"
/// loop forever, so after `max_resamples` dropped proposals in this batch a confident proposal
/// over the cap is trained instead. Every offer therefore either adds a sample or uses up one
/// of the bounded resamples: a batch is full after at most `batch_size + max_resamples` offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchFill {
    pub batch_size: usize,
    pub max_resamples: usize,
    pub fake: usize,
    pub real: usize,
    pub resampled: usize,
}

impl BatchFill {
    /// An empty batch of `batch_size` samples.
    pub fn new(batch_size: usize, max_resamples: usize) -> BatchFill {
        BatchFill {
            batch_size,
            max_resamples,
            fake: 0,
            real: 0,
            resampled: 0,
        }
    }

    /// Whether the batch holds `batch_size` samples (fake + real).
    pub fn is_full(&self) -> bool {
        self.fake + self.real >= self.batch_size
    }

    /// Decides for one proposal with the critic's `uncertainty` under threshold `sigma`, and
    /// counts it. Offers to a full batch are answered `Resample` and not counted; the caller
    /// stops offering once `is_full()`.
    pub fn offer(&mut self, uncertainty: f64, sigma: f64) -> Decision {
        if self.is_full() {
            return Decision::Resample;
        }
        if !is_confident(uncertainty, sigma) {
            self.real += 1;
            return Decision::Real;
        }
        if fake_allowed(self.fake, self.batch_size) {
            self.fake += 1;
            return Decision::Fake;
        }
        if self.resampled < self.max_resamples {
            self.resampled += 1;
            return Decision::Resample;
        }
        self.real += 1;
        Decision::Real
    }
}
