//! Proxy-training configuration: how a full-size architecture is shrunk for small inputs
//! and the fixed training budget every sampled architecture gets.

use serde::{Deserialize, Serialize};

use super::error::TrainError;

/// Learning-rate schedule over the fixed step budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LrSchedule {
    Constant,
    /// `lr * 0.5 * (1 + cos(pi * step / steps))`: anneals to ~0 at the last step, which
    /// makes short proxy runs end in a settled state (less noise in the reward).
    Cosine,
}

/// The proxy task's shrink rule and training budget. Optimiser: SGD with (Nesterov)
/// momentum and L2 weight decay, chosen over Adam because it is what MnasNet-style nets
/// are trained with and it has no per-parameter state beyond the momentum buffer.
///
/// The defaults (width 0.25, 100 steps of batch 32, SGD+Nesterov lr 0.1 cosine, zero-init
/// residuals) are tuned for 1 libtorch thread on a shared 2-core machine: MobileNetV2
/// trains on the built-in digits in ~2.5-3.5 s (92-94% validation accuracy) and on MNIST
/// (`DataOptions { max_train: Some(4000), max_val: Some(1000), .. }`) in ~3-4 s (83-87%),
/// while other architectures land anywhere from ~30% to ~97%. Cost is dominated by
/// per-op overhead, so it grows with depth more than with width or image size; 5x5
/// depthwise kernels cost ~1.5-2x (oneDNN has no fast backward-weights kernel for them).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProxyConfig {
    /// Every channel count c becomes `max(4, round(c * width_mult))`.
    pub width_mult: f64,
    /// Stride clamp: a stride-s layer runs at stride 1 when its output map
    /// (`ceil(side / s)` of the smaller side) would be smaller than this.
    pub min_feature: usize,
    /// The stem keeps its stride 2 only for inputs whose smaller side is at least this;
    /// below it (e.g. 8x8 digits) the stem runs at stride 1 so the body keeps some
    /// resolution to downsample.
    pub stem_stride_min_input: usize,
    /// Optimiser steps (mini-batches), the fixed training budget.
    pub steps: usize,
    /// Mini-batch size (clamped to the training-set size).
    pub batch_size: usize,
    pub lr: f64,
    pub schedule: LrSchedule,
    pub momentum: f64,
    pub nesterov: bool,
    pub weight_decay: f64,
    /// Start every layer that has a skip path as that skip (its last batch-norm scale
    /// is 0). Needed for deep nets to learn anything in a short proxy budget.
    pub zero_init_residual: bool,
    /// Batch size for validation (memory only; does not change the result).
    pub eval_batch: usize,
}

impl Default for ProxyConfig {
    fn default() -> Self {
        ProxyConfig {
            width_mult: 0.25,
            min_feature: 2,
            stem_stride_min_input: 16,
            steps: 100,
            batch_size: 32,
            lr: 0.1,
            schedule: LrSchedule::Cosine,
            momentum: 0.9,
            nesterov: true,
            weight_decay: 4e-5,
            zero_init_residual: true,
            eval_batch: 500,
        }
    }
}

impl ProxyConfig {
    /// Rejects settings that cannot train, naming the field.
    pub fn validate(&self) -> Result<(), TrainError> {
        let bad = |field: &str, reason: &str| {
            Err(TrainError::InvalidConfig {
                field: field.to_string(),
                reason: reason.to_string(),
            })
        };
        if !(self.width_mult.is_finite() && self.width_mult > 0.0) {
            return bad("width_mult", "must be a positive number");
        }
        if self.min_feature == 0 {
            return bad("min_feature", "must be at least 1");
        }
        if self.batch_size == 0 {
            return bad("batch_size", "must be at least 1");
        }
        if self.eval_batch == 0 {
            return bad("eval_batch", "must be at least 1");
        }
        if !(self.lr.is_finite() && self.lr >= 0.0) {
            return bad("lr", "must be a finite non-negative number");
        }
        if !(self.momentum.is_finite() && (0.0..1.0).contains(&self.momentum)) {
            return bad("momentum", "must be in [0, 1)");
        }
        if self.nesterov && self.momentum == 0.0 {
            return bad("nesterov", "needs momentum > 0");
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return bad("weight_decay", "must be a finite non-negative number");
        }
        Ok(())
    }

    /// Channels of a full-size width `c` in the proxy network.
    pub fn scale_channels(&self, c: usize) -> usize {
        ((c as f64 * self.width_mult).round() as usize).max(4)
    }

    /// Learning rate for `step` of `self.steps`.
    pub fn lr_at(&self, step: usize) -> f64 {
        match self.schedule {
            LrSchedule::Constant => self.lr,
            LrSchedule::Cosine => {
                let t = step as f64 / self.steps.max(1) as f64;
                self.lr * 0.5 * (1.0 + (std::f64::consts::PI * t).cos())
            }
        }
    }
}
