//! A stack of `M` equally shaped MLPs evaluated in one batched pass: `layers` hidden ReLU
//! layers of width `hidden`, then one linear output, one scalar per member and input row.
//!
//! Why stacked: the critic trains the value net, its cross-fitting copies and the uncertainty
//! net on the same batches. For nets this small the cost is per libtorch call, not per
//! FLOP, so one `[M, ...]` matmul per layer (and one AdamW update per layer tensor) costs
//! about as much as a single net. Raw tensors instead of `nn::VarStore` keep the variables,
//! their names and their order under this module's control (the names fix the init and
//! checkpoint order).

use tch::{Device, Kind, Tensor};

/// Per layer: weight `[M, in, out]` and bias `[M, 1, out]`, input layer first.
pub(crate) struct StackedMlp {
    layers: Vec<(Tensor, Tensor)>,
}

impl StackedMlp {
    /// Creates zero-filled variables that require gradients and returns the stack plus its
    /// `(name, variable)` pairs (`l{i:02}.weight` / `l{i:02}.bias`) for the optimiser. The
    /// caller fills the values (seeded init or a checkpoint).
    pub fn new(
        members: usize,
        input_dim: usize,
        hidden: usize,
        layers: usize,
    ) -> (StackedMlp, Vec<(String, Tensor)>) {
        let m = members as i64;
        let mut dims = vec![input_dim as i64];
        dims.extend(std::iter::repeat_n(hidden as i64, layers));
        dims.push(1);
        let mut vars = Vec::with_capacity(2 * dims.len());
        let mut net = Vec::with_capacity(dims.len() - 1);
        let opts = (Kind::Float, Device::Cpu);
        for (i, pair) in dims.windows(2).enumerate() {
            let (fan_in, fan_out) = (pair[0], pair[1]);
            let w = Tensor::zeros([m, fan_in, fan_out], opts).set_requires_grad(true);
            let b = Tensor::zeros([m, 1, fan_out], opts).set_requires_grad(true);
            vars.push((format!("l{i:02}.weight"), w.shallow_clone()));
            vars.push((format!("l{i:02}.bias"), b.shallow_clone()));
            net.push((w, b));
        }
        (StackedMlp { layers: net }, vars)
    }

    /// `[B, input_dim]` -> `[M, B]` raw outputs (no output activation), every member on every
    /// row. Gradients flow unless the caller is under `no_grad`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor, tch::TchError> {
        let last = self.layers.len() - 1;
        // [B, in] x [M, in, out] broadcasts to [M, B, out].
        let mut h = x.shallow_clone();
        for (i, (w, b)) in self.layers.iter().enumerate() {
            if i == 0 && std::env::var("L0").is_ok() {
                let sz = w.size();
                let w2 = w.f_permute([1, 0, 2])?.f_reshape([sz[1], sz[0] * sz[2]])?;
                h = h.f_matmul(&w2)?.f_view([-1, sz[0], sz[2]])?.f_transpose(0, 1)?.f_add(b)?;
            } else {
            h = h.f_matmul(w)?.f_add(b)?;
            }
            if i < last {
                h = h.f_relu()?;
            }
        }
        h.f_squeeze_dim(2)
    }
}

/// Scalars in a stack of `members` nets for this input dimension, width and depth (u128: no
/// overflow for any header a checkpoint can hold).
pub(crate) fn param_count(members: usize, input_dim: usize, hidden: usize, layers: usize) -> u128 {
    let (m, d, h, l) = (
        members as u128,
        input_dim as u128,
        hidden as u128,
        layers as u128,
    );
    m * ((d * h + h) + l.saturating_sub(1) * (h * h + h) + (h + 1))
}
