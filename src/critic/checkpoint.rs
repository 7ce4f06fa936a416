//! Critic checkpoints: config, input dimension, seed, fit count, reward scale, weights and
//! AdamW state in deterministic bytes (the blob a `CriticUpdated` event names).
//!
//! Format (version 1), chosen over libtorch's zip archive so the bytes depend on nothing but
//! the values and can be content-addressed:
//!
//! ```text
//! b"FNASCRT\0"                       8 bytes magic
//! version: u32 little-endian         = 1
//! header_len: u64 little-endian
//! header: postcard(Header)           config, input dim, seed, fits, Adam step, reward
//!                                    mean/std (f64), [(name, shape)]
//! payload: the flat variable, AdamW m, AdamW v, each as f32 little-endian
//! sha256 of everything above         32 bytes
//! ```
//! The flat variable holds the header's tensors (the stacked layers of V, the fold nets and
//! U; see `model` and `mlp`) one after the other in name order.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tch::Tensor;

use super::config::{CriticConfig, MAX_WIDTH};
use super::error::CriticError;
use super::mlp::param_count;
use super::model::{members, overwrite, Critic, Scale};

const MAGIC: &[u8; 8] = b"FNASCRT\0";
const VERSION: u32 = 1;
const DIGEST_LEN: usize = 32;

#[derive(Serialize, Deserialize)]
struct TensorMeta {
    name: String,
    shape: Vec<i64>,
}

#[derive(Serialize, Deserialize)]
struct Header {
    config: CriticConfig,
    input_dim: u64,
    seed: u64,
    fits: u64,
    adam_step: u64,
    reward_mean: f64,
    reward_std: f64,
    tensors: Vec<TensorMeta>,
}

fn corrupt(reason: impl Into<String>) -> CriticError {
    CriticError::CheckpointCorrupt {
        reason: reason.into(),
    }
}

fn push_f32s(out: &mut Vec<u8>, t: &Tensor) -> Result<(), CriticError> {
    let values = Vec::<f32>::try_from(&t.f_reshape([-1])?)?;
    out.extend(values.iter().flat_map(|v| v.to_le_bytes()));
    Ok(())
}

impl Critic {
    /// Serialises everything needed to continue this critic bit-for-bit (predict and refit):
    /// equal critics give equal bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Internal invariants: the header only holds plain data (postcard cannot fail on it)
        // and every variable is a CPU float tensor (conversion cannot fail).
        self.try_to_bytes()
            .expect("critic state is always serialisable")
    }

    fn try_to_bytes(&self) -> Result<Vec<u8>, CriticError> {
        let header = Header {
            config: self.cfg.clone(),
            input_dim: self.input_dim as u64,
            seed: self.seed,
            fits: self.fits,
            adam_step: self.adam.step_count(),
            reward_mean: self.scale.mean,
            reward_std: self.scale.std,
            tensors: self
                .segments
                .iter()
                .map(|s| TensorMeta {
                    name: s.name.clone(),
                    shape: s.shape.clone(),
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
        for t in [&self.adam.param, &self.adam.m, &self.adam.v] {
            push_f32s(&mut out, t)?;
        }
        let digest = Sha256::digest(&out);
        out.extend_from_slice(&digest);
        Ok(out)
    }

    /// Restores a critic from `to_bytes` output. Fails on truncation, a checksum mismatch,
    /// an unknown version, an invalid config or reward scale, or tensors that do not match
    /// the model the header describes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Critic, CriticError> {
        let (header, payload) = parse(bytes)?;
        header
            .config
            .validate()
            .map_err(|e| corrupt(format!("header: {e}")))?;
        let input_dim = usize::try_from(header.input_dim)
            .ok()
            .filter(|d| (1..=MAX_WIDTH).contains(d))
            .ok_or_else(|| {
                corrupt(format!(
                    "header: input_dim {} out of range",
                    header.input_dim
                ))
            })?;
        if !(header.reward_mean.is_finite()
            && header.reward_std.is_finite()
            && header.reward_std > 0.0)
        {
            return Err(corrupt(format!(
                "header: reward scale mean {} std {} is not finite with std > 0",
                header.reward_mean, header.reward_std
            )));
        }
        // Checked before building the model so a bad header cannot trigger a huge allocation.
        let cfg = &header.config;
        let expected = 12 * param_count(members(cfg), input_dim, cfg.hidden, cfg.layers);
        if payload.len() as u128 != expected {
            return Err(corrupt(format!(
                "payload has {} bytes, the header's model needs {expected}",
                payload.len()
            )));
        }
        let mut critic = Critic::new(input_dim, header.config.clone(), header.seed)?;
        let listed: Vec<(&str, &[i64])> = header
            .tensors
            .iter()
            .map(|t| (t.name.as_str(), t.shape.as_slice()))
            .collect();
        let model: Vec<(&str, &[i64])> = critic
            .segments
            .iter()
            .map(|s| (s.name.as_str(), s.shape.as_slice()))
            .collect();
        if listed != model {
            return Err(corrupt(format!(
                "tensors {listed:?} do not match the model's {model:?}"
            )));
        }
        // The length was checked above: exactly three flat tensors of f32.
        let numel = critic.num_params();
        let floats: Vec<f32> = payload
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        overwrite(&critic.adam.param, &floats[..numel])?;
        overwrite(&critic.adam.m, &floats[numel..2 * numel])?;
        overwrite(&critic.adam.v, &floats[2 * numel..])?;
        critic.adam.set_step_count(header.adam_step);
        critic.fits = header.fits;
        critic.scale = Scale {
            mean: header.reward_mean,
            std: header.reward_std,
        };
        Ok(critic)
    }

    /// Like `from_bytes`, but first checks that the checkpoint reads embeddings of length
    /// `input_dim` (the caller's search space), so a critic from another space is never used.
    pub fn from_bytes_checked(bytes: &[u8], input_dim: usize) -> Result<Critic, CriticError> {
        let (header, _) = parse(bytes)?;
        if header.input_dim != input_dim as u64 {
            return Err(CriticError::InputDimMismatch {
                expected: input_dim,
                found: usize::try_from(header.input_dim).unwrap_or(usize::MAX),
            });
        }
        Critic::from_bytes(bytes)
    }
}

/// Verifies framing, checksum and version; returns the header and the raw tensor payload.
fn parse(bytes: &[u8]) -> Result<(Header, &[u8]), CriticError> {
    let fixed = MAGIC.len() + 4 + 8;
    if bytes.len() < fixed + DIGEST_LEN {
        return Err(corrupt(format!("only {} bytes", bytes.len())));
    }
    let (body, digest) = bytes.split_at(bytes.len() - DIGEST_LEN);
    if Sha256::digest(body).as_slice() != digest {
        return Err(corrupt("sha256 checksum mismatch"));
    }
    if &body[..MAGIC.len()] != MAGIC {
        return Err(corrupt("bad magic (not a critic checkpoint)"));
    }
    let mut word = [0u8; 4];
    word.copy_from_slice(&body[8..12]);
    let version = u32::from_le_bytes(word);
    if version != VERSION {
        return Err(CriticError::CheckpointVersion {
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
