//! Hyper-parameters of the critic's two MLPs and of their fit.
//!
//! The FNAS paper (Section 4.1) specifies the losses but not the network sizes or optimiser
//! settings; the defaults below are small, standard choices, checked on a synthetic relation
//! over the 119-wide MnasNet one-hot for accuracy, calibration and speed (tests/critic_fit.rs).

use serde::{Deserialize, Serialize};

use super::error::CriticError;
use crate::nn::validate::{adam_moments, at_least_one, count, positive, weight_decay};

/// Critic settings. Stored in every checkpoint so a reloaded critic refits exactly as the
/// original would.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CriticConfig {
    /// Width of every hidden layer of both V and U. Default 64: a 119-wide one-hot has at most
    /// a few hundred informative samples per search; wider layers only fit noise faster.
    pub hidden: usize,
    /// Number of hidden (ReLU) layers of each net; the output layer comes on top. Default 2.
    pub layers: usize,
    /// Adam learning rate (on standardised rewards). Default 3e-3; 1e-3 and 1e-2 gave
    /// similar held-out Spearman on the synthetic relation, 1e-2 a noisier U.
    pub lr: f64,
    /// Passes over all samples per `fit`. Default 10: the caller refits after every batch
    /// and warm fits accumulate, so each refit only has to absorb the newest samples. On the
    /// synthetic relation with refits every 16 samples, 10 epochs generalised as well as 20
    /// or 60 (more epochs overfit the noise) at a fraction of the time. A cold
    /// (`warm_start = false`) fit needs more, about 100.
    pub epochs: usize,
    /// Samples per AdamW step; 0 means full batch. Default 64: the same held-out accuracy as
    /// 16 or 32 with fewer steps (the order is a seeded shuffle per fit and epoch).
    pub batch_size: usize,
    /// Decoupled (AdamW) weight decay applied to all variables each step:
    /// `p -= lr * weight_decay * p`. Default 1e-2 (PyTorch's AdamW default); it keeps the
    /// weights of a critic refitted hundreds of times from growing without bound.
    pub weight_decay: f64,
    /// Whether `fit` continues from the current weights and Adam moments (true) or restarts
    /// from the construction seed (false). Default true: the paper refits the same critic as
    /// data arrive, and a warm refit needs far fewer epochs. Either way the result is a pure
    /// function of the checkpoint before the fit and the data; a cold fit depends on the seed
    /// and the data only.
    pub warm_start: bool,
    /// What U learns to predict. 0: the error of V on the samples V was fitted on (the
    /// paper's literal L_U). K >= 2 (default 4): cross-fitting; K extra value nets are each
    /// trained without one fold of the samples (sample `i` is in fold `i mod K`) and U learns
    /// each sample's error under the net that did not see it, i.e. the error V makes on an
    /// architecture it has not been trained on, which is what the fake/real decision needs.
    /// In-sample errors shrink towards 0 as V memorises its samples, so U would claim
    /// confidence everywhere (measured in tests/critic_fit.rs).
    pub folds: usize,
    /// Adam first-moment decay. Default 0.9 (Kingma & Ba 2015, also PyTorch's default).
    pub adam_beta1: f64,
    /// Adam second-moment decay. Default 0.999 (Kingma & Ba 2015, also PyTorch's default).
    pub adam_beta2: f64,
    /// Adam denominator epsilon. Default 1e-8 (Kingma & Ba 2015, also PyTorch's default).
    pub adam_eps: f64,
}

impl Default for CriticConfig {
    fn default() -> Self {
        CriticConfig {
            hidden: 64,
            layers: 2,
            lr: 3e-3,
            epochs: 10,
            batch_size: 64,
            weight_decay: 1e-2,
            warm_start: true,
            folds: 4,
            adam_beta1: 0.9,
            adam_beta2: 0.999,
            adam_eps: 1e-8,
        }
    }
}

/// Upper bound on `hidden` and on the input dimension: keeps a corrupt checkpoint header from
/// requesting a huge allocation.
pub(crate) const MAX_WIDTH: usize = 65_536;
/// Upper bound on `layers`, for the same reason.
pub(crate) const MAX_LAYERS: usize = 64;
/// Upper bound on `folds`, for the same reason.
pub(crate) const MAX_FOLDS: usize = 64;

impl CriticConfig {
    /// Rejects values that would make training meaningless or produce NaN, naming the field.
    pub fn validate(&self) -> Result<(), CriticError> {
        count("hidden", self.hidden, MAX_WIDTH)?;
        count("layers", self.layers, MAX_LAYERS)?;
        positive("lr", self.lr)?;
        at_least_one("epochs", self.epochs)?;
        if self.folds == 1 || self.folds > MAX_FOLDS {
            return Err(CriticError::Config {
                field: "folds",
                reason: format!(
                    "{} must be 0 (no cross-fitting) or in 2..={MAX_FOLDS}",
                    self.folds
                ),
            });
        }
        weight_decay(self.lr, self.weight_decay)?;
        adam_moments(self.adam_beta1, self.adam_beta2, self.adam_eps)?;
        Ok(())
    }
}
