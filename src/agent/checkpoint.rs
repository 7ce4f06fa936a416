//! Controller checkpoints: config, decision sizes, weights and Adam state in deterministic bytes.
//!
//! The container is the shared one of [`crate::nn::checkpoint`] (magic, version, postcard
//! header, every Adam slot's variable and moments as f32 little-endian in name order, sha256
//! trailer), with magic `b"FNASCTL\0"`, version 1 and this module's `Header` (config and
//! decision sizes) as the caller header.

use serde::{Deserialize, Serialize};

use super::config::ControllerConfig;
use super::controller::{validate_sizes, Controller};
use super::error::AgentError;
use crate::nn::Format;

const FORMAT: Format = Format {
    magic: *b"FNASCTL\0",
    version: 1,
    kind: "controller",
};

/// What a controller checkpoint holds besides the Adam state: what to rebuild the model from.
#[derive(Serialize, Deserialize)]
struct Header {
    config: ControllerConfig,
    decision_sizes: Vec<u64>,
}

impl Controller {
    /// Serialises everything needed to continue this controller bit-for-bit: equal
    /// controllers give equal bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = Header {
            config: self.cfg.clone(),
            decision_sizes: self.sizes.iter().map(|&c| c as u64).collect(),
        };
        // Internal invariants: the header only holds plain data (postcard cannot fail on it)
        // and every variable is a CPU float tensor (conversion cannot fail).
        FORMAT
            .encode(&header, &self.adam)
            .expect("controller state is always serialisable")
    }

    /// Restores a controller from `to_bytes` output. Fails on truncation, a checksum mismatch,
    /// an unknown version, or tensors that do not match the decision sizes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Controller, AgentError> {
        let decoded = FORMAT.decode::<Header>(bytes)?;
        let header = &decoded.header;
        let sizes: Vec<usize> = header.decision_sizes.iter().map(|&c| c as usize).collect();
        validate_sizes(&sizes).map_err(|e| FORMAT.corrupt(format!("header: {e}")))?;
        header
            .config
            .validate()
            .map_err(|e| FORMAT.corrupt(format!("header: {e}")))?;
        decoded.expect_scalars(param_count(&sizes, header.config.hidden) as u128)?;
        // The seed is irrelevant: every value is overwritten by `restore`.
        let mut ctl = Controller::new(&sizes, header.config.clone(), 0)?;
        decoded.restore(&mut ctl.adam)?;
        Ok(ctl)
    }

    /// Like `from_bytes`, but first checks that the checkpoint was made for `expected_sizes`
    /// (the caller's search space), so a controller from another space is never used.
    pub fn from_bytes_checked(
        bytes: &[u8],
        expected_sizes: &[usize],
    ) -> Result<Controller, AgentError> {
        let decoded = FORMAT.decode::<Header>(bytes)?;
        let found: Vec<usize> = decoded
            .header
            .decision_sizes
            .iter()
            .map(|&c| c as usize)
            .collect();
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
