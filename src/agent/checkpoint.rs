//! Controller checkpoints: config, decision sizes, weights and Adam state in deterministic bytes.
//!
//! Format (version 1), chosen over libtorch's zip archive so the bytes depend on nothing but
//! the values (no timestamps, no HashMap order) and can be content-addressed:
//!
//! ```text
//! b"FNASCTL\0"                       8 bytes magic
//! version: u32 little-endian         = 1
//! header_len: u64 little-endian
//! header: postcard(Header)           config, decision sizes, Adam step, [(name, shape)]
//! payload: for each header tensor, in order: param, adam m, adam v as f32 little-endian
//! sha256 of everything above         32 bytes
//! ```
//! Tensors are listed in name order (the Adam slot order).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tch::Tensor;

use super::config::ControllerConfig;
use super::controller::{overwrite, validate_sizes, Controller};
use super::error::AgentError;

const MAGIC: &[u8; 8] = b"FNASCTL\0";
const VERSION: u32 = 1;
const DIGEST_LEN: usize = 32;

#[derive(Serialize, Deserialize)]
struct TensorMeta {
    name: String,
    shape: Vec<i64>,
}

#[derive(Serialize, Deserialize)]
struct Header {
    config: ControllerConfig,
    decision_sizes: Vec<u64>,
    adam_step: u64,
    tensors: Vec<TensorMeta>,
}

fn corrupt(reason: impl Into<String>) -> AgentError {
    AgentError::CheckpointCorrupt {
        reason: reason.into(),
    }
}

fn push_f32s(out: &mut Vec<u8>, t: &Tensor) -> Result<(), AgentError> {
    let values = Vec::<f32>::try_from(&t.f_reshape([-1])?)?;
    out.extend(values.iter().flat_map(|v| v.to_le_bytes()));
    Ok(())
}

impl Controller {
    /// Serialises everything needed to continue this controller bit-for-bit: equal
    /// controllers give equal bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Internal invariants: the header only holds plain data (postcard cannot fail on it)
        // and every variable is a CPU float tensor (conversion cannot fail).
        self.try_to_bytes()
            .expect("controller state is always serialisable")
    }

    fn try_to_bytes(&self) -> Result<Vec<u8>, AgentError> {
        let header = Header {
            config: self.cfg.clone(),
            decision_sizes: self.sizes.iter().map(|&c| c as u64).collect(),
            adam_step: self.adam.step_count(),
            tensors: self
                .adam
                .slots()
                .iter()
                .map(|s| TensorMeta {
                    name: s.name.clone(),
                    shape: s.param.size(),
                })
                .collect(),
        };
        let header_bytes =
            postcard::to_stdvec(&header).map_err(|e| corrupt(format!("header encode: {e}")))?;
        let mut out = Vec::with_capacity(64 + header_bytes.len() + 12 * self.num_params());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(header_bytes.len() as u64).to_le_bytes());
        out.extend_from_slice(&header_bytes);
        for slot in self.adam.slots() {
            push_f32s(&mut out, &slot.param)?;
            push_f32s(&mut out, &slot.m)?;
            push_f32s(&mut out, &slot.v)?;
        }
        let digest = Sha256::digest(&out);
        out.extend_from_slice(&digest);
        Ok(out)
    }

    /// Restores a controller from `to_bytes` output. Fails on truncation, a checksum mismatch,
    /// an unknown version, or tensors that do not match the decision sizes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Controller, AgentError> {
        let (header, payload) = parse(bytes)?;
        let sizes: Vec<usize> = header.decision_sizes.iter().map(|&c| c as usize).collect();
        validate_sizes(&sizes).map_err(|e| corrupt(format!("header: {e}")))?;
        header
            .config
            .validate()
            .map_err(|e| corrupt(format!("header: {e}")))?;
        // Checked before building the model so a bad header cannot trigger a huge allocation.
        let expected = 12 * param_count(&sizes, header.config.hidden) as u128;
        if payload.len() as u128 != expected {
            return Err(corrupt(format!(
                "payload has {} bytes, the header's model needs {expected}",
                payload.len()
            )));
        }
        // The seed is irrelevant: every value is overwritten below.
        let mut ctl = Controller::new(&sizes, header.config, 0)?;
        if header.tensors.len() != ctl.adam.slots().len() {
            return Err(corrupt(format!(
                "{} tensors listed, the model has {}",
                header.tensors.len(),
                ctl.adam.slots().len()
            )));
        }
        let mut cursor = payload;
        let mut take = |numel: usize, what: &str| -> Result<Vec<f32>, AgentError> {
            let len = numel * 4;
            if cursor.len() < len {
                return Err(corrupt(format!("payload truncated in {what}")));
            }
            let (head, rest) = cursor.split_at(len);
            cursor = rest;
            Ok(head
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect())
        };
        for (meta, slot) in header.tensors.iter().zip(ctl.adam.slots()) {
            if meta.name != slot.name || meta.shape != slot.param.size() {
                return Err(corrupt(format!(
                    "tensor `{}` {:?} does not match model tensor `{}` {:?}",
                    meta.name,
                    meta.shape,
                    slot.name,
                    slot.param.size()
                )));
            }
            let numel = slot.param.numel();
            overwrite(&slot.param, &take(numel, &meta.name)?)?;
            overwrite(&slot.m, &take(numel, &meta.name)?)?;
            overwrite(&slot.v, &take(numel, &meta.name)?)?;
        }
        if !cursor.is_empty() {
            return Err(corrupt(format!(
                "{} unexpected trailing payload bytes",
                cursor.len()
            )));
        }
        ctl.adam.set_step_count(header.adam_step);
        Ok(ctl)
    }

    /// Like `from_bytes`, but first checks that the checkpoint was made for `expected_sizes`
    /// (the caller's search space), so a controller from another space is never used.
    pub fn from_bytes_checked(
        bytes: &[u8],
        expected_sizes: &[usize],
    ) -> Result<Controller, AgentError> {
        let (header, _) = parse(bytes)?;
        let found: Vec<usize> = header.decision_sizes.iter().map(|&c| c as usize).collect();
        if found != expected_sizes {
            return Err(AgentError::DecisionSizesMismatch {
                expected: expected_sizes.to_vec(),
                found,
            });
        }
        Controller::from_bytes(bytes)
    }
}

