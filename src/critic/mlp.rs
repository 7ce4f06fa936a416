//! A stack of `M` equally shaped MLPs evaluated in one batched pass: `layers` hidden ReLU
//! layers of width `hidden`, then one linear output, one scalar per member and input row.
//!
//! Why stacked, and why one flat variable: the critic trains the value net, its
//! cross-fitting copies and the uncertainty net on the same batches. For nets this small the
//! cost is per libtorch call more than per FLOP, so one `[M, ...]` matmul per layer, one
//! gradient and one AdamW update over a single flat tensor cost far fewer calls than separate
//! nets and variables. The layer tensors are views into the flat variable, laid out in name
//! order (`l00.bias`, `l00.weight`, `l01.bias`, ...), which fixes the init and checkpoint
//! order.

use tch::{Device, Kind, Tensor};

/// Name, shape and fan-in of one layer tensor inside the flat variable.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Segment {
    pub name: String,
    pub shape: Vec<i64>,
    /// Inputs of the layer the tensor belongs to (its init range is 1/sqrt(fan_in)).
    pub fan_in: usize,
}

impl Segment {
    pub fn numel(&self) -> usize {
        self.shape.iter().product::<i64>() as usize
    }
}

/// The layer tensors of a stack of `members` nets, in name (= flat) order: per layer
/// `l{i:02}.bias` `[M, 1, out]` then `l{i:02}.weight` `[M, in, out]`.
pub(crate) fn layout(
    members: usize,
    input_dim: usize,
    hidden: usize,
    layers: usize,
) -> Vec<Segment> {
    let m = members as i64;
    let mut dims = vec![input_dim as i64];
    dims.extend(std::iter::repeat_n(hidden as i64, layers));
    dims.push(1);
    let mut segments = Vec::with_capacity(2 * layers + 2);
    for (i, pair) in dims.windows(2).enumerate() {
        let (fan_in, fan_out) = (pair[0], pair[1]);
        segments.push(Segment {
            name: format!("l{i:02}.bias"),
            shape: vec![m, 1, fan_out],
            fan_in: fan_in as usize,
        });
        segments.push(Segment {
            name: format!("l{i:02}.weight"),
            shape: vec![m, fan_in, fan_out],
            fan_in: fan_in as usize,
        });
    }
    segments
}

/// Per layer: weight `[M, in, out]` and bias `[M, 1, out]` (views into the flat variable),
/// input layer first.
pub(crate) struct StackedMlp {
    layers: Vec<(Tensor, Tensor)>,
}

impl StackedMlp {
    /// A zero-filled flat variable (requires grad) for `segments` and the stack of views into
    /// it. The caller fills the values (seeded init or a checkpoint).
    pub fn new(segments: &[Segment]) -> Result<(StackedMlp, Tensor), tch::TchError> {
        let total: usize = segments.iter().map(Segment::numel).sum();
        let flat =
            Tensor::zeros([total as i64], (Kind::Float, Device::Cpu)).set_requires_grad(true);
        let mut views = Vec::with_capacity(segments.len());
        let mut offset = 0i64;
        for seg in segments {
            let len = seg.numel() as i64;
            views.push(
                flat.f_narrow(0, offset, len)?
                    .f_view(seg.shape.as_slice())?,
            );
            offset += len;
        }
        // Segments come in (bias, weight) pairs per layer, see `layout`.
        let mut layers = Vec::with_capacity(views.len() / 2);
        let mut it = views.into_iter();
        while let (Some(bias), Some(weight)) = (it.next(), it.next()) {
            layers.push((weight, bias));
        }
        Ok((StackedMlp { layers }, flat))
    }

    /// `[B, input_dim]` -> `[M, B]` raw outputs (no output activation), every member on every
    /// row. Gradients flow to the flat variable unless the caller is under `no_grad`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor, tch::TchError> {
        let last = self.layers.len() - 1;
        // [B, in] x [M, in, out] broadcasts to [M, B, out].
        let mut h = x.shallow_clone();
        for (i, (w, b)) in self.layers.iter().enumerate() {
            h = h.f_matmul(w)?.f_add(b)?;
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
