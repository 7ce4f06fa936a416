//! Adam written out over the controller's variables instead of tch's `nn::Optimizer`.
//!
//! Why by hand: libtorch's optimizer state cannot be read or written through tch, so a
//! resumed search would restart Adam's moments and diverge from an uninterrupted one. Here the
//! moments `m`, `v` and the step count are plain tensors and a counter that the checkpoint
//! saves next to the weights, so save → load → update is bit-identical to update.
//!
//! The arithmetic follows PyTorch's single-tensor Adam (no weight decay, no amsgrad):
//! `m = b1 m + (1-b1) g`, `v = b2 v + (1-b2) g²`,
//! `p -= lr/(1-b1^t) · m / (sqrt(v)/sqrt(1-b2^t) + eps)`.

use tch::{Kind, Tensor};

/// The hyper-parameters of one step (taken from `ControllerConfig` by the caller).
#[derive(Debug, Clone, Copy)]
pub(crate) struct AdamHyper {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
}

/// One optimised variable and its moment estimates.
pub(crate) struct Slot {
    pub name: String,
    pub param: Tensor,
    pub m: Tensor,
    pub v: Tensor,
}

/// Adam state over a fixed, name-sorted list of variables.
pub(crate) struct Adam {
    slots: Vec<Slot>,
    step: u64,
}

impl Adam {
    /// Starts with zero moments and step 0. `vars` are sorted by name here so that the
    /// order of the slots (and of checkpoints) never depends on HashMap iteration.
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

    /// Applies one Adam step with `grads[i]` the gradient of slot `i`. An undefined gradient
    /// (variable not reached by the loss) counts as zero, as in PyTorch's `zero_grad(False)`.
    pub fn step(&mut self, grads: &[Tensor], hp: AdamHyper) {
        debug_assert_eq!(grads.len(), self.slots.len());
        self.step += 1;
        let t = self.step as f64;
        let bias1 = 1.0 - hp.beta1.powf(t);
        let bias2_sqrt = (1.0 - hp.beta2.powf(t)).sqrt();
        let step_size = hp.lr / bias1;
        tch::no_grad(|| {
            for (slot, grad) in self.slots.iter_mut().zip(grads) {
                let g = if grad.defined() {
                    grad.shallow_clone()
                } else {
                    Tensor::zeros_like(&slot.param)
                };
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

/// Global L2 norm of all gradients together, computed in f64 (undefined gradients count as 0).
pub(crate) fn global_norm(grads: &[Tensor]) -> f64 {
    let sq: f64 = grads
        .iter()
        .filter(|g| g.defined())
        .map(|g| {
            g.to_kind(Kind::Double)
                .square()
                .sum(Kind::Double)
                .double_value(&[])
        })
        .sum();
    sq.sqrt()
}

/// Scales the gradients in place so their global norm is at most `max_norm`, with PyTorch's
/// `clip_grad_norm_` rule (coef = max / (norm + 1e-6), applied only when < 1).
/// Returns the norm before clipping.
pub(crate) fn clip_global_norm(grads: &mut [Tensor], max_norm: f64) -> f64 {
    let norm = global_norm(grads);
    let coef = max_norm / (norm + 1e-6);
    if coef < 1.0 {
        tch::no_grad(|| {
            for g in grads.iter_mut().filter(|g| g.defined()) {
                let _ = g.g_mul_scalar_(coef);
            }
        });
    }
    norm
}
