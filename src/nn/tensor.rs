//! Copying plain values into tch variables and back out, the only way values cross between
//! Rust and a model here (seeded init, checkpoint restore and save).

use tch::{TchError, Tensor};

/// Copies `values` into variable `param` in place (no gradient recorded). In place, so every
/// shallow clone of the variable (model layers, views, optimiser slots) sees the new values.
pub fn overwrite(param: &Tensor, values: &[f32]) -> Result<(), TchError> {
    let src = Tensor::f_from_slice(values)?.f_view(param.size().as_slice())?;
    let mut dst = param.shallow_clone();
    tch::no_grad(|| dst.f_copy_(&src))?;
    Ok(())
}

/// Appends the values of float tensor `t`, flattened in row-major order, as f32
/// little-endian bytes: a representation that depends on nothing but the values.
pub fn push_f32_le(out: &mut Vec<u8>, t: &Tensor) -> Result<(), TchError> {
    let values = Vec::<f32>::try_from(&t.f_reshape([-1])?)?;
    out.extend(values.iter().flat_map(|v| v.to_le_bytes()));
    Ok(())
}

/// Decodes f32 little-endian bytes (a trailing partial value is ignored; callers check the
/// length first).
pub fn f32s_from_le(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}
