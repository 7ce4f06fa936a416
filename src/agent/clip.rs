//! Global gradient-norm clipping of the PPO update (PyTorch's `clip_grad_norm_` rule), applied
//! to the gradients before the shared Adam step (`crate::nn::adam`).

use tch::{Kind, Tensor};

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
