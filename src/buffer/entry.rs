//! One remembered sample: what was sampled, how likely it was then, and what it scored.

use serde::{Deserialize, Serialize};

use super::error::BufferError;

/// A past architecture sample with the data PPO needs to reuse it off-policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BufferEntry {
    /// Experiment the sample belongs to (lets a record name the entry unambiguously).
    pub experiment: u64,
    /// Sample index within the experiment; with `experiment`, the entry's identity.
    pub index: u64,
    /// The architecture, one token per decision.
    pub tokens: Vec<u8>,
    /// Per-decision log-probabilities recorded when the sample was drawn: the "old" policy
    /// of the PPO ratio, which is what makes the clipped objective an off-policy correction.
    pub log_probs: Vec<f32>,
    /// The reward the sample earned.
    pub reward: f64,
}

impl BufferEntry {
    /// Checks what priorities and the PPO ratio rely on: a finite reward and exactly one
    /// finite log-probability per token.
    pub fn validate(&self) -> Result<(), BufferError> {
        let bad = |reason: String| BufferError::Entry {
            experiment: self.experiment,
            index: self.index,
            reason,
        };
        if !self.reward.is_finite() {
            return Err(bad(format!("reward {} is not finite", self.reward)));
        }
        if self.log_probs.len() != self.tokens.len() {
            return Err(bad(format!(
                "{} log-probs for {} tokens (need one per decision)",
                self.log_probs.len(),
                self.tokens.len()
            )));
        }
        if let Some(pos) = self.log_probs.iter().position(|lp| !lp.is_finite()) {
            return Err(bad(format!("log-prob at position {pos} is not finite")));
        }
        Ok(())
    }
}
