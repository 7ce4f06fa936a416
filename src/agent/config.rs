//! Hyper-parameters of the controller and its PPO/Adam update.
//!
//! Defaults follow the controller that MnasNet (Tan et al., CVPR 2019) reuses from NASNet
//! (Zoph et al., CVPR 2018, appendix A: a one-layer LSTM with 100 hidden units trained with
//! PPO at learning rate 0.00035, entropy penalty 0.00001, weights initialised uniformly in
//! [-0.1, 0.1], reward baseline an exponential moving average with decay 0.95), plus the PPO
//! paper (Schulman et al., 2017) where the NAS papers are silent (clip range, epochs).

use serde::{Deserialize, Serialize};

use super::error::AgentError;
use crate::nn::validate::{adam_moments, at_least_one, count, non_negative, positive};

/// Upper bound on `hidden`: keeps a corrupt checkpoint header from requesting a huge
/// allocation.
const MAX_HIDDEN: usize = 65_536;

/// Controller and optimiser settings. Stored in every checkpoint so a resumed search uses
/// exactly the settings it was started with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ControllerConfig {
    /// LSTM hidden size, also the size of the start input and of every token embedding.
    /// Default 100 (NASNet/MnasNet controller).
    pub hidden: usize,
    /// Adam learning rate. Default 3.5e-4 (NASNet appendix A, reused by MnasNet).
    pub lr: f64,
    /// PPO clip range epsilon: the ratio is clipped to [1 - clip, 1 + clip].
    /// Default 0.2 (PPO paper, the value used in its MuJoCo and Atari experiments).
    pub clip: f64,
    /// Weight of the mean per-token entropy bonus subtracted from the loss.
    /// Default 1e-5 (NASNet appendix A "entropy penalty").
    pub entropy_coef: f64,
    /// Full-batch passes over one batch per `update`. Default 10 (PPO paper, MuJoCo setting;
    /// NAS batches are small, so full-batch epochs replace minibatches).
    pub epochs: usize,
    /// Global L2 norm to which the gradient of all variables together is clipped.
    /// Default 0.5 (OpenAI baselines' PPO2 `max_grad_norm`; the PPO paper does not clip).
    pub max_grad_norm: f64,
    /// Half-width of the uniform distribution all variables (weights and biases) are drawn
    /// from at construction: uniform(-init_scale, init_scale). Default 0.1 (NASNet
    /// appendix A and ENAS; Zoph & Le 2017 used 0.08). PyTorch's own LSTM default would be
    /// 1/sqrt(hidden) = 0.1 for hidden 100, so both conventions agree here.
    pub init_scale: f64,
    /// Adam first-moment decay. Default 0.9 (Kingma & Ba 2015, also PyTorch's default).
    pub adam_beta1: f64,
    /// Adam second-moment decay. Default 0.999 (Kingma & Ba 2015, also PyTorch's default).
    pub adam_beta2: f64,
    /// Adam denominator epsilon. Default 1e-8 (Kingma & Ba 2015, also PyTorch's default).
    pub adam_eps: f64,
}

impl Default for ControllerConfig {
    fn default() -> Self {
        ControllerConfig {
            hidden: 100,
            lr: 3.5e-4,
            clip: 0.2,
            entropy_coef: 1e-5,
            epochs: 10,
            max_grad_norm: 0.5,
            init_scale: 0.1,
            adam_beta1: 0.9,
            adam_beta2: 0.999,
            adam_eps: 1e-8,
        }
    }
}

impl ControllerConfig {
    /// Rejects values that would make training meaningless or produce NaN, naming the field.
    pub fn validate(&self) -> Result<(), AgentError> {
        count("hidden", self.hidden, MAX_HIDDEN)?;
        positive("lr", self.lr)?;
        positive("clip", self.clip)?;
        non_negative("entropy_coef", self.entropy_coef)?;
        at_least_one("epochs", self.epochs)?;
        // +inf is allowed: it disables gradient clipping.
        if self.max_grad_norm.is_nan() || self.max_grad_norm <= 0.0 {
            return Err(AgentError::Config {
                field: "max_grad_norm",
                reason: format!("{} must be > 0 (inf disables clipping)", self.max_grad_norm),
            });
        }
        positive("init_scale", self.init_scale)?;
        adam_moments(self.adam_beta1, self.adam_beta2, self.adam_eps)?;
        Ok(())
    }
}
