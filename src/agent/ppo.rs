//! The PPO update of the controller (clipped surrogate, entropy bonus, per-sample weights).
//!
//! The reward is one scalar per sequence (episodic, gamma = 1), so the ratio is taken per
//! sequence: `r = exp(sum_t log pi(a_t) - sum_t log pi_old(a_t))`. Loss per sample:
//! `-min(r A, clip(r, 1-eps, 1+eps) A) - entropy_coef * mean_t H_t`, combined as a weighted
//! mean `sum_i w_i loss_i / sum_i w_i` (self-normalised importance weights): only relative
//! weights matter, and a zero-weight sample is dropped before the forward pass, so it has no
//! effect at all. Every epoch recomputes the log-probs of the whole batch teacher-forced, clips
//! the global gradient norm and takes one hand-written Adam step.

use serde::{Deserialize, Serialize};
use tch::{Kind, Tensor};

use crate::nn::AdamHyper;

use super::clip::clip_global_norm;
use super::controller::Controller;
use super::error::AgentError;

/// The log-ratio is clamped to +-20 before `exp`: ratios from a much older policy (replayed
/// samples) would otherwise overflow to inf and turn gradients into NaN. exp(20) ≈ 5e8 is far
/// outside any clip range, so the objective is unchanged wherever clipping already applies.
const LOG_RATIO_LIMIT: f64 = 20.0;

/// One architecture to learn from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PpoSample {
    /// The sampled tokens, one per position.
    pub tokens: Vec<u8>,
    /// Per-position log-probs under the policy that sampled the tokens (`Sampled::log_probs`).
    pub old_log_probs: Vec<f32>,
    /// Reward minus baseline (see `EmaBaseline`).
    pub advantage: f64,
    /// Importance weight multiplying this sample's loss term; 1.0 normally, 0.0 ignores it.
    pub weight: f64,
}

/// Diagnostics of one `update`; each field is the weighted mean over samples, averaged over
/// epochs (measured before each epoch's step).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct UpdateStats {
    /// The PPO loss (negated clipped surrogate minus entropy bonus).
    pub loss: f64,
    /// Mean per-token entropy of the policy on the batch, in nats.
    pub entropy: f64,
    /// Fraction of samples whose ratio lies outside [1-clip, 1+clip].
    pub clip_fraction: f64,
    /// KL(old || new) estimate `(r - 1) - ln r` (non-negative, Schulman's k3 estimator).
    pub approx_kl: f64,
    /// Weighted mean advantage of the batch.
    pub mean_advantage: f64,
    /// Global gradient L2 norm before clipping.
    pub grad_norm: f64,
}

