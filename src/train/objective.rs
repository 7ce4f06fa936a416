//! The search reward: MnasNet's soft latency/compute constraint,
//! `accuracy * (macs / target)^exponent`. With a negative exponent (-0.07) a network twice
//! as expensive as the target loses ~5% of its reward, a cheaper one gains a little, so the
//! search trades accuracy for cost smoothly instead of facing a hard cut-off.

use serde::{Deserialize, Serialize};

/// Reward shaping parameters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Objective {
    /// MACs of the full-size network at which the reward equals the accuracy.
    pub target_macs: f64,
    /// Usually negative; 0 ignores cost.
    pub exponent: f64,
}

impl Default for Objective {
    fn default() -> Self {
        Objective {
            target_macs: 300e6,
            exponent: -0.07,
        }
    }
}

impl Objective {
    /// `accuracy * (macs / target_macs)^exponent`. Non-positive MACs or target (meaningless
    /// costs) give the plain accuracy rather than inf/NaN, which would poison the learner.
    pub fn reward(&self, accuracy: f64, macs: f64) -> f64 {
        if macs > 0.0 && self.target_macs > 0.0 && macs.is_finite() {
            accuracy * (macs / self.target_macs).powf(self.exponent)
        } else {
            accuracy
        }
    }
}
