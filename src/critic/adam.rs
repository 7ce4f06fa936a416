//! AdamW written out over the critic's one flat variable, so its moments live in the
//! checkpoint.
//!
//! Why by hand: libtorch's optimizer state cannot be read or written through tch, so a
//! reloaded critic would restart Adam and refit differently from the original. (The agent has
//! its own Adam over many variables and without weight decay, private to that module; this
//! one adds decoupled weight decay, which a critic refitted after every batch needs to stay
//! bounded, and works on a single flat tensor because call count dominates the cost here.)
//!
//! Arithmetic of PyTorch's single-tensor AdamW (no amsgrad): `p *= 1 - lr*wd`, then
//! `m = b1 m + (1-b1) g`, `v = b2 v + (1-b2) g²`,
//! `p -= lr/(1-b1^t) · m / (sqrt(v)/sqrt(1-b2^t) + eps)`.

use tch::Tensor;

/// The hyper-parameters of one step (taken from `CriticConfig` by the caller).
#[derive(Debug, Clone, Copy)]
pub(crate) struct AdamHyper {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
}

/// AdamW state of one flat variable.
pub(crate) struct Adam {
    /// Shallow clone of the variable (shares storage with the model's views).
    pub param: Tensor,
    pub m: Tensor,
    pub v: Tensor,
    step: u64,
}

impl Adam {
    /// Starts with zero moments and step 0.
    pub fn new(param: &Tensor) -> Adam {
        Adam {
            param: param.shallow_clone(),
            m: Tensor::zeros_like(param),
            v: Tensor::zeros_like(param),
            step: 0,
        }
    }

    /// Number of steps taken so far (the `t` of the bias correction).
    pub fn step_count(&self) -> u64 {
        self.step
    }

    pub fn set_step_count(&mut self, step: u64) {
        self.step = step;
    }

    /// Zeroes the moments and the step count (a cold restart of the optimiser).
    pub fn reset(&mut self) {
        tch::no_grad(|| {
            let _ = self.m.zero_();
            let _ = self.v.zero_();
        });
        self.step = 0;
    }

    /// Applies one AdamW step with gradient `grad` (same shape as the variable).
    pub fn step(&mut self, grad: &Tensor, hp: AdamHyper) {
        self.step += 1;
        let t = self.step as f64;
        let bias1 = 1.0 - hp.beta1.powf(t);
        let bias2_sqrt = (1.0 - hp.beta2.powf(t)).sqrt();
        let step_size = hp.lr / bias1;
        let decay = 1.0 - hp.lr * hp.weight_decay;
        tch::no_grad(|| {
            if decay != 1.0 {
                let _ = self.param.g_mul_scalar_(decay);
            }
            let _ = self.m.g_mul_scalar_(hp.beta1);
            let _ = self.m.g_add_(&(grad * (1.0 - hp.beta1)));
            let _ = self.v.g_mul_scalar_(hp.beta2);
            let _ = self.v.g_add_(&(grad.square() * (1.0 - hp.beta2)));
            let denom = self.v.sqrt() / bias2_sqrt + hp.eps;
            let delta = self.m.g_div(&denom) * step_size;
            let _ = self.param.g_sub_(&delta);
        });
    }
}
