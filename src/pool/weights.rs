//! A part's weights as bytes: the blob a `block_checkpointed` event names.
//!
//! Why not libtorch's archive: its bytes carry timestamps and HashMap order, so equal weights
//! would not give equal blobs (stack.md 3.3) and could not be stored once. The layout mirrors
//! `nn::checkpoint` (same `TensorMeta`, same f32 helpers) without its Adam slots, which a
//! trained proxy network does not have:
//!
//! ```text
//! magic "FNASPART"  version u32 LE  header_len u64 LE
//! header: postcard(Vec<TensorMeta>)   names relative to the part, sorted
//! payload: each tensor's values, f32 LE, row-major, in header order
//! sha256 of everything above (32 bytes)
//! ```
//! Names are relative: a block's `b3.l0.dw.conv.weight` is stored as `l0.dw.conv.weight`,
//! the stem's and head's keep their prefix (`stem.bn.weight`, `fc.bias`). BN running
//! statistics are included: they are part of what the block learned.

use sha2::{Digest, Sha256};
use tch::nn::VarStore;

use crate::nn::tensor::{f32s_from_le, push_f32_le};
use crate::nn::TensorMeta;

use super::key::{part_prefixes, PartKind};
use super::PoolError;

const MAGIC: &[u8; 8] = b"FNASPART";
const VERSION: u32 = 1;
const DIGEST_LEN: usize = 32;
const FIXED_LEN: usize = 8 + 4 + 8;

/// One tensor of a part.
#[derive(Clone, Debug, PartialEq)]
pub struct PartTensor {
    /// Name relative to the part (see the module doc).
    pub name: String,
    pub shape: Vec<i64>,
    pub values: Vec<f32>,
}

/// All tensors of one part, sorted by name.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct PartWeights {
    pub tensors: Vec<PartTensor>,
}

impl PartWeights {
    /// Copies part `kind`'s variables out of `vars` (a trained network).
    pub fn extract(vars: &VarStore, kind: PartKind) -> Result<PartWeights, PoolError> {
        let prefixes = part_prefixes(kind);
        let mut tensors = Vec::new();
        for (name, t) in vars.variables() {
            let Some(prefix) = prefixes.iter().find(|p| name.starts_with(p.as_str())) else {
                continue;
            };
            let relative = match kind {
                PartKind::Block(_) => name[prefix.len()..].to_string(),
                PartKind::Stem | PartKind::Head => name.clone(),
            };
            let mut bytes = Vec::new();
            push_f32_le(&mut bytes, &t)?;
            tensors.push(PartTensor {
                name: relative,
                shape: t.size(),
                values: f32s_from_le(&bytes),
            });
        }
        tensors.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(PartWeights { tensors })
    }

    /// The tensor named `name`, if stored.
    pub fn get(&self, name: &str) -> Option<&PartTensor> {
        self.tensors
            .binary_search_by(|t| t.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.tensors[i])
    }

    /// Total number of stored values.
    pub fn numel(&self) -> usize {
        self.tensors.iter().map(|t| t.values.len()).sum()
    }

    /// Deterministic bytes (see the module doc): equal weights give equal blobs.
    pub fn encode(&self) -> Vec<u8> {
        let metas: Vec<TensorMeta> = self
            .tensors
            .iter()
            .map(|t| TensorMeta {
                name: t.name.clone(),
                shape: t.shape.clone(),
            })
            .collect();
        // Serialising strings and integers into a Vec cannot fail.
        let header = postcard::to_stdvec(&metas).unwrap_or_default();
        let mut out = Vec::with_capacity(FIXED_LEN + header.len() + 4 * self.numel() + 32);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(header.len() as u64).to_le_bytes());
        out.extend_from_slice(&header);
        for t in &self.tensors {
            out.extend(t.values.iter().flat_map(|v| v.to_le_bytes()));
        }
        let digest = Sha256::digest(&out);
        out.extend_from_slice(&digest);
        out
    }

    /// Decodes and checks bytes written by [`PartWeights::encode`]; `blob` names them in errors.
    pub fn decode(bytes: &[u8], blob: &str) -> Result<PartWeights, PoolError> {
        let bad = |reason: String| PoolError::Corrupt {
            blob: blob.to_string(),
            reason,
        };
        if bytes.len() < FIXED_LEN + DIGEST_LEN {
            return Err(bad(format!("only {} bytes", bytes.len())));
        }
        let (body, digest) = bytes.split_at(bytes.len() - DIGEST_LEN);
        if Sha256::digest(body).as_slice() != digest {
            return Err(bad("sha256 checksum mismatch".into()));
        }
        if &body[..8] != MAGIC {
            return Err(bad("bad magic (not a pool part)".into()));
        }
        let mut word = [0u8; 4];
        word.copy_from_slice(&body[8..12]);
        let version = u32::from_le_bytes(word);
        if version != VERSION {
            return Err(bad(format!(
                "version {version}, this build reads {VERSION}"
            )));
        }
        let mut len8 = [0u8; 8];
        len8.copy_from_slice(&body[12..FIXED_LEN]);
        let header_len = u64::from_le_bytes(len8);
        let rest = &body[FIXED_LEN..];
        if header_len > rest.len() as u64 {
            return Err(bad(format!("header length {header_len} exceeds the data")));
        }
        let (header, mut payload) = rest.split_at(header_len as usize);
        let metas: Vec<TensorMeta> =
            postcard::from_bytes(header).map_err(|e| bad(format!("header decode: {e}")))?;
        let mut tensors = Vec::with_capacity(metas.len());
        for meta in metas {
            let numel = meta.shape.iter().try_fold(1u64, |n, &d| {
                u64::try_from(d).ok().and_then(|d| n.checked_mul(d))
            });
            let Some(numel) = numel.filter(|&n| n.saturating_mul(4) <= payload.len() as u64) else {
                return Err(bad(format!(
                    "tensor {} {:?} does not fit the payload",
                    meta.name, meta.shape
                )));
            };
            let (head, rest) = payload.split_at(4 * numel as usize);
            payload = rest;
            tensors.push(PartTensor {
                name: meta.name,
                shape: meta.shape,
                values: f32s_from_le(head),
            });
        }
        if !payload.is_empty() {
            return Err(bad(format!("{} trailing payload bytes", payload.len())));
        }
        if tensors.windows(2).any(|w| w[0].name >= w[1].name) {
            return Err(bad("tensor names not sorted and unique".into()));
        }
        Ok(PartWeights { tensors })
    }
}