/// Scalars in a controller with these decision sizes and hidden size (start input, LSTM,
/// `T-1` embedding tables, `T` heads with bias). Saturates instead of overflowing.
fn param_count(sizes: &[usize], hidden: usize) -> usize {
    let h = hidden;
    let lstm = 4 * h * (h + h) + 2 * 4 * h;
    let embeds: usize = sizes[..sizes.len().saturating_sub(1)]
        .iter()
        .map(|&c| c * h)
        .sum();
    let heads: usize = sizes.iter().map(|&c| c * h + c).sum();
    h.saturating_add(lstm)
        .saturating_add(embeds)
        .saturating_add(heads)
}

/// Verifies framing, checksum and version; returns the header and the raw tensor payload.
fn parse(bytes: &[u8]) -> Result<(Header, &[u8]), AgentError> {
    let fixed = MAGIC.len() + 4 + 8;
    if bytes.len() < fixed + DIGEST_LEN {
        return Err(corrupt(format!("only {} bytes", bytes.len())));
    }
    let (body, digest) = bytes.split_at(bytes.len() - DIGEST_LEN);
    if Sha256::digest(body).as_slice() != digest {
        return Err(corrupt("sha256 checksum mismatch"));
    }
    if &body[..MAGIC.len()] != MAGIC {
        return Err(corrupt("bad magic (not a controller checkpoint)"));
    }
    let mut word = [0u8; 4];
    word.copy_from_slice(&body[8..12]);
    let version = u32::from_le_bytes(word);
    if version != VERSION {
        return Err(AgentError::CheckpointVersion {
            found: version,
            supported: VERSION,
        });
    }
    let mut len8 = [0u8; 8];
    len8.copy_from_slice(&body[12..20]);
    let header_len = u64::from_le_bytes(len8);
    let rest = &body[fixed..];
    if header_len > rest.len() as u64 {
        return Err(corrupt(format!(
            "header length {header_len} exceeds the data"
        )));
    }
    let (header_bytes, payload) = rest.split_at(header_len as usize);
    let header: Header =
        postcard::from_bytes(header_bytes).map_err(|e| corrupt(format!("header decode: {e}")))?;
    Ok((header, payload))
}
