//! AdamW written out over the critic's variables, so its moments live in the checkpoint.
//!
//! Why by hand: libtorch's optimizer state cannot be read or written through tch, so a
//! reloaded critic would restart Adam and refit differently from the original. (The agent has
//! its own Adam without weight decay, private to that module; this one adds decoupled weight
//! decay, which a critic refitted after every batch needs to stay bounded.)
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

/// One optimised variable and its moment estimates.
pub(crate) struct Slot {
    pub name: String,
    pub param: Tensor,
    pub m: Tensor,
    pub v: Tensor,
}

/// AdamW state over a fixed, name-sorted list of variables.
pub(crate) struct Adam {
    slots: Vec<Slot>,
    step: u64,
}

impl Adam {
    /// Starts with zero moments and step 0. `vars` are sorted by name here so the order of the
    /// slots (and of init draws and checkpoints) never depends on construction order.
    pub fn new(mut vars: Vec<(String, Tensor)>) -> Adam {
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        let slots = vars
            .into_iter()
            .map(|(name, param)| {
                let m = Tensor::zeros_like(&param);
                let v = Tensor::zeros_like(&param);
                Slot { name, param, m, v }
            })
            .collect();
        Adam { slots, step: 0 }
    }

    /// The variables in slot order (shallow clones sharing storage with the model).
    pub fn params(&self) -> Vec<Tensor> {
        self.slots.iter().map(|s| s.param.shallow_clone()).collect()
    }

    pub fn slots(&self) -> &[Slot] {
        &self.slots
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
            for slot in &mut self.slots {
                let _ = slot.m.zero_();
                let _ = slot.v.zero_();
            }
        });
        self.step = 0;
    }

    /// Applies one AdamW step with `grads[i]` the gradient of slot `i`. An undefined gradient
    /// (variable not reached by the loss) counts as zero.
    pub fn step(&mut self, grads: &[Tensor], hp: AdamHyper) {
        debug_assert_eq!(grads.len(), self.slots.len());
        self.step += 1;
        let t = self.step as f64;
        let bias1 = 1.0 - hp.beta1.powf(t);
        let bias2_sqrt = (1.0 - hp.beta2.powf(t)).sqrt();
        let step_size = hp.lr / bias1;
        let decay = 1.0 - hp.lr * hp.weight_decay;
        tch::no_grad(|| {
            for (slot, grad) in self.slots.iter_mut().zip(grads) {
                let g = if grad.defined() {
                    grad.shallow_clone()
                } else {
                    Tensor::zeros_like(&slot.param)
                };
                if decay != 1.0 {
                    let _ = slot.param.g_mul_scalar_(decay);
                }
                let _ = slot.m.g_mul_scalar_(hp.beta1);
                let _ = slot.m.g_add_(&(&g * (1.0 - hp.beta1)));
                let _ = slot.v.g_mul_scalar_(hp.beta2);
                let _ = slot.v.g_add_(&(g.square() * (1.0 - hp.beta2)));
                let denom = slot.v.sqrt() / bias2_sqrt + hp.eps;
                let delta = slot.m.g_div(&denom) * step_size;
                let _ = slot.param.g_sub_(&delta);
            }
        });
    }
}