impl Controller {
    /// Checks every sample (tokens, log-prob length and finiteness, advantage, weight).
    fn validate_batch(&self, batch: &[PpoSample]) -> Result<(), AgentError> {
        let t = self.sizes.len();
        for (index, s) in batch.iter().enumerate() {
            self.check_token_vector(index, &s.tokens)?;
            let bad = |field: &'static str, reason: String| AgentError::Sample {
                index,
                field,
                reason,
            };
            if s.old_log_probs.len() != t {
                return Err(bad(
                    "old_log_probs",
                    format!("has {} values, expected {t}", s.old_log_probs.len()),
                ));
            }
            if let Some(p) = s.old_log_probs.iter().position(|x| !x.is_finite()) {
                return Err(bad(
                    "old_log_probs",
                    format!("value at position {p} is not finite"),
                ));
            }
            if !s.advantage.is_finite() {
                return Err(bad("advantage", format!("{} is not finite", s.advantage)));
            }
            if !(s.weight.is_finite() && s.weight >= 0.0) {
                return Err(bad(
                    "weight",
                    format!("{} must be finite and >= 0", s.weight),
                ));
            }
        }
        Ok(())
    }

    /// One PPO update over `batch` (full batch, `epochs` passes). Fails without changing the
    /// controller if any sample is malformed or the batch has no positive weight; fails after a
    /// partial update only if the loss or gradient turns non-finite (that step is not taken).
    pub fn update(&mut self, batch: &[PpoSample]) -> Result<UpdateStats, AgentError> {
        self.validate_batch(batch)?;
        let live: Vec<&PpoSample> = batch.iter().filter(|s| s.weight > 0.0).collect();
        let total_w: f64 = live.iter().map(|s| s.weight).sum();
        if live.is_empty() || !total_w.is_finite() {
            return Err(AgentError::EmptyBatch);
        }
        let w: Vec<f64> = live.iter().map(|s| s.weight / total_w).collect();
        let tokens: Vec<Vec<u8>> = live.iter().map(|s| s.tokens.clone()).collect();
        let old: Vec<f32> = live
            .iter()
            .map(|s| s.old_log_probs.iter().map(|&x| x as f64).sum::<f64>() as f32)
            .collect();
        let adv: Vec<f32> = live.iter().map(|s| s.advantage as f32).collect();
        let w32: Vec<f32> = w.iter().map(|&x| x as f32).collect();
        let old_t = Tensor::f_from_slice(&old)?;
        let adv_t = Tensor::f_from_slice(&adv)?;
        let w_t = Tensor::f_from_slice(&w32)?;

        let cfg = self.cfg.clone();
        let hp = AdamHyper {
            lr: cfg.lr,
            beta1: cfg.adam_beta1,
            beta2: cfg.adam_beta2,
            eps: cfg.adam_eps,
            // Plain Adam, as in NASNet/MnasNet's controller.
            weight_decay: 0.0,
        };
        let params = self.adam.params();
        let mut sums = UpdateStats {
            loss: 0.0,
            entropy: 0.0,
            clip_fraction: 0.0,
            approx_kl: 0.0,
            mean_advantage: live.iter().zip(&w).map(|(s, w)| s.advantage * w).sum(),
            grad_norm: 0.0,
        };
        for epoch in 0..cfg.epochs {
            let tf = self.teacher_forced(&tokens)?;
            let logp = tf.chosen.sum_dim_intlist(1, false, Kind::Float);
            let log_ratio = (&logp - &old_t).clamp(-LOG_RATIO_LIMIT, LOG_RATIO_LIMIT);
            let ratio = log_ratio.exp();
            let clipped = ratio.clamp(1.0 - cfg.clip, 1.0 + cfg.clip);
            let surrogate = (&ratio * &adv_t).minimum(&(&clipped * &adv_t));
            let seq_entropy = tf.entropy.mean_dim(1, false, Kind::Float);
            let per_sample = -surrogate - &seq_entropy * cfg.entropy_coef;
            let loss = (per_sample * &w_t).sum(Kind::Float);
            let loss_value = loss.f_double_value(&[])?;
            if !loss_value.is_finite() {
                return Err(AgentError::NonFinite {
                    epoch,
                    what: "loss",
                    value: loss_value,
                });
            }
            let mut grads = Tensor::f_run_backward(&[&loss], &params, false, false)?;
            let norm = clip_global_norm(&mut grads, cfg.max_grad_norm);
            if !norm.is_finite() {
                return Err(AgentError::NonFinite {
                    epoch,
                    what: "gradient norm",
                    value: norm,
                });
            }
            self.adam.step(&grads, hp);

            let ratios = Vec::<f32>::try_from(&ratio.detach())?;
            let entropies = Vec::<f32>::try_from(&seq_entropy.detach())?;
            sums.loss += loss_value;
            sums.grad_norm += norm;
            for ((&r, &h), &wi) in ratios.iter().zip(&entropies).zip(&w) {
                let r = r as f64;
                sums.entropy += wi * h as f64;
                if (r - 1.0).abs() > cfg.clip {
                    sums.clip_fraction += wi;
                }
                sums.approx_kl += wi * ((r - 1.0) - r.ln());
            }
        }
        let n = cfg.epochs as f64;
        Ok(UpdateStats {
            loss: sums.loss / n,
            entropy: sums.entropy / n,
            clip_fraction: sums.clip_fraction / n,
            approx_kl: sums.approx_kl / n,
            mean_advantage: sums.mean_advantage,
            grad_norm: sums.grad_norm / n,
        })
    }
}
