//! Settings of the architecture experience buffer (AEB, Section 5 of the FNAS paper):
//! its size, the priority temperature, the cap on old samples per PPO batch and the
//! importance-sampling exponent schedule.

use serde::{Deserialize, Serialize};

use super::error::BufferError;

/// Which entries survive when the buffer is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Retention {
    /// Keep the N most recently pushed entries (evict the oldest). The default: the paper
    /// keeps the last ~10 samples, and recent samples were drawn by a policy close to the
    /// current one, so their recorded log-probs keep the PPO ratio inside the clip range and
    /// the off-policy correction stays meaningful.
    Recent,
    /// Keep the N highest-reward entries (evict the lowest; among equal rewards the oldest).
    /// Stronger exploitation, but entries can become arbitrarily stale.
    Best,
}

/// AEB settings, recorded in the search config so replay uses the same schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BufferConfig {
    /// Number of past samples kept, N. Default 10 (the paper keeps about 10 past samples).
    pub size: usize,
    /// Which entries are kept when more than `size` were pushed. Default `recent`.
    pub retention: Retention,
    /// Softmax temperature T of the priorities P_i = exp(r_i/T) / sum_j exp(r_j/T).
    /// Default 1.0 (the paper's P_i = softmax(r_i)). Rewards in percent (~90) with T = 1
    /// give very peaked priorities; raise T to flatten them.
    pub temperature: f64,
    /// At most this fraction of a PPO batch may be old (buffer) samples. Default 0.5 (paper).
    pub max_old_fraction: f64,
    /// Importance-sampling exponent beta at the start of the search. Default 0.0 (paper).
    pub beta_start: f64,
    /// Importance-sampling exponent beta at the end of the search budget. Default 1.0 (paper:
    /// full correction once the policy has converged, as in prioritized experience replay).
    pub beta_end: f64,
    /// Divide the weights S_i by their maximum over the buffer (as Schaul et al.'s PER does),
    /// so weights only scale losses down. Default false: the paper's S_i = (N P_i)^-beta is
    /// used as is, which can exceed 1 for low-priority entries.
    pub normalize_weights: bool,
}

impl Default for BufferConfig {
    fn default() -> Self {
        BufferConfig {
            size: 10,
            retention: Retention::Recent,
            temperature: 1.0,
            max_old_fraction: 0.5,
            beta_start: 0.0,
            beta_end: 1.0,
            normalize_weights: false,
        }
    }
}

impl BufferConfig {
    /// Rejects values that would make priorities or weights NaN or the cap meaningless.
    pub fn validate(&self) -> Result<(), BufferError> {
        fn bad(field: &'static str, reason: String) -> Result<(), BufferError> {
            Err(BufferError::Config { field, reason })
        }
        if self.size == 0 {
            return bad("size", "must be at least 1".to_string());
        }
        if !(self.temperature.is_finite() && self.temperature > 0.0) {
            return bad(
                "temperature",
                format!("{} must be finite and > 0", self.temperature),
            );
        }
        if !(0.0..=1.0).contains(&self.max_old_fraction) {
            return bad(
                "max_old_fraction",
                format!("{} is not in [0, 1]", self.max_old_fraction),
            );
        }
        for (field, value) in [("beta_start", self.beta_start), ("beta_end", self.beta_end)] {
            if !(value.is_finite() && value >= 0.0) {
                return bad(field, format!("{value} must be finite and >= 0"));
            }
        }
        Ok(())
    }

    /// The IS exponent at `progress` = distinct evaluations so far / budget: linear from
    /// `beta_start` (progress 0) to `beta_end` (progress 1). Progress is clamped to [0, 1]
    /// (an over-budget search stays at `beta_end`); NaN counts as 0.
    pub fn beta(&self, progress: f64) -> f64 {
        let p = if progress.is_nan() {
            0.0
        } else {
            progress.clamp(0.0, 1.0)
        };
        self.beta_start + (self.beta_end - self.beta_start) * p
    }

    /// Maximum number of old samples in a PPO batch of `batch_size` samples:
    /// floor(batch_size * max_old_fraction). A 1e-9 slack absorbs binary rounding
    /// (e.g. 100 * 0.29 = 28.999999999999996 must give 29).
    pub fn old_quota(&self, batch_size: usize) -> usize {
        let quota = (batch_size as f64 * self.max_old_fraction + 1e-9).floor() as usize;
        quota.min(batch_size)
    }
}
