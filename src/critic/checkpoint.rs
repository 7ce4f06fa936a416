//! Critic checkpoints: config, input dimension, seed, fit count, reward scale, weights and
//! AdamW state in deterministic bytes (the blob a `CriticUpdated` event names).
//!
//! The container is the shared one of [`crate::nn::checkpoint`] (magic, version, postcard
//! header, the Adam slot's variable and moments as f32 little-endian, sha256 trailer), with
//! magic `b"FNASCRT\0"`, version 1 and this module's `Header` as the caller header. The one
//! Adam slot is the flat variable; the header also lists the layer tensors inside it (the
//! stacked layers of V, the fold nets and U in name order; see `model` and `mlp`), so a
//! checkpoint from a different layout is refused even when the total size matches.

use serde::{Deserialize, Serialize};

use super::config::{CriticConfig, MAX_WIDTH};
use super::error::CriticError;
use super::mlp::param_count;
use super::model::{members, Critic, Scale};
use crate::nn::{Format, TensorMeta};

const FORMAT: Format = Format {
    magic: *b"FNASCRT\0",
    version: 1,
    kind: "critic",
};

/// What a critic checkpoint holds besides the AdamW state.
#[derive(Serialize, Deserialize)]
struct Header {
    config: CriticConfig,
    input_dim: u64,
    seed: u64,
    fits: u64,
    reward_mean: f64,
    reward_std: f64,
    /// The layer tensors inside the flat variable, in flat order.
    segments: Vec<TensorMeta>,
}

impl Critic {
    /// Serialises everything needed to continue this critic bit-for-bit (predict and refit):
    /// equal critics give equal bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = Header {
            config: self.cfg.clone(),
            input_dim: self.input_dim as u64,
            seed: self.seed,
            fits: self.fits,
            reward_mean: self.scale.mean,
            reward_std: self.scale.std,
            segments: self.segment_metas(),
        };
        // Internal invariants: the header only holds plain data (postcard cannot fail on it)
        // and every variable is a CPU float tensor (conversion cannot fail).
        FORMAT
            .encode(&header, &self.adam)
            .expect("critic state is always serialisable")
    }

    /// Restores a critic from `to_bytes` output. Fails on truncation, a checksum mismatch,
    /// an unknown version, an invalid config or reward scale, or tensors that do not match
    /// the model the header describes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Critic, CriticError> {
        let decoded = FORMAT.decode::<Header>(bytes)?;
        let header = &decoded.header;
        header
            .config
            .validate()
            .map_err(|e| FORMAT.corrupt(format!("header: {e}")))?;
        let input_dim = usize::try_from(header.input_dim)
            .ok()
            .filter(|d| (1..=MAX_WIDTH).contains(d))
            .ok_or_else(|| {
                FORMAT.corrupt(format!(
                    "header: input_dim {} out of range",
                    header.input_dim
                ))
            })?;
        if !(header.reward_mean.is_finite()
            && header.reward_std.is_finite()
            && header.reward_std > 0.0)
        {
            return Err(FORMAT
                .corrupt(format!(
                    "header: reward scale mean {} std {} is not finite with std > 0",
                    header.reward_mean, header.reward_std
                ))
                .into());
        }
        let cfg = &header.config;
        decoded.expect_scalars(param_count(members(cfg), input_dim, cfg.hidden, cfg.layers))?;
        let mut critic = Critic::new(input_dim, header.config.clone(), header.seed)?;
        let model = critic.segment_metas();
        if header.segments != model {
            return Err(FORMAT
                .corrupt(format!(
                    "tensors {:?} do not match the model's {model:?}",
                    header.segments
                ))
                .into());
        }
        decoded.restore(&mut critic.adam)?;
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
        let decoded = FORMAT.decode::<Header>(bytes)?;
        if decoded.header.input_dim != input_dim as u64 {
            return Err(CriticError::InputDimMismatch {
                expected: input_dim,
                found: usize::try_from(decoded.header.input_dim).unwrap_or(usize::MAX),
            });
        }
        Critic::from_bytes(bytes)
    }

    fn segment_metas(&self) -> Vec<TensorMeta> {
        self.segments
            .iter()
            .map(|s| TensorMeta {
                name: s.name.clone(),
                shape: s.shape.clone(),
            })
            .collect()
    }
}
