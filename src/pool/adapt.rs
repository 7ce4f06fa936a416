//! Loading a stored part into a network of another shape. The rule, per tensor:
//!
//! * **Matching by name.** A variable takes the stored tensor of the same name relative to
//!   its part; one without a stored counterpart (another op's layers, SE absent from the
//!   stored block, a different rank) keeps its fresh, seeded initialisation.
//! * **Layers.** New layer `l{i}` of a block takes stored layer `l{min(i, m-1)}` (m = stored
//!   layers): extra layers are copies of the last stored one; surplus stored layers are
//!   dropped.
//! * **Channels (every dimension but a conv's two kernel dimensions).** The first
//!   `min(new, stored)` entries are copied (channel slicing when the stored part is wider).
//!   When the new tensor is wider, each copied output row (dimension 0) is zero-padded on its
//!   other dimensions, so a copied filter computes exactly what it learned on the inputs it
//!   knew and ignores new ones; new output rows and new entries of 1-d tensors (BN scale 1 /
//!   shift 0 / mean 0 / var 1, biases 0) keep their fresh init: an all-zero filter would be
//!   dead under batch norm.
//! * **Kernel (dimensions 2 and 3 of a 4-d weight).** Centre crop when the stored kernel is
//!   larger (5 -> 3), centre placement with zeros around when it is smaller (3 -> 5), which
//!   keeps the stored filter's response.
//! * **SE present or not.** SE tensors (`se.reduce`, `se.expand`) follow the rules above when
//!   both have SE; a new SE without a stored one keeps its fresh init; a stored SE the new
//!   block lacks is ignored.
//! * **Classifier.** `fc.*` is copied only when the stored head was trained on the same task:
//!   class k of another dataset means something else.

use tch::nn::VarStore;

use crate::nn::tensor::overwrite;

use super::key::{part_prefixes, PartKind};
use super::weights::{PartTensor, PartWeights};
use super::PoolError;

/// What [`load_part`] did, for tests and diagnostics.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Variables that took (some of) their values from the stored part.
    pub copied: Vec<String>,
    /// Variables of the part that kept their fresh init.
    pub fresh: Vec<String>,
}

/// Copies `stored` into part `kind` of `vars` by the module's rule. `same_task` allows the
/// classifier to be copied (head part only).
pub fn load_part(
    vars: &VarStore,
    kind: PartKind,
    stored: &PartWeights,
    same_task: bool,
) -> Result<LoadReport, PoolError> {
    let prefixes = part_prefixes(kind);
    let stored_layers = stored
        .tensors
        .iter()
        .filter_map(|t| layer_of(&t.name).map(|(i, _)| i + 1))
        .max()
        .unwrap_or(0);
    let mut names: Vec<(String, tch::Tensor)> = vars
        .variables()
        .into_iter()
        .filter(|(n, _)| prefixes.iter().any(|p| n.starts_with(p.as_str())))
        .collect();
    names.sort_by(|a, b| a.0.cmp(&b.0));
    let mut report = LoadReport::default();
    for (name, var) in names {
        let source = match kind {
            PartKind::Block(_) => {
                let relative = name.split_once('.').map_or("", |(_, r)| r);
                match layer_of(relative) {
                    Some((i, rest)) if stored_layers > 0 => {
                        Some(format!("l{}.{rest}", i.min(stored_layers - 1)))
                    }
                    _ => None,
                }
            }
            PartKind::Head if name.starts_with("fc.") && !same_task => None,
            PartKind::Stem | PartKind::Head => Some(name.clone()),
        };
        let shape = var.size();
        match source.as_deref().and_then(|s| stored.get(s)) {
            Some(src) if src.shape.len() == shape.len() => {
                let mut values = current_values(&var)?;
                copy_overlap(&mut values, &shape, src);
                overwrite(&var, &values)?;
                report.copied.push(name);
            }
            _ => report.fresh.push(name),
        }
    }
    Ok(report)
}

/// `l{i}.rest` -> (i, rest).
fn layer_of(relative: &str) -> Option<(usize, &str)> {
    let (layer, rest) = relative.split_once('.')?;
    Some((layer.strip_prefix('l')?.parse().ok()?, rest))
}

fn current_values(var: &tch::Tensor) -> Result<Vec<f32>, PoolError> {
    Ok(Vec::<f32>::try_from(&var.f_reshape([-1])?)?)
}

/// Copies the overlap of `src` into `dst` (shape `dshape`, same rank) by the module's rule.
pub fn copy_overlap(dst: &mut [f32], dshape: &[i64], src: &PartTensor) {
    let rank = dshape.len();
    let sshape = &src.shape;
    if rank == 0 {
        if let (Some(d), Some(s)) = (dst.first_mut(), src.values.first()) {
            *d = *s;
        }
        return;
    }
    let dims: Vec<usize> = dshape.iter().map(|&d| d.max(0) as usize).collect();
    let sdims: Vec<usize> = sshape.iter().map(|&d| d.max(0) as usize).collect();
    // Per dimension: (offset in src, offset in dst, length of the overlap).
    let spans: Vec<(usize, usize, usize)> = (0..rank)
        .map(|d| {
            let (n, s) = (dims[d], sdims[d]);
            if rank == 4 && d >= 2 {
                if s >= n {
                    ((s - n) / 2, 0, n)
                } else {
                    (0, (n - s) / 2, s)
                }
            } else {
                (0, 0, n.min(s))
            }
        })
        .collect();
    if spans.iter().any(|s| s.2 == 0) {
        return;
    }
    let strides = |shape: &[usize]| {
        let mut st = vec![1usize; rank];
        for d in (0..rank.saturating_sub(1)).rev() {
            st[d] = st[d + 1] * shape[d + 1];
        }
        st
    };
    let (dst_st, src_st) = (strides(&dims), strides(&sdims));
    if rank >= 2 {
        // Copied rows start from zero: new inputs and kernel borders contribute nothing.
        let row = dst_st[0];
        for v in &mut dst[..spans[0].2 * row] {
            *v = 0.0;
        }
    }
    let mut idx = vec![0usize; rank];
    loop {
        let (mut di, mut si) = (0, 0);
        for d in 0..rank {
            di += (spans[d].1 + idx[d]) * dst_st[d];
            si += (spans[d].0 + idx[d]) * src_st[d];
        }
        if let (Some(slot), Some(v)) = (dst.get_mut(di), src.values.get(si)) {
            *slot = *v;
        }
        // Odometer over the overlap box, last dimension fastest.
        let mut d = rank;
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            if idx[d] < spans[d].2 {
                break;
            }
            idx[d] = 0;
        }
    }
}
