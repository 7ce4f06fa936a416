//! Adam (and AdamW) written out over named tch variables instead of tch's `nn::Optimizer`.
//!
//! Why by hand: libtorch's optimizer state cannot be read or written through tch, so a resumed
//! search (or a reloaded critic) would restart Adam's moments and diverge from an
//! uninterrupted run. Here the moments `m`, `v` and the step count are plain tensors and a
//! counter that [`checkpoint`](super::checkpoint) saves next to the weights, so
//! save -> load -> step is bit-identical to step.
//!
//! The arithmetic follows PyTorch's single-tensor Adam / AdamW (no amsgrad), per variable:
//! `p *= 1 - lr*wd` (skipped when `weight_decay` is 0, which is then exactly Adam), then
//! `m = b1 m + (1-b1) g`, `v = b2 v + (1-b2) g²`,
//! `p -= lr/(1-b1^t) · m / (sqrt(v)/sqrt(1-b2^t) + eps)`.
//! The controller uses plain Adam; the critic, refitted after every batch, uses decoupled
//! weight decay to keep its weights bounded.

use tch::Tensor;

/// The hyper-parameters of one step (taken from the caller's config at each step, so a config
/// is the single source of truth).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamHyper {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    /// Decoupled (AdamW) weight decay; 0 gives plain Adam.
    pub weight_decay: f64,
}

/// One optimised variable and its moment estimates.
pub struct Slot {
    pub name: String,
    /// Shallow clone of the variable (shares storage with the model).
    pub param: Tensor,
    pub m: Tensor,
    pub v: Tensor,
}

/// Adam state over a fixed, name-sorted list of variables.
pub struct Adam {
    slots: Vec<Slot>,
    step: u64,
}

impl Adam {
    /// Starts with zero moments and step 0. `vars` are sorted by name here so that the order
    /// of the slots (and of checkpoints and seeded inits) never depends on HashMap iteration.
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

    /// The variables in slot order (shallow clones sharing storage with the model), the list
    /// to differentiate against so gradients come back in slot order.
    pub fn params(&self) -> Vec<Tensor> {
        self.slots.iter().map(|s| s.param.shallow_clone()).collect()
    }

    /// The slots in name order.
    pub fn slots(&self) -> &[Slot] {
        &self.slots
    }

    /// Total number of scalars over all variables.
    pub fn num_params(&self) -> usize {
        self.slots.iter().map(|s| s.param.numel()).sum()
    }

    /// Number of steps taken so far (the `t` of the bias correction).
    pub fn step_count(&self) -> u64 {
        self.step
    }

    /// Sets the step count (restoring a checkpoint).
    pub fn set_step_count(&mut self, step: u64) {
        self.step = step;
    }

    /// Zeroes the moments and the step count (a cold restart of the optimiser; the variables
    /// are left as they are).
    pub fn reset(&mut self) {
        tch::no_grad(|| {
            for slot in &mut self.slots {
                let _ = slot.m.zero_();
                let _ = slot.v.zero_();
            }
        });
        self.step = 0;
    }

    /// Applies one step with `grads[i]` the gradient of slot `i`. An undefined gradient
    /// (variable not reached by the loss) counts as zero, as in PyTorch's `zero_grad(False)`.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn hyper(weight_decay: f64) -> AdamHyper {
        AdamHyper {
            lr: 0.1,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay,
        }
    }

    fn values(t: &Tensor) -> Vec<f32> {
        Vec::<f32>::try_from(t).unwrap()
    }

    #[test]
    fn plain_adam_matches_the_formula_and_sorts_slots() {
        let b = Tensor::from_slice(&[1.0f32, -2.0]);
        let a = Tensor::from_slice(&[0.5f32]);
        let mut adam = Adam::new(vec![("b".into(), b.shallow_clone()), ("a".into(), a)]);
        let names: Vec<&str> = adam.slots().iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(adam.num_params(), 3);
        let (mut p, mut m, mut v) = ([1.0f64, -2.0], [0.0f64; 2], [0.0f64; 2]);
        let hp = hyper(0.0);
        for (t, g) in [[0.3f64, -1.0], [0.1, 2.0]].iter().enumerate() {
            let grads = [
                Tensor::new(),
                Tensor::from_slice(&[g[0] as f32, g[1] as f32]),
            ];
            adam.step(&grads, hp);
            let t = (t + 1) as f64;
            for i in 0..2 {
                m[i] = hp.beta1 * m[i] + (1.0 - hp.beta1) * g[i];
                v[i] = hp.beta2 * v[i] + (1.0 - hp.beta2) * g[i] * g[i];
                let denom = v[i].sqrt() / (1.0 - hp.beta2.powf(t)).sqrt() + hp.eps;
                p[i] -= hp.lr / (1.0 - hp.beta1.powf(t)) * m[i] / denom;
            }
        }
        assert_eq!(adam.step_count(), 2);
        for (got, want) in values(&b).iter().zip(p) {
            assert!((f64::from(*got) - want).abs() < 1e-5, "{got} vs {want}");
        }
        // An undefined gradient is a zero gradient: slot `a` never moved.
        assert_eq!(values(&adam.slots()[0].param), [0.5]);
    }

    #[test]
    fn weight_decay_is_decoupled_and_reset_restarts() {
        let p = Tensor::from_slice(&[2.0f32]);
        let mut adam = Adam::new(vec![("p".into(), p.shallow_clone())]);
        // Zero gradient: the moments stay 0, so only the decay p *= 1 - lr*wd acts.
        adam.step(&[Tensor::from_slice(&[0.0f32])], hyper(0.5));
        assert!((values(&p)[0] - 1.9).abs() < 1e-6);
        adam.step(&[Tensor::from_slice(&[1.0f32])], hyper(0.0));
        assert!(values(&adam.slots()[0].m)[0] > 0.0);
        adam.reset();
        assert_eq!(adam.step_count(), 0);
        assert_eq!(values(&adam.slots()[0].m), [0.0]);
        assert_eq!(values(&adam.slots()[0].v), [0.0]);
    }
}
