//! MNAS/NASNet-style reward baseline: an exponential moving average of past batch rewards.
//!
//! The advantage of an architecture is its reward minus the average reward of what the
//! controller produced before, so PPO pushes up what beats the recent average. The baseline
//! has no weights, is serde-serialisable and is kept by its owner beside the controller.

use serde::{Deserialize, Serialize};

use super::error::AgentError;

/// Exponential moving average of batch-mean rewards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmaBaseline {
    /// Weight of the old value in each update: `value = decay*value + (1-decay)*batch_mean`.
    /// Default 0.95 (NASNet appendix A, reused by MnasNet).
    pub decay: f64,
    /// `None` until the first batch, which initialises it to that batch's mean reward.
    pub value: Option<f64>,
}

impl Default for EmaBaseline {
    fn default() -> Self {
        EmaBaseline {
            decay: 0.95,
            value: None,
        }
    }
}

impl EmaBaseline {
    /// An uninitialised baseline with the given decay (in [0, 1]).
    pub fn new(decay: f64) -> Result<EmaBaseline, AgentError> {
        if !(0.0..=1.0).contains(&decay) {
            return Err(AgentError::Config {
                field: "baseline decay",
                reason: format!("{decay} is not in [0, 1]"),
            });
        }
        Ok(EmaBaseline { decay, value: None })
    }

    /// `reward - baseline`; 0 while the baseline is uninitialised (nothing to compare with).
    pub fn advantage(&self, reward: f64) -> f64 {
        match self.value {
            Some(b) => reward - b,
            None => 0.0,
        }
    }

    /// Folds one batch's mean reward in; the first call sets the value to it.
    pub fn update(&mut self, batch_mean_reward: f64) {
        self.value = Some(match self.value {
            Some(b) => self.decay * b + (1.0 - self.decay) * batch_mean_reward,
            None => batch_mean_reward,
        });
    }

    /// The usual per-batch step: initialise from this batch if needed (so the first batch is
    /// centred on its own mean rather than getting all-zero advantages), return each reward's
    /// advantage against the baseline of *previous* batches, then fold this batch in.
    /// An empty slice changes nothing.
    pub fn advantages(&mut self, rewards: &[f64]) -> Vec<f64> {
        if rewards.is_empty() {
            return Vec::new();
        }
        let mean = rewards.iter().sum::<f64>() / rewards.len() as f64;
        if self.value.is_none() {
            self.value = Some(mean);
        }
        let out = rewards.iter().map(|&r| self.advantage(r)).collect();
        self.update(mean);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::EmaBaseline;

    #[test]
    fn first_batch_initialises_then_averages() {
        let mut b = EmaBaseline::default();
        assert_eq!(b.advantage(1.0), 0.0);
        let a = b.advantages(&[1.0, 3.0]);
        assert_eq!(a, vec![-1.0, 1.0]);
        assert_eq!(b.value, Some(2.0));
        let a = b.advantages(&[4.0]);
        assert_eq!(a, vec![2.0]);
        assert!((b.value.unwrap() - (0.95 * 2.0 + 0.05 * 4.0)).abs() < 1e-12);
    }

    #[test]
    fn rejects_bad_decay() {
        assert!(EmaBaseline::new(1.5).is_err());
        assert!(EmaBaseline::new(f64::NAN).is_err());
        assert!(EmaBaseline::new(0.9).is_ok());
    }
}
